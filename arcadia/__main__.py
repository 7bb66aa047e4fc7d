"""`python -m arcadia` runs the CLI."""

import sys

from arcadia.cli import main

sys.exit(main())

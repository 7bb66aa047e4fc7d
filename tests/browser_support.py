"""Browser tests' side of benchmarks/browser.py (shared with the benchmark): Chromium or a skip.

The server, project-copy and login helpers live in benchmarks/browser.py so
that `python -m arcadia bench` drives the same browser the tests do; they are
re-exported here for the test modules that import them from this module.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.browser import CHROMIUM, ROOT, free_port, launch_chromium, new_page, project_copy, streamlit_server

__all__ = ["ROOT", "chromium_or_skip", "free_port", "new_page", "project_copy", "streamlit_server"]


def chromium_or_skip():
    """Launch Debian's Chromium through Playwright; skip when missing, except with CI=true."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return launch_chromium()

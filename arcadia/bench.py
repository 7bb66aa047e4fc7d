"""`python -m arcadia bench`: placeholder until the benchmark lands (being written)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    print("bench: not implemented yet")
    return 1

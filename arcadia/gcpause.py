"""Pause Python's cyclic garbage collector while a figure builds tens of thousands of objects.

A large reseller's month is ~25,000 P&L rows and an accrual ~50,000 priced lines: tuples,
strings, ints and Decimals that form no reference cycles. Allocating that many objects triggers
collections that walk every object the process holds (in the dashboard's server, all of its
caches), which measured at up to half the time of a figure. Pausing the collector for the
length of one call loses nothing: it runs again at the next allocation after it is re-enabled.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Collector off for the block; back on after it, unless it was already off when the block began.

    Safe across threads: the thread that turned it off turns it back on, and a thread that found
    it off leaves it alone, so it is never left off once every block has ended.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

"""Documents with large arrays, written to compact JSON a chunk of rows at a time.

A large reseller's month is 40,000 subscriptions with 200,000 lines, or 100,000 P&L rows: as one tree of
dicts it is several times the size of its JSON (30 MB). A document here keeps such an array as `Rows` (the
figure's own tuples and the function that makes one row's dict); `stream` makes and writes CHUNK_ROWS rows at
a time, so only one chunk of row dicts, and of bytes, exists at once (the API sends each as it is made).
`dumps` is the whole of it; `materialised` gives the same document as plain lists (the CLI, tests): the same
JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import orjson

from arcadia import gcpause

CHUNK_ROWS = 2000


class Rows(NamedTuple):
    """An array of a document: `items`, each written as `row(item)`."""

    items: Sequence
    row: Callable[[Any], dict]


def materialised(value):
    """The document with every Rows (a value of the document or of a dict in it) made a list of dicts."""
    if isinstance(value, Rows):
        return [value.row(item) for item in value.items]
    if isinstance(value, dict):
        return {key: materialised(item) for key, item in value.items()}
    return value


def dumps(document: dict) -> bytes:
    """The document as compact UTF-8 JSON (orjson): the bytes of orjson.dumps(materialised(document))."""
    return b"".join(_parts(document))


def stream(document: dict, at_least: int = 256 * 1024) -> Iterator[bytes]:
    """dumps(document) in pieces of at least `at_least` bytes (the last may be smaller), made as they are asked
    for."""
    pending, size = [], 0
    for part in _parts(document):
        pending.append(part)
        size += len(part)
        if size >= at_least:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


def _parts(value) -> Iterator[bytes]:
    if isinstance(value, Rows):
        yield b"["
        row, items = value.row, value.items
        for start in range(0, len(items), CHUNK_ROWS):
            with gcpause.paused():  # thousands of small dicts that form no cycles: no collection midway
                chunk = orjson.dumps([row(item) for item in items[start:start + CHUNK_ROWS]])
            yield chunk[1:-1] if start == 0 else b"," + chunk[1:-1]
        yield b"]"
    elif isinstance(value, dict):
        yield b"{"
        for i, (key, item) in enumerate(value.items()):
            yield (b"," if i else b"") + orjson.dumps(key) + b":"
            yield from _parts(item)
        yield b"}"
    else:  # anything else holds no Rows: orjson writes it whole
        yield orjson.dumps(value)

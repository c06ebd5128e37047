"""Pausing CPython's cyclic garbage collector while a large, long-lived structure is built.

Parsing and checking allocate many small objects (parse-tree nodes, tokens, AST nodes, spans)
that all stay alive until the pass ends and hold no reference cycles worth collecting. Each
collection the allocations trigger traverses everything allocated so far, so with the collector
on, parse + check of a 50,000-line file ran at 5,467 lines/s against 8,434 at 5,000 lines (the
cost grew faster than the input). Paused, the cost is linear; the objects are examined once,
by the first collection after the pause.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["gc_paused"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block and restore its previous state on leaving,
    also on an exception. Nested uses, and a collector the caller disabled, stay as they were:
    only the use that found it enabled turns it back on. Reference counting frees objects as
    usual meanwhile; only cycles wait for the next collection."""
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

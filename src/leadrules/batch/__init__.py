"""Batch evaluation of whole leads files, above the engines and `io`: DuckDB reads the file,
SQL accepts and types the records it can vouch for, the query `engine.sql` compiles from the
model evaluates them, and the Python engine takes the rest (`batch.runner`).

`run` and friends load on first use (they import DuckDB): `from leadrules.batch import run`
raises ImportError when DuckDB is not installed, which is how callers tell it is missing.
`batch.auto` (which engine `eval --engine auto` picks) imports neither DuckDB nor sqlglot.
`batch.spark` (`eval --engine spark`) does the same on a Spark session, local or a cluster's
through Spark Connect; it imports pyspark only when it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadrules.batch.runner import OUTPUT_FORMATS, RunDetails, run, run_detailed

__all__ = ["run", "run_detailed", "RunDetails", "OUTPUT_FORMATS"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        import importlib

        return getattr(importlib.import_module("leadrules.batch.runner"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

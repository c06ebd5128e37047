"""`eval --engine auto`: which engine evaluates a leads file.

Both engines write the same bytes, so the choice is only about time and memory. DuckDB starts
slower (about 0.3 s more: its import, the query build, the tables) and then evaluates each lead
faster; the Python engine streams in flat memory. Measured on a 2-core machine (docs/sql.md,
"--engine auto"), the whole CLI breaks even on CSV leads at about 75,000 leads of seven
columns, a 4 MiB file, and DuckDB pulls ahead from there (3.5 s against 14.9 s at a million
leads with two million events). On JSON Lines, where DuckDB's checks cost more, it breaks even
at about 200,000 leads (90 MB) and is ahead from 300,000 (3.6 s against 3.9 s) to a million
(9.8 s against 11.8 s), holding about 4.5 times the file size in memory; auto gives it JSON
Lines files from 256 MiB. Parquet is DuckDB's alone.

The file size is the signal: it costs one `stat`. Standard input and `.json` arrays have no
cheap size (and DuckDB would read the Python readers' way anyway), so they stay in Python.
This module imports neither DuckDB nor sqlglot: auto decides before either is loaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

__all__ = ["choose_engine", "input_format", "AUTO_DUCKDB_MIN_BYTES"]

Engine = Literal["python", "duckdb"]

# Smallest leads file, per input format, that `--engine auto` gives to DuckDB; None: never.
AUTO_DUCKDB_MIN_BYTES: dict[str, int | None] = {
    "csv": 4 * 1024 * 1024,
    "jsonl": 256 * 1024 * 1024,
    "json": None,
    "parquet": 0,
}


def input_format(leads: str | None) -> str:
    """"parquet", "csv", "json" or "jsonl" from a leads path; stdin (None or '-') is JSON Lines."""
    if leads is None or leads == "-":
        return "jsonl"
    suffix = Path(leads).suffix.lower()
    return {".parquet": "parquet", ".csv": "csv", ".json": "json"}.get(suffix, "jsonl")


def choose_engine(leads: str | None, output_format: str = "jsonl", *, explain: bool = False) -> Engine:
    """The engine `--engine auto` runs for this leads path and output format."""
    if explain:
        return "python"  # only the Python engine keeps a ledger
    kind = input_format(leads)
    if output_format == "parquet" or kind == "parquet":
        return "duckdb"  # the Python readers and writers do not take Parquet
    if leads is None or leads == "-":
        return "python"
    threshold = AUTO_DUCKDB_MIN_BYTES.get(kind)
    if threshold is None:
        return "python"
    try:
        size = os.path.getsize(leads)
    except OSError:
        return "python"  # a missing file: the Python reader reports it
    return "duckdb" if size >= threshold else "python"

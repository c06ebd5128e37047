"""CLI wiring that `eval` and `report` share: the options that say what to read and as of when,
the checks on them, and the progress bar on stderr."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

__all__ = ["lead_input_options", "check_as_of_choice", "require_duckdb", "progress_bar"]

_Command = TypeVar("_Command", bound=Callable[..., Any])


def lead_input_options(command: _Command) -> _Command:
    """--as-of, --as-of-field, --events, --delimiter and --encoding, in this order on `--help`."""
    options = [
        click.option("--as-of", "as_of_text", metavar="TS", help="evaluation instant (ISO 8601); default: now, UTC"),
        click.option("--as-of-field", "as_of_field", metavar="FIELD",
                     help="evaluate each record as of its own timestamp in FIELD (later events ignored); "
                          "Python engine"),
        click.option("--events", "events_path", metavar="FILE", help="CSV of events: lead_id,type,at"),
        click.option("--delimiter", metavar="CHAR", default=",", show_default=True,
                     help="CSV cell delimiter of LEADS and --events (one character; '\\t' or 'tab' for a tab); "
                          "never guessed"),
        click.option("--encoding", metavar="NAME", default="utf-8", show_default=True,
                     help="text encoding of CSV LEADS and --events (latin-1, cp1252, ...); rows that do not "
                          "decode are error records"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def check_as_of_choice(as_of_text: str | None, as_of_field: str | None, engine: str) -> None:
    """--as-of-field excludes --as-of and the DuckDB and Spark engines (only the Python engine
    reads a per-record instant)."""
    if as_of_field is not None and as_of_text is not None:
        raise click.UsageError("--as-of and --as-of-field exclude each other")
    if as_of_field is not None and engine in ("duckdb", "spark"):
        raise click.UsageError("--as-of-field needs --engine python (or auto)")


def require_duckdb() -> None:
    """A usage error where the DuckDB engine is asked for and this build has no duckdb."""
    try:
        import duckdb  # noqa: F401 - only whether it is there
    except ImportError:
        raise click.UsageError("the DuckDB engine is not available in this build; use --engine python") from None


@contextlib.contextmanager
def progress_bar(path: str | None, description: str, min_bytes: int = 0) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr, only when stderr is a terminal and the input a file of at
    least `min_bytes`; it advances by the bytes read."""
    if path is None or path == "-" or not sys.stderr.isatty():
        yield None
        return
    try:
        size = os.path.getsize(path)
    except OSError:
        yield None
        return
    if size < min_bytes:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=size)
        yield lambda n: bar.advance(task, n)

"""`leadrules report RULES LEADS`: the funnel report of one evaluation, as one HTML file or JSON."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

import click

from leadrules.cli.eval_cmd import check_output_path, load_checked_or_exit, parse_as_of
from leadrules.cli.lint_gate import report_or_refuse
from leadrules.io.leads import csv_options
from leadrules.io.output import write_output_text

__all__ = ["command"]


@contextlib.contextmanager
def _progress(path: str | None) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr, only when stderr is a terminal and the input a file."""
    if path is None or path == "-" or not sys.stderr.isatty():
        yield None
        return
    try:
        size = os.path.getsize(path)
    except OSError:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reading leads", total=size)
        yield lambda n: bar.advance(task, n)


@click.command("report", short_help="Funnel report of an evaluation: one HTML page, or JSON.")
@click.argument("ruleset")
@click.argument("leads")
@click.option("--as-of", "as_of_text", metavar="TS", help="evaluation instant (ISO 8601); default: now, UTC")
@click.option("--events", "events_path", metavar="FILE", help="CSV of events: lead_id,type,at")
@click.option("--format", "output_format", type=click.Choice(["html", "json"]), default="html", show_default=True)
@click.option("-o", "--output", "output_path", metavar="FILE", help="write the report here, not stdout")
@click.option("--engine", type=click.Choice(["python", "duckdb", "auto"]), default="auto", show_default=True,
              help="same numbers; auto picks as `eval` does (DuckDB for Parquet and large CSV / JSON Lines files)")
@click.option("--delimiter", metavar="CHAR", default=",", show_default=True,
              help="CSV cell delimiter of LEADS and --events (one character; '\\t' or 'tab' for a tab)")
@click.option("--encoding", metavar="NAME", default="utf-8", show_default=True,
              help="text encoding of CSV LEADS and --events")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar on stderr")
@click.option("--strict", is_flag=True,
              help="refuse (exit 1) a ruleset `check` rejects for error-level findings; default: warn and run")
def command(ruleset: str, leads: str, as_of_text: str | None, events_path: str | None, output_format: str,
            output_path: str | None, engine: str, delimiter: str, encoding: str, quiet: bool, strict: bool) -> None:
    """Evaluate LEADS (.jsonl, .json array, .csv, .parquet; '-': JSON Lines on stdin) and report
    the funnel: stage counts and conversion, where leads stall (criterion parts not met),
    disqualification and blocked reasons, route load, score distributions with band boundaries,
    bands by stage and invalid records.

    Exit status: 0 report written, 1 the ruleset has errors, 2 usage or I/O error. Invalid
    records are part of the report, not a failure."""
    as_of = parse_as_of(as_of_text)
    check_output_path(output_path)
    csv_reading = csv_options(delimiter, encoding)
    loaded = load_checked_or_exit(ruleset)
    report_or_refuse(loaded, strict)  # as eval: warn about what `check` rejects, or refuse with --strict
    model = loaded.model
    assert model is not None
    from leadrules.engine.sql.auto import choose_engine, input_format

    chosen = choose_engine(leads) if engine == "auto" else engine
    if chosen == "python" and input_format(leads) == "parquet":
        raise click.UsageError("Parquet input needs the DuckDB engine (--engine duckdb or auto)")
    if chosen == "duckdb":
        try:
            import duckdb  # noqa: F401 - only whether it is there
        except ImportError:
            raise click.UsageError("the DuckDB engine is not available in this build; use --engine python") from None
    from leadrules.report.compute import compute_report

    # the DuckDB engine reads the file itself: the bar follows the Python engine's reading
    with _progress(None if quiet or chosen == "duckdb" else leads) as progress:
        report = compute_report(model, leads, events_path, as_of, chosen, csv_reading, progress)
    if output_format == "json":
        from leadrules.jsontext import dumps

        text = dumps(report.to_json(), ensure_ascii=True) + "\n"
    else:
        from leadrules.report.render_html import render_html

        text = render_html(report)
    write_output_text(output_path or "-", text)

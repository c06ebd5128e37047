"""`leadrules eval RULESET [LEADS]`: evaluate leads; one output record per input record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from leadrules.cli.common import check_as_of_choice, lead_input_options, progress_bar
from leadrules.cli.lint_gate import report_or_refuse
from leadrules.errors import InputError
from leadrules.io.leads import DEFAULT_CSV, WRITERS, CsvOptions, EvalSummary, csv_options, open_output, read_leads
from leadrules.io.render import get_renderer
from leadrules.io.summary import TallyCounter, render_summary
from leadrules.model import CheckedModel
from leadrules.syntax import ast
from leadrules.textsafe import printable
from leadrules.workspace import LoadedFile, is_tests_file, load_file, sources_for

__all__ = ["command", "parse_as_of", "load_model_or_exit", "load_checked_or_exit"]

EXIT_OK, EXIT_RULESET, EXIT_USAGE, EXIT_INVALID = 0, 1, 2, 3
_PROGRESS_BYTES = 32 * 1024 * 1024  # show a progress bar for inputs at least this big


def parse_as_of(value: str | None) -> dt.datetime:
    """`--as-of`, or the current time in UTC (the only place the clock is read)."""
    if value is None:
        return dt.datetime.now(dt.timezone.utc)
    from leadrules.engine.validate import parse_lead_timestamp

    parsed = parse_lead_timestamp(value)
    if parsed is None:
        raise click.BadParameter(f"expected a timestamp (ISO 8601, e.g. 2026-11-22T00:00:00Z), found {value!r}",
                                 param_hint="--as-of")
    return parsed


def load_model_or_exit(path: str) -> CheckedModel:
    """Load a ruleset; on errors print the diagnostics (text renderer) and exit 1."""
    loaded = load_checked_or_exit(path)
    assert loaded.model is not None
    return loaded.model


def load_checked_or_exit(path: str) -> LoadedFile:
    """`load_model_or_exit`, keeping the source (for the lint gate): the model is never None."""
    loaded: LoadedFile = load_file(path)
    reject_tests_file(loaded)
    if loaded.model is None:
        sources = sources_for(loaded.diagnostics, {loaded.source.path: loaded.source})
        click.echo(get_renderer("text")(loaded.diagnostics, sources), err=True, nl=False)
        sys.exit(EXIT_RULESET)
    return loaded


def reject_tests_file(loaded: LoadedFile) -> None:
    """A `tests for` file given where a ruleset is expected is a usage error (exit 2), whatever
    state its ruleset is in."""
    if loaded.module is not None and is_tests_file(loaded.module):
        header = loaded.module.statements[0]
        assert isinstance(header, ast.TestsFor)
        target = header.path.value
        raise InputError(f"{loaded.source.path}: a `tests for` file, not a ruleset (its ruleset is '{target}')")


def check_output_path(path: str | None) -> None:
    """`-o` onto a folder fails before any work, in one line."""
    if path is not None and path != "-" and os.path.isdir(path):
        raise InputError(f"{path}: is a directory (-o takes a file name)")


def _duckdb_run() -> Callable[..., EvalSummary] | None:
    try:
        from leadrules.batch import run
    except ImportError:
        return None
    return run


@click.command("eval", short_help="Score, stage and route leads; one JSON result per input record.")
@click.argument("ruleset")
@click.argument("leads", required=False)
@lead_input_options
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl",
              show_default=True, help="parquet needs -o and the DuckDB engine")
@click.option("-o", "--output", "output_path", metavar="FILE",
              help="write results here, not stdout (a regular file is replaced atomically)")
@click.option("--explain", is_flag=True, help="add the ledger of each evaluation to its record")
@click.option("--engine", type=click.Choice(["python", "duckdb", "spark", "auto"]), default="auto", show_default=True,
              help="same results; auto picks DuckDB for Parquet and large CSV / JSON Lines files; "
                   "spark writes a directory (-o DIR)")
@click.option("--spark-remote", "spark_remote", metavar="URL", envvar="SPARK_REMOTE",
              help="with --engine spark: the cluster's Spark Connect URL (sc://host:15002); "
                   "default: $SPARK_REMOTE, else a local session on every core")
@click.option("--summary", "force_summary", is_flag=True,
              help="print the run's summary on stderr even when stderr is not a terminal")
@click.option("-q", "--quiet", is_flag=True, help="no summary and no progress bar on stderr")
@click.option("--strict", is_flag=True,
              help="refuse (exit 1) a ruleset `check` rejects for error-level findings; default: warn and run")
@click.option("--crm", "crm_name", metavar="NAME",
              help="add the value of the ruleset's `crm NAME` mapping for each result's stage (`crm` key / column)")
def command(ruleset: str, leads: str | None, as_of_text: str | None, as_of_field: str | None,
            events_path: str | None, output_format: str, output_path: str | None, explain: bool, engine: str,
            delimiter: str, encoding: str, force_summary: bool, quiet: bool, strict: bool,
            crm_name: str | None, spark_remote: str | None) -> None:
    """Evaluate LEADS (.jsonl, .json array, .csv; '-' or absent: JSON Lines on stdin).

    With -o FILE and stderr a terminal (or with --summary), a summary of the results follows
    on stderr: records, stages, disqualification reasons, blocked codes, routes, invalid records.

    Exit status: 0 all records evaluated, 3 some records invalid (their error records are in
    the output), 1 the ruleset has errors, 2 usage or I/O error."""
    if quiet and force_summary:
        raise click.UsageError("--quiet and --summary exclude each other")
    check_as_of_choice(as_of_text, as_of_field, engine)
    as_of = parse_as_of(as_of_text)
    if engine == "spark":
        check_spark_choice(leads, output_path, explain)
    else:
        check_output_path(output_path)
    csv_reading = csv_options(delimiter, encoding)
    loaded = load_checked_or_exit(ruleset)
    report_or_refuse(loaded, strict)
    model = loaded.model
    assert model is not None
    if crm_name is not None:
        if output_format == "parquet":
            raise InputError("--crm adds a key to JSON Lines or a column to CSV; it does not apply to --format parquet")
        model = with_crm_output(model, crm_name)
    # the summary is for a run whose results went to a file (stdout shows them already)
    show_summary = force_summary or (not quiet and output_path not in (None, "-") and _stderr_is_terminal())
    if engine == "spark":
        assert output_path is not None and leads is not None
        summary = _run_spark(model, leads, events_path, as_of, output_format, output_path, csv_reading,
                             spark_remote, show_summary)
        if show_summary and summary.tally is not None:
            click.echo(render_summary(summary.tally, output_path), err=True, nl=False)
        sys.exit(EXIT_INVALID if summary.invalid else EXIT_OK)
    # DuckDB is imported only when it runs: auto decides from the path and file size first
    wants_sql = engine == "duckdb" or (engine == "auto" and as_of_field is None
                                       and _auto_prefers_sql(leads, output_format, explain))
    run_sql = _duckdb_run() if wants_sql else None
    if engine == "duckdb" and run_sql is None:
        raise click.UsageError("the DuckDB engine is not available in this build; use --engine python")
    if engine == "duckdb" and explain:
        raise click.UsageError("--explain needs --engine python")
    use_sql = run_sql is not None
    if not use_sql and (output_format == "parquet" or (leads or "").lower().endswith(".parquet")):
        raise click.UsageError("Parquet input or output needs the DuckDB engine (--engine duckdb or auto)")
    if use_sql:
        assert run_sql is not None
        # stdin (JSON Lines) is spooled to a temporary file for DuckDB to scan
        summary = run_sql(model, leads or "-", events_path, as_of, output_format, output_path, csv_reading,
                          tally=show_summary)
    else:
        summary = _run_python(model, leads, events_path, as_of, output_format, output_path, explain, csv_reading,
                              show_progress=not quiet, tally=show_summary, as_of_field=as_of_field)
    if show_summary and summary.tally is not None:
        destination = None if output_path in (None, "-") else str(output_path)
        sys.stdout.flush()  # results on a terminal come before the summary
        click.echo(render_summary(summary.tally, destination), err=True, nl=False)
    sys.exit(EXIT_INVALID if summary.invalid else EXIT_OK)


def with_crm_output(model: CheckedModel, name: str) -> CheckedModel:
    """The model with `crm_output` set to its `crm NAME` mapping; an unknown NAME is a usage
    error in one line."""
    mapping = model.crm.get(name)
    if mapping is None:
        from leadrules.check.symbols import did_you_mean

        suggestion = did_you_mean(name, list(model.crm))
        known = ", ".join(model.crm) if model.crm else "none"
        hint = f"did you mean '{suggestion}'?" if suggestion else f"its CRM mappings: {known}"
        raise InputError(f"--crm: the ruleset has no CRM mapping '{printable(name)}' ({hint})")
    return dataclasses.replace(model, crm_output=mapping)


def check_spark_choice(leads: str | None, output_path: str | None, explain: bool) -> None:
    """`--engine spark` reads a path Spark can read and writes a new directory: a usage error
    (exit 2) in one line without LEADS or -o DIR, with --explain, or without pyspark."""
    if leads is None or leads == "-":
        raise click.UsageError("--engine spark reads a file or directory (LEADS), not standard input")
    if output_path is None or output_path == "-":
        raise click.UsageError("--engine spark writes a directory of part files: give -o DIR (a new directory)")
    if explain:
        raise click.UsageError("--explain needs --engine python")
    from leadrules.batch.spark import pyspark_missing

    missing = pyspark_missing()
    if missing is not None:
        raise InputError(missing)


def _run_spark(model: CheckedModel, leads: str, events_path: str | None, as_of: dt.datetime, output_format: str,
               output_dir: str, csv_reading: CsvOptions, remote: str | None, tally: bool) -> EvalSummary:
    from leadrules.batch import spark

    # the session ends with the process (a local one with its JVM)
    return spark.run(spark.open_session(remote), model, leads, events_path, as_of, output_format, output_dir,
                     csv_reading, tally=tally)


def _stderr_is_terminal() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


def _auto_prefers_sql(leads: str | None, output_format: str, explain: bool) -> bool:
    """`--engine auto`: DuckDB for Parquet and for CSV leads files from a measured size on;
    the Python engine otherwise (see `batch.auto` and docs/sql.md)."""
    from leadrules.batch.auto import choose_engine

    return choose_engine(leads, output_format, explain=explain) == "duckdb"


def _run_python(model: CheckedModel, leads: str | None, events_path: str | None, as_of: dt.datetime,
                output_format: str, output_path: str | None, explain: bool,
                csv_reading: CsvOptions = DEFAULT_CSV, *, show_progress: bool = True,
                tally: bool = False, as_of_field: str | None = None) -> EvalSummary:
    from leadrules.engine.python import compile_model

    evaluator = compile_model(model)
    count = invalid = 0
    counter = TallyCounter() if tally else None
    with progress_bar(leads if show_progress else None, "evaluating", _PROGRESS_BYTES) as progress, read_leads(leads, model, events_path, progress, csv_reading) as records, \
            open_output(output_path) as stream:
        writer: Any = WRITERS[output_format](stream, model, explain)
        write = writer.write
        if explain:
            for number, lead in enumerate(records, 1):
                explanation = evaluator.explain(lead, as_of, record=number, as_of_field=as_of_field)
                record = explanation.record
                if explanation.valid:
                    record = {**record, "explain": explanation.ledger(model)}
                else:
                    invalid += 1
                if counter is not None:
                    counter.add(record)
                write(record)
                count = number
        else:
            for record in evaluator.evaluate_many(records, as_of, as_of_field=as_of_field):
                count += 1
                if "error" in record:
                    invalid += 1
                if counter is not None:
                    counter.add(record)
                write(record)
        writer.close()
    return EvalSummary(count, invalid, None if counter is None else counter.result(model))


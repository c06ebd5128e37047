"""`leadrules report RULES LEADS`: the funnel report of one evaluation, as one HTML file or JSON."""

from __future__ import annotations

from dataclasses import replace

import click

from leadrules.cli.common import check_as_of_choice, lead_input_options, progress_bar, require_duckdb
from leadrules.cli.eval_cmd import check_output_path, load_checked_or_exit, parse_as_of
from leadrules.cli.lint_gate import report_or_refuse
from leadrules.io.leads import csv_options
from leadrules.io.output import write_output_text

__all__ = ["command"]


@click.command("report", short_help="Funnel report of an evaluation: one HTML page, or JSON.")
@click.argument("ruleset")
@click.argument("leads")
@lead_input_options
@click.option("--compare", "compare_path", metavar="OTHER",
              help="add the stage transition matrix of this ruleset against the ruleset file OTHER")
@click.option("--format", "output_format", type=click.Choice(["html", "json"]), default="html", show_default=True)
@click.option("-o", "--output", "output_path", metavar="FILE", help="write the report here, not stdout")
@click.option("--engine", type=click.Choice(["python", "duckdb", "auto"]), default="auto", show_default=True,
              help="same numbers; auto picks as `eval` does (DuckDB for Parquet and large CSV / JSON Lines files)")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar on stderr")
@click.option("--strict", is_flag=True,
              help="refuse (exit 1) a ruleset `check` rejects for error-level findings; default: warn and run")
def command(ruleset: str, leads: str, as_of_text: str | None, as_of_field: str | None, events_path: str | None,
            delimiter: str, encoding: str, compare_path: str | None, output_format: str, output_path: str | None,
            engine: str, quiet: bool, strict: bool) -> None:
    """Evaluate LEADS (.jsonl, .json array, .csv, .parquet; '-': JSON Lines on stdin) and report
    the funnel: stage counts and conversion, where leads stall (criterion parts not met),
    disqualification and blocked reasons, route load, score distributions with band boundaries,
    bands by stage and invalid records. With --compare OTHER, also the stage of each record
    under this ruleset against its stage under OTHER (as `leadrules diff --leads` counts it).

    Exit status: 0 report written, 1 the ruleset has errors, 2 usage or I/O error. Invalid
    records are part of the report, not a failure."""
    check_as_of_choice(as_of_text, as_of_field, engine)
    if compare_path is not None and as_of_field is not None:
        raise click.UsageError("--compare and --as-of-field exclude each other")
    if compare_path is not None and leads == "-":
        raise click.UsageError("--compare reads LEADS once per ruleset: give a file, not standard input")
    as_of = parse_as_of(as_of_text)
    check_output_path(output_path)
    csv_reading = csv_options(delimiter, encoding)
    loaded = load_checked_or_exit(ruleset)
    report_or_refuse(loaded, strict)  # as eval: warn about what `check` rejects, or refuse with --strict
    model = loaded.model
    assert model is not None
    other = None
    if compare_path is not None:
        compared = load_checked_or_exit(compare_path)
        report_or_refuse(compared, strict)
        other = compared.model
    from leadrules.batch.auto import choose_engine, input_format

    # as eval: --as-of-field evaluates on the Python engine, which alone reads a per-record instant
    chosen = ("python" if as_of_field is not None else choose_engine(leads)) if engine == "auto" else engine
    if chosen == "python" and input_format(leads) == "parquet":
        raise click.UsageError("Parquet input needs the DuckDB engine (--engine duckdb or auto)")
    if chosen == "duckdb":
        require_duckdb()
    from leadrules.report.compute import compute_comparison, compute_report

    # the DuckDB engine reads the file itself: the bar follows the Python engine's reading
    with progress_bar(None if quiet or chosen == "duckdb" else leads, "reading leads") as progress:
        report = compute_report(model, leads, events_path, as_of, chosen, csv_reading, progress, as_of_field)
    if other is not None:
        report = replace(report, compare=compute_comparison(model, other, leads, events_path, as_of, chosen,
                                                            csv_reading))
    if output_format == "json":
        from leadrules.jsontext import dumps

        text = dumps(report.to_json(), ensure_ascii=True) + "\n"
    else:
        from leadrules.report.render_html import render_html

        text = render_html(report)
    write_output_text(output_path or "-", text)

"""`leadrules calibrate RULES LEADS OUTCOMES`: judge the rules on what sales decided."""

from __future__ import annotations

import datetime as dt
import re

import click

from leadrules.cli.eval_cmd import check_output_path, load_checked_or_exit, parse_as_of
from leadrules.cli.lint_gate import report_or_refuse
from leadrules.io.leads import csv_options
from leadrules.io.output import write_output_text
from leadrules.textsafe import printable

__all__ = ["command", "parse_capacity"]

_CAPACITY = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:/\s*(?:week|wk|w))?\s*", re.IGNORECASE)


def parse_capacity(text: str | None) -> float | None:
    """`--capacity 50/week` (or `50`) → 50.0."""
    if text is None:
        return None
    match = _CAPACITY.fullmatch(text)
    if match is None or float(match[1]) <= 0:
        raise click.BadParameter(f"expected leads per week, e.g. 50/week, found {text!r}", param_hint="--capacity")
    return float(match[1])


@click.command("calibrate", short_help="Judge the rules on sales outcomes: precision, lift, threshold sweeps.")
@click.argument("ruleset")
@click.argument("leads")
@click.argument("outcomes")
@click.option("--events", "events_path", metavar="FILE", help="CSV of events: lead_id,type,at")
@click.option("--as-of-field", "as_of_field", metavar="FIELD",
              help="evaluate each lead as of its own timestamp in FIELD (what was known at the decision)")
@click.option("--as-of", "as_of_text", metavar="TS", help="evaluate every lead as of TS instead (default: now, UTC)")
@click.option("--holdout-after", "holdout_text", metavar="TS",
              help="fit suggestions on leads before TS, report them on leads from TS on")
@click.option("--capacity", "capacity_text", metavar="N/week",
              help="suggest the threshold with the most positive outcomes within N leads a week (default: best F1)")
@click.option("--positive", "positive_text", metavar="A,B", help="positive outcome values [default: accepted,won]")
@click.option("--negative", "negative_text", metavar="C,D", help="negative outcome values [default: rejected,lost]")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("-o", "--output", "output_path", metavar="FILE", help="write the calibration here, not stdout")
@click.option("--write-suggestion", "suggestion_path", metavar="FILE",
              help="write the ruleset with the suggested thresholds to FILE")
@click.option("--delimiter", metavar="CHAR", default=",", show_default=True,
              help="CSV cell delimiter of LEADS, --events and OUTCOMES")
@click.option("--encoding", metavar="NAME", default="utf-8", show_default=True,
              help="text encoding of CSV LEADS, --events and OUTCOMES")
@click.option("--strict", is_flag=True,
              help="refuse (exit 1) a ruleset `check` rejects for error-level findings; default: warn and run")
def command(ruleset: str, leads: str, outcomes: str, events_path: str | None, as_of_field: str | None,
            as_of_text: str | None, holdout_text: str | None, capacity_text: str | None, positive_text: str | None,
            negative_text: str | None, output_format: str, output_path: str | None, suggestion_path: str | None,
            delimiter: str, encoding: str, strict: bool) -> None:
    """Evaluate LEADS (.jsonl, .json array, .csv; '-': JSON Lines on stdin), join them by id to
    OUTCOMES (CSV or JSON Lines: id, outcome, optional reason and decided_at) and report per
    stage precision and recall, the lift of every scoring rule and disqualifier, rejection
    reasons, and a sweep of every numeric threshold in the stage criteria with a suggested value.

    Exit status: 0 calibration written, 1 the ruleset has errors, 2 usage or I/O error."""
    from leadrules.calibrate.outcomes import NEGATIVE_DEFAULT, POSITIVE_DEFAULT, outcome_values, read_outcomes

    if as_of_field is not None and as_of_text is not None:
        raise click.UsageError("--as-of and --as-of-field exclude each other")
    as_of = None if as_of_field is not None else parse_as_of(as_of_text)
    holdout_after = None if holdout_text is None else _timestamp(holdout_text, "--holdout-after")
    capacity = parse_capacity(capacity_text)
    positive = outcome_values(positive_text, POSITIVE_DEFAULT)
    negative = outcome_values(negative_text, NEGATIVE_DEFAULT)
    both = sorted(set(positive) & set(negative))
    if both:
        raise click.UsageError(f"outcome value {both[0]!r} is both positive and negative")
    check_output_path(output_path)
    check_output_path(suggestion_path)
    if suggestion_path is not None and output_path is not None and suggestion_path == output_path:
        raise click.UsageError("--write-suggestion and -o name the same file")
    csv_reading = csv_options(delimiter, encoding)
    loaded = load_checked_or_exit(ruleset)
    report_or_refuse(loaded, strict)
    model = loaded.model
    assert model is not None
    if leads.lower().endswith(".parquet"):
        raise click.UsageError("calibrate reads .jsonl, .json and .csv leads (Parquet: convert with DuckDB first)")
    table = read_outcomes(outcomes, positive, negative, csv_reading)
    if as_of_field is None:
        click.echo("leadrules: warning: without --as-of-field every lead is judged by what is known now, "
                   "not at its decision", err=True)
    from leadrules.calibrate.compute import compute_calibration

    calibration = compute_calibration(
        model, leads, events_path, table, as_of=as_of, as_of_field=as_of_field, holdout_after=holdout_after,
        capacity=capacity, positive_values=positive, negative_values=negative, csv_reading=csv_reading)
    if output_format == "json":
        from leadrules.jsontext import dumps

        text = dumps(calibration.to_json(), ensure_ascii=True) + "\n"
    elif output_format == "html":
        from leadrules.calibrate.render_html import render_html

        text = render_html(calibration)
    else:
        from leadrules.calibrate.render_text import render_text

        text = render_text(calibration)
    if suggestion_path is not None:
        from leadrules.calibrate.suggestion import write_suggestion

        changed = write_suggestion(suggestion_path, loaded.source, calibration.thresholds)
        click.echo(f"leadrules: wrote {printable(suggestion_path)}: {changed} threshold(s) changed", err=True)
    write_output_text(output_path or "-", text)


def _timestamp(text: str, option: str) -> dt.datetime:
    from leadrules.engine.validate import parse_lead_timestamp

    parsed = parse_lead_timestamp(text)
    if parsed is None:
        raise click.BadParameter(f"expected a timestamp (ISO 8601, e.g. 2026-11-22T00:00:00Z), found {text!r}",
                                 param_hint=option)
    return parsed


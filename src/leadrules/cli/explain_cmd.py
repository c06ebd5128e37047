"""`leadrules explain RULESET LEAD.json`: the ledger of one lead, for a person to read."""

from __future__ import annotations

import decimal
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from leadrules.cli.eval_cmd import EXIT_INVALID, EXIT_OK, load_model_or_exit, parse_as_of
from leadrules.engine.python import Explanation, compile_model
from leadrules.errors import InputError
from leadrules.io.leads import parse_json_line
from leadrules.model import CheckedModel
from leadrules.model_text import describe, show_value
from leadrules.values import exact_context, format_number

__all__ = ["command"]

_MARK = {True: ("met", "green"), False: ("not met", "red"), None: ("unknown", "yellow")}


def _truth(value: bool | None, words: tuple[str, str, str] = ("met", "not met", "unknown")) -> Text:
    word = words[0] if value is True else words[1] if value is False else words[2]
    return Text(word, style=_MARK[value][1])


def _show(value: Any) -> str:
    return "—" if value is None else show_value(value).strip('"')


def _read_lead(path: str) -> Any:
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_json_line(data)


def render(console: Console, model: CheckedModel, e: Explanation) -> None:
    record = e.record
    stage = _show(record["stage"]) if record["stage"] is not None else "no stage (no `stages` declared)"
    console.print(Text(f"Lead {record['id']}", style="bold"), "—", Text(stage, style="bold cyan"),
                  f"(route: {record['route'] if record['route'] is not None else 'none'})")

    points = Table(title="Points", title_justify="left", show_edge=False)
    for column in ("score", "rule", "fired", "points"):
        points.add_column(column, justify="right" if column == "points" else "left")
    for rule in e.rules:
        label = f"{rule.label}: " if rule.label else ""
        points.add_row(rule.score, label + rule.text, _truth(rule.fired, ("yes", "no", "unknown")),
                       format_number(rule.points) if rule.fired else "", style=None if rule.fired else "dim")
    for name in model.scores:
        with decimal.localcontext(exact_context()):
            fired_sum = sum((r.points for r in e.rules if r.score == name), start=Decimal(0))
        bounds = ""
        if fired_sum != record["scores"][name]:
            bounds = f" (sum {format_number(fired_sum)}, clamped to min/max)"
        points.add_row(Text(name, style="bold"), Text("total" + bounds, style="bold"), "",
                       Text(_show(record["scores"][name]), style="bold"))
    console.print(points)
    if model.bands:
        console.print("Bands: " + ", ".join(f"{name} {_show(v)}" for name, v in record["bands"].items()))

    if model.disqualifiers:
        table = Table(title="Disqualifiers", title_justify="left", show_edge=False)
        for column in ("code", "reason", "scope", "condition", "fired"):
            table.add_column(column)
        for d, (_, truth) in zip(model.disqualifiers, e.disqualifiers, strict=True):
            table.add_row(d.code, d.reason, f"at {d.at}" if d.at else "global", describe(d.condition, model),
                          _truth(truth, ("yes", "no", "unknown")))
        console.print(table)

    if model.criteria:
        table = Table(title="Stage criteria", title_justify="left", show_edge=False)
        for column in ("stage", "clause", "values", ""):
            table.add_column(column)
        for stage in model.stages:
            if stage not in model.criteria:
                continue
            table.add_row(Text(stage, style="bold"), "", "", _truth(e.criteria.get(stage)))
            for clause in e.clauses(model, stage):
                table.add_row("", clause.text, clause.values, _truth(clause.truth))
        console.print(table)

    final = record["stage"]
    route = model.routes.get(final)
    if route is not None:
        truths = e.routes.get(final, ())
        chosen = next((i for i, t in enumerate(truths) if t is True), None)
        table = Table(title=f"Route {final}", title_justify="left", show_edge=False)
        for column in ("to", "if", ""):
            table.add_column(column)
        for i, (entry, truth) in enumerate(zip(route.entries, truths, strict=True)):
            assert entry.condition is not None
            mark = Text("chosen", style="bold green") if i == chosen else _truth(truth, ("true", "false", "unknown"))
            table.add_row(entry.target, describe(entry.condition, model), mark)
        if route.otherwise is not None:
            table.add_row(route.otherwise.target, "otherwise",
                          Text("chosen", style="bold green") if chosen is None else Text(""))
        console.print(table)

    if e.next_stage is not None:
        console.print(Text("Next: ", style="bold") + Text(e.next_stage.summary()))
    elif final == "Disqualified":
        reasons = {d.code: d.reason for d in model.disqualifiers}
        console.print(Text("Disqualified: ", style="bold red")
                      + Text("; ".join(f"{c} ({reasons[c]})" for c in record["reasons"])))


@click.command("explain", short_help="Show how one lead is scored, staged and routed.")
@click.argument("ruleset")
@click.argument("lead")
@click.option("--as-of", "as_of_text", metavar="TS", help="evaluation instant (ISO 8601); default: now, UTC")
def command(ruleset: str, lead: str, as_of_text: str | None) -> None:
    """Show how one lead (a JSON object in LEAD, '-' for stdin) is scored, staged and routed.

    Exit status as `eval`: 0 evaluated, 3 the lead is invalid, 1 ruleset errors, 2 usage or I/O."""
    as_of = parse_as_of(as_of_text)
    model = load_model_or_exit(ruleset)
    explanation = compile_model(model).explain(_read_lead(lead), as_of)
    console = Console()
    if not explanation.valid:
        error = explanation.record["error"]
        # one line however long the message: soft wrap, not the console width
        Console(stderr=True, soft_wrap=True).print(Text("invalid lead: ", style="bold red") + Text(error["message"]))
        sys.exit(EXIT_INVALID)
    render(console, model, explanation)
    sys.exit(EXIT_OK)

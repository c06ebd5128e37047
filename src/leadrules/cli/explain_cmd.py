"""`leadrules explain RULESET LEADS [--id ID]`: the ledger of one lead, for a person to read.

Lead ids, field values and rule strings reach the terminal only through `printable`: a lead
is untrusted data, and `\x1b[2J` in its id must not clear the screen."""

from __future__ import annotations

import decimal
import io
import sys
from collections.abc import Iterable, Iterator
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
from leadrules.io.leads import (
    attach_events,
    parse_json_line,
    printed_id,
    read_events_csv,
    read_json_array,
    read_jsonl,
    read_leads,
)
from leadrules.model import CheckedModel
from leadrules.model_text import describe, show_value
from leadrules.reading import input_errors_for
from leadrules.records import Unparsable
from leadrules.textsafe import printable
from leadrules.values import exact_context, format_number

__all__ = ["command"]

_MARK = {True: ("met", "green"), False: ("not met", "red"), None: ("unknown", "yellow")}


def _truth(value: bool | None, words: tuple[str, str, str] = ("met", "not met", "unknown")) -> Text:
    word = words[0] if value is True else words[1] if value is False else words[2]
    return Text(word, style=_MARK[value][1])


def _show(value: Any) -> str:
    return "—" if value is None else printable(show_value(value).strip('"'))


def _read_bytes(path: str) -> bytes:
    with input_errors_for(path):
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def _json_lines(data: bytes) -> bool:
    """Several non-blank lines, the first a JSON value of its own: JSON Lines (a pretty-printed
    object with a typo is not, and stays one invalid lead)."""
    lines = [line for line in data.splitlines() if line.strip()]
    return len(lines) > 1 and not isinstance(parse_json_line(lines[0].removeprefix(b"\xef\xbb\xbf")), Unparsable)


def _json_records(path: str, data: bytes) -> Iterator[Any]:
    """Records of a `.json` file or of stdin: an array of leads, one lead (a JSON object, as
    `explain` always took), or, when the text is not one JSON value but several lines, JSON
    Lines (`cat leads.jsonl | leadrules explain RULES - --id L7`)."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"["):
        try:
            yield from read_json_array(io.BytesIO(data))
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
        return
    value = parse_json_line(data)
    if isinstance(value, Unparsable) and _json_lines(data):
        yield from read_jsonl(io.BytesIO(data))
        return
    yield value  # not JSON, or not an object: explain reports the invalid lead (exit 3)


def _records(path: str, model: CheckedModel, events_path: str | None) -> Iterator[Any]:
    """The leads of LEADS, `--events` rows attached (matched on printed id, else position)."""
    suffix = "" if path == "-" else Path(path).suffix.lower()
    if suffix in (".csv", ".jsonl"):
        with read_leads(path, model, events_path) as records:
            yield from records
        return
    events = read_events_csv(events_path, model) if events_path else None
    parsed: Iterable[Any] = _json_records(path, _read_bytes(path))
    yield from attach_events(parsed, events) if events else parsed


def _pick(path: str, records: Iterator[Any], lead_id: str | None) -> tuple[Any, int]:
    """The one lead to explain and its 1-based position: the first whose printed id (the id
    eval prints, else the position) is `lead_id`, or the only record."""
    shown = "standard input" if path == "-" else path
    chosen: tuple[Any, int] = (None, 1)
    found = False
    count = 0
    for position, record in enumerate(records, 1):
        count = position
        if lead_id is None:
            if position == 1:
                chosen = (record, 1)
        elif not found and printed_id(record, position) == lead_id:
            chosen, found = (record, position), True
    if lead_id is not None:
        if not found:
            raise InputError(f"{shown}: no lead with id {printable(repr(lead_id))} among its {count} record(s)")
        return chosen
    if count == 0:
        raise InputError(f"{shown}: no lead to explain (the input holds no records)")
    if count > 1:
        raise InputError(f"{shown} holds {count} records: choose one with --id ID")
    return chosen


def render(console: Console, model: CheckedModel, e: Explanation) -> None:
    """The ledger; every text from the lead or the rule file is shown through printable (the
    console also has markup and emoji codes off, so `[red]` or `:x:` in a value stay as written)."""
    p = printable
    record = e.record
    stage = _show(record["stage"]) if record["stage"] is not None else "no stage (no `stages` declared)"
    route_shown = p(record["route"]) if record["route"] is not None else "none"
    console.print(Text(p(f"Lead {record['id']}"), style="bold"), "—", Text(stage, style="bold cyan"),
                  f"(route: {route_shown})")

    points = Table(title="Points", title_justify="left", show_edge=False)
    for column in ("score", "rule", "fired", "points"):
        points.add_column(column, justify="right" if column == "points" else "left")
    for rule in e.rules:
        label = f"{rule.label}: " if rule.label else ""
        points.add_row(p(rule.score), p(label + rule.text), _truth(rule.fired, ("yes", "no", "unknown")),
                       format_number(rule.points) if rule.fired else "", style=None if rule.fired else "dim")
    for name in model.scores:
        with decimal.localcontext(exact_context()):
            fired_sum = sum((r.points for r in e.rules if r.score == name), start=Decimal(0))
        bounds = ""
        if fired_sum != record["scores"][name]:
            bounds = f" (sum {format_number(fired_sum)}, clamped to min/max)"
        points.add_row(Text(p(name), style="bold"), Text("total" + bounds, style="bold"), "",
                       Text(_show(record["scores"][name]), style="bold"))
    console.print(points)
    if model.bands:
        console.print("Bands: " + ", ".join(f"{p(name)} {_show(v)}" for name, v in record["bands"].items()))

    if model.disqualifiers:
        table = Table(title="Disqualifiers", title_justify="left", show_edge=False)
        for column in ("code", "reason", "scope", "condition", "fired"):
            table.add_column(column)
        for d, (_, truth) in zip(model.disqualifiers, e.disqualifiers, strict=True):
            table.add_row(p(d.code), p(d.reason), p(f"at {d.at}") if d.at else "global", p(describe(d.condition, model)),
                          _truth(truth, ("yes", "no", "unknown")))
        console.print(table)

    if model.criteria:
        table = Table(title="Stage criteria", title_justify="left", show_edge=False)
        for column in ("stage", "clause", "values", ""):
            table.add_column(column)
        for stage in model.stages:
            if stage not in model.criteria:
                continue
            table.add_row(Text(p(stage), style="bold"), "", "", _truth(e.criteria.get(stage)))
            for clause in e.clauses(model, stage):
                table.add_row("", p(clause.text), p(clause.values), _truth(clause.truth))
        console.print(table)

    final = record["stage"]
    route = model.routes.get(final)
    if route is not None:
        truths = e.routes.get(final, ())
        chosen = next((i for i, t in enumerate(truths) if t is True), None)
        table = Table(title=p(f"Route {final}"), title_justify="left", show_edge=False)
        for column in ("to", "if", ""):
            table.add_column(column)
        for i, (entry, truth) in enumerate(zip(route.entries, truths, strict=True)):
            assert entry.condition is not None
            mark = Text("chosen", style="bold green") if i == chosen else _truth(truth, ("true", "false", "unknown"))
            table.add_row(p(entry.target), p(describe(entry.condition, model)), mark)
        if route.otherwise is not None:
            table.add_row(p(route.otherwise.target), "otherwise",
                          Text("chosen", style="bold green") if chosen is None else Text(""))
        console.print(table)

    if e.next_stage is not None:
        console.print(Text("Next: ", style="bold") + Text(p(e.next_stage.summary())))
    elif final == "Disqualified":
        reasons = {d.code: d.reason for d in model.disqualifiers}
        console.print(Text("Disqualified: ", style="bold red")
                      + Text(p("; ".join(f"{c} ({reasons[c]})" for c in record["reasons"]))))


def _console(stderr: bool = False) -> Console:
    # text from leads and rule files is printed as it is: no markup, emoji codes or highlighting
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=stderr)


@click.command("explain", short_help="Show how one lead is scored, staged and routed.")
@click.argument("ruleset")
@click.argument("leads")
@click.option("--id", "lead_id", metavar="ID",
              help="the lead to explain, by its id as eval prints it (needed when LEADS holds several)")
@click.option("--events", "events_path", metavar="FILE", help="CSV of events: lead_id,type,at (as for eval)")
@click.option("--as-of", "as_of_text", metavar="TS", help="evaluation instant (ISO 8601); default: now, UTC")
def command(ruleset: str, leads: str, lead_id: str | None, events_path: str | None, as_of_text: str | None) -> None:
    """Show how one lead is scored, staged and routed. LEADS is a JSON object (one lead), a .json
    array, a .jsonl or a .csv file ('-': standard input, JSON); --id picks the lead by its id
    when LEADS holds more than one.

    Exit status as `eval`: 0 evaluated, 3 the lead is invalid, 1 ruleset errors, 2 usage or I/O
    (an unknown --id, several leads and no --id)."""
    as_of = parse_as_of(as_of_text)
    model = load_model_or_exit(ruleset)
    lead, position = _pick(leads, _records(leads, model, events_path), lead_id)
    explanation = compile_model(model).explain(lead, as_of, record=position)
    if not explanation.valid:
        error = explanation.record["error"]
        # one line however long the message: soft wrap, not the console width
        _console(stderr=True).print(Text("invalid lead: ", style="bold red") + Text(printable(error["message"])))
        sys.exit(EXIT_INVALID)
    render(_console(), model, explanation)
    sys.exit(EXIT_OK)

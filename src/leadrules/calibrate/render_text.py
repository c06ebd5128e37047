"""`leadrules calibrate --format text`: the calibration as rich tables, plain text.

Stage names, codes, rule texts and rejection reasons come from the rule file and from the
outcome data: every one is shown through `terminal_safe` inside a rich `Text` (never parsed as
markup), so neither can recolour or move the terminal.
"""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from leadrules.calibrate.compute import MIN_GROUP, Calibration, RuleRow, ThresholdRow
from leadrules.calibrate.metrics import Lift, Rate
from leadrules.calibrate.sweep import PartMetrics
from leadrules.io.summary import terminal_safe
from leadrules.values import format_number, format_timestamp

__all__ = ["render_text", "show_rate", "show_lift"]

_WIDTH = 150


def _t(text: str) -> Text:
    return Text(terminal_safe(text))


def show_rate(r: Rate | None) -> str:
    """`42.0 % [35.1–49.2]`, or `–` without leads."""
    if r is None or r.value is None or r.low is None or r.high is None:
        return "–"
    return f"{r.value * 100:.1f} % [{r.low * 100:.1f}–{r.high * 100:.1f}]"


def show_lift(x: Lift) -> str:
    if x.value is None:
        return "–"
    if x.low is None or x.high is None:
        return f"{x.value:.2f}×"
    return f"{x.value:.2f}× [{x.low:.2f}–{x.high:.2f}]"


def _number(value: int | Decimal | None) -> str:
    return "–" if value is None else format_number(value)


def _per_week(p: PartMetrics | None) -> str:
    return "–" if p is None or p.leads_per_week is None else f"{p.leads_per_week:.1f}"


def _reasons(items: tuple[tuple[str, int], ...]) -> Text:
    return _t(", ".join(f"{reason} ({count})" for reason, count in items) or "–")


def _rule_table(title: str, rows: tuple[RuleRow, ...], first: str) -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    for column in (first, "rule", "fired", "positive rate fired", "positive rate not fired", "lift", "verdict",
                   "top rejection reasons where fired"):
        table.add_column(column, justify="right" if column == "fired" else "left", overflow="fold")
    for row in rows:
        name = row.name if row.label is None else f"{row.name}.{row.label}"
        table.add_row(_t(name), _t(row.text), str(row.fired), show_rate(row.rate_fired),
                      show_rate(row.rate_not_fired), show_lift(row.lift), row.verdict, _reasons(row.reasons))
    return table


def _threshold_tables(row: ThresholdRow, holdout: bool) -> list[Table | Text]:
    t = row.threshold
    head = Text(f"\n{terminal_safe(t.stage)}: {terminal_safe(row.text)} (line {t.constant.span.line}) — "
                f"suggested {_number(row.suggested)}: {row.why}")
    sweep = Table(title=f"sweep of {terminal_safe(row.subject)} {t.op} X "
                        + ("(before the holdout)" if holdout else "(all decided leads)"), title_justify="left")
    for column in ("X", "leads", "positives", "precision", "recall", "leads/week"):
        sweep.add_column(column, justify="right")
    for r in row.rows:
        mark = " ←" if r.value == t.value else ""
        mark += " *" if row.suggested is not None and r.value == row.suggested else ""
        sweep.add_row(_number(r.value) + mark, str(r.fit.volume), str(r.fit.positives), show_rate(r.fit.precision),
                      show_rate(r.fit.recall), _per_week(r.fit))
    compare = Table(title="current (←) against suggested (*)", title_justify="left")
    for column in ("", "value", "leads", "positives", "precision", "recall", "leads/week"):
        compare.add_column(column, justify="right")
    lines: list[tuple[str, int | Decimal | None, PartMetrics | None]] = [
        ("training: current", t.value, row.fit_current),
        ("training: suggested", row.suggested, row.fit_suggested)]
    if holdout:
        lines += [("holdout: current", t.value, row.holdout_current),
                  ("holdout: suggested", row.suggested, row.holdout_suggested)]
    for name, value, p in lines:
        if p is None:
            compare.add_row(name, _number(value), "–", "–", "–", "–", "–")
        else:
            compare.add_row(name, _number(value), str(p.volume), str(p.positives), show_rate(p.precision),
                            show_rate(p.recall), _per_week(p))
    return [head, sweep, compare]


def render_text(c: Calibration) -> str:
    out = io.StringIO()
    console = Console(file=out, width=_WIDTH, color_system=None, force_terminal=False, soft_wrap=False)
    console.print(_t(f"calibration of {c.ruleset} {c.version} ({c.path}), leads as of {c.as_of}"))
    console.print(f"leads: {c.records} records, {c.decided} decided ({c.positives} positive, "
                  f"{c.decided - c.positives} negative), {c.open} open, {c.no_outcome} without an outcome, "
                  f"{c.invalid} invalid")
    console.print(_t("positive outcomes: " + ", ".join(c.positive_values)
                     + "; negative: " + ", ".join(c.negative_values)))
    if c.unknown_ids:
        console.print(_t(f"outcome ids without a lead: {c.unknown_ids} (" + ", ".join(c.unknown_examples)
                         + (", ..." if c.unknown_ids > len(c.unknown_examples) else "") + ")"))
    if c.outcome_unusable:
        console.print(_t(f"unusable outcome rows: {c.outcome_unusable} (" + "; ".join(c.outcome_problems) + ")"))
    if c.outcome_replaced:
        console.print(f"outcome rows replaced by a later row for the same id: {c.outcome_replaced}")
    if c.holdout_after is not None:
        console.print(f"holdout: {c.fit_leads} decided leads before {format_timestamp(c.holdout_after)}, "
                      f"{c.holdout_leads} from it on, {c.untimed} without a time (left out of the sweeps)")
    stages = Table(title="stages (reached = this stage or a later one)", title_justify="left")
    for column in ("stage", "leads", "acceptance rate", "reached", "precision", "recall"):
        stages.add_column(column, justify="left" if column == "stage" else "right")
    for s in c.stages:
        stages.add_row(_t(s.stage), str(s.volume), show_rate(s.acceptance), str(s.reached) if s.precision else "–",
                       show_rate(s.precision), show_rate(s.recall))
    console.print(stages)
    console.print(_rule_table(f"scoring rules (lift: positive rate fired / not fired; fewer than "
                              f"{MIN_GROUP} decided leads either way: too rare to judge)", c.rules, "score"))
    if c.disqualifiers:
        console.print(_rule_table("disqualifiers", c.disqualifiers, "code"))
    reasons = Table(title="rejection reasons", title_justify="left")
    for column in ("by", "group", "reasons"):
        reasons.add_column(column)
    for stage, items in c.reasons_by_stage.items():
        reasons.add_row("stage", _t(stage), _reasons(items))
    for band, labels in c.reasons_by_band.items():
        for label, items in labels.items():
            reasons.add_row(_t(f"band {band}"), _t(label), _reasons(items))
    for route, items in c.reasons_by_route.items():
        reasons.add_row("route", _t(route), _reasons(items))
    console.print(reasons)
    if not c.thresholds:
        console.print("no numeric threshold in the stage criteria to sweep")
    for row in c.thresholds:
        for part in _threshold_tables(row, c.holdout_after is not None):
            console.print(part)
    return out.getvalue()

"""Facts several rules need, computed once per lint run and kept on the context."""

from __future__ import annotations

from leadrules import model as m
from leadrules.lint.context import LintContext
from leadrules.lint.outcome import Outcome
from leadrules.lint.witness import lead_names

__all__ = ["stage_status", "entry_status", "walk"]


def stage_status(ctx: LintContext, stage: str) -> str:
    """Whether some valid lead ends in `stage`: sat, unsat or unknown."""
    key = ("stage", stage)
    if key not in ctx.facts:
        def reaches(t: Outcome) -> str | None:
            return None if t.record["stage"] == stage else "elsewhere"

        ctx.facts[key] = ctx.search(reaches, (ctx.encoding.ends_in(stage),))[0]
    return str(ctx.facts[key])


def entry_status(ctx: LintContext, route: m.Route, index: int) -> str:
    """Whether some valid lead is routed by entry `index` of the route."""
    key = ("route", route.stage, index)
    if key not in ctx.facts:
        def selected(t: Outcome) -> str | None:
            return None if t.selected_entry(route.stage) == index else "another entry"

        def in_stage(t: Outcome) -> str | None:
            return None if t.record["stage"] == route.stage else "elsewhere"

        focus = lead_names([e.condition for e in route.entries[:index + 1] if e.condition is not None], ctx.model)
        # on a large ruleset, a climb to a lead selected by the entry (all earlier entries
        # false) before the full solve: the entries can force a later stage's criterion
        # part true, leaving the scores a narrow window that z3 was measured not to find
        # within its 5 s budget at 600 rules
        cost = ctx.entries_cost(route.stage, (index,), tuple(range(index)))
        ctx.facts[key] = ctx.search(selected, (ctx.encoding.selects(route, index),), near=in_stage, focus=focus,
                                    cost=cost)[0]
    return str(ctx.facts[key])


def walk(expr: m.Expr) -> list[m.Expr]:
    """The expression and all its sub-expressions, outermost first."""
    out: list[m.Expr] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        out.append(e)
        stack.extend(reversed(m.children(e)))
    return out


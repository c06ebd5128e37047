"""Questions whose lead needs its scores in a narrow window, on a large ruleset: a climb that
stalls is finished by pinned solves that free one field or event at a time
(`KnownLeads._loosen`), and a route entry's selection is decided without the full solve
(`facts.entry_status`, `LintContext.possible_in_route`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from leadrules.config import Config
from leadrules.lint import lint
from leadrules.lint.context import SAT, UNSAT, LintContext
from leadrules.lint.facts import entry_status
from leadrules.lint.solver import SlicedSolver

from .helpers import codes, model_of

# `fit` counts the thresholds of `revenue` passed (64 rules: a large ruleset); ending in A
# with role "a" needs fit == 10 exactly, so revenue in (10000, 11000]
RULESET = "\n".join([
    'ruleset "window" version "1"',
    'field role: one of ["a", "b"]',
    "field revenue: number in 0..1000000",
    "score fit (min 0, max 1000):",
    *(f"    +1 if revenue > {1000 * (i + 1)}" for i in range(64)),
    "stages Lead -> A -> B",
    "stage A if fit >= 10",
    'stage B if fit >= 11 and role == "a"',
    "route A:",
    '    to "ta" if role == "a"',
    '    to "tb" if role == "a" and revenue > 20000',
    '    otherwise to "pool"',
]) + "\n"


def test_a_pinned_solve_frees_the_one_field_the_window_needs() -> None:
    ctx = LintContext.create(model_of(RULESET), Config())
    start = ctx.leads.judge.outcome({"role": "a", "revenue": 0, "events": []})
    assert start.record["stage"] == "Lead"
    witness = ctx.leads._loosen((ctx.encoding.ends_in("A"),), start)
    assert witness is not None
    assert witness.lead["role"] == "a"
    assert Decimal(10000) < Decimal(str(witness.lead["revenue"])) <= Decimal(11000)
    assert ctx.leads.judge.outcome(witness.lead).record["stage"] == "A"


def test_a_pinned_solve_changes_one_coordinate_only() -> None:
    ctx = LintContext.create(model_of(RULESET), Config())
    start = ctx.leads.judge.outcome({"role": "a", "revenue": 0, "events": []})
    # role "b" in A needs both role and revenue changed
    query = (ctx.encoding.ends_in("A"), ctx.encoding.cond(model_of(RULESET).routes["A"].entries[0].condition).false)
    assert ctx.leads._loosen(query, start) is None


def test_the_entry_selection_is_decided_without_the_full_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_of(RULESET)
    ctx = LintContext.create(model, Config())
    ctx.leads.outcomes[:] = [o for o in ctx.known if o.record["stage"] != "A"]  # no known lead in A
    full: list[Any] = []
    ask = SlicedSolver.ask

    def only_pinned(self: SlicedSolver, *constraints: Any) -> Any:
        if len(constraints) == 1:
            full.append(constraints)  # the question alone: the full solve
        return ask(self, *constraints)

    monkeypatch.setattr(SlicedSolver, "ask", only_pinned)
    assert entry_status(ctx, model.routes["A"], 0) == SAT
    assert not full
    selected = [o for o in ctx.known if o.selected_entry("A") == 0]
    assert selected and ctx.leads.judge.outcome(selected[0].lead).record["route"] == "ta"


def test_a_dead_entry_stays_dead() -> None:
    model = model_of(RULESET)
    found = lint(model, Config())
    tb = model.routes["A"].entries[1]
    assert codes(found, "LR302") == [tb.span.line]
    assert not codes(found, "LR900")
    ctx = LintContext.create(model, Config())
    assert entry_status(ctx, model.routes["A"], 1) == UNSAT
    assert ctx.possible_in_route("A", (1,)) == UNSAT

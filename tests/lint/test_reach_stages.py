"""The climb to stages no known lead reaches (`LintContext.reach_stages`, `KnownLeads.climb`):
on a large ruleset it finds, by engine evaluations only, a lead ending in a stage none of the
samples ends in; it never makes an unreachable stage reachable; small rulesets are left to
the solver as before."""

from __future__ import annotations

from leadrules.config import Config
from leadrules.lint import lint
from leadrules.lint.context import LintContext

from .helpers import codes, model_of


def ruleset(rules: int) -> str:
    """`rules` scoring rules on `employees`; ending in A needs role "a" and none of four events
    (each later stage needs one of them), which no sample of the 128 has."""
    lines = ['ruleset "climb" version "1"', 'field role: one of ["a", "b", "c"]',
             "field employees: integer in 1..100000", *(f"event e{i}" for i in range(4)),
             "score fit (min 0, max 1000):", *(f"    +1 if employees >= {10 * (i + 1)}" for i in range(rules)),
             "stages Lead -> A -> B -> C -> D -> E -> Z",
             'stage A if fit >= 1 and role == "a"',
             *(f"stage {s} if fit >= 1 and count(e{i}) >= 1" for i, s in enumerate("BCDE")),
             "stage Z if fit >= 5000"]
    return "\n".join(lines) + "\n"


def test_the_climb_finds_a_lead_in_a_stage_no_sample_reaches() -> None:
    model = model_of(ruleset(64))
    ctx = LintContext.create(model, Config())
    assert not [o for o in ctx.known if o.record["stage"] == "A"]
    ctx.reach_stages()
    found = [o for o in ctx.known if o.record["stage"] == "A"]
    assert found
    assert ctx.leads.judge.outcome(found[0].lead).record["stage"] == "A"
    assert not [o for o in ctx.known if o.record["stage"] == "Z"]


def test_an_unreachable_stage_stays_unreachable() -> None:
    model = model_of(ruleset(64))
    found = lint(model, Config())
    assert codes(found, "LR101") == [model.criteria["Z"].span.line]
    assert not codes(found, "LR900")


def test_small_rulesets_are_left_to_the_solver() -> None:
    ctx = LintContext.create(model_of(ruleset(63)), Config())
    known = len(ctx.known)
    assert not [o for o in ctx.known if o.record["stage"] == "A"]
    ctx.reach_stages()
    assert len(ctx.known) == known

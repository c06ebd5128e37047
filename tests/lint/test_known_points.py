"""Known leads as z3 models (`lead_values`, `KnownLeads.shows`): every valid lead the linter
knows is a model of the base constraints, and a question it settles that way gets the answer
the solver gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import z3

from leadrules.config import Config
from leadrules.lint.context import SAT, UNSAT, LintContext
from leadrules.lint.witness import lead_values
from leadrules.workspace import load_file

ROOT = Path(__file__).resolve().parents[2]
RULESETS = [ROOT / "tests/fixtures/spec_examples/projectflow.rules", ROOT / "rulesets/product_led_trial.rules",
            ROOT / "rulesets/fit_engagement.rules", ROOT / "benchmarks/peer.rules"]


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.stem)
def test_every_known_lead_is_a_model_of_the_base(path: Path) -> None:
    loaded = load_file(path)
    assert loaded.model is not None
    ctx = LintContext.create(loaded.model, Config())
    assert len(ctx.known) >= 100
    for outcome in ctx.known:
        assert ctx.solver.model_of(lead_values(ctx.encoding, outcome.lead, outcome.scores)) is not None, outcome.lead


def test_values_that_break_a_base_constraint_are_no_model() -> None:
    loaded = load_file(RULESETS[0])
    assert loaded.model is not None
    ctx = LintContext.create(loaded.model, Config())
    outcome = ctx.known[0]
    values = lead_values(ctx.encoding, outcome.lead, outcome.scores)
    score = next(iter(ctx.encoding.scores.values()))
    wrong = [(v, x) for v, x in values if not v.eq(score)] + [(score, z3.RealVal(-12345))]
    assert ctx.solver.model_of(wrong) is None


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.stem)
def test_questions_settled_on_known_leads_agree_with_the_solver(path: Path) -> None:
    loaded = load_file(path)
    assert loaded.model is not None
    ctx = LintContext.create(loaded.model, Config())
    settled = 0
    for stage in loaded.model.stages:
        question = (ctx.encoding.ends_in(stage),)
        if ctx.leads.shows(question):
            settled += 1
            assert ctx.solver.ask(*question).status == SAT
        assert ctx.possible(*question) == ctx.solver.ask(*question).status
    assert settled >= 2
    assert ctx.possible(z3.BoolVal(False)) == UNSAT

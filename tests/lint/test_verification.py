"""Witnesses are confirmed by the Python engine before they are reported."""

from __future__ import annotations

from pathlib import Path

from leadrules.config import Config
from leadrules.diagnostics import Witness
from leadrules.lint.context import LintContext
from leadrules.lint.witness import AS_OF_TEXT

from .helpers import model_of

RULES = """ruleset "r" version "1"
field size: integer in 1..10
stages Lead -> MQL
stage MQL if size >= 5
"""


def test_a_witness_that_does_not_show_the_claim_becomes_lr901() -> None:
    model = model_of(RULES)
    ctx = LintContext.create(model, Config())
    witness = Witness(AS_OF_TEXT, {"size": 2, "events": []})
    ctx.report("LR303", "a lead can end in 'MQL' and match no route entry", model.criteria["MQL"].span,
               witness=witness, claim=lambda t: None if t.record["stage"] == "MQL" else f"ends in {t.record['stage']}")
    [found] = ctx.diagnostics
    assert found.code == "LR901"
    assert "does not reproduce: ends in Lead" in found.message
    assert found.witness == witness


def test_a_witness_the_engine_rejects_becomes_lr901() -> None:
    model = model_of(RULES)
    ctx = LintContext.create(model, Config())
    witness = Witness(AS_OF_TEXT, {"size": 11, "events": []})
    ctx.report("LR303", "claim", model.criteria["MQL"].span, witness=witness, claim=lambda t: None)
    [found] = ctx.diagnostics
    assert found.code == "LR901" and "the engine rejects the witness" in found.message


def test_a_witness_that_reproduces_is_reported_with_its_reading() -> None:
    model = model_of(RULES)
    ctx = LintContext.create(model, Config())
    witness = Witness(AS_OF_TEXT, {"size": 7, "events": []})
    ctx.report("LR303", "claim", model.criteria["MQL"].span, witness=witness,
               claim=lambda t: None if t.record["stage"] == "MQL" else "no",
               reading=lambda t: f"reaches {t.record['stage']}")
    [found] = ctx.diagnostics
    assert found.code == "LR303" and found.reading == "reaches MQL"


def test_judge_reports_what_the_engine_explains() -> None:
    """The judge's short path through the compiled trace agrees with `Evaluator.explain`."""
    from leadrules.lint.outcome import Judge
    from leadrules.lint.samples import Sampler
    from leadrules.lint.witness import AS_OF
    from leadrules.workspace import load_file

    loaded = load_file(Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples" / "projectflow.rules")
    assert loaded.model is not None
    judge = Judge(loaded.model, AS_OF)
    for lead in [*Sampler(loaded.model).leads(60), {"events": []}]:
        mine = judge.outcome(lead).explanation
        full = judge.evaluator.explain(lead, AS_OF)
        assert mine.record == full.record
        assert mine.disqualifiers == full.disqualifiers
        assert mine.criteria == full.criteria and mine.routes == full.routes
        assert [(r.score, r.index, r.fired, r.points) for r in mine.rules] == \
            [(r.score, r.index, r.fired, r.points) for r in full.rules]

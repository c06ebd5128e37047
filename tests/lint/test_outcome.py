"""An Outcome reads the stage, scores, criteria, route truths, disqualifiers and fired rules
straight off the engine's trace, building the full ledger only when read: both readings agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadrules.lint.outcome import Judge
from leadrules.lint.samples import Sampler
from leadrules.lint.witness import AS_OF
from leadrules.workspace import load_file

ROOT = Path(__file__).resolve().parents[2]
RULESETS = sorted((ROOT / "rulesets").glob("*.rules"))


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.stem)
def test_the_trace_and_the_ledger_agree(path: Path) -> None:
    model = load_file(path).model
    assert model is not None
    judge = Judge(model, AS_OF)
    leads = [*Sampler(model).leads(64), {"events": []}]
    checked = 0
    for lead in leads:
        outcome = judge.outcome(lead)
        ledger = judge.evaluator.explain(lead, AS_OF, detailed=False)
        assert outcome.record == ledger.record
        assert outcome.valid == ledger.valid
        assert outcome.criteria == ledger.criteria
        assert outcome.routes == ledger.routes
        assert outcome.fires == tuple(truth for _, truth in ledger.disqualifiers)
        assert outcome.fired == tuple((r.score, r.index) for r in ledger.rules if r.fired)
        assert outcome.explanation == ledger
        checked += outcome.valid
    assert checked >= 32  # most samples are valid leads: the comparison is not vacuous

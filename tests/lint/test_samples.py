"""Sampled leads are valid leads of their ruleset, and deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadrules.lint.outcome import Judge
from leadrules.lint.samples import Sampler
from leadrules.lint.witness import AS_OF
from leadrules.workspace import load_file

from .helpers import assert_valid, model_of

ROOT = Path(__file__).resolve().parent.parent
RULESETS = [ROOT / "fixtures" / "spec_examples" / "projectflow.rules", *sorted((ROOT / "golden").glob("LR[1-5]*/*.rules"))]

EDGES = """ruleset "edges" version "1"
field born: date optional
field seen: timestamp
field ratio: number in -1.5..2.5
field email: email
field note: text optional
event visit
disqualify old "Old" if born < "0001-01-02" or seen > "9999-12-31T23:59:59Z"
disqualify odd "Odd" if ratio == 2.5 or note ends with "x" or email.domain in ["a.io", "B.io"]
stages Lead -> MQL
stage MQL if count(visit in last 3 days) >= 2 and born > "2020-02-29"
"""


@pytest.mark.parametrize("path", [p for p in RULESETS if p.exists()], ids=lambda p: p.stem)
def test_samples_are_valid_leads(path: Path) -> None:
    loaded = load_file(path)
    assert loaded.model is not None
    judge = Judge(loaded.model, AS_OF)
    for lead in Sampler(loaded.model).leads(40):
        assert_valid(loaded.model, lead)
        assert judge.outcome(lead).valid, lead


def test_samples_reach_edges_and_are_deterministic() -> None:
    model = model_of(EDGES)
    judge = Judge(model, AS_OF)
    leads = Sampler(model).leads(200)
    assert leads == Sampler(model).leads(200)
    outcomes = [judge.outcome(lead) for lead in leads]
    assert all(o.valid for o in outcomes)
    assert {o.record["stage"] for o in outcomes} >= {"MQL", "Disqualified"}
    varied = Sampler(model).variations(leads[0], 30, {"ratio"})
    assert all(set(v) == set(leads[0]) and {k: v[k] for k in v if k != "ratio"} ==
               {k: leads[0][k] for k in leads[0] if k != "ratio"} for v in varied)

"""Arithmetic that cancels still reads its fields (spec section 9): unknown when one is missing.

`employees - employees == 0`, `0 * visits >= 0` and `size + employees - employees > 8` are
unknown for a lead without `employees`/`visits`, so their stages and disqualifiers do not fire.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from engine_helpers import AS_OF, AS_OF_TEXT, run_cli

from leadrules import model as m
from leadrules.check import check
from leadrules.engine.python import compile_model
from leadrules.source import SourceFile
from leadrules.syntax import parse
from trust_texts import CANCELLING, CANCELLING_LEADS, CANCELLING_OUTCOMES


def _model(text: str = CANCELLING) -> m.CheckedModel:
    module, diagnostics = parse(SourceFile("cancel.rules", text))
    assert module is not None, diagnostics
    model, diagnostics = check(module)
    assert model is not None, diagnostics
    return model


def test_cancelled_terms_are_kept_in_the_model() -> None:
    model = _model()
    criterion = model.criteria["MQL"].condition
    assert isinstance(criterion, m.And)
    compare = criterion.operands[1]
    assert isinstance(compare, m.Compare) and isinstance(compare.left, m.Linear)
    assert [(str(c), t) for c, t in compare.left.terms] == [("0", m.FieldValue("employees", "number", compare.span))]
    assert compare.left.reads == (m.FieldValue("employees", "number", compare.span),)


def test_python_engine_treats_cancelling_arithmetic_as_unknown() -> None:
    evaluator = compile_model(_model())
    stages = [(r["id"], r["stage"], r["reasons"]) for r in (evaluator.evaluate(lead, AS_OF) for lead in CANCELLING_LEADS)]
    assert stages == CANCELLING_OUTCOMES


def test_explain_shows_the_cancelled_clause_unknown() -> None:
    explanation = compile_model(_model()).explain(CANCELLING_LEADS[0], AS_OF)
    assert explanation.record["stage"] == "Lead"
    assert explanation.criteria == {"MQL": None, "SQL": None}
    assert explanation.disqualifiers == (("junk", None),)
    assert explanation.next_stage is not None
    assert explanation.next_stage.summary() == "MQL needs 0 * employees == 0 (employees is missing)"


def test_explain_command_on_a_lead_without_the_field(tmp_path: Path) -> None:
    rules = tmp_path / "cancel.rules"
    rules.write_text(CANCELLING, encoding="utf-8")
    lead = tmp_path / "lead.json"
    lead.write_text('{"id": "none", "size": 9}', encoding="utf-8")
    result = run_cli("explain", str(rules), str(lead), "--as-of", AS_OF_TEXT)
    assert result.returncode == 0, result.stderr
    assert "Lead none — Lead (route: none)" in result.stdout
    assert "Next: MQL needs 0 * employees == 0 (employees is missing)" in result.stdout


def test_eval_command_python_engine(tmp_path: Path) -> None:
    rules = tmp_path / "cancel.rules"
    rules.write_text(CANCELLING, encoding="utf-8")
    result = run_cli("eval", str(rules), "--as-of", AS_OF_TEXT, "--engine", "python",
                     stdin='{"id": "none", "size": 9}\n{"id": "times-zero", "size": 1, "visits": 0}\n')
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        '{"id": "none", "stage": "Lead", "disqualified": false, "reasons": [], "blocked": [], '
        '"scores": {}, "bands": {}, "route": null}',
        '{"id": "times-zero", "stage": "Disqualified", "disqualified": true, "reasons": ["junk"], "blocked": [], '
        '"scores": {}, "bands": {}, "route": null}',
    ]


def test_presence_of_a_cancelled_sum_follows_its_fields() -> None:
    model = _model('ruleset "p" version "1"\nfield x: number optional\nstages Lead -> MQL\n'
                   "stage MQL if (x - x) is present\n")
    evaluator = compile_model(model)
    when = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert evaluator.evaluate({}, when)["stage"] == "Lead"
    assert evaluator.evaluate({"x": 2.5}, when)["stage"] == "MQL"

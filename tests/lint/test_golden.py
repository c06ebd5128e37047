"""One golden case per lint code: exact lines and severities; witnesses evaluated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadrules.config import load_config
from leadrules.lint import lint
from leadrules.workspace import load_file

from .helpers import evaluate

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
CASES = sorted(p for p in GOLDEN.glob("LR[1-8]*/*.rules"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_case(path: Path) -> None:
    code = path.parent.name
    expected = json.loads(path.with_suffix(".expected.json").read_text())
    loaded = load_file(path)
    assert loaded.model is not None and not loaded.diagnostics
    found = [d for d in lint(loaded.model, load_config(path)) if d.code == code]
    got = [{"code": d.code, "line": d.span.line, "severity": d.level.value, "witness": d.witness is not None}
           for d in found]
    assert got == expected
    assert not [d for d in lint(loaded.model, load_config(path)) if d.code == "LR901"]
    for d in found:
        if d.witness is not None:
            result = evaluate(loaded.model, d.witness)
            assert d.reading
            if code == "LR102":
                assert result.record["stage"] == "SQL" and result.criteria["MQL"] is not True
            if code == "LR204":
                assert result.record["stage"] == "Disqualified"
            if code == "LR301":
                assert result.record["route"] == "emea" and result.routes["MQL"] == (True, True)
            if code == "LR303":
                assert result.record["stage"] == "MQL" and result.record["route"] is None
            if code == "LR305":
                assert result.bands["tier"] is None and str(result.scores["fit"]) in d.message


def test_every_code_has_a_golden_folder() -> None:
    from leadrules.lint.registry import LINT_CODES

    assert sorted(p.name for p in GOLDEN.glob("LR[1-8]*") if p.is_dir()) == list(LINT_CODES)

"""Golden tests for LR001-LR006: each tests/golden/LR00x/<case>.rules has the exact text and JSON
renderings of its diagnostics beside it (<case>.txt, <case>.json).

Regenerate after a deliberate change with: LEADRULES_UPDATE_GOLDEN=1 pytest tests/check/test_core_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leadrules.io.render import json as json_render
from leadrules.io.render import text as text_render
from leadrules.workspace import load_file

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CODES = [f"LR00{n}" for n in range(1, 7)]
CASES = sorted(p for code in CODES for p in (GOLDEN / code).glob("*.rules"))
UPDATE = os.environ.get("LEADRULES_UPDATE_GOLDEN") == "1"


def test_every_checker_code_has_golden_cases() -> None:
    for code in CODES:
        assert list((GOLDEN / code).glob("*.rules")), f"no golden case for {code}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    relative = f"{case.parent.name}/{case.name}"
    loaded = load_file(relative)
    sources = {loaded.source.path: loaded.source}
    text = text_render.render(loaded.diagnostics, sources)
    as_json = json_render.render(loaded.diagnostics, sources)
    text_file, json_file = case.with_suffix(".txt"), case.with_suffix(".json")
    if UPDATE:
        text_file.write_text(text, encoding="utf-8")
        json_file.write_text(as_json, encoding="utf-8")
    assert loaded.diagnostics, "a golden case must produce diagnostics"
    assert {d.code for d in loaded.diagnostics} == {case.parent.name}
    assert loaded.model is None
    assert text == text_file.read_text(encoding="utf-8")
    assert json.loads(as_json) == json.loads(json_file.read_text(encoding="utf-8"))

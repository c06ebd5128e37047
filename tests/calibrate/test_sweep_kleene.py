"""Sweeps of thresholds inside criteria with or, not, between, missing subjects, a scoped
disqualifier and two equal comparisons: each swept volume equals re-evaluating the leads with
that one constant moved (the other comparisons held, even the equal one)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import RULES, generate, write_history  # noqa: E402

from leadrules.engine.python import compile_model  # noqa: E402
from leadrules.source import SourceFile  # noqa: E402
from leadrules.workspace import load_source  # noqa: E402

STAGES = RULES[:RULES.index("disqualify ")] + """\
disqualify competitor "Works for a competitor" if email.domain in competitors
disqualify tiny "Too small" at SQL if employees < 30

stages Lead -> MQL -> SQL -> Opportunity
stage MQL if fit >= 20 or fit >= 20 or employees >= 150 and not (engagement < 20)
stage SQL if (engagement >= 30 or count(demo_request in last 30 days) >= 2) and not (employees < 100) or grade == "A" and employees between 100 and 1000
stage Opportunity if not (engagement > 40 and 10 > fit) and employees > 80
"""
FUNNEL = ("Lead", "MQL", "SQL", "Opportunity")


def _moved(text: str, line: int, column: int, value: int) -> str:
    """The rule text with the number written at (line, column), 1-based, replaced by `value`."""
    lines = text.split("\n")
    row = lines[line - 1]
    number = re.match(r"[0-9]+", row[column - 1:])
    assert number is not None
    lines[line - 1] = row[:column - 1] + str(value) + row[column - 1 + number.end():]
    return "\n".join(lines)


def test_each_swept_volume_equals_re_evaluating_with_that_constant_moved(
        tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    history = generate(600, seed=11)
    rules, leads, outcomes = write_history(tmp_path, history)
    rules.write_text(STAGES)
    result = run_cli("calibrate", str(rules), str(leads), str(outcomes), "--as-of-field", "signed_at",
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    calibration = json.loads(result.stdout)
    decided = {str(o["id"]) for o in history.outcomes
               if o["outcome"] in ("accepted", "won", "rejected", "lost")}
    thresholds = calibration["thresholds"]
    assert [(t["stage"], t["criterion"]) for t in thresholds] == [
        ("MQL", "fit >= 20"), ("MQL", "fit >= 20"), ("MQL", "employees >= 150"), ("MQL", "engagement < 20"),
        ("SQL", "engagement >= 30"), ("SQL", "count(demo_request in last 30 days) >= 2"),
        ("SQL", "employees < 100"), ("SQL", "employees >= 100"), ("SQL", "employees <= 1000"),
        ("Opportunity", "engagement > 40"), ("Opportunity", "10 > fit"), ("Opportunity", "employees > 80"),
    ]
    for threshold in thresholds:
        reached = FUNNEL[FUNNEL.index(threshold["stage"]):]
        rows = threshold["sweep"]
        for row in rows[::max(1, len(rows) // 4)]:
            value = row["value"]
            assert isinstance(value, int)
            text = _moved(STAGES, threshold["at"]["line"], threshold["at"]["column"], value)
            model = load_source(SourceFile("moved.rules", text)).model
            assert model is not None
            records = compile_model(model).evaluate_many(history.leads, as_of_field="signed_at")
            volume = sum(1 for r in records if r["id"] in decided and r["stage"] in reached)
            assert row["training"]["volume"] == volume, (threshold["criterion"], threshold["at"], value)

"""Wilson intervals, lift intervals and reading OUTCOMES."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from leadrules.calibrate.metrics import f1, lift, rate, wilson
from leadrules.calibrate.outcomes import outcome_values, read_outcomes
from leadrules.errors import InputError


def test_wilson_known_values() -> None:
    # published figures of the Wilson score interval at 95 %
    low, high = wilson(5, 10)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson(0, 10)  # type: ignore[misc]
    assert (low, round(high, 4)) == (0.0, 0.2775)
    low, high = wilson(10, 10)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.7225, 1.0)
    assert wilson(0, 0) is None
    assert rate(3, 4).value == 0.75


def test_lift_katz_interval() -> None:
    # 40/100 against 20/100: ratio 2, log standard error sqrt(1/40 - 1/100 + 1/20 - 1/100)
    estimate = lift(40, 100, 20, 100)
    assert estimate.value == 2.0
    assert (round(estimate.low or 0, 4), round(estimate.high or 0, 4)) == (1.2630, 3.1670)
    assert lift(5, 10, 0, 10).value is None  # no rate without: no ratio
    assert lift(0, 10, 5, 10).value == 0.0 and lift(0, 10, 5, 10).low is None
    assert f1(0.5, 1.0) == pytest.approx(2 / 3)


def test_outcomes_csv(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "id,outcome,reason,decided_at\n"
        "L-1,Accepted,,2026-01-02T00:00:00Z\n"
        "L-2, rejected ,no budget,2026-01-03\n"
        "L-3,working,,\n"
        ",won,,\n"
        "L-4,lost,,yesterday\n"
        "L-2,won,,\n"
        "L-5,lost\n"
    )
    table = read_outcomes(str(path))
    assert table.rows == 7
    assert (table.positive, table.negative, table.open, table.replaced, table.unusable) == (2, 0, 1, 1, 3)
    assert table.problems == ("line 5: no id", "line 6: decided_at is not a timestamp (ISO 8601)",
                              "line 8: 2 cells, the header has 4")
    first = table.by_id["L-1"]
    assert first.positive is True and first.decided_at == dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    assert table.by_id["L-2"].positive is True  # the later row for L-2 wins
    assert table.by_id["L-3"].positive is None


def test_outcomes_jsonl_and_custom_values(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.jsonl"
    path.write_text('{"id": 7, "outcome": "SQL", "reason": "fit"}\n{"id": "8", "outcome": "DQ", "reason": " spam "}\n'
                    'not json\n[1]\n')
    table = read_outcomes(str(path), outcome_values("sql", ()), outcome_values("dq, junk", ()))
    assert table.by_id["7"].positive is True
    assert table.by_id["8"].positive is False and table.by_id["8"].reason == "spam"
    assert table.unusable == 2
    assert table.problems[1] == "line 4: not a JSON object"


def test_outcomes_header_without_outcome(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("id,result\nL-1,won\n")
    with pytest.raises(InputError, match=r"o\.csv: the header has no 'outcome' column"):
        read_outcomes(str(path))

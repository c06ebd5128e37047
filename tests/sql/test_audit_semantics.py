"""Fine points of evaluation (spec sections 3, 5 and 9) checked on both engines, byte for byte."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from leadrules import model as m
from sql.helpers import duckdb_output, load_model, python_output

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)

COUNTERS = """\
ruleset "audit-counters" version "1"

field visits: integer optional
field revenue: number optional

score neg:
    -1.5 per visits

score mixed:
    +1.5 per visits
    +0.000001 per visits

score revenue_score:
    +1 if revenue + 0.000001 > 12345678901234567890.123456
"""

TEXT = """\
ruleset "audit-text" version "1"

field t: text optional

score s:
    +1 if t == "x"
"""


@pytest.fixture()
def counters(tmp_path: Path) -> m.CheckedModel:
    path = tmp_path / "counters.rules"
    path.write_text(COUNTERS, encoding="utf-8")
    return load_model(path)


@pytest.fixture()
def text_model(tmp_path: Path) -> m.CheckedModel:
    path = tmp_path / "text.rules"
    path.write_text(TEXT, encoding="utf-8")
    return load_model(path)


def both(model: m.CheckedModel, leads: Path, tmp_path: Path, output_format: str = "jsonl") -> str:
    python_text = python_output(model, leads, None, AS_OF, output_format)
    duckdb_text, _ = duckdb_output(model, leads, None, AS_OF, output_format, tmp_path / f"out.{output_format}")
    assert duckdb_text == python_text
    return python_text


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_points_times_a_counter_beyond_28_digits_stay_exact(
    counters: m.CheckedModel, tmp_path: Path, suffix: str
) -> None:
    # 23-digit counter: the products and sums carry 29 significant digits, more than the
    # default decimal context keeps
    leads = tmp_path / f"leads.{suffix}"
    if suffix == "jsonl":
        leads.write_text('{"id": "a", "visits": 12345678901234567890123}\n'
                         '{"id": "b", "revenue": 12345678901234567890.123456}\n', encoding="utf-8")
    else:
        leads.write_text("id,visits,revenue\na,12345678901234567890123,\nb,,12345678901234567890.123456\n",
                         encoding="utf-8")
    text = both(counters, leads, tmp_path)
    assert text.splitlines() == [
        '{"id": "a", "stage": null, "disqualified": false, "reasons": [], "blocked": [], "scores": '
        '{"neg": -18518518351851851835184.5, "mixed": 18518530697530753069752.390123, "revenue_score": 0}, '
        '"bands": {}, "route": null}',
        '{"id": "b", "stage": null, "disqualified": false, "reasons": [], "blocked": [], "scores": '
        '{"neg": 0, "mixed": 0, "revenue_score": 1}, "bands": {}, "route": null}',
    ]


def test_exact_scores_in_csv_output(counters: m.CheckedModel, tmp_path: Path) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": "a", "visits": 12345678901234567890123}\n', encoding="utf-8")
    text = both(counters, leads, tmp_path, "csv")
    assert text.splitlines()[1] == "a,,false,,,,-18518518351851851835184.5,18518530697530753069752.390123,0,"


@pytest.mark.parametrize("suffix", ["jsonl", "json"])
def test_a_lone_surrogate_escape_makes_one_error_record(text_model: m.CheckedModel, tmp_path: Path,
                                                         suffix: str) -> None:
    # `"\ud800"` is JSON syntax but no Unicode text: the record is invalid, its neighbours are
    # evaluated, and the output stays printable UTF-8
    records = ['{"id": "\\ud800x"}', '{"id": "ok", "t": "x"}', '{"id": "pair", "t": "\\ud83d\\ude00"}',
               '{"id": "key", "extra": {"\\udc00": 1}}']
    leads = tmp_path / f"leads.{suffix}"
    body = "\n".join(records) + "\n" if suffix == "jsonl" else "[" + ",\n".join(records) + "]\n"
    leads.write_text(body, encoding="utf-8")
    text = both(text_model, leads, tmp_path)
    text.encode("utf-8")
    got = [json.loads(line) for line in text.splitlines()]
    assert [r["id"] for r in got] == [1, "ok", "pair", 4]
    assert got[0]["error"]["record"] == 1 and got[0]["error"]["field"] is None
    assert "surrogate" in got[0]["error"]["message"]
    assert got[1]["scores"] == {"s": 1} and got[2]["scores"] == {"s": 0}
    assert got[3]["error"]["record"] == 4
    csv_text = both(text_model, leads, tmp_path, "csv")
    assert csv_text.splitlines()[2] == "ok,,false,,,,1,"


WINDOWS = """\
ruleset "audit-windows" version "1"

event demo

score recent:
    +1 per demo in last 1 weeks
    +10 per demo in last 2 days
    +100 per demo
"""


@pytest.mark.parametrize(("as_of", "expected"), [
    # the window reaches back before year 1: every event up to as-of counts
    (dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc), 111),
    (dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc), 100),
])
def test_windows_at_the_ends_of_the_calendar(tmp_path: Path, as_of: dt.datetime, expected: int) -> None:
    rules = tmp_path / "windows.rules"
    rules.write_text(WINDOWS, encoding="utf-8")
    model = load_model(rules)
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": 1, "events": [{"type": "demo", "at": "0001-01-01T00:00:00Z"}]}\n', encoding="utf-8")
    python_text = python_output(model, leads, None, as_of)
    duckdb_text, _ = duckdb_output(model, leads, None, as_of, "jsonl", tmp_path / "out.jsonl")
    assert duckdb_text == python_text
    assert json.loads(python_text)["scores"] == {"recent": expected}

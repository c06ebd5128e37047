"""The DuckDB engine agrees byte for byte with the Python engine on the worked examples and on
every ruleset in rulesets/ (their own test leads), in JSON Lines and CSV, from JSONL and CSV."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from leadrules.engine.validate import parse_lead_timestamp
from leadrules.jsontext import loads

from .helpers import duckdb_output, load_model, python_output, write_jsonl

REPO = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)


def test_projectflow_matches_expected_and_python(spec_examples: Path, tmp_path: Path) -> None:
    model = load_model(spec_examples / "projectflow.rules")
    leads = spec_examples / "projectflow.leads.jsonl"
    want = python_output(model, leads, None, AS_OF)
    got, details = duckdb_output(model, leads, None, AS_OF, "jsonl", tmp_path / "out.jsonl")
    assert got == want
    # only the two invalid records (L8, L9) needed the Python engine
    assert details.python_records == 2
    assert details.summary.records == 10 and details.summary.invalid == 2
    expected = [loads(line) for line in (spec_examples / "projectflow.expected.jsonl").read_text().splitlines()]
    for have, exp_record in zip((loads(line) for line in got.splitlines()), expected, strict=True):
        if "error" in exp_record:
            assert have["error"]["field"] == exp_record["error"]["field"]
            assert have["error"]["record"] == exp_record["error"]["record"]
        else:
            assert have == exp_record


def _as_csv(jsonl: Path, target: Path, events_target: Path, fields: list[str]) -> None:
    rows = [loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", *fields])
        for row in rows:
            cells = [row.get("id", "")]
            for name in fields:
                value = row.get(name)
                cells.append("" if value is None else ("true" if value is True else "false" if value is False else value))
            writer.writerow(cells)
    with events_target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["lead_id", "type", "at"])
        for row in rows:
            for event in row.get("events", []):
                writer.writerow([row["id"], event["type"], event["at"]])


@pytest.mark.parametrize("output_format", ["jsonl", "csv"])
def test_projectflow_csv_input_with_events_file(spec_examples: Path, tmp_path: Path, output_format: str) -> None:
    model = load_model(spec_examples / "projectflow.rules")
    leads, events = tmp_path / "leads.csv", tmp_path / "events.csv"
    _as_csv(spec_examples / "projectflow.leads.jsonl", leads, events, list(model.fields))
    want = python_output(model, leads, events, AS_OF, output_format)
    got, details = duckdb_output(model, leads, events, AS_OF, output_format, tmp_path / f"out.{output_format}")
    assert got == want
    assert details.python_records == 2


def _ruleset_paths() -> list[Path]:
    return sorted((REPO / "rulesets").glob("*.rules"))


@pytest.mark.parametrize("path", _ruleset_paths(), ids=lambda p: p.name)
def test_rulesets_engines_agree_on_their_tests(path: Path, tmp_path: Path) -> None:
    model = load_model(path)
    if not model.tests:
        pytest.skip("ruleset has no test leads")
    by_as_of: dict[str, list[object]] = {}
    for case in model.tests:
        by_as_of.setdefault(case.as_of, []).append(case.lead)
    for index, (as_of_text, leads) in enumerate(by_as_of.items()):
        as_of = parse_lead_timestamp(as_of_text)
        assert as_of is not None
        source = write_jsonl(tmp_path / f"leads{index}.jsonl", leads)
        want = python_output(model, source, None, as_of)
        got, _ = duckdb_output(model, source, None, as_of, "jsonl", tmp_path / f"out{index}.jsonl")
        assert got == want

"""One timestamp grammar everywhere (spec section 9, "Input records"): the same strings are
accepted, with the same instant, as a timestamp field value (both engines, JSON Lines and CSV),
an event `at`, `--as-of` (eval and explain), a timestamp literal in a rule file and a test's
`as of`; the same strings are rejected by all of them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from leadrules.cli import cli
from leadrules.suite import run_paths
from leadrules.values import format_timestamp, parse_timestamp
from leadrules.workspace import load_file

UTC = dt.timezone.utc


def _at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


ACCEPTED: list[tuple[str, dt.datetime]] = [
    ("2026-11-22", _at(2026, 11, 22)),
    ("2026-11-22T10:00", _at(2026, 11, 22, 10)),
    ("2026-11-22 10:00", _at(2026, 11, 22, 10)),
    ("2026-11-22T10:00Z", _at(2026, 11, 22, 10)),
    ("2026-11-22T10:00:00Z", _at(2026, 11, 22, 10)),
    ("2026-11-22T10:00:30", _at(2026, 11, 22, 10, 0, 30)),
    ("2026-11-22T10:00:30.5", _at(2026, 11, 22, 10, 0, 30, 500000)),
    ("2026-11-22 10:00:30.123456Z", _at(2026, 11, 22, 10, 0, 30, 123456)),
    ("2026-11-22T10:00+01:00", _at(2026, 11, 22, 9)),
    ("2026-11-22 10:00:00-05:30", _at(2026, 11, 22, 15, 30)),
    ("2026-11-22T10:00:00-00:00", _at(2026, 11, 22, 10)),
    ("2024-02-29T23:59:59.999999+23:59", _at(2024, 2, 29, 0, 0, 59, 999999)),
]

REJECTED: list[str] = [
    "2026-11-22T10",                  # hours without minutes
    "2026-11-22T10:00:00+0100",       # offset without a colon
    "2026-11-22T10:00:00,5",          # comma fraction
    "2026-11-22T10:00:00+01",         # offset hours only
    "2026-11-22t10:00:00Z",           # lowercase t
    "2026-11-22T10:00:00z",           # lowercase z
    "2026-11-22T10:00:00.1234567Z",   # seven fraction digits
    "2026-11-22T10:00:00.Z",          # a point without digits
    "2026-11-22T10:00.5",             # a fraction of a minute
    "2026-11-22  10:00",              # two spaces
    "2026-11-22Z",                    # a zone on a plain date
    "2026-11-22T10:00:00 Z",          # a space before the zone
    "2026-11-22T24:00:00Z",           # hour 24
    "2026-11-22T10:60Z",              # minute 60
    "2026-11-22T10:00:60Z",           # second 60
    "2026-11-22T10:00:00+24:00",      # offset of a day
    "2026-11-22T10:00:00+01:60",      # offset minute 60
    "2026-02-30",                     # not on the calendar
    "2023-02-29T00:00Z",              # not a leap year
    "0000-01-01",                     # year 0
    "2026-1-22",                      # one-digit month
    "20261122",                       # basic format
    "2026-11-22T10:00:00Z\n",         # a trailing line break
    " 2026-11-22",                    # a leading space
    "２０２６-11-22",                    # digits other than ASCII
    "yesterday",
    "",
]

CASES: list[tuple[str, dt.datetime | None]] = [*ACCEPTED, *((text, None) for text in REJECTED)]
INSTANTS = sorted({instant for _, instant in ACCEPTED})
TICK = dt.timedelta(microseconds=1)
AS_OF_TEXT = "2026-11-23T00:00:00Z"


def _rule_string(text: str) -> str:
    """A rule-file string literal holding `text` (escapes: backslash, quote, line break)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parser(text: str, expected: dt.datetime | None) -> None:
    assert parse_timestamp(text) == expected


@pytest.fixture(scope="module")
def field_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One score per accepted instant (1 when `seen` is exactly that instant) and a visit count."""
    lines = ['ruleset "stamps" version "1"', "field seen: timestamp optional", "event visit", ""]
    for number, instant in enumerate(INSTANTS):
        lines += [f"score at{number}:", f"    +1 if seen == {_rule_string(format_timestamp(instant))}", ""]
    lines += ["score visits:", "    +1 per visit", ""]
    path = tmp_path_factory.mktemp("stamps") / "stamps.rules"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _expected_scores(instant: dt.datetime | None, visits: int) -> dict[str, int]:
    scores = {f"at{number}": int(instant == known) for number, known in enumerate(INSTANTS)}
    return {**scores, "visits": visits}


def _in_csv(text: str) -> bool:
    # a quoted line break in a CSV cell is a reader matter with tests of its own
    return "\n" not in text


def _leads(tmp_path: Path, kind: str) -> Path:
    if kind == "jsonl":
        path = tmp_path / "leads.jsonl"
        records: list[dict[str, Any]] = []
        for number, (text, _) in enumerate(CASES):
            records.append({"id": f"f{number}", "seen": text})
            records.append({"id": f"e{number}", "events": [{"type": "visit", "at": text}]})
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        return path
    path = tmp_path / "leads.csv"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "seen"])
    for number, (text, _) in enumerate(CASES):
        if _in_csv(text):
            writer.writerow([f"f{number}", text])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_lead_field_and_event_at_in_both_engines(field_rules: Path, tmp_path: Path, kind: str) -> None:
    leads = _leads(tmp_path, kind)
    outputs = {}
    for engine in ("python", "duckdb"):
        result = _invoke("eval", str(field_rules), str(leads), "--as-of", AS_OF_TEXT, "--engine", engine)
        assert result.exit_code == 3, result.output
        outputs[engine] = result.stdout
    assert outputs["duckdb"] == outputs["python"]
    by_id = {record["id"]: record for record in map(json.loads, outputs["python"].splitlines())}
    expected_count = 2 * len(CASES) if kind == "jsonl" else sum(_in_csv(text) for text, _ in CASES)
    assert len(by_id) == expected_count
    for number, (text, instant) in enumerate(CASES):
        if kind == "csv" and not _in_csv(text):
            continue
        field_record = by_id[f"f{number}"]
        if instant is None and text != "":
            assert field_record["error"]["field"] == "seen", text
        elif instant is None:  # an empty CSV cell is missing; an empty JSON string is not a timestamp
            if kind == "csv":
                assert field_record["scores"] == _expected_scores(None, 0)
            else:
                assert field_record["error"]["field"] == "seen"
        else:
            assert field_record["scores"] == _expected_scores(instant, 0), text
        if kind == "jsonl":
            event_record = by_id[f"e{number}"]
            if instant is None:
                assert event_record["error"]["field"] == "events", text
                assert event_record["error"]["message"] == (
                    f"events[0].at: expected a timestamp (ISO 8601), found {json.dumps(text, ensure_ascii=False)}")
            else:
                assert event_record["scores"] == _expected_scores(None, 1), text


@pytest.fixture(scope="module")
def count_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("count") / "count.rules"
    path.write_text('ruleset "count" version "1"\nevent visit\n\nscore visits:\n    +1 per visit\n', encoding="utf-8")
    return path


def _visits_at_and_after(instant: dt.datetime) -> str:
    """A lead with a visit at `instant` and one a microsecond later: as-of == instant counts 1."""
    events = [{"type": "visit", "at": format_timestamp(instant)}, {"type": "visit", "at": format_timestamp(instant + TICK)}]
    return json.dumps({"id": "L", "events": events})


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_as_of_option(count_rules: Path, tmp_path: Path, text: str, expected: dt.datetime | None) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text(_visits_at_and_after(expected or _at(2026, 1, 1)), encoding="utf-8")
    for command in ("eval", "explain"):
        result = _invoke(command, str(count_rules), str(lead), "--as-of", text)
        if expected is None:
            assert result.exit_code == 2, (command, result.output)
            assert result.stdout == ""
            assert result.stderr.splitlines()[-1] == (
                f"Error: Invalid value for --as-of: expected a timestamp (ISO 8601, e.g. 2026-11-22T00:00:00Z),"
                f" found {text!r}")
        elif command == "eval":
            assert result.exit_code == 0, result.output
            assert json.loads(result.stdout)["scores"] == {"visits": 1}
        else:
            assert result.exit_code == 0, result.output
            assert " visits │ total        │       │      1 " in result.stdout.splitlines(), result.stdout


def _literal_rules(text: str) -> str:
    return ('ruleset "lit" version "1"\nfield seen: timestamp\n\nscore late:\n'
            f"    +1 if seen >= {_rule_string(text)}\n")


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_rule_literal(tmp_path: Path, text: str, expected: dt.datetime | None) -> None:
    path = tmp_path / "lit.rules"
    path.write_text(_literal_rules(text), encoding="utf-8")
    loaded = load_file(path)
    found = [(d.code, d.message, d.span.line, d.span.column) for d in loaded.diagnostics if d.code.startswith("LR00")]
    if expected is None:
        assert found == [("LR003", f"'{text}' is not a timestamp", 5, 19)]
        return
    assert found == []
    leads = tmp_path / "leads.jsonl"
    leads.write_text(json.dumps({"id": "on", "seen": format_timestamp(expected)}) + "\n"
                     + json.dumps({"id": "before", "seen": format_timestamp(expected - TICK)}) + "\n", encoding="utf-8")
    result = _invoke("eval", str(path), str(leads), "--as-of", AS_OF_TEXT)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["scores"] for line in result.stdout.splitlines()] == [{"late": 1}, {"late": 0}]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_test_as_of(tmp_path: Path, text: str, expected: dt.datetime | None) -> None:
    lead = _visits_at_and_after(expected or _at(2026, 1, 1))
    path = tmp_path / "t.rules"
    path.write_text('ruleset "t" version "1"\nevent visit\n\nscore visits:\n    +1 per visit\n\n'
                    f'test "as of":\n    as of {_rule_string(text)}\n    lead {lead}\n    expect visits == 1\n',
                    encoding="utf-8")
    if expected is None:
        loaded = load_file(path)
        assert [(d.code, d.message, d.span.line, d.span.column) for d in loaded.diagnostics] == [
            ("LR003", f"'{text}' is not a timestamp", 8, 11)]
        return
    result = run_paths([str(path)])
    assert (result.passed, result.failed, result.ok) == (1, 0, True)


def test_events_file_at_in_both_engines(field_rules: Path, tmp_path: Path) -> None:
    kept = [(number, text, instant) for number, (text, instant) in enumerate(CASES) if _in_csv(text)]
    leads = tmp_path / "leads.csv"
    leads.write_text("id,seen\n" + "".join(f"e{number},\n" for number, _, _ in kept), encoding="utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["lead_id", "type", "at"])
    for number, text, _ in kept:
        writer.writerow([f"e{number}", "visit", text])
    events = tmp_path / "events.csv"
    events.write_text(out.getvalue(), encoding="utf-8")
    outputs = {}
    for engine in ("python", "duckdb"):
        result = _invoke("eval", str(field_rules), str(leads), "--events", str(events), "--as-of", AS_OF_TEXT,
                         "--engine", engine)
        assert result.exit_code == 3, result.output
        outputs[engine] = result.stdout
    assert outputs["duckdb"] == outputs["python"]
    by_id = {record["id"]: record for record in map(json.loads, outputs["python"].splitlines())}
    for number, text, instant in kept:
        record = by_id[f"e{number}"]
        if instant is None:
            assert record["error"]["field"] == "events", text
        else:
            assert record["scores"] == _expected_scores(None, 1), text

"""`leadrules eval`, `explain` and `test`: formats, error records in place, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner, Result
from engine_helpers import AS_OF_TEXT, run_cli

from leadrules.cli import cli


def invoke(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def check_expected(got: list[dict[str, Any]], expected_path: Path) -> None:
    expected = lines(expected_path.read_text())
    assert len(got) == len(expected)
    for have, want in zip(got, expected, strict=True):
        if "error" in want:
            assert have["id"] == want["id"]
            assert {k: have["error"][k] for k in ("record", "field")} == want["error"]
            assert have["error"]["message"]
        else:
            assert have == want
            assert list(have) == ["id", "stage", "disqualified", "reasons", "blocked", "scores", "bands", "route"]


def test_projectflow_file_gives_expected(examples: Path) -> None:
    result = invoke("eval", str(examples / "projectflow.rules"), str(examples / "projectflow.leads.jsonl"),
                    "--as-of", AS_OF_TEXT)
    assert result.exit_code == 3
    check_expected(lines(result.stdout), examples / "projectflow.expected.jsonl")
    # the exact text of the spec's example separators
    assert result.stdout.splitlines()[0].startswith('{"id": "L1", "stage": "MQL", "disqualified": false, ')


def test_projectflow_stdin_and_json_array(examples: Path, tmp_path: Path) -> None:
    leads = (examples / "projectflow.leads.jsonl").read_text()
    result = invoke("eval", str(examples / "projectflow.rules"), "--as-of", AS_OF_TEXT, stdin=leads)
    assert result.exit_code == 3
    check_expected(lines(result.stdout), examples / "projectflow.expected.jsonl")
    array = tmp_path / "leads.json"
    array.write_text(json.dumps(lines(leads)))
    result = invoke("eval", str(examples / "projectflow.rules"), str(array), "--as-of", AS_OF_TEXT)
    assert result.exit_code == 3
    check_expected(lines(result.stdout), examples / "projectflow.expected.jsonl")


def test_all_valid_exits_0_and_bad_lines_stay_in_place(examples: Path, tmp_path: Path) -> None:
    rules = str(examples / "projectflow.rules")
    first = (examples / "projectflow.leads.jsonl").read_text().splitlines()[0]
    assert invoke("eval", rules, "--as-of", AS_OF_TEXT, stdin=first + "\n").exit_code == 0
    result = invoke("eval", rules, "--as-of", AS_OF_TEXT, stdin=f"{first}\nnot json\n\n[1]\n{first}\n")
    assert result.exit_code == 3
    records = lines(result.stdout)
    assert [r["id"] for r in records] == ["L1", 2, 3, "L1"]
    assert records[1]["error"]["field"] is None and records[1]["error"]["message"].startswith("not a JSON object: ")
    assert records[2]["error"] == {"record": 3, "field": None, "message": "expected a JSON object, found an array"}


def test_csv_in_and_out_with_events_file(examples: Path, tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "id,email,role,industry,employees,country,unsubscribed\n"
        "C1,dana@acmeworks.com,manager,software,150,US,No\n"
        "C2,lee@x.com,vp,software,many,US,false\n"
        "C3,sam@uni.edu,student,education,30000,GB,TRUE\n"
    )
    events = tmp_path / "events.csv"
    events.write_text("lead_id,type,at\nC1,ebook_download,2026-11-01T10:00:00Z\n"
                      "C1,webinar_attended,2026-11-05T16:00:00Z\nC9,ebook_download,2026-11-01T10:00:00Z\n"
                      "C1,page_view,whenever\n")
    result = invoke("eval", str(examples / "projectflow.rules"), str(leads), "--events", str(events),
                    "--as-of", AS_OF_TEXT, "--format", "csv")
    assert result.exit_code == 3
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["id", "stage", "disqualified", "reasons", "blocked", "route", "score.engagement",
                             "score.fit", "band.grade", "error"]
    assert rows[0] == {"id": "C1", "stage": "MQL", "disqualified": "false", "reasons": "", "blocked": "",
                       "route": "nurture", "score.engagement": "30", "score.fit": "100", "band.grade": "A",
                       "error": ""}
    assert rows[1]["id"] == "C2" and rows[1]["stage"] == ""
    assert rows[1]["error"] == 'employees: expected an integer in 1..1000000, found "many"'
    assert rows[2]["reasons"] == "student;unsubscribed" and rows[2]["disqualified"] == "true"


def test_output_file_is_written_atomically(examples: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    rules = str(examples / "projectflow.rules")
    result = invoke("eval", rules, str(examples / "projectflow.leads.jsonl"), "--as-of", AS_OF_TEXT,
                    "-o", str(target))
    assert result.exit_code == 3 and result.stdout == ""
    check_expected(lines(target.read_text()), examples / "projectflow.expected.jsonl")
    assert os.listdir(tmp_path) == ["out.jsonl"]
    # a failure half-way leaves the old file and no temporary file behind
    target.write_text("old\n")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1}, oops]')
    proc = run_cli("eval", rules, str(bad), "--as-of", AS_OF_TEXT, "-o", str(target))
    assert proc.returncode == 2 and "not JSON" in proc.stderr
    assert target.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["bad.json", "out.jsonl"]


def test_exit_codes(examples: Path, tmp_path: Path) -> None:
    rules = str(examples / "projectflow.rules")
    assert run_cli("eval", rules, str(tmp_path / "missing.jsonl"), "--as-of", AS_OF_TEXT).returncode == 2
    assert run_cli("eval", rules, "--as-of", "yesterday", stdin="").returncode == 2
    broken = tmp_path / "broken.rules"
    broken.write_text('ruleset "b" version "1"\nfield x: integr\n')
    proc = run_cli("eval", str(broken), "--as-of", AS_OF_TEXT, stdin="{}\n")
    assert proc.returncode == 1 and "LR002" in proc.stderr and proc.stdout == ""


def test_explain_flag_adds_the_ledger(examples: Path) -> None:
    first = (examples / "projectflow.leads.jsonl").read_text().splitlines()[0]
    result = invoke("eval", str(examples / "projectflow.rules"), "--as-of", AS_OF_TEXT, "--explain", stdin=first)
    record = lines(result.stdout)[0]
    assert record["explain"]["next_stage"] == {"stage": "SQL", "blocked_by": [],
                                               "lacks": ["engagement > 50 (has 30)", "a pricing_page_view (none)"]}
    assert {"score": "engagement", "rule": "+10 per ebook_download (max 20)", "points": 10} in record["explain"]["rules"]


def test_explain_command(examples: Path, tmp_path: Path) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text((examples / "projectflow.leads.jsonl").read_text().splitlines()[0])
    result = invoke("explain", str(examples / "projectflow.rules"), str(lead), "--as-of", AS_OF_TEXT)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "SQL needs engagement > 50 (has 30) and a pricing_page_view (none)" in text
    assert "+10 per ebook_download (max 20)" in text and "nurture" in text
    lead.write_text('{"email": "x@y.z"}')
    result = invoke("explain", str(examples / "projectflow.rules"), str(lead), "--as-of", AS_OF_TEXT)
    assert result.exit_code == 3 and "role: required, found nothing" in result.stderr


def test_test_command_passes_fails_and_writes_junit(examples: Path, tmp_path: Path) -> None:
    junit = tmp_path / "report.xml"
    result = invoke("test", str(examples / "projectflow.rules"), "--coverage", "--junit", str(junit))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.rstrip().endswith("3 passed, 0 failed")
    assert "not exercised" in result.stdout and "disqualify student" in result.stdout
    assert ElementTree.parse(junit).getroot().get("tests") == "3"
    failing = tmp_path / "failing.rules"
    failing.write_text(
        f'tests for "{examples / "projectflow.rules"}"\n\n'
        'test "wrong on purpose":\n'
        f'    as of "{AS_OF_TEXT}"\n'
        '    lead {"email": "a@b.com", "role": "vp", "industry": "software", "employees": 50,\n'
        '          "country": "US", "unsubscribed": false}\n'
        '    expect stage == "SQL"\n'
        '    expect fit == 100\n'
    )
    result = invoke("test", str(failing), "--junit", str(junit))
    assert result.exit_code == 1
    assert 'stage: expected "SQL", got "Lead"' in result.stdout
    assert "0 passed, 1 failed" in result.stdout
    root = ElementTree.parse(junit).getroot()
    assert root.get("failures") == "1" and root.find(".//failure") is not None


@pytest.mark.parametrize("name", ["fit_engagement.rules", "product_led_trial.rules", "score_grade.rules"])
def test_shipped_rulesets_pass_their_tests(name: str) -> None:
    path = Path(__file__).resolve().parents[2] / "rulesets" / name
    if not path.is_file():
        pytest.skip(f"{name} not in rulesets/")
    assert invoke("test", str(path)).exit_code == 0

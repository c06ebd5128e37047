"""The check command: config, noqa, --select/--ignore/--strict, formats, --emit-tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadrules.config import Config, load_config
from leadrules.errors import InputError
from leadrules.lint.noqa import suppressed_codes
from leadrules.workspace import load_file

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
FUNNEL = """ruleset "f" version "1"
field country: text
field employees: integer in 1..100000
stages Lead -> MQL
stage MQL if employees >= 10
disqualify tiny "Tiny" if employees < 2
route MQL:
    to "emea" if country in ["GB", "DE", "FR"]
    to "uk" if country == "GB"
    to "enterprise" if employees >= 1000
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadrules", "check", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.fixture()
def funnel(tmp_path: Path) -> Path:
    path = tmp_path / "f.rules"
    path.write_text(FUNNEL)
    return path


def test_exit_codes_select_ignore_strict(funnel: Path) -> None:
    assert run(str(funnel)).returncode == 1  # LR302 is an error
    assert run(str(funnel), "--ignore", "LR302").returncode == 0  # warnings only
    assert run(str(funnel), "--ignore", "LR302", "--strict").returncode == 1
    assert run(str(funnel), "--select", "LR5", "--strict").returncode == 0
    assert run(str(funnel / "nope")).returncode == 2
    assert run(str(funnel), "--select", "XX1").returncode == 2


def test_json_format(funnel: Path) -> None:
    proc = run(str(funnel), "--format", "json")
    found = json.loads(proc.stdout)
    assert [(d["code"], d["line"], d["severity"]) for d in found] == [
        ("LR303", 7, "warning"), ("LR302", 9, "error"), ("LR301", 10, "warning")]
    assert found[0]["witness"]["as_of"] == "2026-11-22T00:00:00Z"
    assert found[0]["witness"]["lead"]["employees"] >= 10
    assert set(found[1]) >= {"code", "severity", "file", "line", "column", "message"}


def test_noqa_silences_one_code_on_its_line(funnel: Path) -> None:
    funnel.write_text(FUNNEL.replace('country == "GB"', 'country == "GB"  # noqa: LR302'))
    found = json.loads(run(str(funnel), "--format", "json").stdout)
    assert [d["code"] for d in found] == ["LR303", "LR301"]
    assert suppressed_codes("x  # noqa: LR102, LR301") == frozenset({"LR102", "LR301"})
    assert suppressed_codes("x  # noqa") == frozenset()
    assert suppressed_codes("x") is None


def test_config_file_nearest_wins_and_leadrules_toml_beats_pyproject(tmp_path: Path, funnel: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.leadrules]\nignore = ["LR3"]\n')
    assert load_config(funnel).ignore == ("LR3",)
    (tmp_path / "leadrules.toml").write_text('ignore = ["LR302"]\nrequired-disqualifiers = ["unsubscribed"]\n')
    config = load_config(funnel)
    assert config.ignore == ("LR302",) and config.required_disqualifiers == ("unsubscribed",)
    found = json.loads(run(str(funnel), "--format", "json").stdout)
    assert [d["code"] for d in found] == ["LR202", "LR303", "LR301"]
    (tmp_path / "leadrules.toml").write_text('colour = "red"\n')
    with pytest.raises(InputError):
        load_config(funnel)


def test_select_prefix_specificity() -> None:
    config = Config(select=("LR3",), ignore=("LR302",))
    assert config.enabled("LR301") and not config.enabled("LR302") and not config.enabled("LR101")
    assert Config(select=("LR302",), ignore=("LR3",)).enabled("LR302")
    assert Config().enabled("LR501")


def test_github_format(funnel: Path) -> None:
    lines = run(str(funnel), "--format", "github").stdout.splitlines()
    assert lines[1] == (f"::error file={funnel},line=9,col=5,title=LR302::route entry to 'uk' is never selected: "
                        "every lead it matches is already routed to 'emea'")
    assert lines[0].startswith(f"::warning file={funnel},line=7,col=1,title=LR303::")


def test_sarif_format(funnel: Path) -> None:
    log = json.loads(run(str(funnel), "--format", "sarif").stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run_ = log["runs"][0]
    assert run_["tool"]["driver"]["name"] == "leadrules"
    rules = run_["tool"]["driver"]["rules"]
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    assert [r["ruleId"] for r in run_["results"]] == ["LR303", "LR302", "LR301"]
    assert "witness" in run_["results"][0]["properties"]


def test_sarif_against_schema_essentials(funnel: Path) -> None:
    """The required properties of SARIF 2.1.0 (sarifLog, run, tool, toolComponent, result,
    message, location, region), checked with a JSON Schema written from the spec."""
    import jsonschema

    message = {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}]}
    schema = {
        "type": "object", "required": ["version", "runs"],
        "properties": {
            "version": {"const": "2.1.0"},
            "runs": {"type": "array", "items": {
                "type": "object", "required": ["tool"],
                "properties": {
                    "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                        "type": "object", "required": ["name"],
                        "properties": {"rules": {"type": "array", "items": {"type": "object", "required": ["id"]}}}}}},
                    "results": {"type": "array", "items": {
                        "type": "object", "required": ["message"],
                        "properties": {
                            "message": message,
                            "level": {"enum": ["none", "note", "warning", "error"]},
                            "ruleIndex": {"type": "integer", "minimum": -1},
                            "locations": {"type": "array", "items": {"type": "object", "properties": {
                                "physicalLocation": {"type": "object", "properties": {
                                    "region": {"type": "object", "properties": {
                                        "startLine": {"type": "integer", "minimum": 1},
                                        "startColumn": {"type": "integer", "minimum": 1},
                                        "endLine": {"type": "integer", "minimum": 1},
                                        "endColumn": {"type": "integer", "minimum": 1}}},
                                    "artifactLocation": {"type": "object", "properties": {
                                        "uri": {"type": "string"}}}}}}}}}}}}}},
        },
    }
    jsonschema.validate(json.loads(run(str(funnel), "--format", "sarif").stdout), schema)


def test_emit_tests_round_trip(tmp_path: Path, funnel: Path) -> None:
    out = tmp_path / "sub" / "found.rules"
    out.parent.mkdir()
    run(str(funnel), "--emit-tests", str(out))
    text = out.read_text()
    assert text.startswith('tests for "../f.rules"')
    loaded = load_file(out)
    assert not loaded.diagnostics and len(loaded.tests) == 2
    from leadrules.engine.python import compile_model
    from leadrules.values import parse_timestamp

    assert loaded.tests_target is not None
    for case in loaded.tests:
        as_of = parse_timestamp(case.as_of)
        assert as_of is not None
        record = compile_model(loaded.tests_target).evaluate(case.lead, as_of)
        for key, value, _ in case.expects:
            actual = record[key] if key in record else record["scores"].get(key, record["bands"].get(key))
            assert actual == value, (key, actual, value)


def test_worked_examples() -> None:
    proc = run(str(EXAMPLES / "projectflow.rules"), "--format", "json")
    assert proc.returncode == 0
    assert {d["code"] for d in json.loads(proc.stdout)} <= {"LR102", "LR501"}
    spec = json.loads((EXAMPLES / "funnel_defects.expected.json").read_text())
    proc = run(str(EXAMPLES / "funnel_defects.rules"), "--format", "json")
    assert proc.returncode == spec["exit_code"]
    found = json.loads(proc.stdout)
    for req in spec["required"]:
        assert any(d["code"] == req["code"] and d["line"] in req["lines"] for d in found), req
    allowed = spec["required"] + spec["allowed"]
    for d in found:
        if d["severity"] in ("error", "warning"):
            assert any(d["code"] == a["code"] and d["line"] in a["lines"] for a in allowed), d
    assert not [d for d in found if d["code"] in ("LR900", "LR901")]

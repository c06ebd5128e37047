"""The report formats: markdown for a pull request, GitHub annotations at the line of NEW that
causes a change, SARIF, and escaping of everything that comes from a rule file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .helpers import BASE, edit, write

LOOSER_MQL = edit("engagement >= 30", "engagement >= 20")
MQL_LINE = BASE.splitlines().index("stage MQL if fit >= 40 and engagement >= 30") + 1


def _pair(tmp_path: Path, new: str = LOOSER_MQL) -> tuple[str, str]:
    return write(tmp_path, "old.rules", BASE), write(tmp_path, "new.rules", new)


def test_markdown_comment(run_cli: Any, tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    result = run_cli("diff", old, new, "--format", "markdown")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"### ⚠️ leadrules diff: {old} → {new}".replace("_", "\\_")
    assert lines[2] == "**1 outcome key changed: stage.**"
    looser = [line for line in lines if line.startswith("- Stage MQL got looser: a lead with ")]
    assert len(looser) == 1 and looser[0].endswith(" is now MQL (was Lead).")
    table = lines[lines.index("| key | verdict |"):]
    assert table[:4] == ["| key | verdict |", "|---|---|", "| validity | equivalent |", "| stage | changed |"]
    assert "| stage MQL | looser |" in table and "| stage SQL | equal |" in table


def test_markdown_impact_matrix(run_cli: Any, tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    leads = tmp_path / "leads.jsonl"
    webinar = {"type": "webinar", "at": "2026-11-20T10:00:00Z"}
    records = [{"id": "a", "email": "a@b.com", "role": "director", "employees": 150, "events": [webinar] * 2},
               {"id": "b", "email": "a@b.com", "role": "student", "employees": 150, "events": []}]
    leads.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = run_cli("diff", old, new, "--format", "markdown", "--leads", str(leads), "--as-of", "2026-11-22T00:00:00Z")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "#### Impact on 2 lead records (as of 2026-11-22T00:00:00Z)\n\n" \
           "| stage: old ↓ new → | Lead | MQL |\n|---|---|---|\n| Lead | 1 | **1** |\n" in text


def test_github_annotations_at_the_line_of_new(run_cli: Any, tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    result = run_cli("diff", old, new, "--format", "github")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    path = new.replace(":", "%3A").replace(",", "%2C")
    mql = [line for line in lines if "title=diff/stage/MQL" in line]
    assert len(mql) == 1
    assert mql[0].startswith(f"::warning file={path},line={MQL_LINE},col=1,title=diff/stage/MQL::"
                             "Stage MQL got looser: a lead with ")
    assert lines[-1] == "::notice::1 outcome key changed: stage."


def test_sarif(run_cli: Any, tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    result = run_cli("diff", old, new, "--format", "sarif")
    assert result.exit_code == 0
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["diff/stage/Lead", "diff/stage/MQL"]
    mql = next(r for r in results if r["ruleId"] == "diff/stage/MQL")
    assert mql["locations"][0]["physicalLocation"]["region"] == {"startLine": MQL_LINE, "startColumn": 1}


HOSTILE = edit('to "na" if country in ["US"]', 'to "n|a <b>x</b> \\u001b[31m" if country in ["US"]')


def test_text_from_rule_files_is_escaped(run_cli: Any, tmp_path: Path) -> None:
    old = write(tmp_path, "old.rules", BASE)
    new = write(tmp_path, "new.rules", HOSTILE)  # only a lead routed to "na" shows the change
    for fmt in ("text", "markdown", "github"):
        result = run_cli("diff", old, new, "--format", fmt)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout
        assert "\\x1b[31m" in result.stdout or "\\\\u001b" in result.stdout or "\\u001b" in result.stdout
    markdown = run_cli("diff", old, new, "--format", "markdown").stdout
    assert "<b>" not in markdown.replace("<details>", "").replace("<summary>", "")
    route_line = next(line for line in markdown.splitlines() if line.startswith("- The route changed: "))
    assert "n\\|a \\<b\\>x\\</b\\>" in route_line


def test_annotations_point_at_the_declaration_new_changed(run_cli: Any, tmp_path: Path) -> None:
    text = edit('disqualify small', 'disqualify students "Students" if role == "student"\ndisqualify small')
    line = text.splitlines().index('disqualify students "Students" if role == "student"') + 1
    old, new = _pair(tmp_path, text)
    lines = run_cli("diff", old, new, "--format", "github").stdout.splitlines()
    titles = {entry.split("title=")[1].split("::")[0]: entry for entry in lines if entry.startswith("::warning")}
    assert sorted(titles) == ["diff/disqualified", "diff/reasons", "diff/stage/Disqualified", "diff/stage/Lead"]
    for entry in titles.values():
        assert f",line={line},col=1," in entry


def test_unknown_verdicts_say_why_and_are_never_answers() -> None:
    from leadrules.diff.render import DiffReport, render_text, to_json
    from leadrules.diff.semantic import KeyVerdict, SemanticDiff, StageSet

    semantic = SemanticDiff(
        keys=(KeyVerdict("validity", "validity", "equivalent"),
              KeyVerdict("route", "outcome", "unknown", reason="the solver ran out of time")),
        stage_sets=(StageSet("SQL", "unknown", reason="the solver ran out of time"),),
        added=(), removed=())
    report = DiffReport("a.rules", "b.rules", "b.rules", semantic)
    assert to_json(report)["semantic"]["route"] == {
        "verdict": "unknown", "witness": None, "old": None, "new": None, "reason": "the solver ran out of time"}
    assert render_text(report).splitlines() == [
        "leadrules diff a.rules -> b.rules", "",
        "No change found. Undecided: route.", "",
        "Stage SQL: could not be decided: the solver ran out of time.",
        "The route could not be decided: the solver ran out of time.",
        "Equivalent: validity."]

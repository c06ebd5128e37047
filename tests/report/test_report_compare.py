"""`report --compare OTHER` and `report --as-of-field F`: the transition matrix equals one counted
here from two `eval` runs, on both engines; the per-record as-of report equals the counts of
`eval --as-of-field` output; the option clashes are usage errors."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import html5lib
import pytest
from report_leads import AS_OF, AS_OF_TEXT, write_leads
from test_report import _as_lists, expected_report

from leadrules import model as m
from leadrules.workspace import load_file

REPO = Path(__file__).resolve().parents[2]
RULESET = REPO / "rulesets" / "score_grade.rules"
COUNT = 500
# a lower MQL gate, a narrower grade B, a new disqualifier and no LATAM region: stages move both
# ways and LATAM leads become invalid under OTHER
CHANGES = [('stage MQL if behaviour >= 100', 'stage MQL if behaviour >= 40'),
           ('"B" from 50 to 75', '"B" from 60 to 75'), ('"C" from 25 to 50', '"C" from 25 to 60'),
           ('disqualify student "Student" if job_level == "student"',
            'disqualify student "Student" if job_level == "student"\n'
            'disqualify tiny "Tiny company" if company_size < 5'),
           ('field region: one of ["NA", "EMEA", "APAC", "LATAM"]', 'field region: one of ["NA", "EMEA", "APAC"]'),
           ('version "2026.11"', 'version "2026.12-next"')]


def _model(path: Path) -> m.CheckedModel:
    model = load_file(path).model
    assert model is not None
    return model


@pytest.fixture
def other_rules(tmp_path: Path) -> Path:
    text = RULESET.read_text(encoding="utf-8")
    for old, new in CHANGES:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "other.rules"
    path.write_text(text, encoding="utf-8")
    return path


def _eval(run_cli: Callable[..., Any], ruleset: Path, leads: Path, out: Path, *options: str) -> list[dict[str, Any]]:
    ran = run_cli("eval", str(ruleset), str(leads), *options, "-q", "-o", str(out), "--engine", "python")
    assert ran.exit_code in (0, 3), ran.stderr
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def expected_compare(this: m.CheckedModel, other: m.CheckedModel, mine: list[dict[str, Any]],
                     theirs: list[dict[str, Any]]) -> dict[str, Any]:
    """The `compare` object counted straight from the two rulesets' `eval` records."""
    assert len(mine) == len(theirs)
    pairs = list(zip(mine, theirs, strict=True))
    both = [(a, b) for a, b in pairs if "error" not in a and "error" not in b]
    cells = Counter((a["stage"], b["stage"]) for a, b in both)
    samples: dict[tuple[str, str], list[str]] = {}
    for a, b in both:
        if a["stage"] != b["stage"]:
            kept = samples.setdefault((a["stage"], b["stage"]), [])
            if len(kept) < 5:
                kept.append(str(a["id"]))
    rows, columns = [*this.stages, "Disqualified"], [*other.stages, "Disqualified"]
    changed = sorted(((a, b, n) for (a, b), n in cells.items() if a != b), key=lambda c: (-c[2], c[0], c[1]))
    return {
        "ruleset": other.name, "version": other.version, "records": len(pairs), "compared": len(both),
        "changed": sum(n for _, _, n in changed),
        "became_invalid": sum("error" not in a and "error" in b for a, b in pairs),
        "became_valid": sum("error" in a and "error" not in b for a, b in pairs),
        "invalid_both": sum("error" in a and "error" in b for a, b in pairs),
        "stages": rows, "other_stages": columns,
        "matrix": {row: [cells[(row, column)] for column in columns] for row in rows},
        "transitions": [{"from": a, "to": b, "count": n, "samples": samples[(a, b)]} for a, b, n in changed],
    }


def test_compare_matrix_equals_two_eval_runs_on_both_engines(tmp_path: Path, other_rules: Path,
                                                             run_cli: Callable[..., Any]) -> None:
    this, other = _model(RULESET), _model(other_rules)
    leads = write_leads(tmp_path / "leads.jsonl", this, COUNT)
    mine = _eval(run_cli, RULESET, leads, tmp_path / "mine.jsonl", "--as-of", AS_OF_TEXT)
    theirs = _eval(run_cli, other_rules, leads, tmp_path / "theirs.jsonl", "--as-of", AS_OF_TEXT)
    expected = expected_compare(this, other, mine, theirs)
    # the case covers what the matrix must show: moves both ways, cut samples, validity changes
    assert expected["became_invalid"] > 0 and expected["invalid_both"] > 0
    moves = {(t["from"], t["to"]) for t in expected["transitions"]}
    assert moves >= {("Inquiry", "MQL"), ("SQL", "Inquiry"), ("Inquiry", "Disqualified")}
    assert any(t["count"] > 5 for t in expected["transitions"])
    reports = {}
    for engine in ("python", "duckdb"):
        ran = run_cli("report", str(RULESET), str(leads), "--as-of", AS_OF_TEXT, "--format", "json",
                      "--engine", engine, "--compare", str(other_rules))
        assert ran.exit_code == 0, ran.stderr
        assert ran.stderr == ""
        reports[engine] = json.loads(ran.stdout)
        assert reports[engine]["compare"] == expected
        # the rest of the report is this ruleset's, unchanged by --compare
        assert _as_lists(reports[engine]) == expected_report(this, _eval(
            run_cli, RULESET, leads, tmp_path / "explained.jsonl", "--as-of", AS_OF_TEXT, "--explain"))
    assert {**reports["python"], "engine": ""} == {**reports["duckdb"], "engine": ""}
    plain = run_cli("report", str(RULESET), str(leads), "--as-of", AS_OF_TEXT, "--format", "json")
    assert json.loads(plain.stdout)["compare"] is None


def _cells(table: Any) -> list[list[str]]:
    return [["".join(cell.itertext()) for cell in row if cell.tag.endswith(("}td", "}th"))]
            for row in table.iter("{http://www.w3.org/1999/xhtml}tr")]


def test_compare_section_of_the_page(tmp_path: Path, other_rules: Path, run_cli: Callable[..., Any]) -> None:
    this, other = _model(RULESET), _model(other_rules)
    leads = write_leads(tmp_path / "leads.jsonl", this, COUNT)
    page = tmp_path / "report.html"
    ran = run_cli("report", str(RULESET), str(leads), "--as-of", AS_OF_TEXT, "-o", str(page),
                  "--compare", str(other_rules))
    assert ran.exit_code == 0, ran.stderr
    document = html5lib.HTMLParser(strict=True).parse(page.read_text(encoding="utf-8"))
    tables = {t.get("id"): t for t in document.iter("{http://www.w3.org/1999/xhtml}table") if t.get("id")}
    expected = expected_compare(this, other, _eval(run_cli, RULESET, leads, tmp_path / "a.jsonl", "--as-of", AS_OF_TEXT),
                                _eval(run_cli, other_rules, leads, tmp_path / "b.jsonl", "--as-of", AS_OF_TEXT))
    assert _cells(tables["compare-matrix"]) == [
        ["Stage here ↓ / under score-grade →", *expected["other_stages"]],
        *[[row, *map(str, counts)] for row, counts in expected["matrix"].items()]]
    assert _cells(tables["compare-changes"])[1:] == [
        [t["from"], t["to"], str(t["count"]), ", ".join(t["samples"])] for t in expected["transitions"]]
    headings = ["".join(h.itertext()) for h in document.iter("{http://www.w3.org/1999/xhtml}h2")]
    assert "Compared with score-grade 2026.12-next" in headings


def test_as_of_field_report_equals_counts_of_eval_as_of_field(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    model = _model(RULESET)
    generated = write_leads(tmp_path / "generated.jsonl", model, COUNT)
    rng = random.Random(5)
    leads = tmp_path / "leads.jsonl"
    with leads.open("w", encoding="utf-8") as out:
        for number, line in enumerate(generated.read_text(encoding="utf-8").splitlines(), 1):
            record = json.loads(line)
            if isinstance(record, dict) and number % 19 == 0:
                record["signed_at"] = "not a time"  # an error record naming signed_at
            elif isinstance(record, dict) and number % 17 != 0:  # every 17th: missing, an error record
                # an instant before many of the lead's events: those events must not count
                at = AS_OF - dt.timedelta(days=rng.randint(0, 120))
                record["signed_at"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(json.dumps(record) + "\n")
    records = _eval(run_cli, RULESET, leads, tmp_path / "results.jsonl", "--as-of-field", "signed_at", "--explain")
    expected = expected_report(model, records)
    assert [f for f in expected["invalid_fields"] if f["field"] == "signed_at"][0]["count"] > 0
    # the per-record instants matter: one evaluation as of AS_OF counts differently
    assert expected_report(model, _eval(run_cli, RULESET, leads, tmp_path / "fixed.jsonl", "--as-of", AS_OF_TEXT,
                                        "--explain"))["funnel"] != expected["funnel"]
    for engine in ("python", "auto"):
        ran = run_cli("report", str(RULESET), str(leads), "--as-of-field", "signed_at", "--format", "json",
                      "--engine", engine)
        assert ran.exit_code == 0, ran.stderr
        report = json.loads(ran.stdout)
        assert (report["as_of"], report["as_of_field"], report["engine"]) == (None, "signed_at", "python")
        assert _as_lists(report) == expected
    page = run_cli("report", str(RULESET), str(leads), "--as-of-field", "signed_at")
    assert page.exit_code == 0
    assert "each record evaluated as of its own <code>signed_at</code>" in page.stdout


@pytest.mark.parametrize("options, message", [
    (["--as-of-field", "signed_at", "--engine", "duckdb"], "--as-of-field needs --engine python (or auto)"),
    (["--as-of-field", "signed_at", "--as-of", AS_OF_TEXT], "--as-of and --as-of-field exclude each other"),
    (["--as-of-field", "signed_at", "--compare", "OTHER"], "--compare and --as-of-field exclude each other"),
], ids=["duckdb", "as-of", "compare"])
def test_option_clashes_are_usage_errors(options: list[str], message: str, tmp_path: Path, other_rules: Path,
                                         run_cli: Callable[..., Any]) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": "1"}\n', encoding="utf-8")
    options = [str(other_rules) if option == "OTHER" else option for option in options]
    ran = run_cli("report", str(RULESET), str(leads), *options)
    assert ran.exit_code == 2 and ran.stdout == ""
    assert ran.stderr.endswith(f"Error: {message}\n")
    # eval says the same of the same options
    if "--compare" not in options:
        assert run_cli("eval", str(RULESET), str(leads), *options).stderr.endswith(f"Error: {message}\n")


def test_compare_needs_a_leads_file(other_rules: Path, run_cli: Callable[..., Any]) -> None:
    ran = run_cli("report", str(RULESET), "-", "--compare", str(other_rules))
    assert ran.exit_code == 2
    assert ran.stderr.endswith("Error: --compare reads LEADS once per ruleset: give a file, not standard input\n")


def test_compare_with_a_broken_ruleset_exits_1(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    broken = tmp_path / "broken.rules"
    broken.write_text('ruleset "x" version "1"\nfield a: integer\nstage S if b > 1\n', encoding="utf-8")
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": "1"}\n', encoding="utf-8")
    ran = run_cli("report", str(RULESET), str(leads), "--compare", str(broken), "--format", "json")
    assert ran.exit_code == 1 and ran.stdout == ""
    assert "broken.rules:3" in ran.stderr

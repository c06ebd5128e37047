"""`leadrules report`: every number equals a count made here from `eval --explain` output, both
engines give the same numbers, the HTML parses and asks for nothing outside the file, and the
command's exit statuses are eval's."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import html5lib
import pytest
from report_leads import AS_OF_TEXT, HOSTILE_ID, write_leads

from leadrules import model as m
from leadrules.engine.python.explain import _clause_text, _clauses
from leadrules.workspace import load_file

REPO = Path(__file__).resolve().parents[2]
RULESETS = sorted((REPO / "rulesets").glob("*.rules"))
COUNT = 500


def _ranked(counts: Counter[str]) -> list[list[Any]]:
    return [[k, v] for k, v in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _clause_of(model: m.CheckedModel, stage: str, lacking: str) -> str:
    """The criterion clause a ledger's `lacks` entry (`text (values)`) is about."""
    texts = [_clause_text(c, model) for c in _clauses(model.criteria[stage].condition)]
    found = [t for t in texts if lacking == t or lacking.startswith(t + " (")]
    assert found, (lacking, texts)
    return max(found, key=len)


def expected_report(model: m.CheckedModel, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's numbers counted straight from `eval --explain` records."""
    valid = [r for r in records if "error" not in r]
    invalid = [r for r in records if "error" in r]
    by_field: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in invalid:
        by_field[r["error"]["field"] or "(record)"].append(r)
    stages = Counter(r["stage"] for r in valid)
    funnel, previous = [], None
    for index, stage in enumerate(model.stages):
        reached = sum(stages[s] for s in model.stages[index:])
        funnel.append({"stage": stage, "count": stages[stage], "reached": reached,
                       "conversion": round(reached / previous, 4) if previous else None})
        previous = reached
    funnel.append({"stage": "Disqualified", "count": stages["Disqualified"], "reached": stages["Disqualified"],
                   "conversion": None})
    columns = [*model.stages, "Disqualified"]
    bands = []
    for name, band in model.bands.items():
        cells = Counter((r["bands"][name] if r["bands"][name] is not None else "(none)", r["stage"]) for r in valid)
        labels = [e.label for e in band.entries] + (["(none)"] if any(k[0] == "(none)" for k in cells) else [])
        bands.append({"band": name, "stages": columns,
                      "rows": {label: [cells[(label, s)] for s in columns] for label in labels}})
    held: dict[str, dict[str, Any]] = {}
    for r in valid:
        nxt = r["explain"]["next_stage"]
        if nxt is None:
            continue
        entry = held.setdefault(nxt["stage"], {"leads": 0, "clauses": Counter(), "blocked_by": Counter()})
        entry["leads"] += 1
        entry["clauses"].update(_clause_of(model, nxt["stage"], text) for text in nxt["lacks"])
        entry["blocked_by"].update(nxt["blocked_by"])
    return {
        "records": len(records), "valid": len(valid), "invalid": len(invalid),
        "invalid_fields": [
            {"field": name, "count": len(by_field[name]),
             "examples": [{"record": r["error"]["record"], "id": r.get("id"), "message": r["error"]["message"]}
                          for r in by_field[name][:3]]}
            for name, _ in _ranked(Counter({k: len(v) for k, v in by_field.items()}))
        ],
        "funnel": funnel,
        "reasons": _ranked(Counter(code for r in valid for code in r["reasons"])),
        "blocked": _ranked(Counter(code for r in valid for code in r["blocked"])),
        "routes": {stage: _ranked(Counter(r["route"] or "(no route)" for r in valid if r["stage"] == stage))
                   for stage in model.stages if stage in model.routes},
        "scores": [
            {"score": name, "values": sorted([v, c] for v, c in Counter(r["scores"][name] for r in valid).items()),
             "boundaries": [{"band": b.name, "label": e.label, "low": float(e.low)}
                            for b in model.bands.values() if b.score == name for e in b.entries if e.low is not None]}
            for name in model.scores
        ],
        "bands": bands,
        "held_back": [{"stage": s, "leads": held[s]["leads"], "clauses": _ranked(held[s]["clauses"]),
                       "blocked_by": _ranked(held[s]["blocked_by"])} for s in model.stages if s in held],
    }


def _as_lists(report: dict[str, Any]) -> dict[str, Any]:
    """The JSON report with its ranked objects as [key, count] lists (their order is part of it)."""
    shaped = dict(report)
    for key in ("reasons", "blocked"):
        shaped[key] = [[k, v] for k, v in report[key].items()]
    shaped["routes"] = {stage: [[k, v] for k, v in targets.items()] for stage, targets in report["routes"].items()}
    shaped["held_back"] = [{**h, "clauses": [[k, v] for k, v in h["clauses"].items()],
                            "blocked_by": [[k, v] for k, v in h["blocked_by"].items()]} for h in report["held_back"]]
    shaped["scores"] = [{**s, "boundaries": [{**b, "low": float(b["low"])} for b in s["boundaries"]]}
                        for s in report["scores"]]
    for key in ("ruleset", "version", "as_of", "as_of_field", "engine", "compare"):
        shaped.pop(key)
    return shaped


@pytest.fixture(params=RULESETS, ids=lambda p: p.stem)
def case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, m.CheckedModel, Path]:
    ruleset: Path = request.param
    model = load_file(ruleset).model
    assert model is not None
    return ruleset, model, write_leads(tmp_path / "leads.jsonl", model, COUNT)


def test_every_number_equals_a_count_of_eval_output(case: tuple[Path, m.CheckedModel, Path], tmp_path: Path,
                                                    run_cli: Callable[..., Any]) -> None:
    ruleset, model, leads = case
    results = tmp_path / "results.jsonl"
    evaluated = run_cli("eval", str(ruleset), str(leads), "--as-of", AS_OF_TEXT, "--explain", "-q", "-o", str(results))
    assert evaluated.exit_code == 3  # the generated leads include invalid records
    records = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert len(records) == COUNT
    expected = expected_report(model, records)
    assert expected["invalid"] > 0 and expected["held_back"]
    reports = {}
    for engine in ("python", "duckdb"):
        ran = run_cli("report", str(ruleset), str(leads), "--as-of", AS_OF_TEXT, "--format", "json",
                      "--engine", engine)
        assert ran.exit_code == 0, ran.stderr
        assert ran.stderr == ""
        reports[engine] = json.loads(ran.stdout)
        assert reports[engine]["engine"] == engine
        assert reports[engine]["ruleset"] == model.name and reports[engine]["as_of"] == AS_OF_TEXT
        assert _as_lists(reports[engine]) == expected
    assert {**reports["python"], "engine": ""} == {**reports["duckdb"], "engine": ""}


def test_json_escapes_every_character_that_could_reach_a_terminal_raw(
        case: tuple[Path, m.CheckedModel, Path], run_cli: Callable[..., Any]) -> None:
    ruleset, _, leads = case
    ran = run_cli("report", str(ruleset), str(leads), "--as-of", AS_OF_TEXT, "--format", "json")
    assert ran.exit_code == 0
    assert ran.stdout.isascii() and "\x1b" not in ran.stdout
    ids = [e["id"] for f in json.loads(ran.stdout)["invalid_fields"] for e in f["examples"]]
    assert any(isinstance(i, str) and i.startswith(HOSTILE_ID) for i in ids)


def _elements(document: Any, name: str) -> list[Any]:
    return list(document.iter(f"{{http://www.w3.org/1999/xhtml}}{name}"))


def test_html_is_one_self_contained_page(case: tuple[Path, m.CheckedModel, Path], tmp_path: Path,
                                         run_cli: Callable[..., Any]) -> None:
    ruleset, model, leads = case
    page = tmp_path / "report.html"
    ran = run_cli("report", str(ruleset), str(leads), "--as-of", AS_OF_TEXT, "-o", str(page))
    assert ran.exit_code == 0 and ran.stdout == "" and ran.stderr == ""
    text = page.read_text(encoding="utf-8")
    parser = html5lib.HTMLParser(strict=True)
    document = parser.parse(text)  # strict: a parse error raises
    assert _elements(document, "script") == []
    for element in document.iter():
        for attribute in ("src", "href", "{http://www.w3.org/1999/xlink}href"):
            value = element.get(attribute)
            assert value is None or not value.lower().startswith(("http:", "https:", "//")), (element.tag, value)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    # the charts are inline SVG: the funnel, the reasons and one histogram per score
    svgs = list(document.iter("{http://www.w3.org/2000/svg}svg"))
    assert len(svgs) == 2 + len(model.scores)
    # the hostile id from the lead data is text, shown with its control characters escaped
    assert HOSTILE_ID not in text
    assert "&lt;script src=" in text and "\\x1b[31m\\u202e" in text
    # stdout without -o is the same page
    again = run_cli("report", str(ruleset), str(leads), "--as-of", AS_OF_TEXT)
    assert again.stdout == text


def test_exit_statuses(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    broken = tmp_path / "broken.rules"
    broken.write_text('ruleset "x" version "1"\nfield a: integer\nstage S if b > 1\n', encoding="utf-8")
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": "1", "a": 1}\n', encoding="utf-8")
    assert run_cli("report", str(broken), str(leads)).exit_code == 1
    ruleset = str(RULESETS[0])
    missing = run_cli("report", ruleset, str(tmp_path / "nope.jsonl"), "--format", "json")
    assert missing.exit_code == 2
    assert missing.stderr == f"leadrules: error: {tmp_path / 'nope.jsonl'}: no such file\n"
    folder = run_cli("report", ruleset, str(leads), "-o", str(tmp_path))
    assert folder.exit_code == 2
    assert folder.stderr == f"leadrules: error: {tmp_path}: is a directory (-o takes a file name)\n"
    parquet = run_cli("report", ruleset, str(tmp_path / "leads.parquet"), "--engine", "python")
    assert parquet.exit_code == 2
    assert parquet.stderr.endswith("Parquet input needs the DuckDB engine (--engine duckdb or auto)\n")


def test_standard_input_gives_the_numbers_of_the_file(tmp_path: Path) -> None:
    ruleset = RULESETS[0]
    model = load_file(ruleset).model
    assert model is not None
    leads = write_leads(tmp_path / "leads.jsonl", model, 200)
    command = [sys.executable, "-m", "leadrules", "report", str(ruleset), "--as-of", AS_OF_TEXT, "--format", "json"]
    from_file = subprocess.run([*command[:5], str(leads), *command[5:], "--engine", "python"],
                               capture_output=True, text=True, check=False)
    with leads.open("rb") as stdin:
        from_stdin = subprocess.run([*command[:5], "-", *command[5:], "--engine", "duckdb"], stdin=stdin,
                                    capture_output=True, text=True, check=False)
    assert (from_file.returncode, from_stdin.returncode) == (0, 0), from_file.stderr + from_stdin.stderr
    assert {**json.loads(from_file.stdout), "engine": ""} == {**json.loads(from_stdin.stdout), "engine": ""}


@pytest.mark.parametrize("lines, records, invalid", [([], 0, 0), (["[1]", '"x"'], 2, 2)], ids=["empty", "all-invalid"])
def test_inputs_without_valid_leads(lines: list[str], records: int, invalid: int, tmp_path: Path,
                                    run_cli: Callable[..., Any]) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    ruleset = REPO / "rulesets" / "fit_engagement.rules"
    reports = []
    for engine in ("python", "duckdb"):
        ran = run_cli("report", str(ruleset), str(leads), "--as-of", AS_OF_TEXT, "--format", "json", "--engine", engine)
        assert ran.exit_code == 0, ran.stderr
        reports.append({**json.loads(ran.stdout), "engine": ""})
    assert reports[0] == reports[1]
    report = reports[0]
    assert (report["records"], report["valid"], report["invalid"]) == (records, 0, invalid)
    assert [(s["stage"], s["count"], s["conversion"]) for s in report["funnel"]] == [
        ("Lead", 0, None), ("MQL", 0, None), ("SQL", 0, None), ("Disqualified", 0, None)]
    assert report["held_back"] == [] and report["reasons"] == {} and report["routes"] == {"MQL": {}, "SQL": {}}
    expected_invalid = [] if not invalid else [{"field": "(record)", "count": 2, "examples": [
        {"record": 1, "id": 1, "message": "expected a JSON object, found an array"},
        {"record": 2, "id": 2, "message": "expected a JSON object, found a string"}]}]
    assert report["invalid_fields"] == expected_invalid


HOSTILE_RULES = '''ruleset "<b>x</b>" version "1"
field plan: one of ["a</text><script>alert(1)</script>", "b"]
field size: integer
score fit:
    +10 if plan == "a</text><script>alert(1)</script>"
    +5 if size > 10
band grade of fit:
    "<img src=https://evil.example/i.png>" from 10
    "low\\u202e" to 10
stages Lead -> MQL
stage MQL if grade == "<img src=https://evil.example/i.png>"
route MQL:
    otherwise to "<a href=\\"https://evil.example\\">q</a>"
'''


def test_rule_file_text_is_escaped_in_the_page_and_its_charts(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    ruleset = tmp_path / "hostile.rules"
    ruleset.write_text(HOSTILE_RULES, encoding="utf-8")
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": "1", "plan": "a</text><script>alert(1)</script>", "size": 20}\n'
                     '{"id": "2", "plan": "b", "size": 1}\n', encoding="utf-8")
    page = tmp_path / "report.html"
    ran = run_cli("report", str(ruleset), str(leads), "--as-of", AS_OF_TEXT, "-o", str(page))
    assert ran.exit_code == 0, ran.stderr
    text = page.read_text(encoding="utf-8")
    document = html5lib.HTMLParser(strict=True).parse(text)
    assert _elements(document, "script") == [] and _elements(document, "img") == [] and _elements(document, "a") == []
    assert list(document.iter("{http://www.w3.org/2000/svg}script")) == []
    assert "<script" not in text and "<img" not in text and "<a href" not in text
    assert "&lt;img src=https://evil.example/i.png&gt;" in text and "low\\u202e" in text
    assert len(list(document.iter("{http://www.w3.org/2000/svg}svg"))) == 2  # funnel and the fit histogram


def test_events_file_gives_the_numbers_of_eval_with_it(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    ruleset = REPO / "rulesets" / "score_grade.rules"
    model = load_file(ruleset).model
    assert model is not None
    inline = write_leads(tmp_path / "inline.jsonl", model, 300)
    leads, events = tmp_path / "leads.jsonl", ["lead_id,type,at"]
    with leads.open("w", encoding="utf-8") as out:
        for line in inline.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if isinstance(record, dict) and isinstance(record.get("id"), str) and record["id"].startswith("L"):
                events += [f"{record['id']},{e['type']},{e['at']}" for e in record.pop("events")]
            out.write(json.dumps(record) + "\n")
    (tmp_path / "events.csv").write_text("\n".join(events) + "\n", encoding="utf-8")
    results = tmp_path / "results.jsonl"
    ran = run_cli("eval", str(ruleset), str(leads), "--events", str(tmp_path / "events.csv"), "--as-of", AS_OF_TEXT,
                  "--explain", "-q", "-o", str(results))
    assert ran.exit_code == 3
    expected = expected_report(model, [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()])
    assert sum(step["count"] for step in expected["funnel"][1:-1]) > 0  # events lift some leads past the first stage
    for engine in ("python", "duckdb"):
        ran = run_cli("report", str(ruleset), str(leads), "--events", str(tmp_path / "events.csv"),
                      "--as-of", AS_OF_TEXT, "--format", "json", "--engine", engine)
        assert ran.exit_code == 0, ran.stderr
        assert _as_lists(json.loads(ran.stdout)) == expected

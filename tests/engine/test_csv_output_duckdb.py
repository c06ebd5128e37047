"""`eval --engine duckdb --format csv` writes its lines with one COPY (cells built in SQL, the
Python engine's lines merged in input order); the bytes must be exactly those of the Python
engine's CSV writer: quoting, doubled quotes, newlines inside cells, empty strings, unicode,
`;`-joined lists, `true`/`false`, numbers in plain notation, error records in their place."""

from __future__ import annotations

import csv
import io
import json
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import AS_OF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intake_helpers import eval_with

from leadrules import model as m
from leadrules.batch import run_detailed
from leadrules.engine.python import compile_model
from leadrules.io.leads import WRITERS, read_leads
from leadrules.workspace import load_file

RULESETS = sorted((Path(__file__).resolve().parents[2] / "rulesets").glob("*.rules"))

# Labels a CSV writer must quote: a comma, a quote, a newline; and ones it must not touch.
LABELS_RULES = r'''ruleset "csv-cells" version "1"
field company: text
field employees: integer in 1..100000
field revenue: number optional
field role: one of ["engineer", "manager", "student"]
score fit:
    +12.5 if role == "manager"
    +20 if employees >= 100
    -0.25 if company == "acme"
    +0.000001 if revenue >= 1000000
band grade of fit:
    "A, top" from 30
    "B \"mid\"" from 10
    "C\nlow" to 10
band plain of fit:
    " spaced " from 20
    "" to 20
disqualify STUDENT "Student" if role == "student"
disqualify SMALL "Small" at MQL if employees < 5
stages Lead -> MQL
stage MQL if fit >= 20
route MQL:
    to "sales, \"east\"" if employees >= 1000
    to "é\u2028x" if employees >= 500
    otherwise to "nurture"
'''


def _model(path: Path) -> m.CheckedModel:
    loaded = load_file(path)
    assert loaded.model is not None, loaded.diagnostics
    return loaded.model


def _labels_model() -> m.CheckedModel:
    with tempfile.TemporaryDirectory() as folder:
        rules = Path(folder) / "csv_cells.rules"
        rules.write_text(LABELS_RULES, encoding="utf-8")
        return _model(rules)


def _python_csv(model: m.CheckedModel, leads: Path) -> str:
    """What `eval --engine python --format csv` writes, in process."""
    stream = io.StringIO()
    writer = WRITERS["csv"](stream, model)
    with read_leads(str(leads), model) as records:
        for record in compile_model(model).evaluate_many(records, AS_OF):
            writer.write(record)
    writer.close()
    return stream.getvalue()


def _duckdb_csv(model: m.CheckedModel, leads: Path, out: Path) -> tuple[str, int | None]:
    """The DuckDB engine's CSV file (bytes decoded strictly) and how many records the Python
    engine evaluated for it (None: the whole file went through the Python readers)."""
    details = run_detailed(model, str(leads), None, AS_OF, "csv", str(out))
    return out.read_bytes().decode("utf-8"), details.python_records


def _lead(lead_id: Any, number: int) -> dict[str, Any]:
    return {"id": lead_id, "company": "acme" if number % 4 == 0 else f"c{number}",
            "employees": [3, 50, 150, 700, 2000][number % 5], "revenue": 1_500_000 if number % 3 == 0 else None,
            "role": ["engineer", "manager", "student"][number % 3 if number % 7 else 1]}


# ids that need quoting in a CSV cell, that look like they might, and that must stay as they are
TRICKY_IDS: list[Any] = [
    "a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\n", " lead ", "", "é→ü", "line\u2028sep", "para\u2029",
    "semi;colon", "tab\there", '"', ",", "\n", "x\x1fy", "nul-free\x01", "-0", "1e5", 7, -12, 12345678901234,
]


def test_labels_and_tricky_ids_are_the_python_engines_bytes(tmp_path: Path) -> None:
    model = _labels_model()
    leads = tmp_path / "leads.jsonl"
    lines = [json.dumps(_lead(lead_id, n)) for n, lead_id in enumerate(TRICKY_IDS * 3, 1)]
    lines.insert(5, '{"id": "bad, \\"one\\"", "company": "x", "employees": "many", "role": "engineer"}')
    lines.insert(9, "{not json")
    lines.insert(12, '{"company": "no id", "employees": 5000, "role": "manager"}')
    leads.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = _python_csv(model, leads)
    actual, python_records = _duckdb_csv(model, leads, tmp_path / "out.csv")
    assert actual == expected
    # SQL built most lines: only ids that are not plain JSON text and the invalid records fell back
    assert python_records is not None and python_records < len(lines) // 2
    # the reference bytes: quoted cells, doubled quotes, raw newlines inside quotes, a bare CR,
    # spaces and U+2028 untouched, plain-notation numbers, the error record in its place
    assert expected.startswith(
        "id,stage,disqualified,reasons,blocked,route,score.fit,band.grade,band.plain,error\n"
        '"a,b",Lead,false,,,,12.5,"B ""mid""",,\n'
        '"say ""hi""",Disqualified,true,STUDENT,,,20,"B ""mid""", spaced ,\n'
        '"two\nlines",MQL,false,,,é\u2028x,20.000001,"B ""mid""", spaced ,\n'
        'cr\rhere,MQL,false,,,"sales, ""east""",32.25,"A, top", spaced ,\n'
        '"crlf\r\n",Disqualified,true,STUDENT,SMALL,,0,"C\nlow",,\n'
        '"bad, ""one""",,,,,,,,,"employees: expected an integer in 1..100000, found ""many"""\n'
        ' lead ,Lead,false,,,,0.000001,"C\nlow",,\n'
        ",MQL,false,,,nurture,32.5,\"A, top\", spaced ,\n")



def test_csv_input_with_tricky_ids(tmp_path: Path) -> None:
    model = _labels_model()
    leads = tmp_path / "leads.csv"
    with open(leads, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "company", "employees", "revenue", "role"])
        for n, lead_id in enumerate(TRICKY_IDS, 1):
            lead = _lead(lead_id, n)
            writer.writerow([lead_id, lead["company"], lead["employees"] if n % 11 else "x",
                             "" if lead["revenue"] is None else "1000000.5", lead["role"]])
    expected = _python_csv(model, leads)
    actual, python_records = _duckdb_csv(model, leads, tmp_path / "out.csv")
    assert actual == expected
    assert python_records is not None


_ID_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(st.one_of(_ID_TEXT, st.sampled_from(TRICKY_IDS), st.integers(-10**15, 10**15)),
                    min_size=1, max_size=12))
def test_generated_ids_are_the_python_engines_bytes(ids: list[Any]) -> None:
    model = _labels_model()
    with tempfile.TemporaryDirectory() as folder:
        leads = Path(folder) / "leads.jsonl"
        leads.write_text("".join(json.dumps(_lead(lead_id, n)) + "\n" for n, lead_id in enumerate(ids, 1)),
                         encoding="utf-8")
        expected = _python_csv(model, leads)
        actual, _ = _duckdb_csv(model, leads, Path(folder) / "out.csv")
    assert actual == expected


def _value(fld: m.Field, rng: random.Random) -> Any:
    """A value of the field's kind, now and then a wrong one (an invalid record)."""
    if rng.random() < 0.03:
        return rng.choice(["oops", -1, [], {"a": 1}, True])
    if fld.optional and rng.random() < 0.2:
        return rng.choice([None, "absent"])
    if fld.kind == "choice":
        return rng.choice(fld.choices)
    if fld.kind in ("integer", "number"):
        low = int(fld.low) if fld.low is not None else 0
        high = int(fld.high) if fld.high is not None else 10_000_000
        whole = rng.randint(low, high)
        return whole if fld.kind == "integer" or rng.random() < 0.5 else whole - 0.5 if whole > low else whole
    if fld.kind == "boolean":
        return rng.random() < 0.5
    if fld.kind == "email":
        return f"u{rng.randint(1, 99)}@{rng.choice(['gmail.com', 'acme.com', 'rivalcrm.com', 'shop.fr'])}"
    if fld.kind == "date":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if fld.kind == "timestamp":
        return f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}T10:00:00Z"
    return rng.choice(["software", "fintech", "GB", "US", "a, b", 'q"x', "é", ""])


def _generated_leads(model: m.CheckedModel, count: int, seed: int) -> str:
    rng = random.Random(seed)
    lines = []
    for number in range(1, count + 1):
        lead: dict[str, Any] = {"id": rng.choice([f"L{number}", number, f"L,{number}", f'L"{number}"'])}
        for name, fld in model.fields.items():
            value = _value(fld, rng)
            if value != "absent":
                lead[name] = value
        if model.events:
            lead["events"] = [{"type": rng.choice(list(model.events)),
                               "at": f"2026-11-{rng.randint(1, 21):02d}T09:00:00Z"} for _ in range(rng.randint(0, 4))]
        lines.append(json.dumps(lead))
        if number % 97 == 0:
            lines.append('{"id": "broken", ')
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rules", RULESETS, ids=lambda p: p.stem)
def test_rulesets_with_generated_leads(rules: Path, tmp_path: Path) -> None:
    model = _model(rules)
    leads = tmp_path / "leads.jsonl"
    leads.write_text(_generated_leads(model, 600, seed=len(rules.stem)), encoding="utf-8")
    expected = _python_csv(model, leads)
    actual, _ = _duckdb_csv(model, leads, tmp_path / "out.csv")
    assert actual == expected
    rows = list(csv.reader(io.StringIO(expected)))
    assert len(rows) == 1 + 600 + 600 // 97
    assert sum(row[-1] != "" for row in rows[1:]) >= 600 // 97  # error records are in the output


@pytest.mark.parametrize("rules", RULESETS[:1], ids=lambda p: p.stem)
def test_cli_stdout_and_output_file_are_the_python_engines(rules: Path, tmp_path: Path) -> None:
    model = _model(rules)
    leads = tmp_path / "leads.jsonl"
    leads.write_text(_generated_leads(model, 300, seed=7), encoding="utf-8")
    python_run = eval_with("python", rules, leads, "--format", "csv")
    assert python_run.returncode == 3 and python_run.stdout.startswith("id,stage,")
    duckdb_run = eval_with("duckdb", rules, leads, "--format", "csv")
    assert (duckdb_run.returncode, duckdb_run.stdout, duckdb_run.stderr) == (3, python_run.stdout,
                                                                              python_run.stderr)
    dash_run = eval_with("duckdb", rules, leads, "--format", "csv", "-o", "-")
    assert dash_run.stdout == python_run.stdout
    out = tmp_path / "out.csv"
    file_run = eval_with("duckdb", rules, leads, "--format", "csv", "-o", str(out))
    assert (file_run.returncode, file_run.stdout) == (3, "")
    assert out.read_bytes() == python_run.stdout.encode("utf-8")

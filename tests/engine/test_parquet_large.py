"""`--format parquet` past one fetch batch (50,000 records): every record, in input order, the
same as the Python engine's, error records and records the Python engine evaluates included.
It used to fail with `IndexError` after the first 50,000 records."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from intake_helpers import eval_with, records

RECORDS = 60_000

RULES = '''ruleset "parquet-large" version "1"
field email: email
field employees: integer in 1..100000
field role: one of ["engineer", "manager", "student"]
field unsubscribed: boolean
score fit:
    +12.5 if role == "manager"
    +20 if employees >= 100
    -0.25 if email.domain == "gmail.com"
band grade of fit:
    "A" from 30
    "B" to 30
disqualify STUDENT "Student" if role == "student"
disqualify OPTED_OUT "Opted out" at MQL if unsubscribed
stages Lead -> MQL
stage MQL if fit >= 20
route MQL:
    to "sales" if employees >= 1000
    otherwise to "nurture"
'''


def _row(number: int) -> list[str]:
    """Mostly valid leads; every 997th has a bad count, every 1009th no role; ids are text,
    some with quotes and a line separator, some empty (the record number is the id)."""
    lead_id = "" if number % 101 == 0 else (f'L"{number}"\u2028x' if number % 211 == 0 else f"L{number}")
    employees = "many" if number % 997 == 0 else str((number * 37) % 3000 + 1)
    role = "" if number % 1009 == 0 else ["engineer", "manager", "student"][number % 3 if number % 7 else 1]
    email = f"u{number}@{'gmail.com' if number % 5 == 0 else 'acme.com'}"
    return [lead_id, email, employees, role, "true" if number % 13 == 0 else "false"]


def _parquet_row(record: dict[str, Any]) -> tuple[Any, ...]:
    """An output record as `--format parquet` holds it: a string id as itself, another id
    (the record number) as its JSON text."""
    shown = record["id"] if isinstance(record["id"], str) else json.dumps(record["id"])
    if "error" in record:
        return (shown, None, None, None, None, None, None, None, record["error"]["message"])
    return (shown, record["stage"], record["disqualified"], record["reasons"], record["blocked"], record["route"],
            Decimal(str(record["scores"]["fit"])), record["bands"]["grade"], None)


def _rules_and_leads(folder: Path, count: int) -> tuple[Path, Path]:
    """The ruleset and `count` leads of `_row` as CSV, written in `folder`."""
    rules = folder / "large.rules"
    rules.write_text(RULES, encoding="utf-8")
    leads = folder / "leads.csv"
    with open(leads, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "email", "employees", "role", "unsubscribed"])
        writer.writerows(_row(number) for number in range(1, count + 1))
    return rules, leads


def test_parquet_output_of_60000_records_is_the_python_engines(tmp_path: Path) -> None:
    rules, leads = _rules_and_leads(tmp_path, RECORDS)

    python_run = eval_with("python", rules, leads)
    assert python_run.returncode == 3  # some records are invalid
    expected = records(python_run.stdout)
    assert len(expected) == RECORDS
    assert sum("error" in r for r in expected) == 60 + 59  # the 997ths and the 1009ths
    assert expected[100]["id"] == 101 and expected[210]["id"] == 'L"211"\u2028x'
    assert {r["scores"]["fit"] for r in expected if "error" not in r} >= {12.25, 32.5, -0.25}

    out = tmp_path / "out.parquet"
    run = eval_with("duckdb", rules, leads, "--format", "parquet", "-o", str(out))
    assert (run.returncode, run.stdout, run.stderr) == (3, "", "")
    con = duckdb.connect()
    try:
        rows = con.execute("SELECT * FROM read_parquet(?)", [str(out)]).fetchall()
    finally:
        con.close()
    assert len(rows) == RECORDS
    assert rows == [_parquet_row(r) for r in expected]


def test_parquet_input_in_many_row_groups_keeps_each_record_in_its_place(tmp_path: Path) -> None:
    # the leads as Parquet in row groups of 1,000 (read in parallel; each row's number comes from
    # the file) give the records the Python engine gives on the same leads as JSON Lines
    rules, leads = _rules_and_leads(tmp_path, 30_000)
    typed = (f"SELECT NULLIF(id, '') AS id, email, TRY_CAST(employees AS BIGINT) AS employees, "
             f"NULLIF(role, '') AS role, CAST(unsubscribed AS BOOLEAN) AS unsubscribed "
             f"FROM read_csv('{leads}', all_varchar = true)")
    parquet, jsonl = tmp_path / "leads.parquet", tmp_path / "leads.jsonl"
    con = duckdb.connect()
    try:
        con.execute(f"COPY ({typed}) TO '{parquet}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000)")
        con.execute(f"COPY ({typed}) TO '{jsonl}' (FORMAT JSON)")
    finally:
        con.close()
    python_run = eval_with("python", rules, jsonl)
    run = eval_with("duckdb", rules, parquet)
    assert run.returncode == python_run.returncode == 3  # missing counts and roles
    assert run.stdout == python_run.stdout
    assert len(records(run.stdout)) == 30_000

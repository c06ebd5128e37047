"""Cancelling arithmetic in SQL: `x - x`, `0 * x` are NULL when x is NULL (spec section 9)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from leadrules.engine.sql import export_sql
from sql.helpers import duckdb_output, load_model, python_output, write_jsonl
from trust_texts import CANCELLING, CANCELLING_LEADS, CANCELLING_OUTCOMES

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)

def _rules(tmp_path: Path) -> Path:
    path = tmp_path / "cancel.rules"
    path.write_text(CANCELLING, encoding="utf-8")
    return path


def test_duckdb_engine_treats_cancelling_arithmetic_as_unknown(tmp_path: Path) -> None:
    model = load_model(_rules(tmp_path))
    leads = write_jsonl(tmp_path / "leads.jsonl", CANCELLING_LEADS)
    duckdb_text, _ = duckdb_output(model, leads, None, AS_OF, "jsonl", tmp_path / "out.jsonl")
    records = [json.loads(line) for line in duckdb_text.splitlines()]
    assert [(r["id"], r["stage"], r["reasons"]) for r in records] == CANCELLING_OUTCOMES
    assert duckdb_text == python_output(model, leads, None, AS_OF)


def test_exported_duckdb_sql_treats_cancelling_arithmetic_as_unknown(tmp_path: Path) -> None:
    sql = export_sql(load_model(_rules(tmp_path)), "duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE leads (id VARCHAR, employees BIGINT, visits BIGINT, size BIGINT)")
    con.executemany("INSERT INTO leads VALUES (?, ?, ?, ?)",
                    [[lead["id"], lead.get("employees"), lead.get("visits"), lead["size"]] for lead in CANCELLING_LEADS])
    con.execute('CREATE TABLE events (lead_id VARCHAR, type VARCHAR, "at" TIMESTAMP)')
    cursor = con.execute(sql, {"as_of": dt.datetime(2026, 11, 22)})
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    got = sorted((r["id"], r["stage"], list(r["reasons"])) for r in rows)
    assert got == sorted(CANCELLING_OUTCOMES)

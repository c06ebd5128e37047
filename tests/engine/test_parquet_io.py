"""Parquet in and out: the spec's worked example as a Parquet file gives the records the Python
engine gives on its JSON Lines, whether `events` is a list of structs (what DuckDB or a
dataframe writes from JSON) or JSON text; `--format parquet` holds the same records."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from intake_helpers import eval_with, records

LEADS_COLUMNS = ("{'id': 'VARCHAR', 'email': 'VARCHAR', 'role': 'VARCHAR', 'industry': 'VARCHAR', "
                 "'employees': 'BIGINT', 'country': 'VARCHAR', 'unsubscribed': 'BOOLEAN', 'events': 'JSON'}")

# How a user would have turned the JSON Lines file into Parquet, one query per shape of `events`.
SHAPES = {
    # DuckDB's own guess: events as STRUCT(type VARCHAR, at TIMESTAMP WITH TIME ZONE)[]
    "structs_with_timestamps": "SELECT * FROM read_json_auto('{leads}')",
    # events as STRUCT(type VARCHAR, at VARCHAR)[]: the timestamps as the text they were
    "structs_with_text": ("SELECT * REPLACE (CAST(events AS STRUCT(\"type\" VARCHAR, \"at\" VARCHAR)[]) AS events) "
                          "FROM read_json('{leads}', columns=" + LEADS_COLUMNS + ")"),
    # events kept as JSON text in a VARCHAR column
    "json_text": ("SELECT * REPLACE (CAST(events AS VARCHAR) AS events) FROM read_json('{leads}', columns="
                  + LEADS_COLUMNS + ")"),
    # an undeclared column named as the row number DuckDB adds to a Parquet read
    "column_named_file_row_number": "SELECT *, 7 AS file_row_number FROM read_json_auto('{leads}')",
}


def write_parquet(query: str, leads: Path, target: Path) -> Path:
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"COPY ({query.replace('{leads}', str(leads))}) TO '{target}' (FORMAT PARQUET)")
    finally:
        con.close()
    return target


@pytest.fixture
def expected_jsonl(examples: Path) -> str:
    run = eval_with("python", examples / "projectflow.rules", examples / "projectflow.leads.jsonl")
    assert run.returncode == 3  # L8 and L9 are invalid
    assert records(run.stdout)[0]["scores"] == {"engagement": 30, "fit": 100}
    return run.stdout


@pytest.mark.parametrize("shape", list(SHAPES))
def test_parquet_input_gives_the_records_of_the_jsonl_input(
        examples: Path, tmp_path: Path, expected_jsonl: str, shape: str) -> None:
    leads = write_parquet(SHAPES[shape], examples / "projectflow.leads.jsonl", tmp_path / "leads.parquet")
    for engine in ("duckdb", "auto"):
        run = eval_with(engine, examples / "projectflow.rules", leads)
        assert (run.returncode, run.stderr) == (3, ""), engine
        assert run.stdout == expected_jsonl, engine
    l1 = records(expected_jsonl)[0]
    assert (l1["id"], l1["stage"], l1["scores"]["engagement"]) == ("L1", "MQL", 30)


def parquet_rows(path: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
    finally:
        con.close()


def as_parquet_row(record: dict[str, Any]) -> tuple[Any, ...]:
    """An output record as `--format parquet` holds it (section 9's CSV columns, typed)."""
    if "error" in record:
        return (record["id"], None, None, None, None, None, None, None, None, record["error"]["message"])
    scores = record["scores"]
    return (record["id"], record["stage"], record["disqualified"], record["reasons"], record["blocked"],
            record["route"], Decimal(str(scores["engagement"])), Decimal(str(scores["fit"])),
            record["bands"]["grade"], None)


@pytest.mark.parametrize("source", ["jsonl", "parquet"])
def test_parquet_output_holds_the_records_of_the_jsonl_output(
        examples: Path, tmp_path: Path, expected_jsonl: str, source: str) -> None:
    leads = examples / "projectflow.leads.jsonl"
    if source == "parquet":
        leads = write_parquet(SHAPES["structs_with_timestamps"], leads, tmp_path / "leads.parquet")
    engines = ("duckdb", "auto")
    for engine in engines:
        out = tmp_path / f"out.{engine}.parquet"
        run = eval_with(engine, examples / "projectflow.rules", leads, "--format", "parquet", "-o", str(out))
        assert (run.returncode, run.stdout, run.stderr) == (3, "", ""), engine
        assert parquet_rows(out) == [as_parquet_row(r) for r in records(expected_jsonl)], engine


def test_python_engine_refuses_parquet_in_and_out(examples: Path, tmp_path: Path) -> None:
    leads = write_parquet(SHAPES["json_text"], examples / "projectflow.leads.jsonl", tmp_path / "leads.parquet")
    for options in ((str(leads),), (str(examples / "projectflow.leads.jsonl"), "--format", "parquet", "-o",
                                    str(tmp_path / "out.parquet"))):
        run = eval_with("python", examples / "projectflow.rules", *options)
        assert (run.returncode, run.stdout) == (2, "")
        assert run.stderr.endswith(
            "Error: Parquet input or output needs the DuckDB engine (--engine duckdb or auto)\n")
    assert not (tmp_path / "out.parquet").exists()

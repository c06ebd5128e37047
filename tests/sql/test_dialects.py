"""Per-dialect SQL for a small ruleset (sqlglot `validate_all` style: one input, the expected
fragment per dialect), rule strings that stay data in every dialect, and export errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from leadrules.engine.sql import export_sql

from .helpers import load_model

SMALL = '''ruleset "small" version "1"
field email: email
field employees: integer optional
event demo
score fit (min 0, max 100):
    +40 if employees >= 100
    +10 per demo in last 7 days (max 20)
band grade of fit:
    "A" from 40
    "B" to 40
disqualify competitor "Competitor" if email.domain in ["rival.io"]
disqualify tiny "Too small" at MQL if employees < 5
stages Lead -> MQL
stage MQL if fit >= 40
route MQL:
    otherwise to "sdr"
'''

# dialect → fragments the exported SQL must contain
GOLDEN = {
    "duckdb": [
        "CAST($as_of AS TIMESTAMP) AS as_of",
        "ev.\"at\" > p.as_of - INTERVAL '604800' SECOND",
        "LIST_FILTER(",
        "LAMBDA _u : NOT _u IS NULL",
        "CAST(GREATEST(",
        "AS DECIMAL(38, 6)) AS s0_fit",
    ],
    "postgres": [
        "CAST(%(as_of)s AS TIMESTAMP) AS as_of",
        "ev.at > p.as_of - INTERVAL '604800 SECOND'",
        "ARRAY_REMOVE(",
        "AS DECIMAL(38, 6)) AS s0_fit",
    ],
    "spark": [
        "CAST(:as_of AS TIMESTAMP) AS as_of",
        "ev.at > p.as_of - INTERVAL '604800' SECOND",
        "ARRAY_COMPACT(",
        "AS DECIMAL(38, 6)) AS s0_fit",
    ],
    "bigquery": [
        "CAST(@as_of AS TIMESTAMP) AS as_of",
        "ARRAY(",
        "UNNEST(",
        "AS lr_code WITH OFFSET AS lr_offset",
        "ORDER BY\n      lr_offset",
        "AS BIGNUMERIC) AS s0_fit",
    ],
    "snowflake": [
        "CAST($as_of AS TIMESTAMP) AS as_of",
        "ARRAY_COMPACT(",
        "AS DECIMAL(38, 6)) AS s0_fit",
    ],
}


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.rules"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.mark.parametrize("dialect", sorted(GOLDEN))
def test_golden_fragments(small: Path, dialect: str) -> None:
    sql = export_sql(load_model(small), dialect)
    for fragment in GOLDEN[dialect]:
        assert fragment in sql, f"{dialect}: missing {fragment!r}"
    # the output columns of section 5, one per score and band
    tree = sqlglot.parse_one(sql, read=dialect)
    assert tree.named_selects == ["id", "stage", "disqualified", "reasons", "blocked", "route", "score_fit", "band_grade"]


TRICKY = ["O'Brien", 'say "hi"', "back\\slash", "'; DROP TABLE leads; --", "é😀\u2028", "$as_of", "%(as_of)s", "@as_of"]


def _tricky_ruleset() -> str:
    from leadrules.jsontext import dumps

    labels = "\n".join(f"    to {dumps(t)} if company == {dumps(t)}" for t in TRICKY)
    return (
        'ruleset "tricky" version "1"\nfield company: text optional\n'
        f"stages Lead -> Won\nroute Lead:\n{labels}\n    otherwise to \"none\"\n"
    )


@pytest.mark.parametrize("dialect", sorted(GOLDEN))
def test_rule_strings_stay_literals(tmp_path: Path, dialect: str) -> None:
    path = tmp_path / "tricky.rules"
    path.write_text(_tricky_ruleset(), encoding="utf-8")
    sql = export_sql(load_model(path), dialect)
    tree = sqlglot.parse_one(sql, read=dialect)
    literals = {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
    for text in TRICKY:
        # the Postgres query is for a pyformat driver (psycopg), which reads '%%' as '%'
        written = text.replace("%", "%%") if dialect == "postgres" else text
        assert written in literals, f"{dialect}: {text!r} is not one string literal"
    assert len(list(tree.find_all(exp.Drop))) == 0


def test_tricky_strings_run_in_duckdb(tmp_path: Path) -> None:
    path = tmp_path / "tricky.rules"
    path.write_text(_tricky_ruleset(), encoding="utf-8")
    sql = export_sql(load_model(path), "duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE leads (id VARCHAR, company VARCHAR)")
    con.executemany("INSERT INTO leads VALUES (?, ?)", [[str(i), t] for i, t in enumerate(TRICKY)])
    con.execute("CREATE TABLE events (lead_id VARCHAR, type VARCHAR, \"at\" TIMESTAMP)")
    rows = con.execute(sql, {"as_of": dt.datetime(2026, 11, 22)}).fetchall()
    assert [r[5] for r in sorted(rows, key=lambda r: int(r[0]))] == TRICKY

"""The exported Postgres SQL, run on a real PostgreSQL server (the `postgres` fixture of
conftest.py), gives the Python engine's results: on the worked example, on the rulesets in
rulesets/ with their own test leads and with leads generated from each ruleset's constants, and
on random rulesets with random leads (the strategies of test_differential.py).

Leads reach the server as the documented tables (docs/sql.md): a `leads` table with `id` and
one column per field (BIGINT integers, NUMERIC numbers, UTC TIMESTAMPs) and an `events` table,
both temporary and rolled back after each query. Only valid leads are loaded: the query trusts
its tables, and invalid records are `leadrules eval`'s business."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from leadrules import model as m
from leadrules.check import check
from leadrules.engine.sql import export_sql
from leadrules.engine.validate import parse_lead_timestamp, validate
from leadrules.jsontext import loads
from leadrules.source import SourceFile
from leadrules.syntax import parse

from . import pg_server
from .engine_tables import lead_tables, python_results, utc_naive
from .helpers import load_model
from .test_differential import AS_OF, TRICKY, clean_leads, leads, rulesets

REPO = Path(__file__).resolve().parents[2]
RULESETS = sorted((REPO / "rulesets").glob("*.rules"))
POSTGRES_TYPES = {"text": "TEXT", "email": "TEXT", "choice": "TEXT", "integer": "BIGINT",
                  "number": "NUMERIC", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"}


def _column(name: str) -> str:
    # the spelling the exported query uses, so Postgres folds both alike
    return exp.to_identifier(name).sql(dialect="postgres")


def _postgres_results(connection: Any, model: m.CheckedModel, leads: list[dict[str, Any]],
                      as_of: dt.datetime) -> list[dict[str, Any]]:
    """Load the valid leads as `leads` and `events`, run the exported query, read the rows."""
    rows, events = lead_tables(model, leads)
    columns = ["id TEXT"] + [f"{_column(name)} {POSTGRES_TYPES[fld.kind]}" for name, fld in model.fields.items()]
    placeholders = ", ".join(["%s"] * (1 + len(model.fields)))
    sql = export_sql(model, "postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE leads ({', '.join(columns)})")
            cursor.execute("CREATE TEMP TABLE events (lead_id TEXT, type TEXT, at TIMESTAMP)")
            if rows:
                cursor.executemany(f"INSERT INTO leads VALUES ({placeholders})", rows)
            if events:
                cursor.executemany("INSERT INTO events VALUES (%s, %s, %s)", events)
            # bound as docs/sql.md says: a UTC timestamp in text, through psycopg's %(as_of)s
            cursor.execute(sql, {"as_of": utc_naive(as_of).isoformat(sep=" ")})
            names = [d.name for d in cursor.description]
            fetched = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.rollback()
    results = [{
        "id": row["id"], "stage": row["stage"], "disqualified": row["disqualified"],
        "reasons": row["reasons"], "blocked": row["blocked"],
        "scores": {n: row["score_" + n] for n in model.scores},
        "bands": {n: row["band_" + n] for n in model.bands}, "route": row["route"],
    } for row in fetched]
    return sorted(results, key=lambda r: r["id"])


def _valid_with_unique_ids(model: m.CheckedModel, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The valid records inside the exported SQL's input contract, each with an id of its own
    (its position, then its own id if any). The exported SQL casts number fields to
    DECIMAL(38, 6) (docs/sql.md), so a number with more than six places is outside it."""
    kept = []
    for number, record in enumerate(records, 1):
        relabelled = {**record, "id": f"{number}:{record.get('id', '')}"}
        if validate(model, relabelled, number)[0] is not None and not _beyond_six_places(model, relabelled):
            kept.append(relabelled)
    return kept


def _beyond_six_places(model: m.CheckedModel, record: dict[str, Any]) -> bool:
    for name, f in model.fields.items():
        value = record.get(name)
        if f.kind == "number" and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            exponent = Decimal(str(value)).as_tuple().exponent
            if isinstance(exponent, int) and exponent < -6:
                return True
    return False


def _agree(connection: Any, model: m.CheckedModel, records: list[dict[str, Any]], as_of: dt.datetime) -> None:
    got = _postgres_results(connection, model, records, as_of)
    assert got == python_results(model, records, as_of)
    assert len(got) == len(records)


# ---- the alias pattern Postgres rejects ---------------------------------------------------


def _lateral_alias_uses(sql: str, dialect: str) -> list[str]:
    """Columns that a SELECT reads by an alias defined in its own SELECT list."""
    found = []
    for select in sqlglot.parse_one(sql, read=dialect).find_all(exp.Select):
        aliases = {e.alias for e in select.expressions if isinstance(e, exp.Alias)}
        for projection in select.expressions:
            for column in projection.find_all(exp.Column):
                if not column.table and column.name in aliases and column.name != projection.alias_or_name:
                    found.append(column.name)
    return found


@pytest.mark.parametrize("dialect", ["postgres", "bigquery"])
@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.name)
def test_no_lateral_alias_where_the_dialect_forbids_it(path: Path, dialect: str) -> None:
    sql = export_sql(load_model(path), dialect)
    assert _lateral_alias_uses(sql, dialect) == []
    # the scoped disqualifier flags come from a CTE of their own, which the criteria read
    assert "), lr_disqualifiers AS (\n  SELECT\n    *,\n" in sql
    assert "  FROM lr_disqualifiers\n)\nSELECT\n" in sql


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "snowflake"])
def test_dialects_with_lateral_aliases_keep_one_decision_cte(dialect: str) -> None:
    sql = export_sql(load_model(REPO / "rulesets" / "fit_engagement.rules"), dialect)
    assert "lr_disqualifiers" not in sql
    assert _lateral_alias_uses(sql, dialect) == ["d3_no_authority"]


# ---- whether a missing server skips or fails ----------------------------------------------


def test_missing_server_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="^no server here$"):
        pg_server.unavailable("no server here")


def test_missing_server_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^no server here \(CI is set, so the PostgreSQL tests must run\)$"):
        pg_server.unavailable("no server here")


def test_bin_dir_is_none_without_binaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pg_server.find_bin_dir(tmp_path / "nothing") is None
    (tmp_path / "15" / "bin").mkdir(parents=True)
    (tmp_path / "15" / "bin" / "initdb").touch()
    assert pg_server.find_bin_dir(tmp_path) is None  # pg_ctl is missing too
    (tmp_path / "15" / "bin" / "pg_ctl").touch()
    assert pg_server.find_bin_dir(tmp_path) == tmp_path / "15" / "bin"


# ---- on the server ------------------------------------------------------------------------


def test_server_runs_with_utc_sessions(pg_connection: Any) -> None:
    row = pg_connection.execute("SELECT current_setting('TimeZone'), current_setting('server_encoding')").fetchone()
    pg_connection.rollback()
    assert row == ("UTC", "UTF8")


def test_projectflow_in_postgres(pg_connection: Any, spec_examples: Path) -> None:
    model = load_model(spec_examples / "projectflow.rules")
    records = [loads(line) for line in (spec_examples / "projectflow.leads.jsonl").read_text().splitlines()]
    valid = _valid_with_unique_ids(model, records)
    assert valid
    _agree(pg_connection, model, valid, dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.name)
def test_ruleset_tests_in_postgres(pg_connection: Any, path: Path) -> None:
    model = load_model(path)
    assert model.tests
    for case in model.tests:
        as_of = parse_lead_timestamp(case.as_of)
        assert as_of is not None
        _agree(pg_connection, model, _valid_with_unique_ids(model, [case.lead]), as_of)


PERCENT = """ruleset "percent" version "1"
field t: text optional
stages A -> B
stage B if t == "50%_off%%"
route B:
    to "a%(as_of)s" if t contains "%"
    otherwise to "rest"
route A:
    to "has %" if t contains "%"
    otherwise to "none"
"""


def test_percent_signs_in_rule_strings_reach_postgres_as_written(pg_connection: Any, tmp_path: Path) -> None:
    path = tmp_path / "percent.rules"
    path.write_text(PERCENT, encoding="utf-8")
    model = load_model(path)
    sql = export_sql(model, "postgres")
    # psycopg reads '%%' as one '%'; a single '%' would be taken for a placeholder
    assert "COALESCE(f0_t = '50%%_off%%%%', FALSE) AS g1_B" in sql
    assert "THEN 'a%%(as_of)s'" in sql
    records = [{"id": "1", "t": "50%_off%%"}, {"id": "2", "t": "50_off"}, {"id": "3", "t": "%"}, {"id": "4"}]
    got = _postgres_results(pg_connection, model, records, AS_OF)
    assert [(r["id"], r["stage"], r["route"]) for r in got] == [
        ("1", "B", "a%(as_of)s"), ("2", "A", "none"), ("3", "A", "has %"), ("4", "A", "none")]
    assert got == python_results(model, records, AS_OF)


def _constants(model: m.CheckedModel) -> tuple[set[Any], set[int]]:
    """Every constant a ruleset compares with, and every window length (seconds) it counts in."""
    values: set[Any] = set()
    windows: set[int] = set()
    exprs: list[m.Expr] = [c.expr for c in model.conditions.values()]
    exprs += [d.condition for d in model.disqualifiers] + [c.condition for c in model.criteria.values()]
    exprs += [e.condition for r in model.routes.values() for e in r.entries if e.condition is not None]
    for score in model.scores.values():
        for rule in score.rules:
            if isinstance(rule, m.IfRule):
                exprs.append(rule.condition)
            elif isinstance(rule, m.PerEventRule) and rule.window is not None:
                windows.add(rule.window.seconds)
    while exprs:
        expr = exprs.pop()
        if isinstance(expr, m.Const):
            values.add(expr.value)
        elif isinstance(expr, m.InSet):
            values.update(expr.values)
        elif isinstance(expr, (m.EventCount, m.HasEvent)) and expr.window is not None:
            windows.add(expr.window.seconds)
        exprs.extend(m.children(expr))
    return values, windows


def model_leads(model: m.CheckedModel) -> st.SearchStrategy[dict[str, Any]]:
    """Leads built from the ruleset's own constants, each number also one step either side,
    and events of every declared type on both sides of every window edge."""
    constants, windows = _constants(model)
    texts = sorted(v for v in constants if isinstance(v, str)) + TRICKY
    numbers = sorted(v for v in constants if isinstance(v, Decimal))
    near = sorted({n + d for n in numbers for d in (Decimal(-1), Decimal(0), Decimal(1))} | {Decimal(0)})
    edges = sorted({0, -1, 1, -400 * 86400} | {-s + d for s in windows for d in (0, 1)})

    def field_values(fld: m.Field) -> st.SearchStrategy[Any]:
        if fld.kind == "choice":
            return st.sampled_from(fld.choices)
        if fld.kind == "text":
            return st.sampled_from(texts)
        if fld.kind == "email":
            return st.sampled_from(texts).map(lambda t: f"someone@{t}") | st.sampled_from(TRICKY)
        if fld.kind == "boolean":
            return st.sampled_from([False, False, False, True])  # flags such as opted-out are rare
        if fld.kind in ("integer", "number"):
            pool = [n for n in near if fld.kind == "number" or n == n.to_integral_value()]
            pool = [n for n in pool if (fld.low is None or n >= fld.low) and (fld.high is None or n <= fld.high)]
            pool += [b for b in (fld.low, fld.high) if b is not None]
            strategy = st.sampled_from(sorted(set(pool)) or [Decimal(0)])
            return strategy.map(int) if fld.kind == "integer" else strategy.map(lambda n: n + Decimal("0.25")) | strategy
        if fld.kind == "date":
            return st.sampled_from(sorted({v for v in constants if type(v) is dt.date} | {AS_OF.date()})).map(str)
        stamps = {v for v in constants if isinstance(v, dt.datetime)} | {AS_OF}
        return st.sampled_from(sorted(stamps)).map(lambda v: v.strftime("%Y-%m-%dT%H:%M:%SZ"))

    event = st.builds(
        lambda kind, seconds: {"type": kind, "at": (AS_OF + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")},
        st.sampled_from(sorted(model.events) + ["undeclared"]), st.sampled_from(edges),
    )

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        lead: dict[str, Any] = {}
        for name, fld in model.fields.items():
            if not fld.optional or draw(st.integers(0, 3)) > 0:
                lead[name] = draw(field_values(fld))
        lead["events"] = draw(st.lists(event, max_size=8))
        return lead

    return build()


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.name)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rulesets_on_generated_leads_in_postgres(pg_connection: Any, path: Path, data: st.DataObject) -> None:
    model = load_model(path)
    records = data.draw(st.lists(model_leads(model), min_size=1, max_size=25))
    valid = _valid_with_unique_ids(model, records)
    assert len(valid) == len(records)
    _agree(pg_connection, model, valid, AS_OF)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=rulesets(), records=st.lists(leads() | clean_leads(), min_size=1, max_size=12))
def test_generated_rulesets_in_postgres(pg_connection: Any, text: str, records: list[dict[str, Any]]) -> None:
    module, diagnostics = parse(SourceFile("diff.rules", text))
    assert module is not None, [d.message for d in diagnostics]
    model, diagnostics = check(module)
    assume(model is not None)
    assert model is not None
    _agree(pg_connection, model, _valid_with_unique_ids(model, records), AS_OF)


def test_percent_signs_in_the_ruleset_name_reach_postgres(pg_connection: Any, tmp_path: Path) -> None:
    path = tmp_path / "name.rules"
    path.write_text(PERCENT.replace('ruleset "percent"', 'ruleset "50% off"', 1), encoding="utf-8")
    model = load_model(path)
    sql = export_sql(model, "postgres")
    assert sql.startswith("-- leadrules: ruleset 50%% off version ")
    records = [{"id": "1", "t": "50_off"}]
    assert _postgres_results(pg_connection, model, records, AS_OF) == python_results(model, records, AS_OF)

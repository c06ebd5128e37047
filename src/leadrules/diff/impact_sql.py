"""The impact part on the DuckDB engine: each version evaluates the leads file into a Parquet
file (the engine's own `eval`), and the two are joined on their row number and tallied in
SQL, so a million leads never pass through Python objects.

The tallies are those of `impact.compare_records`, in the same order; record ids come back
as text (the Parquet `id` column is text).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from leadrules import model as m
from leadrules.diff.impact import SAMPLES, Impact, ScoreChange, Transitions
from leadrules.io.leads import DEFAULT_CSV, CsvOptions

__all__ = ["measure_impact_duckdb"]


def _ident(name: str) -> str:
    """A quoted SQL identifier (names come from rule files: quotes are doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def measure_impact_duckdb(old_model: m.CheckedModel, new_model: m.CheckedModel, leads_path: str,
                          events_path: str | None, as_of: dt.datetime,
                          csv_reading: CsvOptions = DEFAULT_CSV) -> Impact:
    import duckdb

    from leadrules.batch import run

    with tempfile.TemporaryDirectory(prefix="leadrules-diff-") as folder:
        old_path, new_path = str(Path(folder) / "old.parquet"), str(Path(folder) / "new.parquet")
        run(old_model, leads_path, events_path, as_of, "parquet", old_path, csv_reading)
        run(new_model, leads_path, events_path, as_of, "parquet", new_path, csv_reading)
        con = duckdb.connect(":memory:")
        try:
            # a view cannot take a prepared parameter; the paths are our own temporary files
            for view, path in (("o", old_path), ("n", new_path)):
                con.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM read_parquet({_literal(path)}, "
                            "file_row_number = true)")
            return _tally(con, old_model, new_model, as_of)
        finally:
            con.close()


def _tally(con: Any, old_model: m.CheckedModel, new_model: m.CheckedModel, as_of: dt.datetime) -> Impact:
    impact = Impact(as_of)
    joined = "o JOIN n ON o.file_row_number = n.file_row_number"
    both = f"{joined} WHERE o.error IS NULL AND n.error IS NULL"
    impact.records = con.execute("SELECT count(*) FROM o").fetchone()[0]
    for target, condition, message in ((impact.became_invalid, "o.error IS NULL AND n.error IS NOT NULL", "n.error"),
                                       (impact.became_valid, "o.error IS NOT NULL AND n.error IS NULL", "o.error")):
        rows = con.execute(f"SELECT n.id, {message} FROM {joined} WHERE {condition} ORDER BY o.file_row_number").fetchall()
        target.extend((record_id, str(error)) for record_id, error in rows)
    impact.invalid_both = con.execute(
        f"SELECT count(*) FROM {joined} WHERE o.error IS NOT NULL AND n.error IS NOT NULL").fetchone()[0]

    def matrix(old_column: str, new_column: str) -> Transitions:
        t = Transitions()
        rows = con.execute(
            f"SELECT o.{old_column}, n.{new_column}, count(*), "
            f"(list(o.id ORDER BY o.file_row_number))[1:{SAMPLES}] FROM {both} GROUP BY ALL").fetchall()
        for a, b, count, samples in rows:
            t.counts[(a, b)] = count
            if a != b:
                t.samples[(a, b)] = list(samples)
        return t

    impact.stage = matrix("stage", "stage")
    impact.route = matrix("route", "route")
    for column, gained, lost in (("reasons", impact.reasons_gained, impact.reasons_lost),
                                 ("blocked", impact.blocked_gained, impact.blocked_lost)):
        for into, a, b in ((gained, "n", "o"), (lost, "o", "n")):
            rows = con.execute(
                f"SELECT code, count(*) FROM (SELECT unnest(list_filter({a}.{column}, "
                f"lambda x: NOT list_contains({b}.{column}, x))) AS code FROM {both}) GROUP BY code").fetchall()
            order = _first_seen(con, both, a, b, column)
            into.update(sorted(((str(code), count) for code, count in rows), key=lambda r: order.get(r[0], 0)))
    impact.reasons_changed = con.execute(f"SELECT count(*) FROM {both} AND o.reasons <> n.reasons").fetchone()[0]
    impact.blocked_changed = con.execute(f"SELECT count(*) FROM {both} AND o.blocked <> n.blocked").fetchone()[0]
    for name in [s for s in new_model.scores if s in old_model.scores]:
        column = _ident(f"score.{name}")
        change = ScoreChange()
        change.changed = con.execute(f"SELECT count(*) FROM {both} AND o.{column} <> n.{column}").fetchone()[0]
        row = con.execute(
            f"SELECT o.id, o.{column}, n.{column} FROM {both} AND o.{column} <> n.{column} "
            f"ORDER BY abs(n.{column} - o.{column}) DESC, o.file_row_number LIMIT 1").fetchone()
        if row is not None:
            change.largest = (row[0], _exact(row[1]), _exact(row[2]))
        impact.scores[name] = change
    for name in [b for b in new_model.bands if b in old_model.bands]:
        column = _ident(f"band.{name}")
        impact.bands[name] = matrix(column, column)
    return impact


def _first_seen(con: Any, both: str, a: str, b: str, column: str) -> dict[str, int]:
    """Codes in the order the Python tally meets them (first record, then position in it)."""
    rows = con.execute(
        f"SELECT code, min(o.file_row_number * 1000 + pos) FROM (SELECT o.file_row_number, "
        f"unnest(list_filter({a}.{column}, lambda x: NOT list_contains({b}.{column}, x))) AS code, "
        f"generate_subscripts(list_filter({a}.{column}, lambda x: NOT list_contains({b}.{column}, x)), 1) AS pos "
        f"FROM {both}) o GROUP BY code").fetchall()
    return {str(code): rank for code, rank in rows}


def _exact(value: Any) -> Decimal:
    """A Parquet DECIMAL(38,6) as the Decimal the Python engine prints (no trailing zeros)."""
    number = Decimal(value)
    return number.to_integral_value() if number == number.to_integral_value() else number.normalize()

"""`eval --engine duckdb -o FILE` writes every line in input order by one COPY that sorts the
narrow result rows (not the finished lines) within a memory budget: the Python engine's lines
(invalid records, a header) land in their places wherever they are — at the start, in the
middle, at the end, none, all — and the bytes are the Python engine's. When the sorted rows do
not reach the COPY in order the check inside it stops the COPY and the finished lines are
sorted instead; when the budget is too small the COPY runs without it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from engine_helpers import AS_OF

from leadrules import model as m
from leadrules.batch import output, run_detailed
from leadrules.engine.python import compile_model
from leadrules.io.leads import WRITERS, read_leads
from leadrules.workspace import load_file

RULES = r'''ruleset "order" version "1"
field company: text
field employees: integer in 1..100000
field role: one of ["engineer", "manager", "student"]
score fit:
    +12.5 if role == "manager"
    +20 if employees >= 100
band grade of fit:
    "A, top" from 30
    "B" to 30
disqualify STUDENT "Student" if role == "student"
stages Lead -> MQL
stage MQL if fit >= 20
'''

COUNT = 40


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> m.CheckedModel:
    rules = tmp_path_factory.mktemp("rules") / "order.rules"
    rules.write_text(RULES, encoding="utf-8")
    loaded = load_file(rules)
    assert loaded.model is not None, loaded.diagnostics
    return loaded.model


def _leads(path: Path, invalid: set[int]) -> Path:
    """COUNT records numbered 1..COUNT; those in `invalid` have a wrong employees value (the
    Python engine writes their error record)."""
    lines = []
    for number in range(1, COUNT + 1):
        employees: Any = "many" if number in invalid else [3, 150, 2000][number % 3]
        lines.append(json.dumps({"id": f"L{number}", "company": f"c,{number}", "employees": employees,
                                 "role": ["engineer", "manager", "student"][number % 3]}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _python_output(model: m.CheckedModel, leads: Path, output_format: str) -> str:
    stream = io.StringIO()
    writer = WRITERS[output_format](stream, model)
    with read_leads(str(leads), model) as records:
        for record in compile_model(model).evaluate_many(records, AS_OF):
            writer.write(record)
    writer.close()
    return stream.getvalue()


def _duckdb_output(model: m.CheckedModel, leads: Path, output_format: str, out: Path) -> tuple[str, int | None]:
    details = run_detailed(model, str(leads), None, AS_OF, output_format, str(out))
    return out.read_bytes().decode("utf-8"), details.python_records


PLACES = {
    "none": set(),
    "start": {1, 2, 3},
    "middle": {17, 18, 25},
    "end": {COUNT - 1, COUNT},
    "start_middle_end": {1, 9, 10, 11, 30, COUNT},
    "every_other": set(range(2, COUNT + 1, 2)),
    "all_but_one": set(range(1, COUNT + 1)) - {20},
    "all": set(range(1, COUNT + 1)),
}


@pytest.mark.parametrize("output_format", ["jsonl", "csv"])
@pytest.mark.parametrize("place", sorted(PLACES))
def test_python_engine_lines_in_their_places(model: m.CheckedModel, tmp_path: Path, place: str,
                                             output_format: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real_in_order = output._Writer._copy_in_order
    in_order_results: list[bool] = []

    def copy_in_order(self: output._Writer, line_query: Any, output_path: str) -> bool:
        in_order_results.append(real_in_order(self, line_query, output_path))
        return in_order_results[-1]

    monkeypatch.setattr(output._Writer, "_copy_in_order", copy_in_order)
    invalid = PLACES[place]
    leads = _leads(tmp_path / "leads.jsonl", invalid)
    expected = _python_output(model, leads, output_format)
    actual, python_records = _duckdb_output(model, leads, output_format, tmp_path / f"out.{output_format}")
    assert actual == expected
    assert python_records == len(invalid)
    # JSON Lines from the sorted rows, with no fallback to sorting the lines; CSV sorts its lines
    assert in_order_results == ([True] if output_format == "jsonl" else [])
    lines = expected.splitlines()
    assert len(lines) == COUNT + (output_format == "csv")
    if output_format == "jsonl":
        assert [json.loads(line)["id"] for line in lines] == [f"L{n}" for n in range(1, COUNT + 1)]
        assert [n for n, line in enumerate(lines, 1) if "error" in json.loads(line)] == sorted(invalid)


def test_rows_out_of_order_fall_back_to_sorting_the_lines(model: m.CheckedModel, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows reaching the COPY out of order (here: sorted the wrong way on purpose) stop it at
    the check, and the finished lines are sorted instead; in order, the same bytes."""
    leads = _leads(tmp_path / "leads.jsonl", {1, 20, COUNT})
    expected = _python_output(model, leads, "jsonl")
    copied: list[str] = []
    real_copy_to = output._Writer._copy_to

    def copy_to(self: output._Writer, select: Any, output_path: str, options: Any) -> None:
        for order in select.find_all(output.exp.Order):
            order.set("expressions", [output.exp.Ordered(this=key, desc=True) for key in order.expressions])
        copied.append(output.sql(select))
        real_copy_to(self, select, output_path, options)

    in_order_results: list[bool] = []
    real_in_order = output._Writer._copy_in_order

    def copy_in_order(self: output._Writer, line_query: Any, output_path: str) -> bool:
        in_order_results.append(real_in_order(self, line_query, output_path))
        return in_order_results[-1]

    monkeypatch.setattr(output._Writer, "_copy_to", copy_to)
    monkeypatch.setattr(output._Writer, "_copy_in_order", copy_in_order)
    out = tmp_path / "out.jsonl"
    actual, _ = _duckdb_output(model, leads, "jsonl", out)
    # the finished lines sorted the wrong way too: the fallback's order is its own sort's
    assert actual.splitlines() == expected.splitlines()[::-1]
    assert in_order_results == [False] and len(copied) == 2
    monkeypatch.setattr(output._Writer, "_copy_to", real_copy_to)
    assert _duckdb_output(model, leads, "jsonl", out)[0] == expected
    assert in_order_results == [False, True]


def test_out_of_place_fallback_writes_the_sorted_lines(model: m.CheckedModel, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The lines written by the fallback (the finished lines sorted) are the same bytes."""
    leads = _leads(tmp_path / "leads.jsonl", {1, 20, COUNT})
    monkeypatch.setattr(output._Writer, "_copy_in_order", lambda self, line_query, output_path: False)
    for output_format in ("jsonl", "csv"):
        actual, _ = _duckdb_output(model, leads, output_format, tmp_path / f"out.{output_format}")
        assert actual == _python_output(model, leads, output_format)


def test_budget_too_small_writes_without_it(model: m.CheckedModel, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    leads = _leads(tmp_path / "leads.jsonl", {5})
    real_copy_ordered = output._Writer._copy_ordered
    limits: list[str] = []

    def copy_ordered(self: output._Writer, line_query: Any, output_path: str, sort_rows: bool) -> None:
        limits.append(output._setting(self.con, "memory_limit"))
        if len(limits) == 1:
            raise duckdb.OutOfMemoryException("Out of Memory Error: budget")
        real_copy_ordered(self, line_query, output_path, sort_rows)

    monkeypatch.setattr(output._Writer, "_copy_ordered", copy_ordered)
    actual, _ = _duckdb_output(model, leads, "csv", tmp_path / "out.csv")
    assert actual == _python_output(model, leads, "csv")
    assert len(limits) == 2 and limits[0] != limits[1]


def test_spilling_bounds_memory_then_puts_the_limit_back() -> None:
    con = duckdb.connect(":memory:")
    try:
        before = output._setting(con, "memory_limit")
        con.execute("CREATE TABLE t AS SELECT range AS n, repeat('x', 100) AS s FROM range(200000)")
        with output._spilling(con):
            limit = output._setting(con, "memory_limit")
            folder = output._setting(con, "temp_directory")
            # a sort several times the budget spills instead of failing
            rows = con.execute("SELECT count(*), min(k) FROM (SELECT n AS k, s || n AS t FROM t ORDER BY t DESC)")
            assert rows.fetchone() == (200000, 0)
        assert limit.endswith("MiB") and float(limit.split()[0]) < 1024
        assert Path(folder).name.startswith("leadrules-duckdb-") and folder != output._DEFAULT_TEMP_DIRECTORY
        assert output._setting(con, "memory_limit") == before
    finally:
        con.close()
    assert not Path(folder).exists()  # DuckDB removes the directory it made


@pytest.mark.parametrize("place", ["none", "start_middle_end", "all"])
def test_csv_lines_from_sorted_rows(model: m.CheckedModel, tmp_path: Path, place: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """CSV files sort their lines; built from the sorted rows (as JSON Lines are) they are the
    same bytes, the header first."""
    real_copy_lines = output._Writer._copy_lines
    row_sorts: list[bool] = []

    def copy_lines(self: output._Writer, line_query: Any, output_path: str, sort_rows: bool) -> None:
        row_sorts.append(sort_rows)
        real_copy_lines(self, line_query, output_path, True)

    real_in_order = output._Writer._copy_in_order
    in_order_results: list[bool] = []

    def copy_in_order(self: output._Writer, line_query: Any, output_path: str) -> bool:
        in_order_results.append(real_in_order(self, line_query, output_path))
        return in_order_results[-1]

    monkeypatch.setattr(output._Writer, "_copy_lines", copy_lines)
    monkeypatch.setattr(output._Writer, "_copy_in_order", copy_in_order)
    leads = _leads(tmp_path / "leads.jsonl", PLACES[place])
    actual, _ = _duckdb_output(model, leads, "csv", tmp_path / "out.csv")
    assert actual == _python_output(model, leads, "csv")
    assert row_sorts == [False] and in_order_results == [True]

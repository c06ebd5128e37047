"""The DuckDB engine's one read of a CSV file (`batch.acceptance`): every cell converted once,
only spellings whose value is beyond doubt accepted in SQL, every other record left to the
Python engine, and the records both engines write the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import AS_OF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intake_helpers import duckdb_engine_text, python_engine_text

from leadrules.batch import run_detailed
from leadrules.workspace import load_file

RULES = """\
ruleset "cells" version "1"
field n: integer in -1000000000000000000..1000000000000000000 optional
field small: integer in 0..10 optional
field amount: number optional
field flag: boolean optional
field day: date optional
field seen: timestamp optional
field tier: one of ["gold", "silver"] optional
score s:
    +1 per n (max 5)
    +1 per small
    +2 if amount > 1.5
    +3 if flag
    +4 if day < "2026-01-01"
    +5 if seen < "2026-01-01T00:00:00Z"
    +6 if tier == "gold"
stages Lead -> MQL
stage MQL if s >= 10
"""

HEADER = "id,n,small,amount,flag,day,seen,tier,notes\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> object:
    path = tmp_path_factory.mktemp("rules") / "cells.rules"
    path.write_text(RULES, encoding="utf-8")
    loaded = load_file(path).model
    assert loaded is not None
    return loaded


def _run(model: object, tmp_path: Path, rows: list[str]) -> tuple[str, str, int | None]:
    leads = tmp_path / "leads.csv"
    leads.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    python_text = python_engine_text(model, leads)
    duckdb_text, _ = duckdb_engine_text(model, leads, tmp_path / "out.jsonl")
    details = run_detailed(model, str(leads), None, AS_OF, "jsonl", str(tmp_path / "again.jsonl"))  # type: ignore[arg-type]
    return python_text, duckdb_text, details.python_records


# an integer cell: the spellings DuckDB prints itself are taken in SQL; every other spelling
# (including ones DuckDB's cast reads: a sign, leading zeros, `_`, spaces, an exponent) goes to
# the Python engine, whose answer (a value or an error record) is the reference
@pytest.mark.parametrize(("cell", "in_sql"), [
    ("42", True), ("-7", True), ("0", True), ("1000000000000000000", True),
    ("042", False), ("+42", False), ("-0", False), ("4_2", False), (" 42", False), ("42 ", False),
    ("1e3", False), ("5.0", False), ("5.5", False), ("0x10", False), ("٤٢", False),
    ("9223372036854775808", False), ("abc", False),
])
def test_integer_spellings(model: object, tmp_path: Path, cell: str, in_sql: bool) -> None:
    rows = [f"a,{cell},1,2.5,true,2025-05-01,2025-05-01T10:00:00Z,gold,", "b,3,2,1,no,,,silver,"]
    python_text, duckdb_text, python_records = _run(model, tmp_path, rows)
    assert duckdb_text == python_text
    assert python_records == (0 if in_sql else 1)


def test_range_and_choice_are_checked_in_sql(model: object, tmp_path: Path) -> None:
    rows = ["a,1,11,,,,,,", "b,1,10,,,,,bronze,", "c,1,10,,,,,gold,", "d,,,,,,,,"]
    python_text, duckdb_text, python_records = _run(model, tmp_path, rows)
    assert duckdb_text == python_text
    assert '"error"' in python_text.splitlines()[0] and '"error"' in python_text.splitlines()[1]
    assert python_records == 2


def test_a_cell_over_the_csv_modules_limit_in_an_undeclared_column(model: object, tmp_path: Path) -> None:
    # the csv module refuses a cell over 131,072 characters wherever it is; DuckDB would read it,
    # so such a file goes to the Python readers whole
    rows = ["a,1,1,,,,,," + "x" * 131073, "b,2,2,,,,,,short"]
    python_text, duckdb_text, python_records = _run(model, tmp_path, rows)
    assert duckdb_text == python_text
    assert '"error"' in python_text.splitlines()[0]
    assert python_records is None


def test_a_cell_at_the_limit_is_read(model: object, tmp_path: Path) -> None:
    rows = ["a,1,1,,,,,," + "x" * 131000, "b,2,2,,,,,,short"]
    python_text, duckdb_text, python_records = _run(model, tmp_path, rows)
    assert duckdb_text == python_text
    assert python_records == 0


_CELL = st.text(alphabet="0123456789+-_. eE:TZtrufalsyeno", max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(_CELL, _CELL, _CELL, _CELL, _CELL, _CELL), min_size=1, max_size=6))
def test_random_cells_give_the_python_engines_records(model: object, tmp_path: Path,
                                                       cells: list[tuple[str, ...]]) -> None:
    rows = [f"r{index}," + ",".join(row) + ",gold," for index, row in enumerate(cells)]
    python_text, duckdb_text, _ = _run(model, tmp_path, rows)
    assert duckdb_text == python_text


ORDER_RULES = """\
ruleset "order" version "1"
field n: integer
field tier: one of ["gold", "silver"] optional
score s:
    +1 if n > 200000
    +2 if tier == "gold"
stages Lead -> MQL
stage MQL if s >= 2
"""


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_records_keep_their_place_past_duckdbs_row_groups(tmp_path: Path, suffix: str) -> None:
    # DuckDB stores rows in groups of 122,880 and the records are numbered by their place in
    # the stored table; narrow rows make its read batches large. A record that SQL leaves to the
    # Python engine sits in the third group.
    rules = tmp_path / "order.rules"
    rules.write_text(ORDER_RULES, encoding="utf-8")
    order_model = load_file(rules).model
    assert order_model is not None
    count = 300_000
    tiers = ["gold", "silver", ""]
    if suffix == "csv":
        rows = [f"{n},{tiers[n % 3]}" if n != 250_000 else "x,gold" for n in range(1, count + 1)]
        text = "n,tier\n" + "\n".join(rows) + "\n"
    else:
        rows = [f'{{"n": {n}, "tier": "{tiers[n % 3]}"}}' if n % 3 != 2 and n != 250_000 else
                (f'{{"n": {n}}}' if n != 250_000 else '{"n": "x"}') for n in range(1, count + 1)]
        text = "\n".join(rows) + "\n"
    leads = tmp_path / f"leads.{suffix}"
    leads.write_text(text, encoding="utf-8")
    python_text = python_engine_text(order_model, leads)
    duckdb_text, _ = duckdb_engine_text(order_model, leads, tmp_path / "out.jsonl")
    details = run_detailed(order_model, str(leads), None, AS_OF, "jsonl", str(tmp_path / "again.jsonl"))
    assert duckdb_text == python_text
    assert details.python_records == 1

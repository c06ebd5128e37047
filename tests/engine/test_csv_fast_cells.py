"""The CSV reader converts a cell with a converter chosen once per column; its shortcuts (ASCII
digits to int, `digits.digits` to Decimal, a table of the usual boolean spellings) must give
exactly what the exact conversion gives (spec section 9: "numbers in plain decimal"), value,
type and digits alike, on any cell text."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadrules.io.leads import _csv_cell, csv_cell_converter, read_csv
from leadrules.workspace import load_file

SPECIAL_NUMBER_CELLS = [
    "0", "-0", "+0", "+1", "-1", "007", "0.0", "00.50", "1.", ".5", "1e5", "1E5", "1.5e-3", "١٢", "٣.٤", "１２",
    "²", "1_000", "1,000", " 12", "12 ", "\t7\t", "1 2", "--1", "+-1", "12.5.1", "0x1F", "inf", "NaN", "1.2345678",
    "9" * 60, "-" + "9" * 60 + ".0000001", "9999999.99", "12500000.5", "", " ",
]
SPECIAL_BOOLEAN_CELLS = [
    "true", "True", "TRUE", "tRuE", " true", "false ", "yes", "YES", "Yes", "no", "NO", "1", "0", " 1", "01",
    "t", "y", "n", "truee", "İ", "ｔｒｕｅ", "",
]


def _shape(value: Any) -> tuple[type, str]:
    """Value with its type and digits: Decimal("1.50") and Decimal("1.5") are equal, not the same."""
    return type(value), str(value)


def _padded(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pad = st.sampled_from(["", " ", "  ", "\t"])
    return st.tuples(pad, core, pad).map("".join)


_signs = st.sampled_from(["", "", "+", "-"])
_zeros = st.integers(0, 3).map(lambda n: "0" * n)
_digits = st.text("0123456789", min_size=1, max_size=70)
_number_texts = st.one_of(
    st.sampled_from(SPECIAL_NUMBER_CELLS),
    st.tuples(_signs, _zeros, _digits).map("".join),
    st.tuples(_signs, _zeros, _digits, st.sampled_from([".", ".", "e", "E", "_", ","]), _digits).map("".join),
    st.integers(-(10**80), 10**80).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=7).map(str),
    st.text("0123456789+-.eE_ ,٠١٢٣١２", max_size=12),
    st.text(max_size=6),
)
_boolean_texts = st.one_of(
    st.sampled_from(SPECIAL_BOOLEAN_CELLS),
    st.sampled_from(SPECIAL_BOOLEAN_CELLS[:13]).map(str.swapcase),
    st.text("truefalsyesnoTRUEFALSYESNO10İ ", max_size=6),
    st.text(max_size=6),
)


@settings(max_examples=400, deadline=None)
@given(cell=_padded(_number_texts), kind=st.sampled_from(["integer", "number"]))
def test_fast_number_cell_equals_exact(cell: str, kind: str) -> None:
    convert = csv_cell_converter(kind)
    assert convert is not None
    assert _shape(convert(cell)) == _shape(_csv_cell(kind, cell))


@settings(max_examples=300, deadline=None)
@given(cell=_padded(_boolean_texts))
def test_fast_boolean_cell_equals_exact(cell: str) -> None:
    convert = csv_cell_converter("boolean")
    assert convert is not None
    assert _shape(convert(cell)) == _shape(_csv_cell("boolean", cell))


def test_special_cells_convert_as_the_spec_reads_them() -> None:
    number = csv_cell_converter("integer")
    boolean = csv_cell_converter("boolean")
    assert number is not None and boolean is not None
    assert [_shape(number(c)) for c in ["007", "-0", "+1", " 12", "00.50", "9" * 30]] == [
        (int, "7"), (int, "0"), (int, "1"), (int, "12"), (Decimal, "0.50"), (int, "9" * 30)]
    # not plain decimal: stays the text it was, for validation to reject with the cell shown
    assert [number(c) for c in ["1e5", "١٢", "1_000", "1.", ".5", "0x1F", "1 2"]] == [
        "1e5", "١٢", "1_000", "1.", ".5", "0x1F", "1 2"]
    assert [boolean(c) for c in ["TRUE", " yes", "No", "0", "01", "ｔｒｕｅ"]] == [True, True, False, False, "01", "ｔｒｕｅ"]
    for kind in ("text", "email", "choice", "date", "timestamp", ""):
        assert csv_cell_converter(kind) is None


def test_csv_records_keep_column_order_and_last_unnamed_cell(tmp_path: Path) -> None:
    rules = tmp_path / "cells.rules"
    rules.write_text('ruleset "cells" version "1"\nfield n: integer\nfield b: boolean\nfield t: text optional\n')
    model = load_file(rules).model
    assert model is not None
    data = b"t,,n,b,\nx,first,0042,Yes,last\n,,-3,maybe,\n"
    records = list(read_csv(io.BytesIO(data), model))
    assert [list(r.items()) for r in records] == [
        [("t", "x"), ("", "last"), ("n", 42), ("b", True)],
        [("n", -3), ("b", "maybe")],
    ]

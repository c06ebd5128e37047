"""The CSV reader builds a record with a function generated for the header, and the CSV writer
writes a line that needs no quoting itself: both must give exactly what the general code gives
(the comprehension over the cells; the csv module's writer), on any cells."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrules.io import leads
from leadrules.io.leads import (
    _SMALL_INTEGER_CELLS,
    DEFAULT_CSV,
    CsvWriter,
    _csv_module_rows,
    _record_builder,
    csv_cell_converter,
    csv_options,
    csv_rows,
)
from leadrules.model import CheckedModel
from leadrules.workspace import load_file

_KINDS = ["integer", "number", "boolean", "text", ""]
_cells = st.one_of(
    st.sampled_from(["", "0", "007", "12.50", "1e5", "-3", " 4", "²", "١٢", "true", "Yes", "0", "maybe", "x,y", '"']),
    st.text("0123456789.", max_size=5),
    st.text(max_size=5),
)


def _general(header: list[str], converters: list[Any], row: list[str]) -> dict[str, Any]:
    return {name: cell if convert is None else convert(cell)
            for name, convert, cell in zip(header, converters, row, strict=False) if cell}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=4), st.sampled_from(_KINDS)), min_size=1, max_size=8),
       st.lists(st.lists(_cells, max_size=10), max_size=6))
def test_generated_record_equals_the_general_one(columns: list[tuple[str, str]], rows: list[list[str]]) -> None:
    header = [name for name, _ in columns]
    converters = [csv_cell_converter(kind) if kind else None for _, kind in columns]
    small = frozenset(name for name, kind in columns if kind == "integer")
    for build in (_record_builder(header, converters), _record_builder(header, converters, small)):
        for row in rows:
            built, expected = build(row), _general(header, converters, row)
            assert list(built.items()) == list(expected.items())
            assert [type(v) for v in built.values()] == [type(v) for v in expected.values()]
            assert [str(v) for v in built.values()] == [str(v) for v in expected.values()]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(0, 1100).map(str), _cells))
def test_small_integer_table_gives_the_converters_value(cell: str) -> None:
    convert = csv_cell_converter("integer")
    assert convert is not None
    assert (type(_SMALL_INTEGER_CELLS[cell]), str(_SMALL_INTEGER_CELLS[cell])) == (type(convert(cell)), str(convert(cell)))
    assert len(_SMALL_INTEGER_CELLS) == 1024  # a miss is not stored


def test_rows_of_the_header_length_take_the_generated_function() -> None:
    header = ["n", "b", "t"]
    build = _record_builder(header, [csv_cell_converter("integer"), csv_cell_converter("boolean"), None])
    assert build.__code__.co_filename == "<leadrules csv record>"
    assert list(build(["0042", "Yes", "x"]).items()) == [("n", 42), ("b", True), ("t", "x")]
    assert list(build(["12.50", "", " 7"]).items()) == [("n", Decimal("12.50")), ("t", " 7")]
    assert build(["1"]) == {"n": 1} and build(["1", "no", "t", "extra"]) == {"n": 1, "b": False, "t": "t"}


_texts = st.text(st.sampled_from(list('ab ,";\n\r\tx') + ["é", "\u2028", "\x00"]), max_size=6)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> CheckedModel:
    path = tmp_path_factory.mktemp("rows") / "rows.rules"
    path.write_text('ruleset "rows" version "1"\nfield n: integer\nscore s:\n    +1 per n\n'
                    'band b of s:\n    "high" from 5\n    "low" to 5\nstages Lead -> MQL\nstage MQL if s >= 5\n',
                    encoding="utf-8")
    loaded = load_file(path)
    assert loaded.model is not None, loaded.diagnostics
    return loaded.model


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(id_=st.one_of(_texts, st.integers(-5, 10**20)), stage=_texts, route=st.one_of(st.none(), _texts),
       reasons=st.lists(_texts, max_size=3), score=st.one_of(st.integers(-9, 10**20), st.decimals(places=2, allow_nan=False,
                                                                                             allow_infinity=False)),
       band=st.one_of(st.none(), _texts), disqualified=st.booleans())
def test_written_lines_are_the_csv_modules(model: CheckedModel, id_: Any, stage: str, route: str | None,
                                           reasons: list[str], score: Any, band: str | None,
                                           disqualified: bool) -> None:
    record = {"id": id_, "stage": stage, "disqualified": disqualified, "reasons": reasons, "blocked": [],
              "scores": {"s": score}, "bands": {"b": band}, "route": route}
    out = io.StringIO()
    CsvWriter(out, model).write(record)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(["id", "stage", "disqualified", "reasons", "blocked", "route", "score.s", "band.b", "error"])
    shown_score = str(score) if isinstance(score, int) else format(score, "f").rstrip("0").rstrip(".") or "0"
    if isinstance(score, Decimal) and score == 0:
        shown_score = "0"
    writer.writerow([str(id_), stage, "true" if disqualified else "false", ";".join(reasons), "", route or "",
                     shown_score, band or "", ""])
    assert out.getvalue() == expected.getvalue()


_csv_bytes = st.lists(st.sampled_from([b"a", b"b", b"1", b",", b";", b'"', b"\r", b"\n", b"\n", b"\n", b" ", b"\x00",
                                       b"\xef\xbb\xbf", b"\xe9", "é".encode(), b"a,b,c\n", b"x;y\n"]),
                      max_size=60).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(data=_csv_bytes, block=st.integers(1, 12), delimiter=st.sampled_from([",", ";", " "]),
       encoding=st.sampled_from(["utf-8", "latin-1"]))
def test_plain_line_blocks_give_the_csv_modules_rows(data: bytes, block: int, delimiter: str, encoding: str) -> None:
    """Blocks of plain lines split by `str.split` give the rows, line numbers and problems the
    csv module gives; a block that is not plain (a quote, a carriage return, bytes that do not
    decode, a line longer than two blocks) hands the rest over at the right line."""
    options = csv_options(delimiter, encoding)
    expected = list(_csv_module_rows(io.BytesIO(data), options, 0))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(leads, "_BLOCK", block)
        assert list(csv_rows(io.BytesIO(data), options)) == expected
    assert list(csv_rows(io.BytesIO(data), options)) == expected


def test_plain_lines_are_split_without_the_csv_module() -> None:
    data = b"\xef\xbb\xbfh,x\n\na,\x00b\n\n" + b"c,d" * 30000 + b"\n e , f "
    rows = list(csv_rows(io.BytesIO(data)))
    assert rows == [(1, ["h", "x"]), (3, ["a", "\x00b"]), (5, ["c", *["dc"] * 29999, "d"]), (6, [" e ", " f "])]
    assert rows == list(_csv_module_rows(io.BytesIO(data), DEFAULT_CSV, 0))

"""The results of a batch run written out: JSON Lines, CSV and Parquet, byte for byte what the
Python engine's writers give.

Output lines for records SQL accepted are assembled in SQL from pieces encoded in Python
(`jsontext.dumps` of every key, stage, route target and band label; `CsvWriter`'s quoting), so
the text is the writers' own; the Python engine's records (the ones SQL left to it) are
written by those writers and merged in input order. Files are written by one `COPY`, which
sorts by record number (JSON Lines: the narrow result rows, each line built as the rows
stream out; CSV: the lines) within a memory budget past which the sort spills to disk
(`_spilling`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import duckdb
from sqlglot import exp

from leadrules import model as m
from leadrules.batch.input import FETCH
from leadrules.batch.sqlparts import col, concat, fn, lit, num, sql
from leadrules.engine.sql.build import DECIMAL_TYPE
from leadrules.errors import InputError
from leadrules.io.leads import WRITERS, open_output, with_crm
from leadrules.io.output import output_file_path
from leadrules.io.summary import ResultTally, TallyCounter
from leadrules.jsontext import dumps
from leadrules.output_schema import output_schema

__all__ = ["write_results", "tally", "io_reason"]


def write_results(con: duckdb.DuckDBPyConnection, model: m.CheckedModel, output_format: str,
                  output_path: str | None, fallback: dict[int, dict[str, Any]]) -> None:
    """Every record in input order: lr_results joined to lr_checked for the records SQL
    accepted, `fallback` (record number → the Python engine's output record) for the others."""
    writer = _Writer(con, model)
    if output_format == "jsonl":
        writer.write_jsonl(output_path, fallback)
    elif output_format == "csv":
        writer.write_csv(output_path, fallback)
    else:
        writer.write_parquet(output_path, fallback)


def tally(con: duckdb.DuckDBPyConnection, model: m.CheckedModel, fallback: dict[int, dict[str, Any]]) -> ResultTally:
    """The `eval` summary's counts over lr_results and the Python engine's records."""
    return _Writer(con, model).tally(fallback)


def _json_text_case(value: exp.Expr, labels: list[str]) -> exp.Expr:
    """The JSON text of a string column whose possible values are known: `null` when NULL."""
    case = exp.case()
    for label in dict.fromkeys(labels):
        case = case.when(exp.EQ(this=value.copy(), expression=lit(label)), lit(dumps(label)))
    return case.else_(lit("null")) if case.args.get("ifs") else lit("null")



def _number_text(value: exp.Expr) -> exp.Expr:
    """DECIMAL(38, 6) as the JSON writer prints it: no trailing zeros, no point when whole."""
    text = exp.cast(value.copy(), "VARCHAR")
    trimmed = fn("rtrim", fn("rtrim", text, lit("0")), lit("."))
    return exp.case().when(exp.EQ(this=value, expression=num(0)), lit("0")).else_(trimmed)


def _code_list_text(array: exp.Expr) -> exp.Expr:
    """A list of disqualifier codes (plain names) as JSON text: `["a", "b"]`."""
    item = exp.to_identifier("lr_item")
    quoted = exp.Lambda(this=concat(lit('"'), exp.column(item), lit('"')), expressions=[item])
    joined = fn("array_to_string", exp.func("list_transform", array, quoted), lit(", "))
    return concat(lit("["), fn("coalesce", joined, lit("")), lit("]"))


def _python_csv_cell(text: str) -> str:
    """`text` as Python's csv writer prints it as the first of two cells (as `CsvWriter` writes)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])
    return buffer.getvalue()[: -len(",\n")]


# The characters that make Python's csv writer quote a cell (QUOTE_MINIMAL): found by asking it,
# since which line-break characters count has changed between Python versions.
_CSV_QUOTED_CHARS = tuple(char for char in ',"\n\r' if _python_csv_cell(char) != char)


def _csv_cell(text: exp.Expr) -> exp.Expr:
    """A text value as `CsvWriter` prints it: NULL as an empty cell; quoted, with quotes doubled,
    when it holds a character of `_CSV_QUOTED_CHARS`; else as itself."""
    needs_quotes = exp.or_(*[fn("contains", text.copy(), lit(char)) for char in _CSV_QUOTED_CHARS])
    quoted = concat(lit('"'), fn("replace", text.copy(), lit('"'), lit('""')), lit('"'))
    return fn("coalesce", exp.case().when(needs_quotes, quoted).else_(text.copy()), lit(""))


def _crm_case(mapping: m.CrmMapping, encode: Callable[[str], str], unmapped: str) -> exp.Expr:
    """`eval --crm`: the text of the CRM value of each row's stage, `encode`d in Python (JSON
    or a CSV cell) and entering SQL as literals; `unmapped` for a stage the mapping leaves out."""
    case = exp.case()
    for stage, value in mapping.values:
        case = case.when(exp.EQ(this=exp.column("stage"), expression=lit(stage)), lit(encode(value)))
    return case.else_(lit(unmapped))


def _without_terminator(line: str) -> str:
    return line.removesuffix("\n")


# COPY options writing one text column as it is: each value a finished line (or lines)
_TEXT_LINES: list[tuple[str, exp.Expr]] = [
    ("FORMAT", exp.var("CSV")), ("HEADER", exp.false()), ("QUOTE", lit("")), ("ESCAPE", lit("")),
    ("DELIMITER", lit("\x1f"))]

# the error a line out of its place raises inside the COPY (`_Writer._copy_in_order`)
_OUT_OF_PLACE = "leadrules: output line out of its place"

# builds (lr_order, lr_text, *passed columns) of accepted records from a source of result rows
_LineQuery = Callable[[exp.Expr, tuple[str, ...]], exp.Select]


@dataclass(frozen=True)
class _Writer:
    """The output queries of one run's results."""

    con: duckdb.DuckDBPyConnection
    model: m.CheckedModel

    def _line_query(self, source: exp.Expr, passed: tuple[str, ...] = ()) -> exp.Select:
        """(record number, JSON text) of each accepted record of `source` (`_joined_results`'s
        columns), built from the result columns; `passed` columns are carried along."""
        model = self.model
        stages = [m.DISQUALIFIED, *model.stages]
        routes = [e.target for r in model.routes.values() for e in (*r.entries, *( [r.otherwise] if r.otherwise else []))]
        schema = output_schema(model)

        def scores() -> list[exp.Expr]:
            parts: list[exp.Expr] = [lit("{")]
            for index, (name, column) in enumerate(schema.score_columns):
                parts += [lit((", " if index else "") + dumps(name) + ": "), _number_text(col(column))]
            return [*parts, lit("}")]

        def bands() -> list[exp.Expr]:
            parts: list[exp.Expr] = [lit("{")]
            for index, (name, column) in enumerate(schema.band_columns):
                labels = [e.label for e in model.bands[name].entries]
                parts += [lit((", " if index else "") + dumps(name) + ": "), _json_text_case(col(column), labels)]
            return [*parts, lit("}")]

        def crm() -> list[exp.Expr]:
            assert model.crm_output is not None
            return [_crm_case(model.crm_output, dumps, "null")]

        # each key of the one output record (output_schema), in its order, as JSON text
        values: dict[str, Callable[[], list[exp.Expr]]] = {
            "id": lambda: [exp.column("lr_id_json")],
            "stage": lambda: [_json_text_case(exp.column("stage"), stages)],
            "disqualified": lambda: [exp.case().when(exp.column("disqualified"), lit("true")).else_(lit("false"))],
            "reasons": lambda: [_code_list_text(exp.column("reasons"))],
            "blocked": lambda: [_code_list_text(exp.column("blocked"))],
            "scores": scores,
            "bands": bands,
            "route": lambda: [_json_text_case(exp.column("route"), routes)],
            "crm": crm,
        }
        pieces: list[exp.Expr] = []
        for index, key in enumerate(schema.record_keys):
            pieces.append(lit(("{" if index == 0 else ", ") + dumps(key) + ": "))
            pieces.extend(values[key]())
        pieces.append(lit("}"))
        return exp.select(exp.column("lr_order"), exp.alias_(concat(*pieces), "lr_text"),
                          *[exp.column(c) for c in passed]).from_(source)

    def write_jsonl(self, output_path: str | None, fallback: dict[int, dict[str, Any]]) -> None:
        """JSON Lines: DuckDB writes a file itself (one text column, no quoting: JSON text never
        holds a raw newline or control character, so each value is exactly one line)."""
        crm = self.model.crm_output
        if crm is not None:
            # the Python engine's records gain their `crm` key as the JSONL writer adds it
            fallback = {number: with_crm(record, crm) for number, record in fallback.items()}
        if output_path is not None and output_path != "-":
            self._create_lines_table("lr_python_lines", {number: dumps(record) for number, record in fallback.items()})
            # a JSON line is about three times its row (keys, brackets, quotes): its row is sorted
            self._copy_lines(self._line_query, output_path, sort_rows=True)
            return
        cursor = self.con.execute(sql(self._final_lines()))
        with open_output(output_path) as stream:
            fallback_iter = iter(sorted(fallback.items()))
            next_fallback = next(fallback_iter, None)
            while batch := cursor.fetchmany(FETCH):
                chunk: list[str] = []
                for number, text in batch:
                    while next_fallback is not None and next_fallback[0] < number:
                        chunk.append(dumps(next_fallback[1]))
                        next_fallback = next(fallback_iter, None)
                    chunk.append(text)
                _write_in_pieces(stream, "\n".join(chunk) + "\n")
            while next_fallback is not None:
                stream.write(dumps(next_fallback[1]) + "\n")
                next_fallback = next(fallback_iter, None)

    def _copy_lines(self, line_query: _LineQuery, output_path: str, sort_rows: bool) -> None:
        """Every line in input order into a file: the accepted records' lines (`line_query`)
        and lr_python_lines, by one COPY of a single unquoted text column, its sort held to a
        memory budget (`_spilling`). `sort_rows`: sort the result rows rather than the lines
        (`_copy_in_order`), for lines much wider than their rows."""
        try:
            with _spilling(self.con):
                self._copy_ordered(line_query, output_path, sort_rows)
        except duckdb.OutOfMemoryException:
            # the budget is too small for this run (it holds the COPY's own buffers too)
            self._copy_ordered(line_query, output_path, sort_rows)

    def _copy_ordered(self, line_query: _LineQuery, output_path: str, sort_rows: bool) -> None:
        if not (sort_rows and self._copy_in_order(line_query, output_path)):
            self._copy_to(self._sorted_lines(line_query), output_path, _TEXT_LINES)

    def _sorted_lines(self, line_query: _LineQuery) -> exp.Select:
        """(lr_text) of every line, the finished lines sorted by record number."""
        union = exp.union(line_query(self._joined_results("lr_id_json").subquery("lr_r"), ()),
                          exp.select(exp.column("lr_order"), exp.column("lr_text")).from_("lr_python_lines"),
                          distinct=False)
        return exp.select(exp.column("lr_text")).from_(union.subquery("lr_all")).order_by(exp.column("lr_order"))

    def _copy_to(self, select: exp.Select, output_path: str, options: list[tuple[str, exp.Expr]]) -> None:
        """COPY a query to the output by the rules of `io.output` (atomic replace of a regular
        file, write-through for a device, FIFO or symlink target)."""
        with output_file_path(output_path) as temp:
            copy = exp.Copy(this=exp.Subquery(this=select), kind=False, files=[lit(str(temp))],
                            params=[exp.CopyParameter(this=exp.var(k), expression=v) for k, v in options])
            try:
                self.con.execute(sql(copy))
            except duckdb.IOException as exc:
                # DuckDB's message names the temporary file; the user named the output
                raise InputError(f"{output_path}: cannot write ({io_reason(str(exc))})") from None

    def _result_columns(self) -> list[exp.Expr]:
        """The columns of lr_results (`r`) the output is built from."""
        model = self.model
        return [*[exp.column(c, table="r") for c in ("stage", "disqualified", "reasons", "blocked", "route")],
                *[col("score_" + n, table="r") for n in model.scores],
                *[col("band_" + n, table="r") for n in model.bands]]

    def _copy_in_order(self, line_query: _LineQuery, output_path: str) -> bool:
        """Write every line in input order, sorting the narrow result rows rather than the
        finished lines: the accepted records' results (and the Python engine's lines of
        lr_python_lines, by record number, 0 a header) are ordered by record number, and each
        line is built from its row as the sorted rows stream into the COPY, so the sort holds
        no line text. The COPY checks each row follows the one before it (the order of a
        sorted subquery's rows reaching the COPY is DuckDB's practice, not its promise: a row
        out of place stops the COPY). False, with nothing written, when it stops: the caller
        then sorts the lines themselves."""
        results = self._joined_results("lr_id_json").select(
            exp.alias_(exp.cast(exp.null(), "VARCHAR"), "lr_python_text"))
        python = exp.select(exp.column("lr_order"), exp.alias_(exp.column("lr_text"), "lr_python_text")).from_(
            "lr_python_lines")
        every_row = exp.union(results, python, distinct=False)
        every_row.set("by_name", True)
        ordered = exp.select(exp.Star()).from_(every_row.subquery("lr_rows")).order_by(exp.column("lr_order"))
        with_previous = exp.select(exp.Star(), exp.alias_(exp.Window(this=exp.func("lag", exp.column("lr_order"))),
                                                           "lr_previous")).from_(ordered.subquery("lr_ordered"))
        lines = line_query(with_previous.subquery("lr_r"), ("lr_python_text", "lr_previous"))
        in_place = exp.GT(this=exp.column("lr_order"), expression=fn("coalesce", exp.column("lr_previous"), num(-1)))
        placed = exp.case().when(in_place, fn("coalesce", exp.column("lr_python_text"), exp.column("lr_text"))).else_(
            exp.cast(fn("error", lit(_OUT_OF_PLACE)), "VARCHAR"))
        try:
            self._copy_to(exp.select(exp.alias_(placed, "lr_text")).from_(lines.subquery("lr_lines")), output_path,
                          _TEXT_LINES)
        except duckdb.InvalidInputException as exc:
            if _OUT_OF_PLACE not in str(exc):
                raise
            return False
        return True

    def _create_lines_table(self, name: str, lines: dict[int, str]) -> None:
        """Table `name` (lr_order, lr_text) of `lines` by record number, filled in one statement
        over two lists (executemany costs a statement per row)."""
        table = exp.Schema(this=exp.to_table(name), expressions=[
            exp.ColumnDef(this=exp.to_identifier("lr_order"), kind=exp.DataType.build("BIGINT")),
            exp.ColumnDef(this=exp.to_identifier("lr_text"), kind=exp.DataType.build("VARCHAR")),
        ])
        self.con.execute(sql(exp.Create(this=table, kind="TABLE")))
        if lines:
            insert = exp.insert(exp.select(exp.Unnest(expressions=[exp.Placeholder()]),
                                           exp.Unnest(expressions=[exp.Placeholder()])), name)
            self.con.execute(sql(insert), [list(lines), list(lines.values())])

    def _joined_results(self, id_alias: str) -> exp.Select:
        """Accepted records' results with their record number (`lr_order`) and JSON id."""
        return exp.select(
            exp.alias_(exp.column("lr_record", table="c"), "lr_order"),
            exp.alias_(exp.column("lr_id_json", table="c"), id_alias),
            *self._result_columns(),
        ).from_(exp.alias_(exp.to_table("lr_results"), "r", table=True)).join(
            exp.alias_(exp.to_table("lr_checked"), "c", table=True),
            on=exp.EQ(this=exp.column("lr_record", table="c"), expression=exp.column("id", table="r")),
        )

    def _final_lines(self) -> exp.Select:
        """(record number, JSON line) of accepted records, in input order."""
        inner = self._joined_results("lr_id_json")
        return self._line_query(inner.subquery("lr_r")).order_by(exp.column("lr_order"))

    def _csv_line_query(self, source: exp.Expr, passed: tuple[str, ...] = ()) -> exp.Select:
        """(record number, CSV line without its terminator) of each accepted record of `source`
        (`_joined_results`'s columns), built in SQL cell by cell with the bytes `CsvWriter` gives
        the same record; `passed` columns are carried along."""
        model = self.model
        id_json = exp.column("lr_id_json")
        # a string id is its text, any other id its JSON text (as `_cell` prints the value)
        id_text = exp.case().when(fn("starts_with", id_json, lit('"')),
                                  fn("json_extract_string", id_json.copy(), lit("$"))).else_(id_json.copy())
        disqualified = exp.column("disqualified")
        cells: list[exp.Expr] = [
            _csv_cell(id_text),
            _csv_cell(exp.column("stage")),
            exp.case().when(disqualified, lit("true")).when(exp.not_(disqualified.copy()), lit("false")).else_(lit("")),
            _csv_cell(fn("array_to_string", exp.column("reasons"), lit(";"))),
            _csv_cell(fn("array_to_string", exp.column("blocked"), lit(";"))),
            _csv_cell(exp.column("route")),
            *([] if model.crm_output is None else [_crm_case(model.crm_output, _python_csv_cell, "")]),
            # plain notation needs no quoting: digits, a point, a sign
            *[fn("coalesce", _number_text(col("score_" + n)), lit("")) for n in model.scores],
            *[_csv_cell(col("band_" + n)) for n in model.bands],
            lit(""),  # error
        ]
        pieces: list[exp.Expr] = []
        for index, cell in enumerate(cells):
            if index:
                pieces.append(lit(","))
            pieces.append(cell)
        return exp.select(exp.column("lr_order"), exp.alias_(concat(*pieces), "lr_text"),
                          *[exp.column(c) for c in passed]).from_(source)

    def _csv_python_lines(self, fallback: dict[int, dict[str, Any]]) -> tuple[list[int], list[str]]:
        """The header (number 0) and the Python engine's records, each line written by
        `CsvWriter` itself, without its terminator."""
        buffer = io.StringIO()
        writer = WRITERS["csv"](buffer, self.model)
        numbers, lines = [0], [_without_terminator(buffer.getvalue())]
        for number, record in sorted(fallback.items()):
            buffer.seek(0)
            buffer.truncate()
            writer.write(record)
            numbers.append(number)
            lines.append(_without_terminator(buffer.getvalue()))
        return numbers, lines

    def write_csv(self, output_path: str | None, fallback: dict[int, dict[str, Any]]) -> None:
        """Every line in input order: the accepted records' lines built in SQL, the header and
        the Python engine's lines from a table filled in one statement. A file is written by
        one COPY of a single unquoted text column (each value is a finished line, newlines
        inside quoted cells included); standard output is fed from the sorted lines."""
        numbers, lines = self._csv_python_lines(fallback)
        self._create_lines_table("lr_python_lines", dict(zip(numbers, lines, strict=True)))
        if output_path is not None and output_path != "-":
            # a CSV line is about as narrow as its row (lists and decimals cost the row more):
            # sorting the lines is the faster (1M leads: 1.2 against 1.4 s)
            self._copy_lines(self._csv_line_query, output_path, sort_rows=False)
            return
        cursor = self.con.execute(sql(self._sorted_lines(self._csv_line_query)))
        with open_output(output_path) as stream:
            while batch := cursor.fetchmany(FETCH):
                _write_in_pieces(stream, "\n".join(text for (text,) in batch) + "\n")

    def write_parquet(self, output_path: str | None, fallback: dict[int, dict[str, Any]]) -> None:
        """One COPY of every record in input order: the accepted records' results straight from
        SQL, the records of the Python engine from a table filled in one statement (a row at a
        time would cost a statement per row, and must not run on the connection while a cursor
        over the results is still being read)."""
        assert output_path is not None
        model = self.model
        columns = ["lr_order", "id", "stage", "disqualified", "reasons", "blocked", "route"]
        columns += ["score." + n for n in model.scores] + ["band." + n for n in model.bands] + ["error"]
        types = ["BIGINT", "VARCHAR", "VARCHAR", "BOOLEAN", "VARCHAR[]", "VARCHAR[]", "VARCHAR"]
        types += [DECIMAL_TYPE] * len(model.scores) + ["VARCHAR"] * len(model.bands) + ["VARCHAR"]
        table = exp.Schema(this=exp.to_table("lr_out"), expressions=[
            exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=exp.DataType.build(t))
            for c, t in zip(columns, types, strict=True)
        ])
        self.con.execute(sql(exp.Create(this=table, kind="TABLE")))
        if fallback:
            self._insert_fallback(columns, types, fallback)
        joined = self._joined_results("lr_id_json")
        id_json = exp.column("lr_id_json")
        # the id column holds a string id as itself and any other id as its JSON text
        id_text = exp.case().when(fn("starts_with", id_json, lit('"')),
                                  fn("json_extract_string", id_json.copy(), lit("$"))).else_(id_json.copy())
        values = [
            exp.column("lr_order"), id_text,
            *[exp.column(c) for c in ("stage", "disqualified", "reasons", "blocked", "route")],
            *[exp.cast(col("score_" + n), DECIMAL_TYPE) for n in model.scores],
            *[col("band_" + n) for n in model.bands],
            exp.cast(exp.null(), "VARCHAR"),
        ]
        accepted = exp.select(*[exp.alias_(v, c, quoted=True) for v, c in zip(values, columns, strict=True)]).from_(
            joined.subquery("lr_r"))
        everything = exp.union(accepted, exp.select(exp.Star()).from_("lr_out"), distinct=False)
        select = exp.select(*[exp.column(c, quoted=True) for c in columns[1:]]).from_(
            everything.subquery("lr_all")).order_by(exp.column("lr_order", quoted=True))
        self._copy_to(select, output_path, [("FORMAT", exp.var("PARQUET"))])

    def _insert_fallback(self, columns: list[str], types: list[str], fallback: dict[int, dict[str, Any]]) -> None:
        """The records of the Python engine into lr_out: one list per column, one statement."""
        model = self.model
        values: list[list[Any]] = [[] for _ in columns]
        for number, record in sorted(fallback.items()):
            error = record.get("error")
            shown = record["id"]
            id_text = None if shown is None else (shown if isinstance(shown, str) else dumps(shown))
            if error is not None:
                row = [number, id_text, None, None, None, None, None]
                row += [None] * (len(model.scores) + len(model.bands)) + [error["message"]]
            else:
                row = [number, id_text, record["stage"], record["disqualified"], record["reasons"],
                       record["blocked"], record["route"]]
                # score text, cast by DuckDB: exact, whatever the magnitude
                row += [str(record["scores"][n]) for n in model.scores]
                row += [record["bands"][n] for n in model.bands] + [None]
            for column, value in zip(values, row, strict=True):
                column.append(value)
        insert = exp.insert(exp.select(*[exp.cast(exp.Unnest(expressions=[exp.Placeholder()]), t) for t in types]),
                            "lr_out")
        self.con.execute(sql(insert), values)

    def tally(self, fallback: dict[int, dict[str, Any]]) -> ResultTally:
        """The `eval` summary's counts: grouped in SQL over the accepted records' results, and
        record by record over the Python engine's (a few aggregates, not another pass in Python)."""
        counter = TallyCounter()
        total = self.con.execute(sql(exp.select(exp.Count(this=exp.Star())).from_("lr_results"))).fetchone()

        def grouped(column: str, listed: bool) -> list[tuple[Any, int]]:
            value: exp.Expr = exp.column(column)
            if listed:
                value = exp.Unnest(expressions=[value])
            inner = exp.select(exp.alias_(value, "lr_value")).from_("lr_results")
            query = exp.select(exp.column("lr_value"), exp.Count(this=exp.Star())).from_(
                inner.subquery("lr_values")).group_by(exp.column("lr_value"))
            return [(name, int(count)) for name, count in self.con.execute(sql(query)).fetchall()]

        counter.add_counts(int(total[0]) if total else 0, grouped("stage", False), grouped("reasons", True),
                           grouped("blocked", True), grouped("route", False))
        for number, record in fallback.items():
            counter.add(record, number)
        return counter.result(self.model)


def io_reason(message: str) -> str:
    """The operating system's reason in a DuckDB I/O error (`... "errno":"28"}` or
    `Cannot open file "...": Permission denied`), without the temporary file's name."""
    errno_text = re.search(r'"errno":\s*"?([0-9]+)', message)
    if errno_text is not None:
        return os.strerror(int(errno_text.group(1)))
    reason = message.splitlines()[-1].rpartition(": ")[2] if message else ""
    return reason if reason.replace(" ", "").isalpha() and len(reason) < 80 else "I/O error"


def _write_in_pieces(stream: IO[str], text: str, piece: int = 1 << 20) -> None:
    """Write in pieces of at most a MiB: one multi-megabyte write into a pipe whose reader
    has gone (`| head`) can end the process with status 0 instead of raising BrokenPipeError,
    and the lost output would then look delivered."""
    for start in range(0, len(text), piece):
        stream.write(text[start:start + piece])


# What DuckDB may hold beyond its tables while it sorts and writes the output; past it, the sort
# spills to disk. The sort of every row of a run would otherwise grow the process by about
# the size of the output (1M leads, JSON Lines: 913 MB peak, against 641 MB before the COPY).
_WRITE_MEMORY = 160 << 20

# DuckDB's temporary directory for an in-memory database when none is set: relative to the
# working directory, so never used here
_DEFAULT_TEMP_DIRECTORY = ".tmp"


@contextmanager
def _spilling(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB held to the memory its tables take now plus `_WRITE_MEMORY` for the block, its
    sorts spilling to a temporary directory of its own: a directory DuckDB creates when it
    first spills and removes when the connection closes (a new name in the system's temporary
    folder), unless one is set or in use already."""
    found = con.execute(sql(exp.select(exp.func("sum", exp.column("memory_usage_bytes"))).from_(
        "duckdb_memory()"))).fetchone()
    used = int(found[0]) if found and found[0] is not None else 0
    if _setting(con, "temp_directory") == _DEFAULT_TEMP_DIRECTORY:
        folder = os.path.join(tempfile.gettempdir(), f"leadrules-duckdb-{uuid.uuid4().hex}")
        try:
            con.execute(sql(_set("temp_directory", lit(folder))))
        except duckdb.NotImplementedException:
            pass  # the default directory is in use already: DuckDB cannot switch
    limit_before = _setting(con, "memory_limit")
    con.execute(sql(_set("memory_limit", lit(f"{(used + _WRITE_MEMORY) >> 20}MiB"))))
    try:
        yield
    finally:
        # the default back exactly (the setting reads back rounded), or the limit set before
        con.execute(sql(exp.Command(this="RESET", expression=lit("memory_limit"))))
        if _setting(con, "memory_limit") != limit_before:
            con.execute(sql(_set("memory_limit", lit(limit_before))))


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
    found = con.execute(sql(exp.select(fn("current_setting", lit(name))))).fetchone()
    return str(found[0]) if found else ""


def _set(name: str, value: exp.Expr) -> exp.Expr:
    return exp.Set(expressions=[exp.SetItem(this=exp.EQ(this=exp.column(name), expression=value))])

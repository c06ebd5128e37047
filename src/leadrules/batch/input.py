"""The leads (and `--events`) file as DuckDB reads it: which files DuckDB reads at all, the
spooled copy of a pipe, the raw tables `lr_raw` (JSON Lines, Parquet) and `lr_file_events`, the
view `lr_csv_cells` of a CSV file (not stored: `batch.acceptance` reads it once, numbering rows as
it stores them), and the raw records the Python engine takes back when SQL does not accept a
record.

Loading reads without judging: every CSV cell is text, every JSON Lines member its JSON text,
Parquet columns as typed. `PythonReads` says a file is one DuckDB would read otherwise than the
Python readers (encoding, a ragged CSV, ...): the whole run then goes through the Python
readers, which decide what each record is.
"""

from __future__ import annotations

import codecs
import datetime as dt
import mmap
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import duckdb
from sqlglot import exp

from leadrules import model as m
from leadrules.batch.sqlparts import count_rows, create, describe, drop_table, fn, lit, matches, num, sql
from leadrules.errors import InputError
from leadrules.io.leads import (
    CsvOptions,
    attach_events,
    csv_rows,
    lead_format,
    parse_json_line,
    read_csv,
    read_csv_header,
    read_events_csv,
)
from leadrules.jsontext import dumps

__all__ = ["LeadsInput", "LoadedLeads", "PythonReads", "input_of", "readable_path", "load_leads",
           "load_events_file", "raw_records", "release_raw", "number_text_column", "FETCH", "CSV_CELLS", "JSONL_CELLS"]

# rows fetched from DuckDB at a time when Python reads a result
FETCH = 50_000
# the view of a CSV leads file's declared columns (id, events and the fields), as text, unnumbered
CSV_CELLS = "lr_csv_cells"
# the view of a JSON Lines file's lines, each checked and parsed (`lr_object`), unnumbered
JSONL_CELLS = "lr_jsonl_cells"
# the view of a Parquet leads file as it is, and the column DuckDB adds with each row's number
_PARQUET_FILE = "lr_parquet_file"
_ROW_NUMBER = "file_row_number"
_BLANK_LINE = "^[ \\t\\n\\r\\x0b\\x0c]*$"
# What DuckDB's JSON parser accepts and Python's does not: a comma before a closing bracket,
# and NaN / Infinity in any case (Python rejects them too, as lead values). Matching inside a
# string only sends the line to the Python engine, which is always correct.
_LENIENT_JSON = "(?i)(,\\s*[]}])|([:\\[,]\\s*[-+]?(nan|inf))"
# Python's decoder gives up on deeply nested values (a recursion limit); DuckDB does not. A line
# with more opening brackets than this goes to the Python engine, whose answer is the reference.
_MAX_BRACKETS = 256
# a JSON number right after `"<field name>"` and its colon (for number fields)
_RAW_NUMBER_AFTER_KEY = '"\\s*:\\s*(-?[0-9]+\\.[0-9]+)\\s*[,}]'
# the delimiter DuckDB's CSV reader is given to read a JSON Lines file a whole line a row
_LINE_DELIMITER = "\x01"


@dataclass(frozen=True)
class LeadsInput:
    """The leads file as DuckDB sees it."""

    kind: str  # "jsonl" | "csv" | "parquet"
    path: str  # the file DuckDB reads (a spooled copy of stdin or a pipe)
    shown: str  # the path as given, for messages


@dataclass(frozen=True)
class LoadedLeads:
    """`lr_raw` as loaded: its kind, the file DuckDB read and how, and its columns."""

    kind: str  # "jsonl" | "csv" | "parquet"
    path: str  # the file read: for CSV the UTF-8 copy of a file in another encoding
    shown: str  # the path as given, for messages
    csv_options: CsvOptions  # how `path` reads (UTF-8) when it is CSV
    columns: tuple[str, ...]  # columns of lr_raw (Parquet) or of `CSV_CELLS` (CSV); empty for JSON Lines
    column_types: Mapping[str, str]  # DuckDB type of each column (Parquet)
    # JSON Lines: whether lr_raw keeps each line's text (`lr_line`); when not, the lines the
    # Python engine needs are read again from the file
    lines_kept: bool = False
    # JSON Lines: whether the lines are the unnumbered view `JSONL_CELLS`, read once by
    # `acceptance` (no lr_raw), and whether the file ends with `\n` (how lines are counted)
    lines_read_once: bool = False
    ends_with_newline: bool = False
    # what holds the raw records, (name, VIEW or TABLE) in the order they are dropped
    raw_tables: tuple[tuple[str, str], ...] = ()


class PythonReads(Exception):
    """The leads or events file is one DuckDB would read otherwise than the Python readers."""


def _spool(stream: IO[bytes], suffix: str, stack: ExitStack) -> str:
    """A temporary copy of a stream (stdin, a pipe), removed when the run ends."""
    handle, temp = tempfile.mkstemp(suffix=suffix)
    stack.callback(os.unlink, temp)
    with os.fdopen(handle, "wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
    return temp


def readable_path(path: str, suffix: str, stack: ExitStack) -> str:
    """A path DuckDB can scan: the file itself, or a spooled copy of a pipe (`<(cat leads.jsonl)`)."""
    try:
        if Path(path).is_file():
            return path
        if Path(path).is_dir():
            raise InputError(f"{path}: is a directory")
        if not Path(path).exists():
            raise InputError(f"{path}: no such file")
        with open(path, "rb") as stream:
            return _spool(stream, suffix, stack)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def input_of(path: str, stack: ExitStack) -> LeadsInput | None:
    """What DuckDB reads; None when the Python readers handle the file (a .json array)."""
    if path == "-":
        # stdin: spool to a temporary file so DuckDB can scan it
        return LeadsInput("jsonl", _spool(sys.stdin.buffer, ".jsonl", stack), path)
    kind = "parquet" if Path(path).suffix.lower() == ".parquet" else lead_format(path)
    if kind == "json":
        if not Path(path).exists():
            raise InputError(f"{path}: no such file")
        return None
    return LeadsInput(kind, readable_path(path, "." + kind, stack), path)



def load_leads(con: duckdb.DuckDBPyConnection, model: m.CheckedModel, source: LeadsInput,
               csv_options: CsvOptions, temp_files: ExitStack, read_lines_once: bool = True) -> LoadedLeads:
    """lr_raw: one row per record, numbered `lr_record` as the Python readers number them; for
    CSV, the unnumbered view `CSV_CELLS` instead, and for JSON Lines (unless
    `read_lines_once` is False: the reader failed on the file that way) `JSONL_CELLS`."""
    path = lit(source.path)
    utf8_options = replace(csv_options, encoding="utf-8")
    if source.kind == "jsonl":
        ends_with_newline = _load_jsonl_streaming(con, model, source.path) if read_lines_once else None
        if ends_with_newline is not None:
            return LoadedLeads("jsonl", source.path, source.shown, utf8_options, (), {},
                               lines_read_once=True, ends_with_newline=ends_with_newline,
                               raw_tables=((JSONL_CELLS, "VIEW"),))
        # the lines first, as a table: the JSON work on them then runs in a plain scan, on
        # every core (a window over the lines would run it on one)
        con.execute(create("lr_lines", _jsonl_lines(path)))
        inner_blank = exp.select(exp.func("count", exp.Star())).from_("lr_lines").where(exp.and_(
            exp.column("lr_blank"), exp.LT(this=exp.column("lr_physical"), expression=exp.column("lr_part_count"))))
        found = con.execute(sql(inner_blank)).fetchone()
        renumber = found is not None and found[0] > 0
        if renumber:
            # blank lines before the end: records are numbered apart from lines
            numbers = exp.select(
                exp.column("lr_physical"),
                exp.alias_(exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[
                    exp.Ordered(this=exp.column("lr_physical"))])), "lr_number"),
            ).from_("lr_lines").where(exp.not_(exp.column("lr_blank")))
            con.execute(create("lr_numbers", numbers))
        con.execute(create("lr_raw", _jsonl_raw(model, renumber)))
        con.execute(drop_table("lr_lines"))
        if renumber:
            con.execute(drop_table("lr_numbers"))
        return LoadedLeads("jsonl", source.path, source.shown, utf8_options, (), {}, lines_kept=True,
                           raw_tables=(("lr_raw", "TABLE"),))
    if source.kind == "csv":
        csv_path = _utf8_copy(source.path, csv_options, temp_files)
        header = _csv_header(csv_path, source.shown, model, utf8_options)
        wanted = [*model.fields, "id", "events"]
        kept = {name: f"c{index}" for index, name in enumerate(header) if name in wanted}
        reader = _csv_reader(csv_path, len(header), utf8_options)
        select = exp.select(*[exp.alias_(exp.column(column), name, quoted=True)
                              for name, column in kept.items()]).from_(reader)
        # not stored: `acceptance` reads the cells once, in parallel, into the checked table
        con.execute(create(CSV_CELLS, select, kind="VIEW"))
        return LoadedLeads("csv", csv_path, source.shown, utf8_options, tuple(kept), {},
                           raw_tables=((CSV_CELLS, "VIEW"),))
    con.execute(create(_PARQUET_FILE, exp.select(exp.Star()).from_(exp.func("read_parquet", path)), kind="VIEW"))
    described = [(str(row[0]), str(row[1])) for row in con.execute(describe(_PARQUET_FILE)).fetchall()]
    raw_tables: tuple[tuple[str, str], ...]
    if _ROW_NUMBER in dict(described):
        # the file has a column of that name: its rows are stored and numbered by their place
        _create_numbered(con, exp.select(exp.Star()).from_(_PARQUET_FILE))
        raw_tables = (("lr_raw", "VIEW"), ("lr_raw_rows", "TABLE"), (_PARQUET_FILE, "VIEW"))
    else:
        # each row's number read from the file itself: the rows need not be stored in order
        reader = exp.func("read_parquet", path.copy(), exp.EQ(this=exp.var(_ROW_NUMBER), expression=exp.true()))
        numbered = exp.select(
            exp.alias_(exp.Add(this=exp.column(_ROW_NUMBER), expression=num(1)), "lr_record"),
            exp.Star(except_=[exp.column(_ROW_NUMBER)]),
        ).from_(reader)
        con.execute(create("lr_raw", numbered, kind="VIEW"))
        raw_tables = (("lr_raw", "VIEW"), (_PARQUET_FILE, "VIEW"))
    return LoadedLeads("parquet", source.path, source.shown, utf8_options, tuple(name for name, _ in described),
                       dict(described), raw_tables=raw_tables)

def _create_numbered(con: duckdb.DuckDBPyConnection, rows: exp.Select) -> None:
    """lr_raw: `rows` with their position as `lr_record` (from 1). The rows are stored as read,
    in parallel, and numbered by their place in the table: DuckDB keeps the order rows are
    inserted in (`preserve_insertion_order`, on by default), so a row's `rowid` is its place
    in the file; a window (`ROW_NUMBER() OVER ()`) would run the whole read on one thread."""
    con.execute(create("lr_raw_rows", rows))
    numbered = exp.select(exp.alias_(exp.Add(this=exp.column("rowid"), expression=num(1)), "lr_record"),
                          exp.Star()).from_("lr_raw_rows")
    con.execute(create("lr_raw", numbered, kind="VIEW"))


def _jsonl_lines(path: exp.Expr) -> exp.Select:
    """lr_lines of a JSON Lines file: every line (split at `\\n`, like the Python reader)
    with its number and whether it is blank."""
    parts = exp.column("lr_parts")
    lines = exp.select(
        exp.alias_(exp.Unnest(expressions=[fn("generate_series", num(1), fn("len", parts.copy()))]), "lr_physical"),
        exp.alias_(exp.Unnest(expressions=[parts.copy()]), "lr_line"),
        exp.alias_(fn("len", parts.copy()), "lr_part_count"),
    ).from_(
        exp.select(exp.alias_(fn("string_split", exp.column("content"), lit("\n")), "lr_parts"))
        .from_(exp.func("read_text", path)).subquery("lr_file")
    )
    return exp.select(exp.Star(), exp.alias_(matches(exp.column("lr_line"), _BLANK_LINE), "lr_blank")).from_(
        lines.subquery("lr_split"))

def _line_ends(path: str) -> bool | None:
    """Whether the file ends with `\\n`; None when a byte in it would make DuckDB's CSV reader
    split or read its lines otherwise than the Python reader (which splits at `\\n` only): a
    `\\r` (a line break there), the byte used as the delimiter, or NUL."""
    last = b""
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            if b"\r" in block or _LINE_DELIMITER.encode("ascii") in block or b"\x00" in block:
                return None
            last = block[-1:]
    return last == b"\n"


def _load_jsonl_streaming(con: duckdb.DuckDBPyConnection, model: m.CheckedModel, path: str) -> bool | None:
    """The view `JSONL_CELLS` of a JSON Lines file read by DuckDB's CSV reader, one line a row
    (no quoting, a delimiter the file does not hold), in parallel and without keeping the
    lines: `acceptance` checks and parses each line as it is read, and stores only its parsed
    members. Whether the file ends with `\n`; None (nothing loaded) when the file has a byte
    that reader would treat otherwise than the Python reader does: the lines are then split
    from the whole text instead, as they are when the reader fails while `acceptance` reads
    the view (a line over its size limit, bytes that are not UTF-8; see `load_leads`)."""
    ends_with_newline = _line_ends(path)
    if ends_with_newline is None:
        return None
    options = {"columns": exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("lr_line"),
                                                                 expression=lit("VARCHAR"))]),
               "header": exp.false(), "auto_detect": exp.false(), "delim": lit(_LINE_DELIMITER), "quote": lit(""),
               "escape": lit(""), "new_line": lit("\\n"), "strict_mode": exp.true(), "null_padding": exp.false(),
               "encoding": lit("utf-8")}
    reader = exp.func("read_csv", lit(path), *[exp.EQ(this=exp.var(k), expression=v) for k, v in options.items()])
    line = exp.column("lr_line")
    # an empty line reads as NULL
    blank = exp.or_(line.is_(exp.null()), matches(line.copy(), _BLANK_LINE))
    rows = exp.select(
        exp.alias_(blank, "lr_blank"),
        exp.alias_(exp.case().when(exp.not_(blank.copy()), _object_of(model, line, _usual_keys(con, reader))),
                   "lr_object"),
        *_number_texts(model, line),
    ).from_(reader)
    con.execute(create(JSONL_CELLS, rows, kind="VIEW"))
    return ends_with_newline


def release_raw(con: duckdb.DuckDBPyConnection, leads: LoadedLeads) -> None:
    """Drop what holds the raw records (`leads.raw_tables`), whichever way they were loaded."""
    for name, kind in leads.raw_tables:
        con.execute(sql(exp.Drop(tables=[exp.to_table(name)], kind=kind, exists=True)))


def number_text_column(model: m.CheckedModel, name: str) -> str:
    """The column of lr_raw (JSON Lines) holding the text of number field `name` as written."""
    return f"lr_number_text_{list(model.fields).index(name)}"


def _number_columns(model: m.CheckedModel) -> list[str]:
    return [number_text_column(model, name) for name, fld in model.fields.items() if fld.kind == "number"]


def _number_texts(model: m.CheckedModel, line: exp.Expr) -> list[exp.Expr]:
    """Per number field, the text of the JSON decimal right after `"<field name>":` in the line
    (`acceptance` takes it only when it reads as the parsed value). NULL unless that key is
    written once in the whole line and the line has no `\\u` escape: the place found is then the
    record's own member, not a key of the same name inside a nested object (with no `\\u`
    escape, a key that reads as the field's name is written as it)."""
    texts: list[exp.Expr] = []
    for name, fld in model.fields.items():
        if fld.kind != "number":
            continue
        key = '"' + name + '"\\s*:'
        once = exp.and_(
            exp.EQ(this=fn("len", exp.Anonymous(this="regexp_extract_all", expressions=[line.copy(), lit(key)])),
                   expression=num(1)),
            exp.not_(fn("contains", line.copy(), lit("\\u"))),
        )
        # Anonymous keeps the group argument: sqlglot drops a literal 1 as a default
        found = exp.Anonymous(this="regexp_extract", expressions=[
            line.copy(), lit('"' + name + _RAW_NUMBER_AFTER_KEY), num(1)])
        texts.append(exp.alias_(exp.case().when(once, found), number_text_column(model, name)))
    return texts


def _usual_keys(con: duckdb.DuckDBPyConnection, reader: exp.Expr) -> list[str] | None:
    """The keys of the file's first JSON object line, in order, when no key repeats there (the
    lines of an export mostly have the same keys); None when there is no such line or the
    reader fails on the file's start."""
    line = exp.column("lr_line")
    first = exp.select(exp.func("json_keys", line.copy())).from_(reader).where(exp.and_(
        exp.func("json_valid", line.copy()), exp.EQ(this=exp.func("json_type", line.copy()), expression=lit("OBJECT")),
    )).limit(1)
    try:
        found = con.execute(sql(first)).fetchone()
    except duckdb.Error:
        return None
    keys = list(found[0]) if found is not None and found[0] is not None else None
    return keys if keys is not None and len(set(keys)) == len(keys) else None


def _object_of(model: m.CheckedModel, line: exp.Expr, usual_keys: list[str] | None = None) -> exp.Expr:
    """The line parsed once into a struct of the JSON text of `id`, `events` and each declared
    field; NULL unless the line is a JSON object DuckDB and Python read alike (no repeated
    keys, strict syntax, not nested too deeply). A line whose keys are `usual_keys` (which
    has none twice) needs no search for a repeated key, which costs more than the parse."""
    brackets = exp.Sub(this=fn("strlen", line.copy()), expression=fn(
        "strlen", fn("replace", fn("replace", line.copy(), lit("["), lit("")), lit("{"), lit(""))))
    keys = exp.func("json_keys", line.copy())
    distinct_keys: exp.Expr = exp.EQ(this=fn("len", keys), expression=fn("len", fn("list_distinct", keys.copy())))
    if usual_keys:
        distinct_keys = exp.case().when(
            exp.EQ(this=keys.copy(), expression=exp.Array(expressions=[lit(key) for key in usual_keys])), exp.true(),
        ).else_(distinct_keys)
    strict = (
        exp.case()
        .when(exp.not_(exp.func("json_valid", line.copy())), exp.false())
        .when(exp.NEQ(this=exp.func("json_type", line.copy()), expression=lit("OBJECT")), exp.false())
        .else_(exp.and_(
            distinct_keys,
            exp.not_(exp.func("regexp_matches", line.copy(), lit(_LENIENT_JSON))),
            # only a long line can nest deeply enough to matter
            exp.or_(exp.LTE(this=fn("strlen", line.copy()), expression=num(2 * _MAX_BRACKETS)),
                    exp.LTE(this=brackets, expression=num(_MAX_BRACKETS))),
        ))
    )
    members = {"id": "JSON", "events": "JSON", **{name: "JSON" for name in model.fields}}
    return exp.case().when(strict, exp.func("json_transform", line.copy(), lit(dumps(members))))


def _jsonl_raw(model: m.CheckedModel, renumber: bool) -> exp.Select:
    """lr_raw of a JSON Lines file: one row per non-blank line, numbered like the Python
    reader numbers records (the line number, unless blank lines come before the end), with
    the line parsed once into `lr_object` (a struct of the JSON text of `id`, `events` and
    each declared field). `lr_object` is NULL unless the line is a JSON object DuckDB and
    Python read alike (no repeated keys, strict syntax)."""
    line = exp.column("lr_line")
    number = exp.column("lr_number", table="n") if renumber else exp.column("lr_physical", table="l")
    checked = exp.select(
        exp.alias_(number, "lr_record"), exp.column("lr_physical", table="l"),
        exp.alias_(exp.LT(this=exp.column("lr_physical", table="l"), expression=exp.column("lr_part_count")),
                   "lr_newline"),
        line.copy(),
    ).from_(exp.alias_(exp.to_table("lr_lines"), "l", table=True)).where(exp.not_(exp.column("lr_blank")))
    if renumber:
        checked = checked.join(exp.alias_(exp.to_table("lr_numbers"), "n", table=True), on=exp.EQ(
            this=exp.column("lr_physical", table="l"), expression=exp.column("lr_physical", table="n")))
    raw = exp.select(
        exp.column("lr_record"), exp.column("lr_physical"), exp.column("lr_newline"), line.copy(),
        exp.alias_(_object_of(model, line), "lr_object"), *_number_texts(model, line),
    ).from_(checked.subquery("lr_checked_lines"))
    return raw


def load_events_file(con: duckdb.DuckDBPyConnection, model: m.CheckedModel, events_path: str,
                     csv_options: CsvOptions, temp_files: ExitStack) -> None:
    """lr_file_events: the declared events of an `--events` CSV file, in file order, as text."""
    utf8_options = replace(csv_options, encoding="utf-8")
    events_csv = _utf8_copy(events_path, csv_options, temp_files)
    header = [name.strip() for name in _csv_header(events_csv, events_path, None, utf8_options)]
    if any(header.count(name) != 1 for name in ("lead_id", "type", "at")):
        raise PythonReads("the events header: the Python reader words the problem")
    reader = _csv_reader(events_csv, len(header), utf8_options)
    declared = [lit(e) for e in model.events] or [lit("")]
    select = (
        exp.select(
            exp.alias_(exp.Window(this=exp.RowNumber()), "lr_order"),
            # an empty cell is NULL to DuckDB and "" to the csv module (a JSON id "" prints as "")
            exp.alias_(fn("coalesce", exp.column(f"c{header.index('lead_id')}"), lit("")), "lr_key"),
            exp.alias_(exp.column(f"c{header.index('type')}"), "lr_type"),
            exp.alias_(exp.column(f"c{header.index('at')}"), "lr_at"),
        )
        .from_(reader)
    )
    kept = exp.select(exp.Star()).from_(select.subquery("lr_file")).where(
        exp.column("lr_type").isin(*declared)
    )
    con.execute(create("lr_file_events", kept))


def raw_records(con: duckdb.DuckDBPyConnection, model: m.CheckedModel, leads: LoadedLeads,
                events_path: str | None, csv_options: CsvOptions, wanted: set[int]) -> Iterator[tuple[int, Any]]:
    """The wanted records exactly as the Python readers see them (events attached)."""
    events = read_events_csv(events_path, model, csv_options) if events_path else None
    if leads.kind == "parquet":
        records: Iterator[Any] = _parquet_records(con)
    elif leads.kind == "csv":
        stream = open(leads.path, "rb")  # noqa: SIM115
        records = _closing(read_csv(stream, model, leads.csv_options, leads.shown), stream)
    else:
        records = _jsonl_records(con, leads, wanted)
    if events:
        records = attach_events(records, events)
    for number, record in enumerate(records, 1):
        if number in wanted:
            yield number, record


def _jsonl_records(con: duckdb.DuckDBPyConnection, leads: LoadedLeads, wanted: set[int]) -> Iterator[Any]:
    """Every record position of a JSON Lines file; the wanted ones parsed from their line
    exactly as `read_jsonl` parses it (the newline and a first line's BOM included), the
    others None (only their position matters, for `--events` matched by position)."""
    text_column = exp.column("lr_line") if leads.lines_kept else exp.null()
    # lines read once: lr_checked has each record's line number and whether a `\n` ends it
    records = "lr_checked" if leads.lines_read_once else "lr_raw"
    select = exp.select(
        exp.column("lr_record"), exp.column("lr_physical"), exp.column("lr_newline"), text_column,
    ).from_(records).where(exp.column("lr_record").isin(
        query=exp.select(exp.column("lr_record")).from_("lr_checked").where(exp.not_(exp.column("lr_accepted")))))
    found = con.execute(sql(select)).fetchall()
    from_file = {} if leads.lines_kept else _lines_of(leads.path, {int(row[1]) for row in found})
    lines: dict[int, bytes] = {}
    for number, physical, newline, text in found:
        raw = text.encode("utf-8") + (b"\n" if newline else b"") if leads.lines_kept else from_file[int(physical)]
        if physical == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        lines[int(number)] = raw
    total = con.execute(count_rows(records)).fetchone()
    for number in range(1, (int(total[0]) if total else 0) + 1):
        raw_line = lines.get(number) if number in wanted else None
        yield None if raw_line is None else parse_json_line(raw_line)


def _lines_of(path: str, physical: set[int]) -> dict[int, bytes]:
    """The lines numbered `physical` (from 1) of a file, each with its `\\n` when it has one."""
    found: dict[int, bytes] = {}
    if not physical:
        return found
    last = max(physical)
    with open(path, "rb") as stream:
        for number, line in enumerate(stream, 1):
            if number in physical:
                found[number] = line
            if number >= last:
                break
    return found


def _parquet_records(con: duckdb.DuckDBPyConnection) -> Iterator[dict[str, Any]]:
    everything = exp.select(exp.Star(except_=[exp.column("lr_record")])).from_("lr_raw").order_by(exp.column("lr_record"))
    cursor = con.execute(sql(everything))
    names = [d[0] for d in cursor.description or []]
    while batch := cursor.fetchmany(FETCH):
        for row in batch:
            record = {name: _json_like(value) for name, value in zip(names, row, strict=True) if value is not None}
            events = record.get("events")
            if isinstance(events, str) and events.lstrip().startswith("["):
                # Parquet has no JSON type: events written as JSON text are read as that JSON
                parsed = parse_json_line(events)
                if isinstance(parsed, list):
                    record["events"] = parsed
            yield record


def _json_like(value: Any) -> Any:
    """A Parquet value as the JSON value it stands for (dates and times as ISO text), inside
    lists and structs too (`events` as a list of `{type, at}` structs)."""
    if isinstance(value, list):
        return [_json_like(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_like(item) for key, item in value.items() if item is not None}
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


# The csv module's cell limit: a longer cell makes its record an error record in Python. DuckDB
# stops at a record longer than this (`max_line_size`, whole quoted records included), so a file
# that might hold such a cell, in any column, goes to the Python readers.
_CSV_CELL_LIMIT = 131072


def _csv_header(path: str, shown: str, model: m.CheckedModel | None, options: CsvOptions) -> list[str]:
    """The header of a CSV file DuckDB may read, checked by the Python reader (a bad header is
    an `InputError` here, before any output). `PythonReads` when DuckDB would read the file
    otherwise than the Python reader: not UTF-8, a non-ASCII or one-column layout, a header
    that is not the first line alone, or a space beside a quote that opens or closes a cell
    (DuckDB drops such spaces, the csv module keeps them), bytes that are not UTF-8 in a
    column no query reads."""
    if options.encoding != "utf-8" or not options.delimiter.isascii():
        raise PythonReads("encoding or delimiter")
    try:
        return _checked_csv_header(path, shown, model, options)
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror or exc})") from None


def _checked_csv_header(path: str, shown: str, model: m.CheckedModel | None, options: CsvOptions) -> list[str]:
    with open(path, "rb") as stream:
        rows = csv_rows(stream, options)
        if model is not None:
            header = read_csv_header(rows, model, shown, options)
        else:
            first = next(rows, None)
            header = None if first is None or isinstance(first[1], str) else first[1]
        if header is None or len(header) < 2 or any("\r" in n or "\n" in n for n in header):
            raise PythonReads("header")
        stream.seek(0)
        _check_csv_bytes(stream, options.delimiter.encode("ascii"))
    return header


def _check_csv_bytes(stream: IO[bytes], delimiter: bytes, size: int = 1 << 20) -> None:
    """`PythonReads` when a file holds a space beside a quote that opens or closes a cell, or
    bytes that are not UTF-8. One pass over raw blocks, with byte searches only: the usual
    export has no quote beside a space and is ASCII, and then no block is copied or decoded.
    A block that may hold a spaced quote sends the whole file to one regular-expression search
    (line by line: MULTILINE); UTF-8 is checked by an incremental decoder, fed from the first
    block that is not ASCII on (a sequence may span two blocks; `\n` is never inside one, so
    the file decodes exactly when each of its lines does)."""
    suspect = False
    decoder = None
    last = b""
    while block := stream.read(size):
        # a quote is one byte to look for (memchr); a space and a quote may be in two blocks
        if not suspect and b'"' in block:
            suspect = b' "' in block or b'" ' in block or last + block[:1] == b' "'
        elif not suspect:
            suspect = last + block[:1] == b'" '
        if decoder is not None or not block.isascii():
            decoder = decoder or codecs.getincrementaldecoder("utf-8")()
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                raise PythonReads("not UTF-8") from None
        last = block[-1:]
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise PythonReads("not UTF-8") from None
    if suspect:
        delim = re.escape(delimiter)
        spaced_quote = re.compile(b'(?m)(?:^|' + delim + b') +"|" +(?:' + delim + b"|\r|\n|$)")
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as whole:
            if spaced_quote.search(whole):
                raise PythonReads("a space beside a quote")


def _csv_reader(path: str, width: int, options: CsvOptions) -> exp.Expr:
    """`read_csv` with nothing guessed: the header's width as columns c0.. (all text), the
    delimiter given, `"` quotes doubled inside quotes, every row as wide as the header."""
    columns = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(f"c{i}"), expression=lit("VARCHAR"))
                                      for i in range(width)])
    options_ = {"columns": columns, "header": exp.true(), "auto_detect": exp.false(),
                "delim": lit(options.delimiter), "quote": lit('"'), "escape": lit('"'), "strict_mode": exp.true(),
                "null_padding": exp.false(), "encoding": lit("utf-8"), "max_line_size": num(_CSV_CELL_LIMIT)}
    return exp.func("read_csv", lit(path), *[exp.EQ(this=exp.var(k), expression=v) for k, v in options_.items()])


def _single_byte(encoding: str) -> bool:
    """Whether every byte is one character on its own in `encoding` (latin-1, cp1252, ...):
    then decoding a file whole and line by line agree, and a UTF-8 copy reads as the file."""
    if not encoding.startswith(("iso8859", "cp", "mac-", "koi8", "latin")):
        return False
    try:
        return all(len(bytes([byte]).decode(encoding, "replace")) == 1 for byte in range(256)) and \
            len(bytes(range(256)).decode(encoding, "replace")) == 256
    except LookupError:
        return False


def _utf8_copy(path: str, options: CsvOptions, temp_files: ExitStack) -> str:
    """The CSV file for DuckDB, which reads UTF-8: the file itself, or a UTF-8 copy of a file
    in a single-byte encoding. `PythonReads` when a byte does not decode (the Python reader
    makes its row an error record) or the encoding is not single-byte."""
    if options.encoding == "utf-8":
        return path
    if not _single_byte(options.encoding):
        raise PythonReads("an encoding DuckDB does not read")
    handle, temp = tempfile.mkstemp(suffix=".csv")
    temp_files.callback(os.unlink, temp)
    try:
        with os.fdopen(handle, "wb") as out, open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                out.write(block.decode(options.encoding).encode("utf-8"))
    except UnicodeDecodeError:
        raise PythonReads("a byte the encoding does not have") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return temp


def _closing(records: Iterator[Any], handle: Any) -> Iterator[Any]:
    try:
        yield from records
    finally:
        handle.close()


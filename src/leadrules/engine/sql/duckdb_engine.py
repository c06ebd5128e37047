"""`leadrules eval --engine duckdb`: evaluate a leads file in-process with DuckDB.

DuckDB reads the leads file (CSV, JSON Lines or Parquet) and the `--events` CSV itself, types
each declared field, and runs the query `build.py` compiles, so a million leads never pass
through Python one by one. The output is the Python engine's, byte for byte:

* Validation in SQL only ever *accepts* a record when its raw values are in the plain forms
  whose meaning is beyond doubt (a JSON string for a text field, `2026-11-01T10:00:00Z` for a
  timestamp, a plain decimal with at most six places for a number, ...). Every other record —
  invalid ones, and valid ones in a rarer spelling — is handed to the Python engine
  (`engine.validate` plus the compiled evaluator), which is the reference. Those are few.
* Output lines for accepted records are assembled in SQL from pieces encoded in Python
  (`jsontext.dumps` of every key, stage, route target and band label), so the text is the
  JSONL writer's; CSV output goes through the shared `CsvWriter`.

SQL text is built with sqlglot builders here too: the leads path and every rule string enter
the tree as literals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import duckdb
from sqlglot import exp

from leadrules import model as m
from leadrules.engine.sql.build import DECIMAL_TYPE, QuerySource, build_query
from leadrules.engine.sql.dialects import Dialect, profile_for
from leadrules.engine.sql.render import render
from leadrules.errors import InputError
from leadrules.io.leads import (
    DEFAULT_CSV,
    WRITERS,
    CsvOptions,
    EvalSummary,
    attach_events,
    csv_rows,
    lead_format,
    open_output,
    parse_json_line,
    read_csv,
    read_csv_header,
    read_events_csv,
    with_crm,
)
from leadrules.io.output import output_file_path
from leadrules.io.summary import ResultTally, TallyCounter
from leadrules.jsontext import LINE_BREAK_ESCAPES, dumps
from leadrules.values import PLAIN_TIMESTAMP_PATTERN

__all__ = ["run", "run_detailed", "RunDetails", "OUTPUT_FORMATS"]

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
_FETCH = 50_000

# Plain spellings the SQL side accepts on its own (anything else goes to the Python engine).
_STAMP = f"^{PLAIN_TIMESTAMP_PATTERN}$"  # the usual spelling: a subset of the one timestamp grammar
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_CSV_INTEGER = r"^[+-]?[0-9]{1,18}(\.0+)?$"
_CSV_NUMBER = r"^[+-]?[0-9]{1,20}(\.[0-9]{1,6})?$"
# a string that prints in JSON as itself between quotes (no escapes needed)
_PLAIN_TEXT = "^[^\\x00-\\x1f\"\\\\]*$"
# a JSON number right after `"<field name>"` and its colon, and the plain decimals taken as exact
_RAW_NUMBER_AFTER_KEY = '"\\s*:\\s*(-?[0-9]+\\.[0-9]+)\\s*[,}]'
_JSON_DECIMAL = r"^-?[0-9]{1,9}\.[0-9]{1,6}$"
_BLANK_LINE = "^[ \\t\\n\\r\\x0b\\x0c]*$"
# What DuckDB's JSON parser accepts and Python's does not: a comma before a closing bracket,
# and NaN / Infinity in any case (Python rejects them too, as lead values). Matching inside a
# string only sends the line to the Python engine, which is always correct.
_LENIENT_JSON = "(?i)(,\\s*[]}])|([:\\[,]\\s*[-+]?(nan|inf))"
# An events list as DuckDB prints it back, when every element is exactly {"type": "...", "at": "..."}
# with strings that need no escapes: such lists are checked with one transform, not element by element.
_PLAIN_EVENT = '\\{"type":"[^"\\\\]*","at":"[^"\\\\]*"\\}'
_PLAIN_EVENTS = "^\\[(" + _PLAIN_EVENT + "(," + _PLAIN_EVENT + ")*)?\\]$"
# Python's decoder gives up on deeply nested values (a recursion limit); DuckDB does not. A line
# with more opening brackets than this goes to the Python engine, whose answer is the reference.
_MAX_BRACKETS = 256


@dataclass(frozen=True)
class _Input:
    """The leads file as DuckDB sees it."""

    kind: str  # "jsonl" | "csv" | "parquet"
    path: str  # the file DuckDB reads (a spooled copy of stdin or a pipe)
    shown: str  # the path as given, for messages


def run(model: m.CheckedModel, leads_path: str, events_path: str | None, as_of: dt.datetime,
        output_format: str = "jsonl", output_path: str | None = None,
        csv_options: CsvOptions = DEFAULT_CSV) -> EvalSummary:
    """Evaluate every record of `leads_path`; write results in `output_format` to `output_path`
    (stdout when None or '-'). Returns how many records were written and how many invalid."""
    return run_detailed(model, leads_path, events_path, as_of, output_format, output_path, csv_options).summary


@dataclass(frozen=True)
class RunDetails:
    summary: EvalSummary
    # records the Python engine evaluated because SQL did not accept them; None: the whole
    # file went through the Python readers
    python_records: int | None


def run_detailed(model: m.CheckedModel, leads_path: str, events_path: str | None, as_of: dt.datetime,
                 output_format: str = "jsonl", output_path: str | None = None,
                 csv_options: CsvOptions = DEFAULT_CSV) -> RunDetails:
    """`run`, also telling how many records needed the Python engine."""
    if output_format not in OUTPUT_FORMATS:
        raise InputError(f"unknown output format '{output_format}' (known: {', '.join(OUTPUT_FORMATS)})")
    if output_format == "parquet" and (output_path is None or output_path == "-"):
        raise InputError("--format parquet needs -o FILE")
    with ExitStack() as stack:
        source = _input_of(leads_path, stack)
        if source is None:
            return RunDetails(_python_run(model, leads_path, events_path, as_of, output_format, output_path,
                                          csv_options), None)
        if events_path is not None:
            events_path = _readable_path(events_path, ".csv", stack)
        con = duckdb.connect(":memory:")
        stack.callback(con.close)
        try:
            run_ = _Run(model, con, source, events_path, as_of, csv_options, stack)
            run_.prepare()
        except (duckdb.Error, _PythonReads):
            # DuckDB could not read the file as a whole, or would read it otherwise than the
            # Python readers (encoding, ragged CSV, a quote never closed, ...): the Python
            # readers decide what each record is.
            return RunDetails(_python_run(model, source.path, events_path, as_of, output_format, output_path,
                                          csv_options, source.kind), None)
        summary = run_.write(output_format, output_path)
        return RunDetails(summary, run_.python_records)
    raise AssertionError("unreachable")


class _PythonReads(Exception):
    """The leads or events file is one DuckDB would read otherwise than the Python readers."""


def _spool(stream: IO[bytes], suffix: str, stack: ExitStack) -> str:
    """A temporary copy of a stream (stdin, a pipe), removed when the run ends."""
    handle, temp = tempfile.mkstemp(suffix=suffix)
    stack.callback(os.unlink, temp)
    with os.fdopen(handle, "wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
    return temp


def _readable_path(path: str, suffix: str, stack: ExitStack) -> str:
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


def _input_of(path: str, stack: ExitStack) -> _Input | None:
    """What DuckDB reads; None when the Python readers handle the file (a .json array)."""
    if path == "-":
        # stdin: spool to a temporary file so DuckDB can scan it
        return _Input("jsonl", _spool(sys.stdin.buffer, ".jsonl", stack), path)
    kind = "parquet" if Path(path).suffix.lower() == ".parquet" else lead_format(path)
    if kind == "json":
        if not Path(path).exists():
            raise InputError(f"{path}: no such file")
        return None
    return _Input(kind, _readable_path(path, "." + kind, stack), path)


# ---- small sqlglot helpers ---------------------------------------------------------------------


def _s(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def _n(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def _f(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.func(name, *args, dialect="duckdb")


def _col(name: str, table: str | None = None) -> exp.Expr:
    return exp.column(name, table=table, quoted=True)


def _matches(value: exp.Expr, pattern: str) -> exp.Expr:
    return exp.func("regexp_full_match", value, _s(pattern))


def _sql(tree: exp.Expr) -> str:
    return render(tree, profile_for(Dialect.DUCKDB), pretty=False)


def _concat(*parts: exp.Expr) -> exp.Expr:
    total = parts[0]
    for part in parts[1:]:
        total = exp.DPipe(this=total, expression=part, safe=True)
    return total


def _member(name: str) -> exp.Expr:
    """The JSON text of a top-level member of a JSON Lines record (NULL when absent or null)."""
    return exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_object"), _s(name)])


def _key_list(*keys: str) -> exp.Expr:
    return exp.Array(expressions=[_s(k) for k in keys])


def _json_text_case(value: exp.Expr, labels: list[str]) -> exp.Expr:
    """The JSON text of a string column whose possible values are known: `null` when NULL."""
    case = exp.case()
    for label in dict.fromkeys(labels):
        case = case.when(exp.EQ(this=value.copy(), expression=_s(label)), _s(dumps(label)))
    return case.else_(_s("null")) if case.args.get("ifs") else _s("null")


def _json_string_text(text: exp.Expr) -> exp.Expr:
    """JSON text of a string that matches `_PLAIN_TEXT`: quoted, with the line-break characters
    `jsontext` escapes (U+2028, U+2029, U+0085) escaped the same way."""
    for char, escape in LINE_BREAK_ESCAPES.items():
        text = _f("replace", text, _s(char), _s(escape))
    return _concat(_s('"'), text, _s('"'))


def _number_text(value: exp.Expr) -> exp.Expr:
    """DECIMAL(38, 6) as the JSON writer prints it: no trailing zeros, no point when whole."""
    text = exp.cast(value.copy(), "VARCHAR")
    trimmed = _f("rtrim", _f("rtrim", text, _s("0")), _s("."))
    return exp.case().when(exp.EQ(this=value, expression=_n(0)), _s("0")).else_(trimmed)


def _code_list_text(array: exp.Expr) -> exp.Expr:
    """A list of disqualifier codes (plain names) as JSON text: `["a", "b"]`."""
    item = exp.to_identifier("lr_item")
    quoted = exp.Lambda(this=_concat(_s('"'), exp.column(item), _s('"')), expressions=[item])
    joined = _f("array_to_string", exp.func("list_transform", array, quoted), _s(", "))
    return _concat(_s("["), _f("coalesce", joined, _s("")), _s("]"))


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
    needs_quotes = exp.or_(*[_f("contains", text.copy(), _s(char)) for char in _CSV_QUOTED_CHARS])
    quoted = _concat(_s('"'), _f("replace", text.copy(), _s('"'), _s('""')), _s('"'))
    return _f("coalesce", exp.case().when(needs_quotes, quoted).else_(text.copy()), _s(""))


def _crm_case(mapping: m.CrmMapping, encode: Callable[[str], str], unmapped: str) -> exp.Expr:
    """`eval --crm`: the text of the CRM value of each row's stage, `encode`d in Python (JSON
    or a CSV cell) and entering SQL as literals; `unmapped` for a stage the mapping leaves out."""
    case = exp.case()
    for stage, value in mapping.values:
        case = case.when(exp.EQ(this=exp.column("stage"), expression=_s(stage)), _s(encode(value)))
    return case.else_(_s(unmapped))


def _without_terminator(line: str) -> str:
    return line.removesuffix("\n")


# ---- one evaluation ---------------------------------------------------------------------------


class _Run:
    """Tables of one run: lr_raw (records), lr_typed (accepted records), lr_events."""

    def __init__(self, model: m.CheckedModel, con: duckdb.DuckDBPyConnection, source: _Input,
                 events_path: str | None, as_of: dt.datetime, csv_options: CsvOptions = DEFAULT_CSV,
                 temp_files: ExitStack | None = None) -> None:
        self.model = model
        self.csv_options = csv_options
        self.temp_files = temp_files if temp_files is not None else ExitStack()
        # the CSV leads DuckDB reads: the file, or its UTF-8 copy (read with `utf8_options`)
        self.csv_path = source.path
        self.utf8_options = replace(csv_options, encoding="utf-8")
        self.con = con
        self.source = source
        self.events_path = events_path
        self.as_of = as_of.astimezone(dt.timezone.utc).replace(tzinfo=None)
        self.as_of_aware = as_of.astimezone(dt.timezone.utc)
        self.columns: list[str] = []
        self.python_records = 0

    # -- loading
    def prepare(self) -> None:
        con = self.con
        kind = self.source.kind
        path = _s(self.source.path)
        record = exp.alias_(exp.Window(this=exp.RowNumber()), "lr_record")
        if kind == "jsonl":
            # the lines first, as a table: the JSON work on them then runs in a plain scan, on
            # every core (a window over the lines would run it on one)
            con.execute(_sql(exp.Create(this=exp.to_table("lr_lines"), kind="TABLE", expression=self._jsonl_lines(path))))
            inner_blank = exp.select(exp.func("count", exp.Star())).from_("lr_lines").where(exp.and_(
                exp.column("lr_blank"), exp.LT(this=exp.column("lr_physical"), expression=exp.column("lr_part_count"))))
            found = con.execute(_sql(inner_blank)).fetchone()
            renumber = found is not None and found[0] > 0
            if renumber:
                # blank lines before the end: records are numbered apart from lines
                numbers = exp.select(
                    exp.column("lr_physical"),
                    exp.alias_(exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[
                        exp.Ordered(this=exp.column("lr_physical"))])), "lr_number"),
                ).from_("lr_lines").where(exp.not_(exp.column("lr_blank")))
                con.execute(_sql(exp.Create(this=exp.to_table("lr_numbers"), kind="TABLE", expression=numbers)))
            raw = self._jsonl_raw(renumber)
            con.execute(_sql(exp.Create(this=exp.to_table("lr_raw"), kind="TABLE", expression=raw)))
            con.execute("DROP TABLE lr_lines")
            if renumber:
                con.execute("DROP TABLE lr_numbers")
        elif kind == "csv":
            self.csv_path = _utf8_copy(self.source.path, self.csv_options, self.temp_files)
            header = _csv_header(self.csv_path, self.source.shown, self.model, self.utf8_options)
            wanted = [*self.model.fields, "id", "events"]
            kept = {name: f"c{index}" for index, name in enumerate(header) if name in wanted}
            reader = _csv_reader(self.csv_path, len(header), self.utf8_options)
            select = exp.select(record, *[exp.alias_(exp.column(column), name, quoted=True)
                                          for name, column in kept.items()]).from_(reader)
            con.execute(_sql(exp.Create(this=exp.to_table("lr_raw"), kind="TABLE", expression=select)))
            _check_cell_sizes(con, list(kept))
            self.columns = ["lr_record", *kept]
        else:
            select = exp.select(record, exp.Star()).from_(exp.func("read_parquet", path))
            con.execute(_sql(exp.Create(this=exp.to_table("lr_raw"), kind="TABLE", expression=select)))
            self.columns = [row[0] for row in con.execute("DESCRIBE lr_raw").fetchall()]
        self._load_events_file()
        self._type_records()

    def _jsonl_lines(self, path: exp.Expr) -> exp.Select:
        """lr_lines of a JSON Lines file: every line (split at `\\n`, like the Python reader)
        with its number and whether it is blank."""
        parts = exp.column("lr_parts")
        lines = exp.select(
            exp.alias_(exp.Unnest(expressions=[_f("generate_series", _n(1), _f("len", parts.copy()))]), "lr_physical"),
            exp.alias_(exp.Unnest(expressions=[parts.copy()]), "lr_line"),
            exp.alias_(_f("len", parts.copy()), "lr_part_count"),
        ).from_(
            exp.select(exp.alias_(_f("string_split", exp.column("content"), _s("\n")), "lr_parts"))
            .from_(exp.func("read_text", path)).subquery("lr_file")
        )
        return exp.select(exp.Star(), exp.alias_(_matches(exp.column("lr_line"), _BLANK_LINE), "lr_blank")).from_(
            lines.subquery("lr_split"))

    def _jsonl_raw(self, renumber: bool) -> exp.Select:
        """lr_raw of a JSON Lines file: one row per non-blank line, numbered like the Python
        reader numbers records (the line number, unless blank lines come before the end), with
        the line parsed once into `lr_object` (a struct of the JSON text of `id`, `events` and
        each declared field). `lr_object` is NULL unless the line is a JSON object DuckDB and
        Python read alike (no repeated keys, strict syntax)."""
        line = exp.column("lr_line")
        brackets = exp.Sub(this=_f("strlen", line.copy()), expression=_f(
            "strlen", _f("replace", _f("replace", line.copy(), _s("["), _s("")), _s("{"), _s(""))))
        keys = exp.func("json_keys", line.copy())
        strict = (
            exp.case()
            .when(exp.not_(exp.func("json_valid", line.copy())), exp.false())
            .when(exp.NEQ(this=exp.func("json_type", line.copy()), expression=_s("OBJECT")), exp.false())
            .else_(exp.and_(
                exp.EQ(this=_f("len", keys), expression=_f("len", _f("list_distinct", keys.copy()))),
                exp.not_(exp.func("regexp_matches", line.copy(), _s(_LENIENT_JSON))),
                # only a long line can nest deeply enough to matter
                exp.or_(exp.LTE(this=_f("strlen", line.copy()), expression=_n(2 * _MAX_BRACKETS)),
                        exp.LTE(this=brackets, expression=_n(_MAX_BRACKETS))),
            ))
        )
        members = {"id": "JSON", "events": "JSON", **{name: "JSON" for name in self.model.fields}}
        parsed = exp.func("json_transform", line.copy(), _s(dumps(members)))
        number = exp.column("lr_number", table="n") if renumber else exp.column("lr_physical", table="l")
        checked = exp.select(
            exp.alias_(number, "lr_record"), exp.column("lr_physical", table="l"),
            exp.alias_(exp.LT(this=exp.column("lr_physical", table="l"), expression=exp.column("lr_part_count")),
                       "lr_newline"),
            line.copy(), exp.alias_(strict, "lr_strict"),
        ).from_(exp.alias_(exp.to_table("lr_lines"), "l", table=True)).where(exp.not_(exp.column("lr_blank")))
        if renumber:
            checked = checked.join(exp.alias_(exp.to_table("lr_numbers"), "n", table=True), on=exp.EQ(
                this=exp.column("lr_physical", table="l"), expression=exp.column("lr_physical", table="n")))
        raw = exp.select(
            exp.column("lr_record"), exp.column("lr_physical"), exp.column("lr_newline"), line.copy(),
            exp.alias_(exp.case().when(exp.column("lr_strict"), parsed), "lr_object"),
        ).from_(checked.subquery("lr_checked_lines"))
        return raw

    def _plain_events(self, declared: list[exp.Expr]) -> exp.Select:
        """Event checks of the records whose `events` are all `{"type": "...", "at": "..."}`
        with strings that need no escapes (the usual case): one transform of the whole list."""
        pairs = exp.select(
            exp.column("lr_record"),
            exp.alias_(exp.func("json_transform", _member("events"), _s(dumps([{"type": "VARCHAR", "at": "VARCHAR"}]))),
                       "lr_list"),
        ).from_("lr_raw").where(_matches(_member("events"), _PLAIN_EVENTS))
        items = exp.select(
            exp.column("lr_record"),
            exp.alias_(exp.Unnest(expressions=[exp.column("lr_list")]), "lr_pair"),
            exp.alias_(exp.Unnest(expressions=[_f("generate_series", _n(1), _f("len", exp.column("lr_list")))]),
                       "lr_order"),
        ).from_(pairs.subquery("lr_pairs"))
        event_type = exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_pair"), _s("type")])
        at = exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_pair"), _s("at")])
        ok = exp.and_(_matches(at.copy(), _STAMP), exp.not_(self._stamp(at.copy()).is_(exp.null())))
        verdict = exp.case().when(event_type.copy().isin(*[d.copy() for d in declared]), exp.func("coalesce", ok, exp.false()))
        return exp.select(
            exp.column("lr_record"), exp.alias_(_n(0), "lr_source"), exp.column("lr_order"),
            exp.alias_(event_type, "lr_type"), exp.alias_(at, "lr_at"), exp.alias_(verdict, "lr_ok"),
        ).from_(items.subquery("lr_items"))

    def _load_events_file(self) -> None:
        if self.events_path is None:
            return
        events_csv = _utf8_copy(self.events_path, self.csv_options, self.temp_files)
        header = [name.strip() for name in _csv_header(events_csv, self.events_path, None, self.utf8_options)]
        if any(header.count(name) != 1 for name in ("lead_id", "type", "at")):
            raise _PythonReads("the events header: the Python reader words the problem")
        reader = _csv_reader(events_csv, len(header), self.utf8_options)
        declared = [_s(e) for e in self.model.events] or [_s("")]
        select = (
            exp.select(
                exp.alias_(exp.Window(this=exp.RowNumber()), "lr_order"),
                # an empty cell is NULL to DuckDB and "" to the csv module (a JSON id "" prints as "")
                exp.alias_(_f("coalesce", exp.column(f"c{header.index('lead_id')}"), _s("")), "lr_key"),
                exp.alias_(exp.column(f"c{header.index('type')}"), "lr_type"),
                exp.alias_(exp.column(f"c{header.index('at')}"), "lr_at"),
            )
            .from_(reader)
        )
        kept = exp.select(exp.Star()).from_(select.subquery("lr_file")).where(
            exp.column("lr_type").isin(*declared)
        )
        self.con.execute(_sql(exp.Create(this=exp.to_table("lr_file_events"), kind="TABLE", expression=kept)))

    def _raw_value(self, name: str) -> tuple[exp.Expr, exp.Expr | None]:
        """(value, JSON type or None) of a raw field, per input kind."""
        kind = self.source.kind
        if kind == "jsonl":
            value = _member(name)
            return value, exp.func("json_type", value.copy())
        if name in self.columns:
            return _col(name), None
        return exp.cast(exp.null(), "VARCHAR"), None

    def _type_records(self) -> None:
        """lr_typed: the records SQL accepts, typed; lr_events: their declared events."""
        model = self.model
        kind = self.source.kind
        checks: list[exp.Expr] = []
        projections: list[exp.Expr] = [exp.column("lr_record")]
        if kind == "jsonl":
            checks.append(exp.not_(exp.column("lr_object").is_(exp.null())))
        id_value, id_json = self._id()
        projections.append(exp.alias_(id_json, "lr_id_json"))
        projections.append(exp.alias_(id_value, "lr_key"))
        checks.append(exp.not_(id_json.copy().is_(exp.null())))
        for index, (name, fld) in enumerate(model.fields.items()):
            value, accepted = self._field(name, fld)
            projections.append(exp.alias_(value, f"f{index}"))
            checks.append(accepted)
        if kind == "jsonl":
            events_type = exp.func("json_type", _member("events"))
            checks.append(
                exp.or_(events_type.is_(exp.null()), events_type.copy().isin(_s("NULL"), _s("ARRAY")))
            )
        elif "events" in self.columns:
            # a CSV cell or a Parquet value under `events` is read by the Python readers:
            # text is not a list of events there, and a Parquet list is checked event by event
            checks.append(_col("events").is_(exp.null()))
        # Only records whose checks all hold *and* are true (not NULL) are accepted.
        accepted_all = exp.func("coalesce", exp.and_(*checks) if checks else exp.true(), exp.false())
        projections.append(exp.alias_(accepted_all, "lr_accepted"))
        select = exp.select(*projections).from_("lr_raw")
        self.con.execute(_sql(exp.Create(this=exp.to_table("lr_checked"), kind="TABLE", expression=select)))
        self._events()
        # records with an event SQL cannot vouch for go to the Python engine too
        bad_events = exp.select(exp.column("lr_record")).from_("lr_event_checks").where(
            exp.not_(exp.column("lr_ok"))
        )
        update = exp.update(
            "lr_checked", {"lr_accepted": exp.false()},
            where=exp.column("lr_record").isin(query=bad_events),
        )
        self.con.execute(_sql(update))

    def _id(self) -> tuple[exp.Expr, exp.Expr]:
        """(key text for --events, JSON text of the output id); id JSON NULL = not accepted."""
        record_text = exp.cast(exp.column("lr_record"), "VARCHAR")
        if self.source.kind == "jsonl":
            value, json_type = self._raw_value("id")
            assert json_type is not None
            text = exp.func("json_extract_string", value.copy(), _s("$"))
            missing = exp.or_(json_type.is_(exp.null()), exp.EQ(this=json_type.copy(), expression=_s("NULL")))
            plain = exp.and_(exp.EQ(this=json_type.copy(), expression=_s("VARCHAR")), _matches(text.copy(), _PLAIN_TEXT))
            integer = json_type.copy().isin(_s("BIGINT"), _s("UBIGINT"))
            key = exp.case().when(missing, record_text).else_(text.copy())
            shown = (exp.case().when(missing.copy(), record_text.copy())
                     .when(plain, _json_string_text(text.copy()))
                     .when(integer, exp.cast(value, "VARCHAR")))
            return key, shown
        if "id" not in self.columns:
            return record_text, record_text.copy()
        raw = _col("id")
        if self.source.kind == "parquet":
            type_name = self._parquet_type("id")
            if type_name in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT",
                             "UTINYINT"):
                as_text = exp.cast(raw, "VARCHAR")
                return (exp.func("coalesce", as_text, record_text),
                        exp.func("coalesce", as_text.copy(), record_text.copy()))
            if type_name != "VARCHAR":
                return record_text, exp.cast(exp.null(), "VARCHAR")
        missing = exp.or_(raw.is_(exp.null()), exp.EQ(this=raw.copy(), expression=_s("")))
        key = exp.case().when(missing, record_text).else_(raw.copy())
        shown = (exp.case().when(missing.copy(), record_text.copy())
                 .when(_matches(raw.copy(), _PLAIN_TEXT), _json_string_text(raw.copy())))
        return key, shown

    def _parquet_type(self, name: str) -> str:
        rows = self.con.execute("DESCRIBE lr_raw").fetchall()
        return next((str(r[1]) for r in rows if r[0] == name), "")

    def _field(self, name: str, fld: m.Field) -> tuple[exp.Expr, exp.Expr]:
        """(typed value, accepted) for one declared field."""
        kind = self.source.kind
        value, json_type = self._raw_value(name)
        text: exp.Expr
        is_text: exp.Expr
        is_int: exp.Expr
        is_bool: exp.Expr
        if kind == "jsonl":
            assert json_type is not None
            missing = exp.or_(json_type.is_(exp.null()), exp.EQ(this=json_type.copy(), expression=_s("NULL")))
            text = exp.func("json_extract_string", value.copy(), _s("$"))
            is_text = exp.EQ(this=json_type.copy(), expression=_s("VARCHAR"))
            is_int = json_type.copy().isin(_s("BIGINT"), _s("UBIGINT"))
            is_bool = exp.EQ(this=json_type.copy(), expression=_s("BOOLEAN"))
        elif kind == "csv":
            text = value
            missing = exp.or_(value.is_(exp.null()), exp.EQ(this=value.copy(), expression=_s("")))
            is_text = exp.true()
            is_int = exp.false()
            is_bool = exp.false()
        else:
            return self._parquet_field(name, fld)
        typed: exp.Expr
        ok: exp.Expr
        if fld.kind in ("text", "email"):
            typed, ok = text, is_text
        elif fld.kind == "choice":
            typed = text
            ok = exp.and_(is_text, text.copy().isin(*[_s(c) for c in fld.choices])) if fld.choices else exp.false()
        elif fld.kind in ("integer", "number"):
            if kind == "jsonl":
                # Exact JSON integers; for a number field also a JSON decimal whose text, taken
                # from the line, is plain with at most 15 significant digits (so the double
                # DuckDB parsed it to stands for that text alone). Anything else: Python engine.
                typed = exp.TryCast(this=exp.cast(value.copy(), "VARCHAR"), to=exp.DataType.build(DECIMAL_TYPE))
                ok = exp.and_(is_int, exp.not_(typed.copy().is_(exp.null())))
                if fld.kind == "number":
                    # Anonymous keeps the group argument: sqlglot drops a literal 1 as a default
                    raw = exp.Anonymous(this="regexp_extract", expressions=[
                        exp.column("lr_line"), _s('"' + name + _RAW_NUMBER_AFTER_KEY), _n(1)])
                    exact = exp.and_(
                        exp.EQ(this=json_type.copy() if json_type is not None else exp.null(), expression=_s("DOUBLE")),
                        _matches(raw.copy(), _JSON_DECIMAL),
                        exp.EQ(this=exp.TryCast(this=raw.copy(), to=exp.DataType.build("DOUBLE")),
                               expression=exp.TryCast(this=value.copy(), to=exp.DataType.build("DOUBLE"))),
                    )
                    typed = exp.case().when(exact, exp.TryCast(this=raw, to=exp.DataType.build(DECIMAL_TYPE))).else_(typed)
                    ok = exp.or_(ok, exact.copy())
            else:
                pattern = _CSV_INTEGER if fld.kind == "integer" else _CSV_NUMBER
                typed = exp.TryCast(this=text.copy(), to=exp.DataType.build(DECIMAL_TYPE))
                ok = exp.and_(_matches(text.copy(), pattern), exp.not_(typed.copy().is_(exp.null())))
            if fld.low is not None and fld.high is not None:
                ok = exp.and_(ok, exp.Between(this=typed.copy(), low=exp.Literal.number(str(fld.low)),
                                              high=exp.Literal.number(str(fld.high))))
        elif fld.kind == "boolean":
            if kind == "jsonl":
                typed = exp.TryCast(this=value.copy(), to=exp.DataType.build("BOOLEAN"))
                ok = is_bool
            else:
                lowered = exp.Lower(this=text.copy())
                typed = (exp.case().when(lowered.isin(_s("true"), _s("yes"), _s("1")), exp.true())
                         .when(lowered.copy().isin(_s("false"), _s("no"), _s("0")), exp.false()))
                ok = exp.not_(typed.copy().is_(exp.null()))
        elif fld.kind == "date":
            typed = exp.TryCast(this=text.copy(), to=exp.DataType.build("DATE"))
            ok = exp.and_(is_text, _matches(text.copy(), _DATE),
                          exp.NEQ(this=exp.Substring(this=text.copy(), start=_n(1), length=_n(4)), expression=_s("0000")),
                          exp.not_(typed.copy().is_(exp.null())))
        else:  # timestamp
            typed = self._stamp(text)
            ok = exp.and_(is_text, _matches(text.copy(), _STAMP), exp.not_(typed.copy().is_(exp.null())))
        typed = exp.case().when(missing, exp.cast(exp.null(), self._sql_type(fld))).else_(exp.cast(typed, self._sql_type(fld)))
        accepted = exp.or_(missing.copy(), ok) if fld.optional else exp.and_(exp.not_(missing.copy()), ok)
        return typed, exp.func("coalesce", accepted, exp.false())

    def _parquet_field(self, name: str, fld: m.Field) -> tuple[exp.Expr, exp.Expr]:
        """Parquet values are typed: a column of the field's own type is taken as it is."""
        if name not in self.columns:
            return exp.cast(exp.null(), self._sql_type(fld)), exp.true() if fld.optional else exp.false()
        raw = _col(name)
        type_name = self._parquet_type(name)
        missing = raw.is_(exp.null())
        integer_types = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")
        ok: exp.Expr
        if fld.kind in ("text", "email"):
            ok = exp.true() if type_name == "VARCHAR" else exp.false()
        elif fld.kind == "choice":
            ok = raw.copy().isin(*[_s(c) for c in fld.choices]) if type_name == "VARCHAR" and fld.choices else exp.false()
        elif fld.kind in ("integer", "number"):
            exact = type_name in integer_types or (fld.kind == "number" and type_name.startswith("DECIMAL")
                                                      and _scale(type_name) <= 6)
            ok = exp.true() if exact else exp.false()
            if exact and fld.low is not None and fld.high is not None:
                ok = exp.Between(this=raw.copy(), low=exp.Literal.number(str(fld.low)),
                                 high=exp.Literal.number(str(fld.high)))
        elif fld.kind == "boolean":
            ok = exp.true() if type_name == "BOOLEAN" else exp.false()
        elif fld.kind == "date":
            ok = exp.true() if type_name == "DATE" else exp.false()
        else:
            ok = exp.true() if type_name in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE") else exp.false()
        typed = exp.case().when(ok.copy(), exp.cast(raw.copy(), self._sql_type(fld))) if not isinstance(ok, exp.Boolean) \
            else exp.cast(raw.copy(), self._sql_type(fld)) if ok.this else exp.cast(exp.null(), self._sql_type(fld))
        accepted = exp.or_(missing.copy(), ok) if fld.optional else exp.and_(exp.not_(missing.copy()), ok)
        return typed, exp.func("coalesce", accepted, exp.false())

    @staticmethod
    def _stamp(text: exp.Expr) -> exp.Expr:
        # `YYYY-MM-DDTHH:MM:SSZ` (checked by _STAMP) → TIMESTAMP in UTC
        return exp.TryCast(this=exp.Substring(this=text.copy(), start=_n(1), length=_n(19)),
                           to=exp.DataType.build("TIMESTAMP"))

    @staticmethod
    def _sql_type(fld: m.Field) -> str:
        return {"integer": DECIMAL_TYPE, "number": DECIMAL_TYPE, "boolean": "BOOLEAN", "date": "DATE",
                "timestamp": "TIMESTAMP"}.get(fld.kind, "VARCHAR")

    def _events(self) -> None:
        """lr_event_checks (every declared event of every record, with its verdict) and
        lr_events (accepted records' events, typed)."""
        declared = [_s(e) for e in self.model.events] or [_s("")]
        parts: list[exp.Select] = []
        if self.source.kind == "jsonl":
            parts.append(self._plain_events(declared))
            element = exp.column("lr_element")
            listed = exp.select(
                exp.column("lr_record"),
                exp.alias_(exp.func("json_extract", _member("events"), _s("$[*]")), "lr_list"),
            ).from_("lr_raw").where(exp.and_(
                exp.EQ(this=exp.func("json_type", _member("events")), expression=_s("ARRAY")),
                exp.not_(_matches(_member("events"), _PLAIN_EVENTS)),
            ))
            items = exp.select(
                exp.column("lr_record"),
                exp.alias_(exp.Unnest(expressions=[exp.column("lr_list")]), "lr_element"),
                exp.alias_(exp.Unnest(expressions=[
                    _f("generate_series", _n(1), _f("len", exp.column("lr_list")))]), "lr_order"),
            ).from_(listed.subquery("lr_listed"))
            # each element parsed once: its kind, its keys, and the JSON text of `type` and `at`
            element_keys = exp.func("json_keys", element.copy())
            object_kind = exp.EQ(this=exp.func("json_type", element.copy()), expression=_s("OBJECT"))
            elements = exp.select(
                exp.column("lr_record"), exp.column("lr_element"), exp.column("lr_order"),
                exp.alias_(exp.func("coalesce", object_kind, exp.false()), "lr_is_object"),
                exp.alias_(exp.case().when(object_kind.copy(), element_keys), "lr_keys"),
                exp.alias_(exp.case().when(object_kind.copy(), exp.func(
                    "json_transform", element.copy(), _s(dumps({"type": "JSON", "at": "JSON"})))), "lr_pair"),
            ).from_(items.subquery("lr_items"))
            type_json = exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_pair"), _s("type")])
            at_json = exp.Anonymous(this="struct_extract", expressions=[exp.column("lr_pair"), _s("at")])
            type_type = exp.func("json_type", type_json.copy())
            at_type = exp.func("json_type", at_json.copy())
            event_type = exp.func("json_extract_string", type_json.copy(), _s("$"))
            at: exp.Expr = exp.func("json_extract_string", at_json.copy(), _s("$"))
            declared_event = exp.and_(exp.EQ(this=type_type, expression=_s("VARCHAR")),
                                      event_type.copy().isin(*[d.copy() for d in declared]))
            ok = exp.and_(exp.EQ(this=at_type, expression=_s("VARCHAR")), _matches(at.copy(), _STAMP),
                          exp.not_(self._stamp(at.copy()).is_(exp.null())))
            keys = exp.column("lr_keys")
            repeated_key = exp.and_(
                exp.not_(keys.copy().isin(_key_list("type", "at"), _key_list("at", "type"))),
                exp.NEQ(this=_f("len", keys.copy()), expression=_f("list_unique", keys.copy())),
            )
            # a repeated key: Python keeps the last value, DuckDB the first — the Python engine decides
            verdict = exp.case().when(exp.not_(exp.column("lr_is_object")), exp.false()) \
                .when(repeated_key, exp.false()) \
                .when(exp.not_(exp.func("coalesce", declared_event, exp.false())), exp.null()).else_(
                    exp.func("coalesce", ok, exp.false()))
            own = exp.select(
                exp.column("lr_record"),
                exp.alias_(_n(0), "lr_source"),
                exp.column("lr_order"),
                exp.alias_(event_type, "lr_type"),
                exp.alias_(at, "lr_at"),
                exp.alias_(verdict, "lr_ok"),
            ).from_(elements.subquery("lr_elements"))
            parts.append(own)
        if self.events_path is not None:
            at = _col("lr_at", table="fe")
            ok = exp.and_(_matches(at.copy(), _STAMP), exp.not_(self._stamp(at.copy()).is_(exp.null())))
            from_file = exp.select(
                exp.column("lr_record", table="c"),
                exp.alias_(_n(1), "lr_source"),
                exp.column("lr_order", table="fe"),
                exp.column("lr_type", table="fe"),
                exp.column("lr_at", table="fe"),
                exp.alias_(exp.func("coalesce", ok, exp.false()), "lr_ok"),
            ).from_(exp.alias_(exp.to_table("lr_file_events"), "fe", table=True)).join(
                exp.alias_(exp.to_table("lr_checked"), "c", table=True),
                on=exp.EQ(this=exp.column("lr_key", table="c"), expression=exp.column("lr_key", table="fe")),
            )
            parts.append(from_file)
        if not parts:
            empty = exp.select(
                exp.alias_(exp.cast(exp.null(), "BIGINT"), "lr_record"),
                exp.alias_(exp.cast(exp.null(), "VARCHAR"), "lr_type"),
                exp.alias_(exp.cast(exp.null(), "VARCHAR"), "lr_at"),
                exp.alias_(exp.cast(exp.null(), "BOOLEAN"), "lr_ok"),
            ).where(exp.false())
            self.con.execute(_sql(exp.Create(this=exp.to_table("lr_event_checks"), kind="TABLE", expression=empty)))
        else:
            union: exp.Expr = parts[0]
            for part in parts[1:]:
                union = exp.union(union, part, distinct=False)
            self.con.execute(_sql(exp.Create(this=exp.to_table("lr_event_checks"), kind="TABLE", expression=union)))
        typed = exp.select(
            exp.column("lr_record"), exp.alias_(exp.column("lr_type"), "type"),
            exp.alias_(self._stamp(exp.column("lr_at")), "at"),
        ).from_("lr_event_checks").where(exp.column("lr_ok"))
        self.con.execute(_sql(exp.Create(this=exp.to_table("lr_events"), kind="VIEW", expression=typed)))

    # -- evaluation and output
    def _result_query(self) -> exp.Select:
        model = self.model
        source = QuerySource(
            leads_table="lr_accepted_leads", events_table="lr_events", lead_key="lr_record",
            event_key="lr_record", event_type="type", event_at="at", id_column="lr_record",
            field_columns={name: f"f{index}" for index, name in enumerate(model.fields)}, cast_numbers=False,
        )
        compiled = build_query(model, profile_for(Dialect.DUCKDB), source)
        return compiled.select

    def write(self, output_format: str, output_path: str | None) -> EvalSummary:
        con = self.con
        accepted = exp.select(exp.Star()).from_("lr_checked").where(exp.column("lr_accepted"))
        con.execute(_sql(exp.Create(this=exp.to_table("lr_accepted_leads"), kind="VIEW", expression=accepted)))
        create = exp.Create(this=exp.to_table("lr_results"), kind="TABLE", expression=self._result_query())
        con.execute(_sql(create), {"as_of": self.as_of})
        fallback = self._fallback_records()
        self.python_records = len(fallback)
        total = con.execute("SELECT count(*) FROM lr_raw").fetchone()
        records = int(total[0]) if total else 0
        invalid = sum(1 for record in fallback.values() if "error" in record)
        if output_format == "jsonl":
            self._write_jsonl(output_path, fallback)
        elif output_format == "csv":
            self._write_csv(output_path, fallback)
        else:
            self._write_parquet(output_path, fallback)
        return EvalSummary(records, invalid, self._tally(fallback))

    def _tally(self, fallback: dict[int, dict[str, Any]]) -> ResultTally:
        """The `eval` summary's counts: grouped in SQL over the accepted records' results, and
        record by record over the Python engine's (a few aggregates, not another pass in Python)."""
        counter = TallyCounter()
        total = self.con.execute(_sql(exp.select(exp.Count(this=exp.Star())).from_("lr_results"))).fetchone()

        def grouped(column: str, listed: bool) -> list[tuple[Any, int]]:
            value: exp.Expr = exp.column(column)
            if listed:
                value = exp.Unnest(expressions=[value])
            inner = exp.select(exp.alias_(value, "lr_value")).from_("lr_results")
            query = exp.select(exp.column("lr_value"), exp.Count(this=exp.Star())).from_(
                inner.subquery("lr_values")).group_by(exp.column("lr_value"))
            return [(name, int(count)) for name, count in self.con.execute(_sql(query)).fetchall()]

        counter.add_counts(int(total[0]) if total else 0, grouped("stage", False), grouped("reasons", True),
                           grouped("blocked", True), grouped("route", False))
        for number, record in fallback.items():
            counter.add(record, number)
        return counter.result(self.model)

    def _fallback_records(self) -> dict[int, dict[str, Any]]:
        """Output records of the records SQL did not accept, from the Python engine."""
        from leadrules.engine.python import compile_model

        rows = self.con.execute(
            _sql(exp.select(exp.column("lr_record")).from_("lr_checked").where(exp.not_(exp.column("lr_accepted")))
                 .order_by(exp.column("lr_record")))
        ).fetchall()
        wanted = {int(r[0]) for r in rows}
        if not wanted:
            return {}
        evaluator = compile_model(self.model)
        found: dict[int, dict[str, Any]] = {}
        for number, lead in self._raw_records(wanted):
            found[number] = evaluator.evaluate(lead, self.as_of_aware, record=number)
        return found

    def _raw_records(self, wanted: set[int]) -> Iterator[tuple[int, Any]]:
        """The wanted records exactly as the Python readers see them (events attached)."""
        events = read_events_csv(self.events_path, self.model, self.csv_options) if self.events_path else None
        kind = self.source.kind
        if kind == "parquet":
            records: Iterator[Any] = self._parquet_records()
        elif kind == "csv":
            stream = open(self.csv_path, "rb")  # noqa: SIM115
            records = _closing(read_csv(stream, self.model, self.utf8_options, self.source.shown), stream)
        else:
            records = self._jsonl_records(wanted)
        if events:
            records = attach_events(records, events)
        for number, record in enumerate(records, 1):
            if number in wanted:
                yield number, record

    def _jsonl_records(self, wanted: set[int]) -> Iterator[Any]:
        """Every record position of a JSON Lines file; the wanted ones parsed from their line
        exactly as `read_jsonl` parses it (the newline and a first line's BOM included), the
        others None (only their position matters, for `--events` matched by position)."""
        select = exp.select(
            exp.column("lr_record"), exp.column("lr_physical"), exp.column("lr_newline"), exp.column("lr_line"),
        ).from_("lr_raw").where(exp.column("lr_record").isin(
            query=exp.select(exp.column("lr_record")).from_("lr_checked").where(exp.not_(exp.column("lr_accepted")))))
        lines: dict[int, bytes] = {}
        for number, physical, newline, text in self.con.execute(_sql(select)).fetchall():
            raw = text.encode("utf-8") + (b"\n" if newline else b"")
            if physical == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            lines[int(number)] = raw
        total = self.con.execute("SELECT count(*) FROM lr_raw").fetchone()
        for number in range(1, (int(total[0]) if total else 0) + 1):
            raw_line = lines.get(number) if number in wanted else None
            yield None if raw_line is None else parse_json_line(raw_line)

    def _parquet_records(self) -> Iterator[dict[str, Any]]:
        cursor = self.con.execute("SELECT * EXCLUDE (lr_record) FROM lr_raw ORDER BY lr_record")
        names = [d[0] for d in cursor.description or []]
        while batch := cursor.fetchmany(_FETCH):
            for row in batch:
                record = {name: _json_like(value) for name, value in zip(names, row, strict=True) if value is not None}
                events = record.get("events")
                if isinstance(events, str) and events.lstrip().startswith("["):
                    # Parquet has no JSON type: events written as JSON text are read as that JSON
                    parsed = parse_json_line(events)
                    if isinstance(parsed, list):
                        record["events"] = parsed
                yield record

    def _line_query(self) -> exp.Select:
        """JSON text of each accepted record, built from the result columns."""
        model = self.model
        stages = [m.DISQUALIFIED, *model.stages]
        routes = [e.target for r in model.routes.values() for e in (*r.entries, *( [r.otherwise] if r.otherwise else []))]
        pieces: list[exp.Expr] = [
            _s('{"id": '), exp.column("id"),
            _s(', "stage": '), _json_text_case(exp.column("stage"), stages),
            _s(', "disqualified": '), exp.case().when(exp.column("disqualified"), _s("true")).else_(_s("false")),
            _s(', "reasons": '), _code_list_text(exp.column("reasons")),
            _s(', "blocked": '), _code_list_text(exp.column("blocked")),
            _s(', "scores": {'),
        ]
        for index, name in enumerate(model.scores):
            pieces.append(_s((", " if index else "") + dumps(name) + ": "))
            pieces.append(_number_text(_col("score_" + name)))
        pieces.append(_s('}, "bands": {'))
        for index, (name, band) in enumerate(model.bands.items()):
            pieces.append(_s((", " if index else "") + dumps(name) + ": "))
            pieces.append(_json_text_case(_col("band_" + name), [e.label for e in band.entries]))
        pieces.append(_s('}, "route": '))
        pieces.append(_json_text_case(exp.column("route"), routes))
        if model.crm_output is not None:
            pieces.append(_s(', "crm": '))
            pieces.append(_crm_case(model.crm_output, dumps, "null"))
        pieces.append(_s("}"))
        return exp.select(exp.column("lr_order"), exp.alias_(_concat(*pieces), "lr_text"))

    def _write_jsonl(self, output_path: str | None, fallback: dict[int, dict[str, Any]]) -> None:
        crm = self.model.crm_output
        if crm is not None:
            # the Python engine's records gain their `crm` key as the JSONL writer adds it
            fallback = {number: with_crm(record, crm) for number, record in fallback.items()}
        text_query = self._final_lines()
        if output_path is not None and output_path != "-":
            self._copy_jsonl(text_query, output_path, fallback)
            return
        cursor = self.con.execute(_sql(text_query))
        with open_output(output_path) as stream:
            fallback_iter = iter(sorted(fallback.items()))
            next_fallback = next(fallback_iter, None)
            while batch := cursor.fetchmany(_FETCH):
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

    def _copy_jsonl(self, lines: exp.Select, output_path: str, fallback: dict[int, dict[str, Any]]) -> None:
        """DuckDB writes the lines itself: one text column, no quoting. JSON text never holds a
        raw newline or control character, so each value is exactly one line."""
        table = exp.Schema(this=exp.to_table("lr_fallback_lines"), expressions=[
            exp.ColumnDef(this=exp.to_identifier("lr_order"), kind=exp.DataType.build("BIGINT")),
            exp.ColumnDef(this=exp.to_identifier("lr_text"), kind=exp.DataType.build("VARCHAR")),
        ])
        self.con.execute(_sql(exp.Create(this=table, kind="TABLE")))
        if fallback:
            # one statement over two lists: executemany costs a statement per row
            insert = exp.insert(exp.select(exp.Unnest(expressions=[exp.Placeholder()]),
                                           exp.Unnest(expressions=[exp.Placeholder()])), "lr_fallback_lines")
            ordered_fallback = sorted(fallback.items())
            self.con.execute(_sql(insert), [[n for n, _ in ordered_fallback], [dumps(r) for _, r in ordered_fallback]])
        lines.set("order", None)
        union = exp.union(lines, exp.select(exp.column("lr_order"), exp.column("lr_text")).from_("lr_fallback_lines"),
                          distinct=False)
        ordered = exp.select(exp.column("lr_text")).from_(union.subquery("lr_all")).order_by(exp.column("lr_order"))
        options = [("FORMAT", exp.var("CSV")), ("HEADER", exp.false()), ("QUOTE", _s("")), ("ESCAPE", _s("")),
                   ("DELIMITER", _s("\x1f"))]
        self._copy_to(ordered, output_path, options)

    def _copy_to(self, select: exp.Select, output_path: str, options: list[tuple[str, exp.Expr]]) -> None:
        """COPY a query to the output by the rules of `io.output` (atomic replace of a regular
        file, write-through for a device, FIFO or symlink target)."""
        with output_file_path(output_path) as temp:
            copy = exp.Copy(this=exp.Subquery(this=select), kind=False, files=[_s(str(temp))],
                            params=[exp.CopyParameter(this=exp.var(k), expression=v) for k, v in options])
            try:
                self.con.execute(_sql(copy))
            except duckdb.IOException as exc:
                # DuckDB's message names the temporary file; the user named the output
                raise InputError(f"{output_path}: cannot write ({_io_reason(str(exc))})") from None

    def _joined_results(self, id_alias: str) -> exp.Select:
        """Accepted records' results with their record number (`lr_order`) and JSON id."""
        model = self.model
        return exp.select(
            exp.alias_(exp.column("lr_record", table="c"), "lr_order"),
            exp.alias_(exp.column("lr_id_json", table="c"), id_alias),
            *[exp.column(c, table="r") for c in ("stage", "disqualified", "reasons", "blocked", "route")],
            *[_col("score_" + n, table="r") for n in model.scores],
            *[_col("band_" + n, table="r") for n in model.bands],
        ).from_(exp.alias_(exp.to_table("lr_results"), "r", table=True)).join(
            exp.alias_(exp.to_table("lr_checked"), "c", table=True),
            on=exp.EQ(this=exp.column("lr_record", table="c"), expression=exp.column("id", table="r")),
        )

    def _final_lines(self) -> exp.Select:
        """(record number, JSON line) of accepted records, in input order."""
        inner = self._joined_results("id")
        return self._line_query().from_(inner.subquery("lr_r")).order_by(exp.column("lr_order"))

    def _csv_line_query(self) -> exp.Select:
        """(record number, CSV line without its terminator) of each accepted record, built in
        SQL cell by cell with the bytes `CsvWriter` gives the same record."""
        model = self.model
        id_json = exp.column("lr_id_json")
        # a string id is its text, any other id its JSON text (as `_cell` prints the value)
        id_text = exp.case().when(_f("starts_with", id_json, _s('"')),
                                  _f("json_extract_string", id_json.copy(), _s("$"))).else_(id_json.copy())
        disqualified = exp.column("disqualified")
        cells: list[exp.Expr] = [
            _csv_cell(id_text),
            _csv_cell(exp.column("stage")),
            exp.case().when(disqualified, _s("true")).when(exp.not_(disqualified.copy()), _s("false")).else_(_s("")),
            _csv_cell(_f("array_to_string", exp.column("reasons"), _s(";"))),
            _csv_cell(_f("array_to_string", exp.column("blocked"), _s(";"))),
            _csv_cell(exp.column("route")),
            *([] if model.crm_output is None else [_crm_case(model.crm_output, _python_csv_cell, "")]),
            # plain notation needs no quoting: digits, a point, a sign
            *[_f("coalesce", _number_text(_col("score_" + n)), _s("")) for n in model.scores],
            *[_csv_cell(_col("band_" + n)) for n in model.bands],
            _s(""),  # error
        ]
        pieces: list[exp.Expr] = []
        for index, cell in enumerate(cells):
            if index:
                pieces.append(_s(","))
            pieces.append(cell)
        return exp.select(exp.column("lr_order"), exp.alias_(_concat(*pieces), "lr_text")).from_(
            self._joined_results("lr_id_json").subquery("lr_r"))

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

    def _write_csv(self, output_path: str | None, fallback: dict[int, dict[str, Any]]) -> None:
        """Every line in input order from one query: the accepted records' lines built in SQL,
        the header and the Python engine's lines from a table filled in one statement. A file
        is written by one COPY of a single unquoted text column (each value is a finished line,
        newlines inside quoted cells included); standard output is fed from the same query."""
        table = exp.Schema(this=exp.to_table("lr_csv_python_lines"), expressions=[
            exp.ColumnDef(this=exp.to_identifier("lr_order"), kind=exp.DataType.build("BIGINT")),
            exp.ColumnDef(this=exp.to_identifier("lr_text"), kind=exp.DataType.build("VARCHAR")),
        ])
        self.con.execute(_sql(exp.Create(this=table, kind="TABLE")))
        insert = exp.insert(exp.select(exp.Unnest(expressions=[exp.Placeholder()]),
                                       exp.Unnest(expressions=[exp.Placeholder()])), "lr_csv_python_lines")
        self.con.execute(_sql(insert), list(self._csv_python_lines(fallback)))
        union = exp.union(self._csv_line_query(),
                          exp.select(exp.column("lr_order"), exp.column("lr_text")).from_("lr_csv_python_lines"),
                          distinct=False)
        ordered = exp.select(exp.column("lr_text")).from_(union.subquery("lr_all")).order_by(exp.column("lr_order"))
        if output_path is not None and output_path != "-":
            options = [("FORMAT", exp.var("CSV")), ("HEADER", exp.false()), ("QUOTE", _s("")), ("ESCAPE", _s("")),
                       ("DELIMITER", _s("\x1f"))]
            self._copy_to(ordered, output_path, options)
            return
        cursor = self.con.execute(_sql(ordered))
        with open_output(output_path) as stream:
            while batch := cursor.fetchmany(_FETCH):
                _write_in_pieces(stream, "\n".join(text for (text,) in batch) + "\n")

    def _write_parquet(self, output_path: str | None, fallback: dict[int, dict[str, Any]]) -> None:
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
        self.con.execute(_sql(exp.Create(this=table, kind="TABLE")))
        if fallback:
            self._insert_fallback(columns, types, fallback)
        joined = self._joined_results("lr_id_json")
        id_json = exp.column("lr_id_json")
        # the id column holds a string id as itself and any other id as its JSON text
        id_text = exp.case().when(_f("starts_with", id_json, _s('"')),
                                  _f("json_extract_string", id_json.copy(), _s("$"))).else_(id_json.copy())
        values = [
            exp.column("lr_order"), id_text,
            *[exp.column(c) for c in ("stage", "disqualified", "reasons", "blocked", "route")],
            *[exp.cast(_col("score_" + n), DECIMAL_TYPE) for n in model.scores],
            *[_col("band_" + n) for n in model.bands],
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
        self.con.execute(_sql(insert), values)


def _scale(type_name: str) -> int:
    inside = type_name[type_name.find("(") + 1 : type_name.find(")")]
    parts = inside.split(",")
    return int(parts[1]) if len(parts) == 2 else 0


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


# The csv module's cell limit: a longer cell makes its record an error record in Python.
_CSV_CELL_LIMIT = 131072


def _csv_header(path: str, shown: str, model: m.CheckedModel | None, options: CsvOptions) -> list[str]:
    """The header of a CSV file DuckDB may read, checked by the Python reader (a bad header is
    an `InputError` here, before any output). `_PythonReads` when DuckDB would read the file
    otherwise than the Python reader: not UTF-8, a non-ASCII or one-column layout, a header
    that is not the first line alone, or a space beside a quote that opens or closes a cell
    (DuckDB drops such spaces, the csv module keeps them), bytes that are not UTF-8 in a
    column no query reads."""
    if options.encoding != "utf-8" or not options.delimiter.isascii():
        raise _PythonReads("encoding or delimiter")
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
            raise _PythonReads("header")
        stream.seek(0)
        delim = re.escape(options.delimiter.encode("ascii"))
        spaced_quote = re.compile(b'(?:^|' + delim + b') +"|" +(?:' + delim + b"|\r|\n|$)")
        for line in stream:
            if (b' "' in line or b'" ' in line) and spaced_quote.search(line):
                raise _PythonReads("a space beside a quote")
            if not line.isascii():
                # DuckDB checks the text of the columns a query reads only
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    raise _PythonReads("not UTF-8") from None
    return header


def _csv_reader(path: str, width: int, options: CsvOptions) -> exp.Expr:
    """`read_csv` with nothing guessed: the header's width as columns c0.. (all text), the
    delimiter given, `"` quotes doubled inside quotes, every row as wide as the header."""
    columns = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(f"c{i}"), expression=_s("VARCHAR"))
                                      for i in range(width)])
    options_ = {"columns": columns, "header": exp.true(), "auto_detect": exp.false(),
                "delim": _s(options.delimiter), "quote": _s('"'), "escape": _s('"'), "strict_mode": exp.true(),
                "null_padding": exp.false(), "encoding": _s("utf-8")}
    return exp.func("read_csv", _s(path), *[exp.EQ(this=exp.var(k), expression=v) for k, v in options_.items()])


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
    in a single-byte encoding. `_PythonReads` when a byte does not decode (the Python reader
    makes its row an error record) or the encoding is not single-byte."""
    if options.encoding == "utf-8":
        return path
    if not _single_byte(options.encoding):
        raise _PythonReads("an encoding DuckDB does not read")
    handle, temp = tempfile.mkstemp(suffix=".csv")
    temp_files.callback(os.unlink, temp)
    try:
        with os.fdopen(handle, "wb") as out, open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                out.write(block.decode(options.encoding).encode("utf-8"))
    except UnicodeDecodeError:
        raise _PythonReads("a byte the encoding does not have") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return temp


def _check_cell_sizes(con: duckdb.DuckDBPyConnection, columns: list[str]) -> None:
    if not columns:
        return
    longest = exp.func("greatest", *[_f("coalesce", exp.func("length", _col(c)), _n(0)) for c in columns]) \
        if len(columns) > 1 else _f("coalesce", exp.func("length", _col(columns[0])), _n(0))
    found = con.execute(_sql(exp.select(exp.func("max", longest)).from_("lr_raw"))).fetchone()
    if found is not None and found[0] is not None and int(found[0]) > _CSV_CELL_LIMIT:
        raise _PythonReads("a cell over the csv module's limit")


def _closing(records: Iterator[Any], handle: Any) -> Iterator[Any]:
    try:
        yield from records
    finally:
        handle.close()


def _python_run(model: m.CheckedModel, leads_path: str, events_path: str | None, as_of: dt.datetime,
                output_format: str, output_path: str | None, csv_options: CsvOptions = DEFAULT_CSV,
                kind: str | None = None) -> EvalSummary:
    """The whole file through the Python readers and engine (files DuckDB does not read).
    `kind`: the format of `leads_path` when its name does not tell it (a spooled copy)."""
    from leadrules.engine.python import compile_model
    from leadrules.io.leads import read_leads

    if output_format == "parquet" or kind == "parquet":
        raise InputError("this Parquet file cannot be read" if kind == "parquet"
                         else "--format parquet needs a CSV, JSON Lines or Parquet leads file")
    evaluator = compile_model(model)
    count = invalid = 0
    counter = TallyCounter()
    with read_leads(leads_path, model, events_path, csv_options=csv_options) as records, \
            open_output(output_path) as stream:
        writer = WRITERS[output_format](stream, model)
        for record in evaluator.evaluate_many(records, as_of):
            count += 1
            invalid += "error" in record
            counter.add(record)
            writer.write(record)
        writer.close()
    return EvalSummary(count, invalid, counter.result(model))


def _io_reason(message: str) -> str:
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

"""Lead input and result output: JSON Lines, JSON arrays and CSV in; JSON Lines and CSV out.

Readers yield raw records in input order (a line that is not JSON becomes an `Unparsable`, so
it still gets its error record in place). JSON Lines is streamed line by line. Writers take
output records (section 5 of the spec) and know nothing about how they were computed, so every
engine shares them. `open_output` writes by the rules of `io.output` (a regular file replaced
atomically, a device, FIFO or symlink target written through).
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import csv
import difflib
import io
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NamedTuple

from leadrules import model as m
from leadrules.errors import InputError
from leadrules.fieldkinds import KINDS
from leadrules.io.summary import ResultTally
from leadrules.jsontext import dumps, escape_line_breaks
from leadrules.output_schema import output_schema
from leadrules.reading import input_errors_for
from leadrules.records import CheckedCsvRecord, TypedIdRecord, Unparsable, UnreadableRow
from leadrules.values import format_number, parse_date, parse_timestamp

__all__ = [
    "EvalSummary", "read_leads", "read_jsonl", "read_json_array", "read_csv", "read_events_csv",
    "attach_events", "lead_format", "JsonlWriter", "CsvWriter", "WRITERS", "open_output", "csv_columns",
    "parse_json_line", "CsvOptions", "csv_options", "DEFAULT_CSV", "csv_rows", "read_csv_header", "csv_records",
    "printed_id", "csv_cell_converter",
]

_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?\Z")
_TRUE = frozenset(("true", "yes", "1"))
_FALSE = frozenset(("false", "no", "0"))
_BATCH = 512  # records per write() call


@dataclass(frozen=True)
class EvalSummary:
    """What one evaluation run produced: output records, how many were error records, and
    (when the engine counted them) the counts of the `eval` summary."""

    records: int
    invalid: int
    tally: ResultTally | None = None


# ---- reading ----------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_decode = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant).decode


# `\uD800`-`\uDFFF`: a JSON escape that may leave half a surrogate pair in a string
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a string with an unpaired surrogate (`"\\ud800"`):
    JSON syntax allows the escape, but the string is not Unicode text and cannot be printed."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


_LONE_SURROGATE = "a string holds an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF)"


def parse_json_line(line: bytes | str, *, whole_value: bool = True) -> Any:
    """One JSON value with exact numbers (int / Decimal), or an Unparsable with a short reason.
    A value holding an unpaired surrogate is an Unparsable too (unless `whole_value` is false:
    a `.json` array is judged record by record)."""
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
        value = _decode(text)
        if whole_value and _SURROGATE_ESCAPE.search(text) is not None and _has_lone_surrogate(value):
            return Unparsable(_LONE_SURROGATE)
        return value
    except json.JSONDecodeError as exc:
        return Unparsable(f"{exc.msg} at column {exc.colno}")
    except UnicodeDecodeError:
        return Unparsable("the line is not UTF-8 text")
    except (ValueError, RecursionError) as exc:
        return Unparsable(str(exc) if isinstance(exc, ValueError) else "nested too deeply")


def read_jsonl(stream: IO[bytes], progress: Callable[[int], None] | None = None) -> Iterator[Any]:
    """Records of a JSON Lines stream (binary), one per non-blank line, streamed."""
    consumed = 0
    for number, line in enumerate(stream, 1):
        if progress is not None:
            consumed += len(line)
            if number % 2048 == 0:
                progress(consumed)
                consumed = 0
        if line.isspace() or not line:
            continue
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        yield parse_json_line(line)
    if progress is not None and consumed:
        progress(consumed)


def read_json_array(stream: IO[bytes]) -> Iterator[Any]:
    """Records of a `.json` file: an array of records (a single object counts as one record)."""
    data = stream.read()
    value = parse_json_line(data, whole_value=False)
    if isinstance(value, Unparsable):
        raise InputError(f"not JSON: {value.problem}")
    if isinstance(value, list):
        for record in value:
            # only records with a lone surrogate fail, not the whole file
            yield Unparsable(_LONE_SURROGATE) if _has_lone_surrogate(record) else record
    elif isinstance(value, dict):
        yield Unparsable(_LONE_SURROGATE) if _has_lone_surrogate(value) else value
    else:
        raise InputError("a .json leads file holds an array of lead objects")


def _csv_cell(kind: str, cell: str) -> Any:
    """A CSV cell as the declared type takes it; left as text when it does not convert."""
    if kind == "boolean":
        lowered = cell.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return cell
    if kind in ("integer", "number"):
        text = cell.strip()
        if _PLAIN_NUMBER.match(text):
            return int(text) if "." not in text else Decimal(text)
        return cell
    return cell


def _boolean_cell(cell: str) -> Any:
    return _csv_cell("boolean", cell)


def _number_cell(cell: str) -> Any:
    return _csv_cell("number", cell)


class _BooleanCells(dict[str, bool]):
    """`_csv_cell` for a boolean column as a lookup: the usual spellings are keys, each mapped
    to what `_csv_cell` gives it (so a hit cannot differ); any other cell takes the exact path
    and is not stored, so the table never changes."""

    def __missing__(self, cell: str) -> Any:
        return _boolean_cell(cell)


_COMMON_BOOLEAN_CELLS = _BooleanCells(
    (text, _boolean_cell(text))
    for word in (*_TRUE, *_FALSE) for text in (word, word.upper(), word.capitalize())
)
_fast_boolean_cell: Callable[[str], Any] = _COMMON_BOOLEAN_CELLS.__getitem__


def _fast_number_cell(cell: str) -> Any:
    """`_csv_cell` for an integer or number column. ASCII digits only (`0042`), or digits, a
    point and digits (`12.50`), is plain decimal as `_PLAIN_NUMBER` reads it, and has no spaces
    to strip; anything else (a sign, spaces, an exponent, `1_000`, other scripts' digits)
    takes the exact path."""
    if cell.isascii():
        if cell.isdigit():
            return int(cell)
        whole, point, fraction = cell.partition(".")
        if point and whole.isdigit() and fraction.isdigit():
            return Decimal(cell)
    return _number_cell(cell)


class _SmallIntegerCells(dict[str, int]):
    """`_fast_number_cell` as a lookup for columns of small counts: the cells `0` to `1023` as
    written by `str` are keys mapped to their ints (what `_fast_number_cell` gives them); any
    other cell takes `_fast_number_cell` and is not stored, so the table never changes."""

    def __missing__(self, cell: str) -> Any:
        return _fast_number_cell(cell)


_SMALL_INTEGER_CELLS = _SmallIntegerCells((str(n), n) for n in range(1024))


_FAST_CELLS: dict[str, Callable[[str], Any]] = {
    "boolean": _fast_boolean_cell, "integer": _fast_number_cell, "number": _fast_number_cell,
}


def csv_cell_converter(acceptance: str) -> Callable[[str], Any] | None:
    """The conversion of a non-empty cell of a column whose field's kind accepts values as
    `acceptance` (`fieldkinds.FieldKind.acceptance`), chosen once per column; None where the
    cell stays text."""
    return _FAST_CELLS.get(acceptance)


@dataclass(frozen=True)
class CsvOptions:
    """How CSV files (leads and `--events`) are read: `--delimiter` and `--encoding`."""

    delimiter: str = ","
    encoding: str = "utf-8"


_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "TAB": "\t"}


def csv_options(delimiter: str | None = None, encoding: str | None = None) -> CsvOptions:
    """Checked `--delimiter` / `--encoding` values (an `InputError` names what is wrong)."""
    delim = _DELIMITER_NAMES.get(delimiter, delimiter) if delimiter is not None else ","
    if len(delim) != 1 or delim in '"\r\n':
        raise InputError(f"--delimiter takes one character other than a quote or a line break, found {dumps(delim)}")
    name = "utf-8" if encoding is None else encoding
    try:
        codec = codecs.lookup(name).name
        # a byte-order mark at the start of the file is skipped in UTF-8 anyway; lines are
        # decoded one by one, so utf-8-sig would also drop one at the start of any line
        codec = "utf-8" if codec == "utf-8-sig" else codec
    except LookupError:
        raise InputError(f"--encoding: unknown encoding {dumps(name)}") from None
    try:
        ascii_compatible = '\r\n",;|\t abcXYZ019'.encode(codec) == b'\r\n",;|\t abcXYZ019'
    except (UnicodeError, LookupError):
        ascii_compatible = False
    if not ascii_compatible:
        raise InputError(f"--encoding {dumps(name)}: only encodings that keep ASCII as it is are read (utf-8, latin-1, cp1252, ...)")
    return CsvOptions(delim, codec)


DEFAULT_CSV = CsvOptions()

# a physical line as Python's universal newlines cut it: `\n`, `\r\n` or a lone `\r` ends it
_LINE_PIECE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_BOM = b"\xef\xbb\xbf"


def _physical_lines(stream: Iterable[bytes], number: int = 0) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, bytes with their line ending) of a binary stream (of the lines
    after the first `number`)."""
    for chunk in stream:
        cr = chunk.find(b"\r")
        if cr == -1 or (cr == len(chunk) - 2 and chunk.endswith(b"\n")):
            number += 1
            yield number, chunk
        else:
            for piece in _LINE_PIECE.findall(chunk):
                number += 1
                yield number, piece


class _Undecodable(Exception):
    """A line whose bytes are not text in the file's encoding (raised through csv.reader)."""

    def __init__(self, number: int, encoding: str, error: UnicodeDecodeError) -> None:
        super().__init__(number)
        self.message = f"line {number} is not {encoding} text (byte 0x{error.object[error.start]:02x} " \
                       f"at byte {error.start + 1} of the line); see --encoding"


class _Lines:
    """The physical lines of a CSV stream for csv.reader: it remembers the lines the current
    record took (`taken`, from line `first`), so that a record that cannot be read can give
    its lines after the first back (`read_again_after_first`). A feed ends at the first line
    that does not decode; `feed()` then starts a new one where it stopped."""

    def __init__(self, stream: Iterable[bytes], encoding: str, number: int = 0) -> None:
        self.lines = _physical_lines(stream, number)
        self.encoding = encoding
        self.again: collections.deque[tuple[int, bytes]] = collections.deque()
        self.taken: list[bytes] = []
        self.first = 0
        self.exhausted = False

    def feed(self) -> Iterator[str]:
        again, taken, lines, encoding = self.again, self.taken, self.lines, self.encoding
        while True:
            if again:
                number, raw = again.popleft()
            else:
                found = next(lines, None)
                if found is None:
                    self.exhausted = True
                    return
                number, raw = found
                if number == 1 and raw.startswith(_BOM) and encoding == "utf-8":
                    raw = raw[3:]
            if not taken:
                self.first = number
            taken.append(raw)
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise _Undecodable(number, encoding, exc) from None
            yield text

    def read_again_after_first(self) -> None:
        first = self.first
        self.again.extendleft(reversed([(first + i, raw) for i, raw in enumerate(self.taken[1:], 1)]))


# bytes read at a time by the plain-lines reader: below the csv module's default cell limit
# (131072), so that no cell of a block can be over it
_BLOCK = 1 << 16


def csv_rows(stream: IO[bytes], options: CsvOptions = DEFAULT_CSV) -> Iterator[tuple[int, list[str] | str]]:
    """(first line, cells) of each CSV record of a binary stream, blank lines skipped; for a
    record that cannot be read, (first line, why) instead, and its lines after the first are
    read again as records: a quote left open at the end of the file, bytes that are not text
    in the encoding, a cell over the csv module's limit. No line is merged into another
    record or lost.

    Blocks of whole lines without a quote or a carriage return, that decode and are shorter
    than the cell limit, are split by `str.split`: on such lines the csv module splits at
    each delimiter and nowhere else, keeping every other character. From the first block that
    is not plain on, the rest of the stream is read by the csv module."""
    delimiter, encoding = options.delimiter, options.encoding
    limit = min(csv.field_size_limit(), 2 * _BLOCK)
    number = 0
    carry = b""  # the start of a line whose end is in the next block
    read = stream.read
    while True:
        block = read(_BLOCK)
        end = block.rfind(b"\n") + 1
        if end == 0 and block and len(carry) + len(block) < limit:
            carry += block  # no line ends in this block: a long line
            continue
        data = carry + block[:end] if block else carry
        carry = block[end:]
        if not data:
            return
        # (a block in which no line ends, after a long line, is not whole lines)
        plain = (end > 0 or not block) and b'"' not in data and b"\r" not in data and len(data) < limit
        text = None
        if plain:
            try:
                text = (data[3:] if number == 0 and data.startswith(_BOM) and encoding == "utf-8" else data
                        ).decode(encoding)
            except UnicodeDecodeError:
                pass
        if text is None:
            # the whole line whose start is in `carry`, then the rest, by the csv module
            rest = data + carry + stream.readline() if block else data
            yield from _csv_module_rows(itertools.chain(io.BytesIO(rest), stream), options, number)
            return
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        if "" in lines:  # blank lines: counted, not records
            for line in lines:
                number += 1
                if line:
                    yield number, line.split(delimiter)
        else:
            # the block's rows from C iterators, not a Python loop per row
            yield from enumerate([line.split(delimiter) for line in lines], number + 1)
            number += len(lines)
        if not block:
            return


def _csv_module_rows(stream: Iterable[bytes], options: CsvOptions, number: int,
                     ) -> Iterator[tuple[int, list[str] | str]]:
    """`csv_rows` by the csv module, for the lines of `stream` (they follow line `number`)."""
    lines = _Lines(stream, options.encoding, number)
    taken = lines.taken
    reader = csv.reader(lines.feed(), delimiter=options.delimiter)
    while True:
        taken.clear()
        problem: str | None = None
        try:
            row = next(reader)
        except StopIteration:
            if not lines.exhausted:  # a feed that ended at an undecodable line: go on
                continue
            return
        except _Undecodable as exc:
            problem = exc.message
            reader = csv.reader(lines.feed(), delimiter=options.delimiter)
        except csv.Error as exc:
            problem = f"line {lines.first}: CSV: {exc}"
        else:
            if lines.exhausted:
                # the reader looked past the last line for the end of this record: a quote is open
                problem = f"line {lines.first}: a quote opened in this record is never closed"
        if problem is None:
            if row:
                yield lines.first, row
            continue
        if not taken:
            return
        yield lines.first, problem
        lines.read_again_after_first()
        if lines.exhausted and lines.again:
            lines.exhausted = False
            reader = csv.reader(lines.feed(), delimiter=options.delimiter)


def _shown_name(name: str) -> str:
    """A header name for a one-line message: quoted, escaped when it holds control characters."""
    return f"'{name}'" if name.isprintable() else json.dumps(name)


_OTHER_DELIMITERS = (";", "\t", "|")


def _check_header(header: list[str], model: m.CheckedModel, path: str, delimiter: str) -> None:
    """Section 9: a column named twice, or a required field without a column while a header
    name is close to it, is an error for the whole file. So is a required field found only
    inside a header name cut by another usual delimiter (`id;email` read with `,`)."""
    seen: dict[str, int] = {}
    for index, name in enumerate(header, 1):
        if name == "":
            continue
        if name in seen:
            raise InputError(f"{path}: the header names the column {_shown_name(name)} twice "
                             f"(columns {seen[name]} and {index})")
        seen[name] = index
    unclaimed = [name for name in header if name and name not in model.fields and name not in ("id", "events")]
    folded = {name.strip().casefold(): name for name in reversed(unclaimed)}
    for field_name, fld in model.fields.items():
        if fld.optional or field_name in seen:
            continue
        close = folded.get(field_name.casefold())
        if close is None:
            found = difflib.get_close_matches(field_name.casefold(), list(folded), n=1, cutoff=0.8)
            close = folded[found[0]] if found else None
        if close is not None:
            raise InputError(f"{path}: header has no column for required field '{field_name}' "
                             f"(did you mean {_shown_name(close)}?)")
        for other in _OTHER_DELIMITERS:
            if other != delimiter and any(field_name in name.split(other) for name in unclaimed):
                shown = "'\\t'" if other == "\t" else f"'{other}'"
                raise InputError(f"{path}: header has no column for required field '{field_name}' "
                                 f"(the header looks delimited by {shown}: try --delimiter {shown})")


def read_csv_header(rows: Iterator[tuple[int, list[str] | str]], model: m.CheckedModel, path: str,
                    options: CsvOptions = DEFAULT_CSV) -> list[str] | None:
    """The checked header of a leads CSV (None for an empty file)."""
    first = next(rows, None)
    if first is None:
        return None
    line, header = first
    if isinstance(header, str):
        raise InputError(f"{path}: the header row cannot be read ({header})")
    _check_header(header, model, path, options.delimiter)
    return header


def csv_records(header: list[str], rows: Iterator[tuple[int, list[str] | str]],
                model: m.CheckedModel) -> Iterator[Any]:
    """Records of the rows after a checked header; cells converted by declared type (a
    declared `id` too, the output id staying the cell as written), empty = missing."""
    # a column's cells are converted by how its field's kind accepts values (fieldkinds.py)
    accepted = {name: KINDS[fld.kind].acceptance for name, fld in model.fields.items()}
    converters = [csv_cell_converter(accepted[name]) if name in accepted else None for name in header]
    typed_id = "id" in model.fields and not KINDS[model.fields["id"].kind].textual
    # integer columns whose values are all in the table
    small = frozenset(name for name, fld in model.fields.items() if accepted[name] == "integer" and fld.low is not None
                      and fld.high is not None and 0 <= fld.low and fld.high < len(_SMALL_INTEGER_CELLS))
    build = _record_builder(header, converters, small, _field_checks(model, header, typed_id), model)
    if not typed_id:
        for _, row in rows:
            yield UnreadableRow(row) if row.__class__ is str else build(row)  # type: ignore[arg-type]
        return
    for _, row in rows:
        if isinstance(row, str):
            yield UnreadableRow(row)
            continue
        record = build(row)
        if typed_id:
            shown = record.get("id")
            if shown is not None and not isinstance(shown, str):
                yield TypedIdRecord(record, row[header.index("id")])
                continue
        yield record


class _FieldCheck(NamedTuple):
    """What validation checks of a declared field, for the CSV record builder: how its kind
    accepts values, whether it may be missing, its allowed choices or (low, high) bounds."""

    name: str
    acceptance: str
    optional: bool
    extra: Any  # frozenset of choices, (low, high) with whole bounds as ints, or None


def _field_checks(model: m.CheckedModel, header: list[str], typed_id: bool) -> tuple[_FieldCheck, ...] | None:
    """The checks the record builder makes so that a record can skip validation's type checks
    (`CheckedCsvRecord`), or None where it cannot: a required field without a column, an
    `events` column, a typed `id`, a kind whose values the builder does not check."""
    if typed_id or "events" in header:
        return None
    checks = []
    for name, fld in model.fields.items():
        acceptance = KINDS[fld.kind].acceptance
        if acceptance not in _CHECKED_ACCEPTANCES or (name not in header and not fld.optional):
            return None
        extra: Any = None
        if acceptance == "choice":
            extra = frozenset(fld.choices)
        elif fld.low is not None and fld.high is not None:
            extra = (_whole_as_int(fld.low), _whole_as_int(fld.high))
        checks.append(_FieldCheck(name, acceptance, fld.optional, extra))
    return tuple(checks)


_CHECKED_ACCEPTANCES = frozenset(("text", "choice", "integer", "number", "boolean", "date", "timestamp"))


def _whole_as_int(bound: Decimal) -> int | Decimal:
    """A bound as the checks compare it: a whole one as an int (cheaper, and equal)."""
    return int(bound) if bound == bound.to_integral_value() else bound


def _record_builder(header: list[str], converters: list[Callable[[str], Any] | None],
                    small: frozenset[str] = frozenset(), checks: tuple[_FieldCheck, ...] | None = None,
                    checked_for: Any = None) -> Callable[[list[str]], dict[str, Any]]:
    """The record of a row: its non-empty cells by column name, converted by the column's
    converter. For a header without repeated names, a function generated for it (straight-line
    code, one line per column; names and converters enter only as constants `k0, k1, ...`) takes
    rows of the header's length, and the general loop any other row. The cells of `small`
    columns (integer, declared within 0..1023) are looked up in a table of their ints.

    With `checks` (of `_field_checks`), a row is first tried by `_checked_builder`: a row
    whose declared fields are valid becomes a `CheckedCsvRecord` for `checked_for`."""

    def general(row: list[str]) -> dict[str, Any]:
        # a later column with the same (empty) name wins, as in a loop of assignments
        return {name: cell if convert is None else convert(cell)
                for name, convert, cell in zip(header, converters, row, strict=False) if cell}

    if len(set(header)) != len(header):
        return general
    constants: list[Any] = [general]
    lines = ["def build(K):", "", "    def record(row):", f"        if len(row) != {len(header)}:",
             "            return general(row)", "        (" + "".join(f"c{i}, " for i in range(len(header))) + ") = row",
             "        r = {}"]

    def const(value: Any) -> str:
        constants.append(value)
        return f"k{len(constants) - 1}"

    for index, (name, convert) in enumerate(zip(header, converters, strict=True)):
        cell, key = f"c{index}", const(name)
        if convert is None:
            value = cell
        elif convert is _fast_number_cell and name in small:
            value = f"{const(_SMALL_INTEGER_CELLS)}[{cell}]"
        elif convert is _fast_number_cell:
            # its first case inline: ASCII digits are the int they spell
            value = f"int({cell}) if {cell}.isdigit() and {cell}.isascii() else {const(convert)}({cell})"
        elif convert is _fast_boolean_cell:
            value = f"{const(_COMMON_BOOLEAN_CELLS)}[{cell}]"
        else:
            value = f"{const(convert)}({cell})"
        lines += [f"        if {cell}:", f"            r[{key}] = {value}"]
    lines += ["        return r", "    return record"]
    lines[1] = "    (general, " + "".join(f"k{i}, " for i in range(1, len(constants))) + ") = K"
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", "<leadrules csv record>", "exec"), namespace)  # generated above, per header
    built: Callable[[list[str]], dict[str, Any]] = namespace["build"](tuple(constants))
    if checks is None:
        return built
    return _checked_builder(header, converters, checks, checked_for, built)


def _checked_builder(header: list[str], converters: list[Callable[[str], Any] | None],
                     checks: tuple[_FieldCheck, ...], checked_for: Any,
                     plain: Callable[[list[str]], dict[str, Any]]) -> Callable[[list[str]], dict[str, Any]]:
    """A function generated for the header (names and tables enter only as constants) that
    takes a row of the header's length whose declared fields are valid in their usual spelling
    and gives a `CheckedCsvRecord` for `checked_for`: the record `plain` gives, with the values
    validation gives its fields (`engine.validate`: types, bounds, choices, dates and
    timestamps parsed). Each cell of a declared field is converted and checked in one step
    (a lookup in a table of its valid spellings, or ASCII digits and a range); any other row,
    or a cell any other way, is the plain dict of `plain`, which validation then judges."""
    constants: list[Any] = [plain, CheckedCsvRecord, checked_for]
    lines = ["def build(K):", "", "    def record(row):", f"        if len(row) != {len(header)}:",
             "            return plain(row)", "        (" + "".join(f"c{i}, " for i in range(len(header))) + ") = row"]

    def const(value: Any) -> str:
        constants.append(value)
        return f"k{len(constants) - 1}"

    def emit(text: str) -> None:
        lines.append("        " + text)

    fail = "    return plain(row)"
    by_name = {check.name: check for check in checks}
    stored: list[str] = []  # per column, the record's value
    for index, name in enumerate(header):
        cell, x = f"c{index}", f"x{index}"
        check = by_name.get(name)
        stored.append(cell)
        if check is None:
            continue
        acceptance, extra = check.acceptance, check.extra
        test = f"{x} is None"
        looked_up = acceptance in ("choice", "boolean")  # a table lookup: a cell not in it raises KeyError
        if acceptance in ("text", "date", "timestamp"):
            # the record keeps the cell's text; a date or timestamp is parsed for validation
            parse = parse_date if acceptance == "date" else parse_timestamp
            value = cell if acceptance == "text" else f"{const(parse)}({cell})"
            if not check.optional:
                emit(f"if not {cell}:")
                emit(fail)
        elif acceptance == "choice":
            value = f"{const({choice: choice for choice in extra if choice})}[{cell}]"
        elif acceptance == "boolean":
            value = f"{const(dict(_COMMON_BOOLEAN_CELLS))}[{cell}]"
            stored[-1] = x
        elif acceptance == "integer" and extra is not None and extra[0].__class__ is int \
                and extra[1].__class__ is int and 0 <= extra[0] and extra[1] < len(_SMALL_INTEGER_CELLS):
            value = f"{const({str(n): n for n in range(extra[0], extra[1] + 1)})}[{cell}]"
            stored[-1] = x
            looked_up = True
        else:  # integer, number
            value = f"int({cell}) if {cell}.isdigit() and {cell}.isascii() else "
            value += "None" if acceptance == "integer" else f"{const(converters[index])}({cell})"
            if acceptance == "number":
                test = f"{x}.__class__ is str"  # the converter leaves a cell it does not take as text
            if extra is not None:
                test += f" or not {const(extra[0])} <= {x} <= {const(extra[1])}"
            stored[-1] = x
        if acceptance == "text" and not check.optional:
            emit(f"{x} = {cell}")
        elif acceptance == "text":
            emit(f"{x} = {cell} if {cell} else None")
        elif looked_up:
            emit(f"{x} = {value} if {cell} else None" if check.optional else f"{x} = {value}")
        elif check.optional:
            emit(f"if {cell}:")
            emit(f"    {x} = {value}")
            emit(f"    if {test}:")
            emit("    " + fail)
            emit("else:")
            emit(f"    {x} = None")
        else:
            emit(f"{x} = {value}")
            emit(f"if {test}:")
            emit(fail)
    # a cell not in its table (KeyError) makes the row a plain one: the lines above in a try
    first = 6
    lines[first:] = ["        try:"] + ["    " + line for line in lines[first:] or ["        pass"]] + [
        "        except KeyError:", "            return plain(row)"]
    # the record: its leading columns that are never empty here in one display, then the others
    present = {index for index, name in enumerate(header) if name in by_name and not by_name[name].optional}
    leading = 0
    while leading in present:
        leading += 1
    emit("r = {" + "".join(f"{const(header[i])}: {stored[i]}, " for i in range(leading)) + "}")
    for index in range(leading, len(header)):
        if index in present:
            emit(f"r[{const(header[index])}] = {stored[index]}")
        else:
            emit(f"if c{index}:")
            emit(f"    r[{const(header[index])}] = {stored[index]}")
    emit("r = Checked(r)")  # a copy: stores into a dict subclass cost twice a dict's
    emit("r.checked_for = checked_for")
    emit("r.field_values = (" + "".join(
        f"x{header.index(check.name)}, " if check.name in header else "None, " for check in checks) + ")")
    emit("return r")
    lines.append("    return record")
    lines[1] = "    (plain, Checked, checked_for, " + "".join(f"k{i}, " for i in range(3, len(constants))) + ") = K"
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", "<leadrules csv checked record>", "exec"), namespace)  # generated above
    built: Callable[[list[str]], dict[str, Any]] = namespace["build"](tuple(constants))
    return built


def read_csv(stream: IO[bytes], model: m.CheckedModel, options: CsvOptions = DEFAULT_CSV,
             path: str = "CSV") -> Iterator[Any]:
    """Records of a CSV file with a header row. The header is checked when this is called,
    before any record is read (so a bad header stops the run before output is opened)."""
    rows = csv_rows(stream, options)
    header = read_csv_header(rows, model, path, options)
    return csv_records(header, rows, model) if header is not None else iter(())


def read_events_csv(path: str | Path, model: m.CheckedModel,
                    options: CsvOptions = DEFAULT_CSV) -> dict[str, list[tuple[str, str]]]:
    """`--events` CSV (`lead_id,type,at`) grouped by lead id; undeclared types are dropped here.
    A row that cannot be read stops the run (its lead cannot be told).

    Held in memory: about 150 bytes per kept event (see docs/evaluation.md)."""
    declared = {name: name for name in model.events}
    grouped: dict[str, list[tuple[str, str]]] = {}
    with input_errors_for(path):
        with open(path, "rb") as stream:
            rows = csv_rows(stream, options)
            first = next(rows, None)
            if first is None:
                return grouped
            if isinstance(first[1], str):
                raise InputError(f"{path}: the header row cannot be read ({first[1]})")
            columns = [c.strip() for c in first[1]]
            for name in ("lead_id", "type", "at"):
                if columns.count(name) > 1:
                    raise InputError(f"{path}: the header names the column '{name}' twice")
            try:
                lead_col, type_col, at_col = (columns.index(c) for c in ("lead_id", "type", "at"))
            except ValueError:
                raise InputError(f"{path}: an events CSV needs the columns lead_id,type,at") from None
            width = max(lead_col, type_col, at_col)
            for _, row in rows:
                if isinstance(row, str):
                    raise InputError(f"{path}: {row}")
                if len(row) <= width:
                    continue
                event_name = declared.get(row[type_col])
                if event_name is None:
                    continue
                grouped.setdefault(row[lead_col], []).append((event_name, row[at_col]))
    return grouped


def printed_id(record: Any, position: int) -> str:
    """The key `--events` rows join on: the record's id as the output prints it (`1e1` is
    `10`, a CSV id the cell as written), else its 1-based position."""
    if isinstance(record, TypedIdRecord):
        return record.shown_id
    lead_id = record.get("id") if isinstance(record, dict) else None
    if lead_id is None:
        return str(position)
    if isinstance(lead_id, str):
        return lead_id
    if isinstance(lead_id, (int, Decimal)) and not isinstance(lead_id, bool):
        return format_number(lead_id)
    return dumps(lead_id)


def attach_events(records: Iterable[Any], events: dict[str, list[tuple[str, str]]]) -> Iterator[Any]:
    """Add `--events` rows to their records (matched on the record's printed id, else its
    1-based position), after the record's own events."""
    for position, record in enumerate(records, 1):
        if isinstance(record, dict):
            extra = events.get(printed_id(record, position))
            if extra:
                own = record.get("events")
                added = [{"type": t, "at": at} for t, at in extra]
                combined = added if own is None else own + added if isinstance(own, list) else None
                if combined is not None:
                    if isinstance(record, TypedIdRecord):
                        record = TypedIdRecord({**record, "events": combined}, record.shown_id)
                    else:
                        record = {**record, "events": combined}
        yield record


def lead_format(path: str | None) -> str:
    """"jsonl", "json" or "csv" from a leads path; stdin (None or '-') is JSON Lines."""
    if path is None or path == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    return {".json": "json", ".csv": "csv"}.get(suffix, "jsonl")


@contextlib.contextmanager
def read_leads(
    path: str | None, model: m.CheckedModel, events_path: str | None = None,
    progress: Callable[[int], None] | None = None, csv_options: CsvOptions = DEFAULT_CSV,
) -> Iterator[Iterator[Any]]:
    """Open a leads source (a path, or None / '-' for stdin) and yield its record iterator.
    A CSV header is checked here, before the caller opens its output."""
    events = read_events_csv(events_path, model, csv_options) if events_path else None
    fmt = lead_format(path)
    with contextlib.ExitStack() as stack:
        if path is None or path == "-":
            records: Iterator[Any] = read_jsonl(sys.stdin.buffer, progress)
        else:
            with input_errors_for(path):
                if fmt == "csv":
                    records = read_csv(stack.enter_context(open(path, "rb")), model, csv_options, path)
                else:
                    stream = stack.enter_context(open(path, "rb"))
                    records = read_json_array(stream) if fmt == "json" else read_jsonl(stream, progress)
        yield attach_events(records, events) if events else records


# ---- writing ----------------------------------------------------------------------------------

_fast_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _encode(record: dict[str, Any]) -> str:
    """`jsontext.dumps` text of a record; the C encoder gives the same text when the record
    holds no Decimal (whole numbers are ints), so it is tried first."""
    try:
        return escape_line_breaks(_fast_encode(record))
    except TypeError:
        return dumps(record)


def with_crm(record: dict[str, Any], mapping: m.CrmMapping) -> dict[str, Any]:
    """The record with its `crm` key (`eval --crm`): the CRM value of its stage, null for an
    error record or an unmapped `Disqualified`. It follows `route` (and comes before `explain`)."""
    out = {key: value for key, value in record.items() if key != "explain"}
    out["crm"] = None if "error" in record else mapping.value_for(record.get("stage"))
    if "explain" in record:
        out["explain"] = record["explain"]
    return out


class JsonlWriter:
    """One JSON object per line, `", "` and `": "` separators as in the spec's examples;
    when the model's `crm_output` is set, each record gains its `crm` key."""

    def __init__(self, stream: IO[str], model: m.CheckedModel | None = None, explain: bool = False) -> None:
        self.stream = stream
        self.pending: list[str] = []
        self.crm = None if model is None else model.crm_output

    def write(self, record: dict[str, Any]) -> None:
        if self.crm is not None:
            record = with_crm(record, self.crm)
        self.pending.append(_encode(record))
        if len(self.pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.stream.write("\n".join(self.pending) + "\n")
            self.pending.clear()

    def close(self) -> None:
        self.flush()


def csv_columns(model: m.CheckedModel, explain: bool = False) -> list[str]:
    """Section 9: id, stage, disqualified, reasons, blocked, route, score.*, band.*, error;
    `crm` after `route` when `eval --crm` chose a mapping (the one output schema's columns)."""
    return output_schema(model).csv_columns(explain)


def _cell(value: Any) -> str:
    cls = value.__class__
    if cls is int:
        return str(value)
    if cls is bool:
        return "true" if value else "false"
    if cls is list:
        # reasons and blocked: codes, often none
        for item in value:
            if item.__class__ is not str:
                break
        else:
            return ";".join(value)
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, Decimal)):
        return format_number(value)
    if isinstance(value, (list, tuple)):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return dumps(value, separators=(",", ":"))
    return str(value)


_FLAG_CELLS = {True: "true", False: "false"}


def _line_of(scores: list[str], bands: list[str]) -> Callable[[dict[str, Any]], str]:
    """The cells of `_cells_of` joined with commas, with the line break: the line the writer
    writes when no cell needs quoting (a generated f-string, no list of cells)."""
    line: Callable[[dict[str, Any]], str] = _cells_of(scores, bands, as_line=True)  # type: ignore[assignment]
    return line


def _cells_of(scores: list[str], bands: list[str], as_line: bool = False) -> Callable[[dict[str, Any]], list[str]]:
    """The cells of an output record (not an error record) in the columns of `csv_columns`
    (without `crm` and `explain`), `_cell` of each value: a function generated for the score
    and band names (they enter only as constants), whose line per column tests first for the
    type the column usually holds (text, a flag, no codes, a whole score)."""
    constants: list[Any] = [_cell, _FLAG_CELLS]

    def const(value: Any) -> str:
        constants.append(value)
        return f"k{len(constants) - 1}"

    def text(v: str) -> str:
        return f"{v} if {v}.__class__ is str else '' if {v} is None else cell({v})"

    def ident(v: str) -> str:  # text, or the record number
        return f"{v} if {v}.__class__ is str else str({v}) if {v}.__class__ is int else cell({v})"

    def flag(v: str) -> str:
        return f"flags[{v}] if {v}.__class__ is bool else cell({v})"

    def codes(v: str) -> str:
        return f"'' if {v}.__class__ is list and not {v} else cell({v})"

    def number(v: str) -> str:
        return f"str({v}) if {v}.__class__ is int else cell({v})"

    columns = [('record["id"]', ident), ('record["stage"]', text), ('record["disqualified"]', flag),
               ('record["reasons"]', codes), ('record["blocked"]', codes), ('record["route"]', text)]
    columns += [(f"scores[{const(name)}]", number) for name in scores]
    columns += [(f"bands[{const(name)}]", text) for name in bands]
    lines = ["def build(K):", "    (cell, flags, " + "".join(f"k{i}, " for i in range(2, len(constants))) + ") = K",
             "    def cells(record):", '        scores = record["scores"]', '        bands = record["bands"]']
    lines += [f"        a{index} = {source}" for index, (source, _) in enumerate(columns)]
    if as_line:
        lines += ['        return f"' + "".join(f"{{({shown(f'a{index}')})}}," for index, (_, shown) in enumerate(columns))
                  + '\\n"', "    return cells"]
    else:
        lines += ["        return [" + "".join(f"{shown(f'a{index}')}, " for index, (_, shown) in enumerate(columns))
                  + "'']", "    return cells"]
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", "<leadrules csv cells>", "exec"), namespace)  # generated above, per model
    built: Callable[[dict[str, Any]], list[str]] = namespace["build"](tuple(constants))
    return built


class CsvWriter:
    """One row per record with the columns of `csv_columns`; lists joined with ';'."""

    def __init__(self, stream: IO[str], model: m.CheckedModel, explain: bool = False) -> None:
        self.writer = csv.writer(stream, lineterminator="\n")
        self.write_text = stream.write
        self.scores = list(model.scores)
        self.bands = list(model.bands)
        self.explain = explain
        self.crm = model.crm_output
        self.cells = _cells_of(self.scores, self.bands)
        # the whole line at once, for the usual record (no crm or explain column)
        self.line = _line_of(self.scores, self.bands) if self.crm is None and not explain else None
        self.separators = len(csv_columns(model, explain)) - 1
        self.writer.writerow(csv_columns(model, explain))

    def write(self, record: dict[str, Any]) -> None:
        error = record.get("error")
        if error is None and self.line is not None:
            text = self.line(record)
            if text.count(",") == self.separators and '"' not in text and text.count("\n") == 1 and "\r" not in text:
                # no cell holds a comma, quote or line break: what the csv module writes
                self.write_text(text)
                return
        if error is not None:
            row = [_cell(record.get("id"))] + [""] * (5 + len(self.scores) + len(self.bands)) + [error["message"]]
        else:
            row = self.cells(record)
        if self.crm is not None:
            # the `crm` column follows `route` (the 6th column); blank on an error row
            row.insert(6, "" if error is not None else _cell(self.crm.value_for(record["stage"])))
        if self.explain:
            row.append(_cell(record.get("explain")))
        line = ",".join(row)
        if line.count(",") == len(row) - 1 and '"' not in line and "\n" not in line and "\r" not in line:
            # no cell holds a comma, quote or line break: the csv module would quote none and
            # write this line (a row has more than one cell, so no lone empty cell is quoted)
            self.write_text(line + "\n")
        else:
            self.writer.writerow(row)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


WRITERS: dict[str, Callable[..., Any]] = {"jsonl": JsonlWriter, "csv": CsvWriter}


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[IO[str]]:
    """A text stream for results: stdout, or a file written by the rules of `io.output` (a
    regular file replaced atomically when the block ends without an error, a device, FIFO or
    symlink target written through)."""
    from leadrules.io.output import open_output_text

    with open_output_text(path) as stream:
        yield stream

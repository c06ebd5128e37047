"""Lead input and result output: JSON Lines, JSON arrays and CSV in; JSON Lines and CSV out.

Readers yield raw records in input order (a line that is not JSON becomes an `Unparsable`, so
it still gets its error record in place). JSON Lines is streamed line by line. Writers take
output records (section 5 of the spec) and know nothing about how they were computed, so every
engine shares them. `open_output` writes by the rules of `io.output` (a regular file replaced
atomically, a device, FIFO or symlink target written through).
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from leadrules import model as m
from leadrules.engine.validate import Unparsable
from leadrules.errors import InputError
from leadrules.io.summary import ResultTally
from leadrules.jsontext import dumps, escape_line_breaks
from leadrules.values import format_number

__all__ = [
    "EvalSummary", "read_leads", "read_jsonl", "read_json_array", "read_csv", "read_events_csv",
    "attach_events", "lead_format", "JsonlWriter", "CsvWriter", "WRITERS", "open_output", "csv_columns",
    "parse_json_line",
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


def read_csv(stream: IO[str], model: m.CheckedModel) -> Iterator[dict[str, Any]]:
    """Records of a CSV file with a header row; cells converted by declared type, empty = missing."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"CSV: {exc}") from None
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    kinds = [model.fields[name].kind if name in model.fields and name != "id" else "" for name in header]
    try:
        for row in reader:
            if not row:
                continue
            record: dict[str, Any] = {}
            for name, kind, cell in zip(header, kinds, row, strict=False):
                if cell == "":
                    continue
                record[name] = _csv_cell(kind, cell) if kind else cell
            yield record
    except csv.Error as exc:
        raise InputError(f"CSV line {reader.line_num}: {exc}") from None


def read_events_csv(path: str | Path, model: m.CheckedModel) -> dict[str, list[tuple[str, str]]]:
    """`--events` CSV (`lead_id,type,at`) grouped by lead id; undeclared types are dropped here.

    Held in memory: about 150 bytes per kept event (see docs/evaluation.md)."""
    declared = {name: name for name in model.events}
    grouped: dict[str, list[tuple[str, str]]] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            header = next(reader, None)
            if header is None:
                return grouped
            columns = [c.strip() for c in header]
            try:
                lead_col, type_col, at_col = (columns.index(c) for c in ("lead_id", "type", "at"))
            except ValueError:
                raise InputError(f"{path}: an events CSV needs the columns lead_id,type,at") from None
            width = max(lead_col, type_col, at_col)
            for row in reader:
                if len(row) <= width:
                    continue
                name = declared.get(row[type_col])
                if name is None:
                    continue
                grouped.setdefault(row[lead_col], []).append((name, row[at_col]))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(f"{path}: CSV: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return grouped


def attach_events(records: Iterable[Any], events: dict[str, list[tuple[str, str]]]) -> Iterator[Any]:
    """Add `--events` rows to their records (matched on the record's id as text, else its
    1-based position), after the record's own events."""
    for position, record in enumerate(records, 1):
        if isinstance(record, dict):
            lead_id = record.get("id")
            extra = events.get(str(position if lead_id is None else lead_id))
            if extra:
                own = record.get("events")
                added = [{"type": t, "at": at} for t, at in extra]
                if own is None:
                    record = {**record, "events": added}
                elif isinstance(own, list):
                    record = {**record, "events": own + added}
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
    progress: Callable[[int], None] | None = None,
) -> Iterator[Iterator[Any]]:
    """Open a leads source (a path, or None / '-' for stdin) and yield its record iterator."""
    events = read_events_csv(events_path, model) if events_path else None
    fmt = lead_format(path)
    with contextlib.ExitStack() as stack:
        if path is None or path == "-":
            records: Iterator[Any] = read_jsonl(sys.stdin.buffer, progress)
        else:
            try:
                if fmt == "csv":
                    text_stream = stack.enter_context(open(path, newline="", encoding="utf-8-sig"))
                    records = read_csv(text_stream, model)
                else:
                    stream = stack.enter_context(open(path, "rb"))
                    records = read_json_array(stream) if fmt == "json" else read_jsonl(stream, progress)
            except FileNotFoundError:
                raise InputError(f"{path}: no such file") from None
            except IsADirectoryError:
                raise InputError(f"{path}: is a directory") from None
            except OSError as exc:
                raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
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


class JsonlWriter:
    """One JSON object per line, `", "` and `": "` separators as in the spec's examples."""

    def __init__(self, stream: IO[str], model: m.CheckedModel | None = None, explain: bool = False) -> None:
        self.stream = stream
        self.pending: list[str] = []

    def write(self, record: dict[str, Any]) -> None:
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
    """Section 9: id, stage, disqualified, reasons, blocked, route, score.*, band.*, error."""
    columns = ["id", "stage", "disqualified", "reasons", "blocked", "route"]
    columns += [f"score.{name}" for name in model.scores]
    columns += [f"band.{name}" for name in model.bands]
    columns.append("error")
    if explain:
        columns.append("explain")
    return columns


def _cell(value: Any) -> str:
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


class CsvWriter:
    """One row per record with the columns of `csv_columns`; lists joined with ';'."""

    def __init__(self, stream: IO[str], model: m.CheckedModel, explain: bool = False) -> None:
        self.writer = csv.writer(stream, lineterminator="\n")
        self.scores = list(model.scores)
        self.bands = list(model.bands)
        self.explain = explain
        self.writer.writerow(csv_columns(model, explain))

    def write(self, record: dict[str, Any]) -> None:
        error = record.get("error")
        if error is not None:
            row = [_cell(record.get("id"))] + [""] * (5 + len(self.scores) + len(self.bands)) + [error["message"]]
        else:
            scores, bands = record["scores"], record["bands"]
            row = [_cell(record[k]) for k in ("id", "stage", "disqualified", "reasons", "blocked", "route")]
            row += [_cell(scores[name]) for name in self.scores]
            row += [_cell(bands[name]) for name in self.bands]
            row.append("")
        if self.explain:
            row.append(_cell(record.get("explain")))
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

"""The OUTCOMES file of `leadrules calibrate`: what sales decided about each lead.

CSV (a header naming `id` and `outcome`, optionally `reason` and `decided_at`) or JSON Lines
(objects with those keys). An outcome value is matched without regard to case or surrounding
blanks against the positive values (default `accepted`, `won`) and the negative ones (default
`rejected`, `lost`); anything else is *open* (still being worked) and takes no part in the
numbers. When an id appears more than once, the last row wins (a later decision replaces an
earlier one); such rows are counted. Rows that cannot be used (no id, not a JSON object,
a `decided_at` that is not a timestamp) are counted and the first few shown, never fatal.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from leadrules.engine.validate import parse_lead_timestamp
from leadrules.errors import InputError
from leadrules.io.leads import DEFAULT_CSV, CsvOptions, csv_rows, parse_json_line
from leadrules.jsontext import dumps
from leadrules.records import Unparsable
from leadrules.values import format_number

__all__ = ["POSITIVE_DEFAULT", "NEGATIVE_DEFAULT", "Outcome", "OutcomesById", "OutcomeTable", "read_outcomes", "outcome_values",
           "PROBLEM_EXAMPLES"]

POSITIVE_DEFAULT = ("accepted", "won")
NEGATIVE_DEFAULT = ("rejected", "lost")
PROBLEM_EXAMPLES = 5  # unusable rows shown by line


@dataclass(frozen=True, slots=True)
class Outcome:
    id: str
    positive: bool | None  # None: open
    value: str  # as written
    reason: str | None
    decided_at: dt.datetime | None


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_NO_TIME = -(2**63)  # in `OutcomesById.decided`: no decided_at


class OutcomesById(Mapping[str, Outcome]):
    """Lead id → its outcome, held compactly: a position per id, and per position one small code
    (which of the few distinct (verdict, value, reason) triples) and the decision instant in
    microseconds, so a million outcomes take tens of megabytes, not hundreds. An `Outcome` is
    made when one is looked up. Filled only while the file is read."""

    def __init__(self) -> None:
        self.positions: dict[str, int] = {}  # in the order ids first appear
        self.kinds: list[tuple[bool | None, str, str | None]] = []  # the distinct (positive, value, reason)
        self._kind_codes: dict[tuple[bool | None, str, str | None], int] = {}
        self.codes = array("l")  # position → index into `kinds`
        self.decided = array("q")  # position → microseconds since 1970 (UTC), or _NO_TIME

    def put(self, lead_id: str, positive: bool | None, value: str, reason: str | None,
            decided_at: dt.datetime | None) -> bool:
        """Record the outcome of an id (a later one replaces an earlier); whether it replaced one."""
        kind = (positive, value, reason)
        code = self._kind_codes.get(kind)
        if code is None:
            code = self._kind_codes[kind] = len(self.kinds)
            self.kinds.append(kind)
        micros = _NO_TIME if decided_at is None else (decided_at - _EPOCH) // dt.timedelta(microseconds=1)
        position = self.positions.get(lead_id)
        if position is not None:
            self.codes[position] = code
            self.decided[position] = micros
            return True
        self.positions[lead_id] = len(self.codes)
        self.codes.append(code)
        self.decided.append(micros)
        return False

    def outcome_at(self, lead_id: str, position: int) -> Outcome:
        positive, value, reason = self.kinds[self.codes[position]]
        micros = self.decided[position]
        decided_at = None if micros == _NO_TIME else _EPOCH + dt.timedelta(microseconds=micros)
        return Outcome(lead_id, positive, value, reason, decided_at)

    def __getitem__(self, lead_id: str) -> Outcome:
        return self.outcome_at(lead_id, self.positions[lead_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self.positions)

    def __len__(self) -> int:
        return len(self.positions)

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self.positions


@dataclass(frozen=True)
class OutcomeTable:
    by_id: OutcomesById
    rows: int  # rows read (header not counted)
    positive: int
    negative: int
    open: int
    replaced: int  # rows whose id had appeared before (the last one is kept)
    unusable: int
    problems: tuple[str, ...]  # the first PROBLEM_EXAMPLES, "line N: why"


def outcome_values(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """`--positive a,b` as lower-cased values, the default when absent."""
    if text is None:
        return default
    values = tuple(v.strip().lower() for v in text.split(",") if v.strip())
    if not values:
        raise InputError(f"expected comma-separated outcome values, found {text!r}")
    return values


def _id_text(value: Any) -> str | None:
    """An outcome id as `eval` prints a lead id (numbers in their shortest exact form)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, Decimal)):
        return format_number(value)
    return dumps(value)


def _rows(path: str, csv_reading: CsvOptions) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, row) or (line, why unusable) for each row of the file."""
    name = path.lower()
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is consumed
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with stream:
        if name.endswith((".jsonl", ".ndjson", ".json")):
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                value = parse_json_line(line)
                if isinstance(value, Unparsable):
                    yield number, f"not JSON ({value.problem})"
                elif not isinstance(value, dict):
                    yield number, "not a JSON object"
                else:
                    yield number, value
            return
        rows = csv_rows(stream, csv_reading)
        first = next(rows, None)
        if first is None:
            return
        _, header = first
        if isinstance(header, str):
            raise InputError(f"{path}: the header cannot be read ({header})")
        header = [cell.strip().lstrip("\ufeff").lower() for cell in header]
        missing = [key for key in ("id", "outcome") if key not in header]
        if missing:
            raise InputError(f"{path}: the header has no {' and no '.join(repr(k) for k in missing)} column")
        for row_line, cells in rows:
            if isinstance(cells, str):
                yield row_line, cells
            elif len(cells) != len(header):
                yield row_line, f"{len(cells)} cells, the header has {len(header)}"
            else:
                yield row_line, {key: (cell if cell != "" else None) for key, cell in zip(header, cells, strict=True)}


def read_outcomes(path: str, positive: Iterable[str] = POSITIVE_DEFAULT, negative: Iterable[str] = NEGATIVE_DEFAULT,
                  csv_reading: CsvOptions = DEFAULT_CSV) -> OutcomeTable:
    """The outcomes of a file, by lead id."""
    if Path(path).is_dir():
        raise InputError(f"{path}: is a directory (OUTCOMES is a CSV or JSON Lines file)")
    positives, negatives = frozenset(positive), frozenset(negative)
    by_id = OutcomesById()
    rows = replaced = unusable = 0
    problems: list[str] = []

    def problem(line: int, why: str) -> None:
        nonlocal unusable
        unusable += 1
        if len(problems) < PROBLEM_EXAMPLES:
            problems.append(f"line {line}: {why}")

    for line, row in _rows(path, csv_reading):
        rows += 1
        if isinstance(row, str):
            problem(line, row)
            continue
        lead_id = _id_text(row.get("id"))
        if lead_id is None:
            problem(line, "no id")
            continue
        raw_outcome = row.get("outcome")
        value = raw_outcome.strip() if isinstance(raw_outcome, str) else ""
        lowered = value.lower()
        verdict = True if lowered in positives else False if lowered in negatives else None
        reason_value = row.get("reason")
        reason = reason_value.strip() or None if isinstance(reason_value, str) else None
        decided_value = row.get("decided_at")
        decided_at = None
        if decided_value is not None:
            decided_at = parse_lead_timestamp(decided_value.strip()) if isinstance(decided_value, str) else None
            if decided_at is None:
                problem(line, "decided_at is not a timestamp (ISO 8601)")
                continue
        replaced += by_id.put(lead_id, verdict, value, reason, decided_at)
    per_verdict = Counter[bool | None]()
    for code, n in Counter(by_id.codes).items():
        per_verdict[by_id.kinds[code][0]] += n
    return OutcomeTable(by_id, rows, per_verdict[True], per_verdict[False], per_verdict[None], replaced,
                        unusable, tuple(problems))

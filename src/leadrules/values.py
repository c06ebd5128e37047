"""Value conventions shared by every engine: dates, timestamps and exact number printing."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import sys
from decimal import Decimal

__all__ = [
    "exact_context", "parse_date", "parse_timestamp", "is_plain_timestamp", "from_plain_timestamp", "format_number",
    "format_timestamp", "json_number", "DATE_PATTERN", "TIME_PATTERN", "TIMESTAMP_PATTERN", "PLAIN_TIMESTAMP_PATTERN",
]


# One grammar for every timestamp leadrules reads (spec section 9, "Input records"): timestamp
# field values, event `at`, `--as-of`, timestamp literals in rule files and test `as of`.
#   YYYY-MM-DD                                   midnight UTC of that day
#   YYYY-MM-DD(T| )hh:mm[:ss[.f{1,6}]][Z|±hh:mm]  no zone means UTC
# Nothing else (`T10`, `+0100`, `,5`, lowercase `t`/`z`, other digits than ASCII 0-9). The ranges
# (month, day, hour, offset < 24h) are checked by building the datetime.
DATE_PATTERN = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
TIME_PATTERN = r"[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
TIMESTAMP_PATTERN = f"{DATE_PATTERN}(?:{TIME_PATTERN})?"
# The usual spelling, `2026-11-22T10:00:00Z`, with its ranges in the pattern: a subset of the
# grammar that fast paths (and the DuckDB engine) take on their own, leaving every other
# spelling to parse_timestamp.
PLAIN_TIMESTAMP_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"

_DATE = re.compile(DATE_PATTERN, re.ASCII)
_TIMESTAMP = re.compile(TIMESTAMP_PATTERN, re.ASCII)
_PLAIN_TIMESTAMP = re.compile(PLAIN_TIMESTAMP_PATTERN, re.ASCII)
_UTC = dt.timezone.utc

if sys.version_info >= (3, 11):
    _from_plain = dt.datetime.fromisoformat  # reads the 'Z' itself and gives timezone.utc
else:  # pragma: no cover - Python 3.10

    def _from_plain(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text[:19] + "+00:00")


def is_plain_timestamp(text: str) -> bool:
    """Whether `text` is spelled exactly `YYYY-MM-DDThh:mm:ssZ` (the calendar is not checked)."""
    return len(text) == 20 and _PLAIN_TIMESTAMP.fullmatch(text) is not None


def from_plain_timestamp(text: str) -> dt.datetime:
    """A text for which is_plain_timestamp holds → aware UTC datetime; ValueError off the calendar."""
    return _from_plain(text)


def parse_date(text: str) -> dt.date | None:
    """`YYYY-MM-DD` → date, or None."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_timestamp(text: str) -> dt.datetime | None:
    """A timestamp in the one grammar above → aware UTC datetime, or None."""
    if is_plain_timestamp(text):
        try:
            return _from_plain(text)
        except ValueError:
            return None
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tz = _UTC
        if zone and zone != "Z":
            if int(zone[4:6]) > 59:
                return None
            sign = -1 if zone[0] == "-" else 1
            tz = dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        value = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            int((fraction or "0").ljust(6, "0")), tzinfo=tz,
        )
        return value if tz is _UTC else value.astimezone(_UTC)
    except (ValueError, OverflowError):  # off the calendar, an offset of 24 h or more, beyond year 9999
        return None


def format_timestamp(value: dt.datetime) -> str:
    """UTC, second precision unless fractions are present, with a 'Z'."""
    value = value.astimezone(dt.timezone.utc)
    text = value.replace(tzinfo=None).isoformat()
    return text + "Z"


def format_number(value: Decimal | int) -> str:
    """Plain notation: integers without a point, decimals without trailing zeros, never an
    exponent, -0 as 0."""
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    # format(…, "f") prints every digit; normalize() would round to the context's precision
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def json_number(value: Decimal | int) -> int | Decimal:
    """An int when the value is whole (so it prints without a point), else the Decimal."""
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return value


def exact_context() -> decimal.Context:
    """A decimal context in which sums and products never round: the default context keeps
    28 significant digits, and lead values (a CRM counter, a revenue figure) may carry more.
    Use a fresh one per evaluation, since operations set flags on it."""
    return decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)

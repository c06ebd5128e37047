"""Value conventions shared by every engine: dates, timestamps and exact number printing."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

__all__ = ["exact_context", "parse_date", "parse_timestamp", "format_number", "format_timestamp", "json_number"]


def parse_date(text: str) -> dt.date | None:
    """`YYYY-MM-DD`, or None."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_timestamp(text: str) -> dt.datetime | None:
    """ISO 8601 with 'Z', an offset, or none (UTC). Returns an aware UTC datetime, or None."""
    if len(text) < 11 or text[10] not in "Tt ":
        return None
    if parse_date(text[:10]) is None:
        return None
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        value = dt.datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


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

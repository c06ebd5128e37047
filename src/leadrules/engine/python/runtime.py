"""The fixed set of names generated evaluator code may import (`EXPORTS`).

Generated code reaches the outside world only through these names and the constants handed to
its `build` function; everything a rule file says arrives as a constant, never as source text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from leadrules.values import json_number

__all__ = ["EXPORTS", "email_domain", "json_number", "Decimal", "Trace"]


def email_domain(address: str) -> str | None:
    """The part after the last '@', lower-cased; None (missing) without an '@'."""
    head, at, domain = address.rpartition("@")
    return domain.lower() if at else None


class Trace(NamedTuple):
    """What the generated `trace` function returns: the record and everything `explain` shows.
    Each tuple lines up with the `GeneratedModule` it came from. (A named tuple, not a frozen
    dataclass: it is built once per traced lead, and callers may still unpack it in order.)"""

    record: dict[str, Any]
    rule_points: list[tuple[bool, int | Decimal]]  # (fired, points) per rule of `GeneratedModule.rules`
    disqualifiers: tuple[bool | None, ...]  # truth per disqualifier, as written
    criteria: tuple[bool | None, ...]  # truth per criterion of `GeneratedModule.criteria`
    routes: tuple[tuple[bool | None, ...], ...]  # per route block, the truth of each `to ... if` entry
    counts: tuple[int, ...]  # per event slot, in the plan's slot order
    domains: tuple[str | None, ...]  # per email field of `GeneratedModule.email_fields`
    scores: tuple[int | Decimal, ...]  # per score, as declared
    bands: tuple[str | None, ...]  # per band, as declared
    conditions: tuple[bool | None, ...]  # per named condition, as declared


EXPORTS = ("email_domain", "json_number", "Decimal", "Trace")

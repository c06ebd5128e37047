"""The fixed set of names generated evaluator code may import (`EXPORTS`).

Generated code reaches the outside world only through these names and the constants handed to
its `build` function; everything a rule file says arrives as a constant, never as source text.
"""

from __future__ import annotations

from decimal import Decimal

from leadrules.values import json_number

__all__ = ["EXPORTS", "email_domain", "json_number", "Decimal"]


def email_domain(address: str) -> str | None:
    """The part after the last '@', lower-cased; None (missing) without an '@'."""
    head, at, domain = address.rpartition("@")
    return domain.lower() if at else None


EXPORTS = ("email_domain", "json_number", "Decimal")

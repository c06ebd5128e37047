"""Model expressions back to rule-language text, for messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from leadrules import model as m
from leadrules.values import format_number

__all__ = ["show", "show_value"]


def show_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return '"' + value.isoformat().replace("+00:00", "Z") + '"'
    if isinstance(value, dt.date):
        return f'"{value.isoformat()}"'
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _window(window: m.Window | None) -> str:
    return f" {window}" if window is not None else ""


def show(e: m.Expr, parent: int = 0) -> str:
    """Text of an expression; `parent` is the binding strength of the context (or=1, and=2,
    not=3) so that parentheses appear only where needed."""
    if isinstance(e, m.Const):
        return show_value(e.value)
    if isinstance(e, m.FieldValue):
        return e.field
    if isinstance(e, m.EmailDomain):
        return f"{e.field}.domain"
    if isinstance(e, m.ScoreValue):
        return e.score
    if isinstance(e, m.BandValue):
        return e.band
    if isinstance(e, m.ConditionValue):
        return e.condition
    if isinstance(e, m.EventCount):
        return f"count({e.event}{_window(e.window)})"
    if isinstance(e, m.HasEvent):
        return f"has {e.event}{_window(e.window)}"
    if isinstance(e, m.Linear):
        parts: list[str] = []
        for coefficient, term in e.terms:
            sign = "-" if coefficient < 0 else "+"
            size = abs(coefficient)
            text = show(term, 4) if size == 1 else f"{format_number(size)} * {show(term, 4)}"
            parts.append(text if not parts and sign == "+" else f"{sign} {text}" if parts else f"-{text}")
        if e.constant:
            parts.append(f"{'-' if e.constant < 0 else '+'} {format_number(abs(e.constant))}")
        return " ".join(parts)
    if isinstance(e, m.Compare):
        return f"{show(e.left, 4)} {e.op} {show(e.right, 4)}"
    if isinstance(e, m.InSet):
        items = ", ".join(show_value(v) for v in e.values)
        return f"{show(e.subject, 4)} {'not in' if e.negated else 'in'} [{items}]"
    if isinstance(e, m.TextTest):
        return f"{show(e.subject, 4)} {e.op} {show(e.pattern, 4)}"
    if isinstance(e, m.Presence):
        return f"{show(e.subject, 4)} is {'present' if e.present else 'missing'}"
    if isinstance(e, m.Not):
        text = "not " + show(e.operand, 3)
        return f"({text})" if parent > 3 else text
    if isinstance(e, m.And):
        text = " and ".join(show(p, 2) for p in e.operands)
        return f"({text})" if parent > 2 else text
    if isinstance(e, m.Or):
        text = " or ".join(show(p, 1) for p in e.operands)
        return f"({text})" if parent > 1 else text
    raise TypeError(type(e).__name__)

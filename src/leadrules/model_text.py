"""Checked-model expressions and rules back in rule-file words, for messages, explain and lint.

One printer for everything that shows the model to a person, so a criterion reads the same
in `explain`, in `test --coverage` and in a lint finding.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.jsontext import dumps
from leadrules.values import format_number, format_timestamp

__all__ = ["show_value", "describe", "describe_rule"]

# binding strength of the context an expression is printed in: parentheses appear only
# where the context binds tighter than the expression
_OR, _AND, _NOT, _OPERAND = 1, 2, 3, 4


def show_value(value: Any) -> str:
    """A value as rule files write it (`missing` for None)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return dumps(format_timestamp(value))
    if isinstance(value, dt.date):
        return dumps(value.isoformat())
    if value is None:
        return "missing"
    return dumps(value)


def _window(window: m.Window | None) -> str:
    return f" {window}" if window is not None else ""


def describe(expr: m.Expr, model: m.CheckedModel | None = None, parent: int = 0) -> str:
    """An expression in rule-file syntax; with a model, inlined lists are shown by name."""
    def sub(e: m.Expr, strength: int = _OPERAND) -> str:
        return describe(e, model, strength)

    if isinstance(expr, m.Const):
        return show_value(expr.value)
    if isinstance(expr, m.FieldValue):
        return expr.field
    if isinstance(expr, m.EmailDomain):
        return f"{expr.field}.domain"
    if isinstance(expr, m.ScoreValue):
        return expr.score
    if isinstance(expr, m.BandValue):
        return expr.band
    if isinstance(expr, m.ConditionValue):
        return expr.condition
    if isinstance(expr, m.EventCount):
        return f"count({expr.event}{_window(expr.window)})"
    if isinstance(expr, m.HasEvent):
        return f"has {expr.event}{_window(expr.window)}"
    if isinstance(expr, m.Linear):
        text = ""
        for coefficient, term in expr.terms:
            magnitude = abs(coefficient)
            piece = sub(term) if magnitude == 1 else f"{format_number(magnitude)} * {sub(term)}"
            # a cancelled term (coefficient 0) is printed `0 * x`: the expression still reads x
            if not text:
                text = piece if coefficient >= 0 else f"-{piece}"
            else:
                text += f" {'+' if coefficient >= 0 else '-'} {piece}"
        if expr.constant:
            text += f" {'+' if expr.constant > 0 else '-'} {format_number(abs(expr.constant))}"
        return text
    if isinstance(expr, m.Compare):
        return f"{sub(expr.left)} {expr.op} {sub(expr.right)}"
    if isinstance(expr, m.InSet):
        listed = None
        if model is not None:
            listed = next((name for name, values in model.lists.items() if values == expr.values), None)
        if listed is None:
            listed = "[" + ", ".join(show_value(v) for v in expr.values) + "]"
        return f"{sub(expr.subject)} {'not in' if expr.negated else 'in'} {listed}"
    if isinstance(expr, m.TextTest):
        return f"{sub(expr.subject)} {expr.op} {sub(expr.pattern)}"
    if isinstance(expr, m.Presence):
        return f"{sub(expr.subject)} is {'present' if expr.present else 'missing'}"
    if isinstance(expr, m.Not):
        text = "not " + sub(expr.operand, _NOT)
        return f"({text})" if parent > _NOT else text
    if isinstance(expr, m.And):
        text = " and ".join(sub(o, _NOT) for o in expr.operands)
        return f"({text})" if parent > _AND else text
    if isinstance(expr, m.Or):
        # `and` inside `or` keeps parentheses, as `leadrules fmt` prints it
        text = " or ".join(sub(o, _NOT) for o in expr.operands)
        return f"({text})" if parent > _OR else text
    raise TypeError(f"not a model expression: {type(expr).__name__}")


def describe_rule(rule: m.ScoreRule, model: m.CheckedModel | None = None) -> str:
    """A scoring rule as written, e.g. `+10 per ebook_download (max 20)`."""
    points = ("+" if rule.points >= 0 else "-") + format_number(abs(rule.points))
    if isinstance(rule, m.IfRule):
        return f"{points} if {describe(rule.condition, model)}"
    if isinstance(rule, m.PerEventRule):
        text = f"{points} per {rule.event}{_window(rule.window)}"
    else:
        text = f"{points} per {rule.field}"
    return text + (f" (max {format_number(rule.cap)})" if rule.cap is not None else "")

"""Checked-model expressions in plain English, for `leadrules doc`.

`model_text.describe` prints an expression in rule syntax (`fit_grade in ["A", "B"]`); this
module says the same thing as a sentence fragment for sales and marketing readers ("its fit
grade is A or B"). Its structure follows `model_text`: one branch per node kind of
`leadrules.model`, and parentheses only where the grouping would otherwise be ambiguous
(`and` inside `or`, `or` inside `and`).

Names are shown with underscores as spaces ("fit grade"), except event types, which stay as
they are written because they are the `type` values of the lead data. Where the checked model
has lost what the author wrote (a named list is inlined, `between` is two comparisons), a
`Phrasing` built from the syntax tree restores it by the span the model node keeps.

Every negation is phrased so that it means exactly what the rule evaluates under three-valued
logic: `not fit >= 50` becomes "its fit is less than 50", which, like the rule, does not hold
when fit is unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from leadrules import model as m
from leadrules.jsontext import dumps
from leadrules.source import Span
from leadrules.syntax import ast
from leadrules.values import format_number, format_timestamp

__all__ = ["Phrasing", "phrasing_of", "condition_words", "value_words", "show_value", "window_words",
           "name_words", "rule_words", "article"]

# binding strength of the context a condition is printed in (as in model_text)
_OR, _AND, _OPERAND = 1, 2, 3

_BARE_TEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+/-]*\Z")

_NUMBER_VERBS = {"==": "is", "!=": "is not", "<": "is less than", "<=": "is at most",
                 ">": "is more than", ">=": "is at least"}
_TIME_VERBS = {"==": "is", "!=": "is not", "<": "is before", "<=": "is on or before",
               ">": "is after", ">=": "is on or after"}
# the operator that states the same comparison with its sides swapped (`30 <= x` is `x >= 30`)
_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# the operator that is true exactly when the original is false (both sides known)
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_TEXT_TEST_NEGATED = {"starts with": "does not start with", "ends with": "does not end with",
                      "contains": "does not contain"}


@dataclass(frozen=True)
class Phrasing:
    """What the author wrote that the model no longer shows, keyed by the span of the model node:
    the list named in an `in` test, and the `between` tests (the model has two comparisons)."""

    list_names: Mapping[Span, str] = field(default_factory=dict)
    list_values: Mapping[str, tuple[Decimal | str, ...]] = field(default_factory=dict)
    betweens: frozenset[Span] = frozenset()


def phrasing_of(module: ast.Module) -> Phrasing:
    """The phrasing hints of one parsed rule file."""
    list_names: dict[Span, str] = {}
    list_values: dict[str, tuple[Decimal | str, ...]] = {}
    betweens: set[Span] = set()
    for statement in module.statements:
        if isinstance(statement, ast.ListDecl):
            list_values.setdefault(statement.name.name, tuple(item.value for item in statement.items.items))
        for node in ast.walk(statement):
            if isinstance(node, ast.InList) and isinstance(node.items, ast.ListName):
                list_names[node.span] = node.items.name
            elif isinstance(node, ast.Between):
                betweens.add(node.span)
    return Phrasing(list_names, list_values, frozenset(betweens))


def name_words(name: str) -> str:
    """A declared name as words: `fit_grade` → `fit grade`."""
    words = name.replace("_", " ").strip()
    return words or name


def article(word: str) -> str:
    """`a` or `an` before `word`; an all-capital abbreviation is read letter by letter (an MQL,
    an SQL, a PQL)."""
    if not word:
        return "a"
    letters = word.replace("_", "")
    if letters.isupper() and len(letters) > 1:
        return "an" if letters[0] in "AEFHILMNORSX" else "a"
    return "an" if word[0].lower() in "aeiou" else "a"


def show_value(value: object) -> str:
    """A literal in words: numbers plainly, a simple word bare, other text in double quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return "missing"
    text = str(value)
    return text if _BARE_TEXT.match(text) else dumps(text)


def _choice(values: tuple[str, ...], joiner: str) -> str:
    """`A`, `A or B`, `A, B or C`."""
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + f" {joiner} " + values[-1]


def window_words(window: m.Window | None) -> str:
    """` in the last 30 days`, ` in the last day`, or nothing."""
    if window is None:
        return ""
    if window.amount == 1:
        return f" in the last {window.unit[:-1]}"
    return f" in the last {window.amount} {window.unit}"


def _event(name: str) -> str:
    return f"{article(name)} {name}"


def value_words(expr: m.Expr, phrasing: Phrasing | None = None) -> str:
    """A value expression as a noun phrase: `its fit`, `the number of demo_request events`."""
    hints = phrasing or Phrasing()
    if isinstance(expr, m.Const):
        return show_value(expr.value)
    if isinstance(expr, m.FieldValue):
        return f"its {name_words(expr.field)}"
    if isinstance(expr, m.EmailDomain):
        return f"its {name_words(expr.field)} domain"
    if isinstance(expr, m.ScoreValue):
        return f"its {name_words(expr.score)}"
    if isinstance(expr, m.BandValue):
        return f"its {name_words(expr.band)}"
    if isinstance(expr, m.EventCount):
        return f"the number of {expr.event} events{window_words(expr.window)}"
    if isinstance(expr, m.Linear):
        return _linear(expr, hints)
    if isinstance(expr, (m.ConditionValue, m.HasEvent, m.Compare, m.InSet, m.TextTest, m.Presence, m.Not,
                         m.And, m.Or)):
        return "whether " + condition_words(expr, hints, _OPERAND)
    raise TypeError(f"not a model expression: {type(expr).__name__}")


def _linear(expr: m.Linear, hints: Phrasing) -> str:
    text = ""
    for coefficient, term in expr.terms:
        magnitude = abs(coefficient)
        term_text = value_words(term, hints)
        # a cancelled term (coefficient 0) is still read: the value is unknown when it is missing
        piece = term_text if magnitude == 1 else f"{format_number(magnitude)} times {term_text}"
        if not text:
            text = piece if coefficient >= 0 else f"minus {piece}"
        else:
            text += f" {'plus' if coefficient >= 0 else 'minus'} {piece}"
    if expr.constant:
        constant = format_number(abs(expr.constant))
        if text:
            text += f" {'plus' if expr.constant > 0 else 'minus'} {constant}"
        else:
            text = format_number(expr.constant)
    return text or "0"


def _verbs(left: m.Expr) -> dict[str, str]:
    return _TIME_VERBS if left.type in ("date", "timestamp") else _NUMBER_VERBS


def _compare(op: str, left: m.Expr, right: m.Expr, hints: Phrasing) -> str:
    if isinstance(left, m.Const) and not isinstance(right, m.Const):
        # the value being tested reads better first: `30 <= engagement` → "its engagement is at least 30"
        op, left, right = _MIRRORED[op], right, left
    return f"{value_words(left, hints)} {_verbs(left)[op]} {value_words(right, hints)}"


def _between(expr: m.And, hints: Phrasing) -> str | None:
    """`x between A and B`, which the model holds as `x >= A and x <= B` with the span of the test."""
    if expr.span not in hints.betweens or len(expr.operands) != 2:
        return None
    low, high = expr.operands
    if not (isinstance(low, m.Compare) and isinstance(high, m.Compare) and low.op == ">=" and high.op == "<="
            and low.left == high.left):
        return None
    return (f"{value_words(low.left, hints)} is between {value_words(low.right, hints)}"
            f" and {value_words(high.right, hints)}")


def _in_set(expr: m.InSet, hints: Phrasing, negated: bool) -> str:
    subject = value_words(expr.subject, hints)
    values = tuple(show_value(v) for v in expr.values)
    listed = hints.list_names.get(expr.span)
    if listed is not None:
        return f"{subject} is {'not ' if negated else ''}in {name_words(listed)} ({_choice(values, 'or')})"
    if len(values) == 1:
        return f"{subject} is {'not ' if negated else ''}{values[0]}"
    if len(values) == 2:
        return f"{subject} is neither {values[0]} nor {values[1]}" if negated else f"{subject} is {values[0]} or {values[1]}"
    return f"{subject} is {'not ' if negated else ''}one of {_choice(values, 'or')}"


def _has(expr: m.HasEvent, negated: bool) -> str:
    if negated:
        return f"it has had no {expr.event}{window_words(expr.window)}"
    return f"it has had {_event(expr.event)}{window_words(expr.window)}"


def _negation(operand: m.Expr, hints: Phrasing, parent: int) -> str:
    """`not X`, said directly where English has a word for it; every form here is true exactly
    when X is false (and, like the rule, not when X is unknown)."""
    if isinstance(operand, m.Compare):
        return _compare(_NEGATED[operand.op], operand.left, operand.right, hints)
    if isinstance(operand, m.InSet):
        return _in_set(operand, hints, not operand.negated)
    if isinstance(operand, m.TextTest):
        verb = _TEXT_TEST_NEGATED[operand.op]
        return f"{value_words(operand.subject, hints)} {verb} {value_words(operand.pattern, hints)}"
    if isinstance(operand, m.Presence):
        return f"{value_words(operand.subject, hints)} is {'missing' if operand.present else 'present'}"
    if isinstance(operand, m.HasEvent):
        return _has(operand, negated=True)
    if isinstance(operand, m.ConditionValue):
        return f"it does not meet the {name_words(operand.condition)} condition"
    if isinstance(operand, m.FieldValue) and operand.type == "boolean":
        return f"{name_words(operand.field)} is false"
    if isinstance(operand, m.Const) and isinstance(operand.value, bool):
        return condition_words(m.Const(not operand.value, "boolean", operand.span), hints, parent)
    if isinstance(operand, m.Not):
        return condition_words(operand.operand, hints, parent)
    return "it is not the case that " + condition_words(operand, hints, _OPERAND)


def condition_words(expr: m.Expr, phrasing: Phrasing | None = None, parent: int = 0) -> str:
    """A condition as a clause: `its fit grade is A or B and its engagement is at least 30`."""
    hints = phrasing or Phrasing()
    if isinstance(expr, m.Const):
        if isinstance(expr.value, bool):
            return "always" if expr.value else "never"
        return f"{show_value(expr.value)} is true"
    if isinstance(expr, m.FieldValue):
        # a boolean field is a flag: "unsubscribed is true" (no "its": the name is the statement)
        return f"{name_words(expr.field)} is true"
    if isinstance(expr, m.ConditionValue):
        return f"it meets the {name_words(expr.condition)} condition"
    if isinstance(expr, m.HasEvent):
        return _has(expr, negated=False)
    if isinstance(expr, (m.EmailDomain, m.ScoreValue, m.BandValue, m.EventCount, m.Linear)):
        return f"{value_words(expr, hints)} is true"
    if isinstance(expr, m.Compare):
        return _compare(expr.op, expr.left, expr.right, hints)
    if isinstance(expr, m.InSet):
        return _in_set(expr, hints, expr.negated)
    if isinstance(expr, m.TextTest):
        return f"{value_words(expr.subject, hints)} {expr.op} {value_words(expr.pattern, hints)}"
    if isinstance(expr, m.Presence):
        return f"{value_words(expr.subject, hints)} is {'present' if expr.present else 'missing'}"
    if isinstance(expr, m.Not):
        return _negation(expr.operand, hints, parent)
    if isinstance(expr, m.And):
        between = _between(expr, hints)
        if between is not None:
            return between
        parts = tuple(condition_words(o, hints, _OPERAND) for o in expr.operands)
        text = _choice(parts, "and")
        return f"({text})" if parent > _AND else text
    if isinstance(expr, m.Or):
        parts = tuple(condition_words(o, hints, _OPERAND) for o in expr.operands)
        text = _choice(parts, "or")
        return f"({text})" if parent > _OR else text
    raise TypeError(f"not a model expression: {type(expr).__name__}")


def rule_words(rule: m.ScoreRule, phrasing: Phrasing | None = None) -> str:
    """When a scoring rule awards its points: `when its role is manager`, `for each demo_request
    in the last 14 days`, `for each unit of its email clicks 30d`."""
    if isinstance(rule, m.IfRule):
        return "when " + condition_words(rule.condition, phrasing)
    if isinstance(rule, m.PerEventRule):
        return f"for each {rule.event}{window_words(rule.window)}"
    return f"for each unit of its {name_words(rule.field)} (none when it is missing)"

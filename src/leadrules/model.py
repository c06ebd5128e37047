"""The checked model: resolved, typed, immutable. The sole input to engines and the linter.

Expressions here are not syntax: names are resolved to what they denote
(a field, a score, a band, a condition, an event count), literals carry their
type (dates are `datetime.date`, timestamps aware UTC `datetime`), `between`
is spelled out, lists are inlined, and arithmetic is a linear form
`constant + Σ coefficient × term`. Every node keeps the span of the text it came from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Union

from leadrules.source import Span

__all__ = [
    "ValueType", "Const", "FieldValue", "EmailDomain", "ScoreValue", "BandValue",
    "ConditionValue", "EventCount", "HasEvent", "Linear", "Compare", "InSet", "TextTest",
    "Presence", "Not", "And", "Or", "Expr", "Window", "Field", "Condition", "IfRule",
    "PerEventRule", "PerFieldRule", "ScoreRule", "Score", "BandEntry", "Band",
    "Disqualifier", "StageCriterion", "RouteEntry", "Route", "CrmMapping", "TestCase", "CheckedModel",
    "DISQUALIFIED", "children",
]

DISQUALIFIED = "Disqualified"

# The type of a value in an expression: integer fields, scores and counts are "number".
ValueType = str  # "number" | "text" | "boolean" | "date" | "timestamp"


@dataclass(frozen=True, slots=True)
class Window:
    """`in last N unit`: events with as_of - seconds < at <= as_of."""

    amount: int
    unit: str  # "days" | "weeks" | "hours"
    seconds: int

    def __str__(self) -> str:
        return f"in last {self.amount} {self.unit}"


# ---- expressions ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Const:
    value: Decimal | str | bool | dt.date | dt.datetime
    type: ValueType
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class FieldValue:
    """The value of a declared field; missing when absent or null."""

    field: str
    type: ValueType
    span: Span = dataclasses.field(compare=False)


@dataclass(frozen=True, slots=True)
class EmailDomain:
    """`field.domain`: text after the last '@', lower-cased; missing without an '@'."""

    field: str
    span: Span = dataclasses.field(compare=False)
    type: ValueType = "text"


@dataclass(frozen=True, slots=True)
class ScoreValue:
    score: str
    span: Span = field(compare=False)
    type: ValueType = "number"


@dataclass(frozen=True, slots=True)
class BandValue:
    """A band's label; missing when the score falls in no entry."""

    band: str
    span: Span = field(compare=False)
    type: ValueType = "text"


@dataclass(frozen=True, slots=True)
class ConditionValue:
    condition: str
    span: Span = field(compare=False)
    type: ValueType = "boolean"


@dataclass(frozen=True, slots=True)
class EventCount:
    """count(EVENT [in last D]); never missing."""

    event: str
    window: Window | None
    span: Span = field(compare=False)
    type: ValueType = "number"


@dataclass(frozen=True, slots=True)
class HasEvent:
    """has EVENT [in last D]; never unknown."""

    event: str
    window: Window | None
    span: Span = field(compare=False)
    type: ValueType = "boolean"


@dataclass(frozen=True, slots=True)
class Linear:
    """constant + Σ coefficient × term; unknown when any term is missing.

    A term whose coefficient cancelled to 0 (`x - x`, `0 * x`) is kept: the expression
    still reads it, so it is still unknown when that term is missing (spec section 9), and
    usage analysis still sees the field or counter. `reads` lists those read terms.
    """

    terms: tuple[tuple[Decimal, "Expr"], ...]
    constant: Decimal
    span: Span = field(compare=False)
    type: ValueType = "number"

    @property
    def reads(self) -> tuple["Expr", ...]:
        """Every term the expression reads, cancelled ones (coefficient 0) included."""
        return tuple(term for _, term in self.terms)


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >=
    left: "Expr"
    right: "Expr"
    span: Span = field(compare=False)
    type: ValueType = "boolean"


@dataclass(frozen=True, slots=True)
class InSet:
    """x in [v, ...] (negated: not in). Values are Decimal or str."""

    subject: "Expr"
    values: tuple[Decimal | str, ...]
    negated: bool
    span: Span = field(compare=False)
    type: ValueType = "boolean"


@dataclass(frozen=True, slots=True)
class TextTest:
    op: str  # "starts with" | "ends with" | "contains"
    subject: "Expr"
    pattern: "Expr"
    span: Span = field(compare=False)
    type: ValueType = "boolean"


@dataclass(frozen=True, slots=True)
class Presence:
    """x is present (present=True) / x is missing (present=False); never unknown."""

    subject: "Expr"
    present: bool
    span: Span = field(compare=False)
    type: ValueType = "boolean"


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Expr"
    span: Span = field(compare=False)
    type: ValueType = "boolean"


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple["Expr", ...]
    span: Span = field(compare=False)
    type: ValueType = "boolean"


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple["Expr", ...]
    span: Span = field(compare=False)
    type: ValueType = "boolean"


Expr = Union[
    Const, FieldValue, EmailDomain, ScoreValue, BandValue, ConditionValue, EventCount,
    HasEvent, Linear, Compare, InSet, TextTest, Presence, Not, And, Or,
]


def children(expr: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions, for generic walks."""
    if isinstance(expr, Linear):
        return expr.reads
    if isinstance(expr, Compare):
        return (expr.left, expr.right)
    if isinstance(expr, (InSet, Presence)):
        return (expr.subject,)
    if isinstance(expr, TextTest):
        return (expr.subject, expr.pattern)
    if isinstance(expr, Not):
        return (expr.operand,)
    if isinstance(expr, (And, Or)):
        return expr.operands
    return ()


# ---- declarations -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str  # text email integer number boolean date timestamp choice
    optional: bool
    span: Span = field(compare=False)
    choices: tuple[str, ...] = ()
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    expr: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class IfRule:
    """+P if C."""

    label: str | None
    points: Decimal
    condition: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class PerEventRule:
    """+P per EVENT [in last D] [(max M)]: P × count, magnitude capped at M."""

    label: str | None
    points: Decimal
    event: str
    window: Window | None
    cap: Decimal | None
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class PerFieldRule:
    """+P per FIELD [(max M)]: P × the integer field's value; nothing when missing."""

    label: str | None
    points: Decimal
    field: str
    cap: Decimal | None
    span: Span = dataclasses.field(compare=False)


ScoreRule = Union[IfRule, PerEventRule, PerFieldRule]


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    minimum: Decimal | None
    maximum: Decimal | None
    rules: tuple[ScoreRule, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class BandEntry:
    """label for scores in [low, high); None is an open end."""

    label: str
    low: Decimal | None
    high: Decimal | None
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Band:
    name: str
    score: str
    entries: tuple[BandEntry, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Disqualifier:
    code: str
    reason: str
    at: str | None  # None: global
    condition: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class StageCriterion:
    stage: str
    condition: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class RouteEntry:
    target: str
    condition: Expr | None  # None for `otherwise`
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Route:
    stage: str
    entries: tuple[RouteEntry, ...]  # conditional entries, in order
    otherwise: RouteEntry | None
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class CrmMapping:
    """`crm NAME "property":` — the CRM property's value for each stage. Every declared stage
    has one; `Disqualified` has one only when the block maps it."""

    name: str
    property: str
    values: tuple[tuple[str, str], ...]  # (stage, CRM value) in the order written
    span: Span = field(compare=False)

    def value_for(self, stage: str | None) -> str | None:
        """The CRM value of a result's stage; None for an unmapped `Disqualified` or no stage."""
        return next((value for mapped, value in self.values if mapped == stage), None)


@dataclass(frozen=True, slots=True)
class TestCase:
    name: str
    as_of: str
    lead: dict[str, Any]
    expects: tuple[tuple[str, Any, Span], ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class CheckedModel:
    """A ruleset that passed the checker. Mappings keep declaration order."""

    path: str
    name: str
    version: str
    owner: str | None
    description: str | None
    fields: dict[str, Field]
    events: dict[str, Span]
    lists: dict[str, tuple[Decimal | str, ...]]
    conditions: dict[str, Condition]
    scores: dict[str, Score]
    bands: dict[str, Band]
    disqualifiers: tuple[Disqualifier, ...]
    stages: tuple[str, ...]
    handoff: str | None
    criteria: dict[str, StageCriterion]
    routes: dict[str, Route]
    tests: tuple[TestCase, ...]
    # conditions, scores and bands in an order where each comes after what it uses:
    # (kind, name) with kind "condition" | "score" | "band"
    order: tuple[tuple[str, str], ...]
    # for each item of `order`: the conditions, scores and bands it reads directly
    uses: dict[tuple[str, str], frozenset[tuple[str, str]]]
    stages_span: Span | None = None
    header_span: Span | None = None  # the `ruleset "..." version "..."` statement
    handoff_span: Span | None = None  # the `handoff S` statement; None when implicit
    list_spans: dict[str, Span] = field(default_factory=dict)  # list name → its declaration
    used_lists: frozenset[str] = frozenset()  # lists some expression names (they are inlined)
    crm: dict[str, CrmMapping] = field(default_factory=dict)  # `crm` blocks by name
    # the mapping whose value `eval --crm NAME` adds to each result (a `crm` key / column);
    # None for a model as checked: the output keys are then exactly those of section 5
    crm_output: CrmMapping | None = None

    @property
    def entry_stage(self) -> str | None:
        return self.stages[0] if self.stages else None

    @property
    def global_disqualifiers(self) -> tuple[Disqualifier, ...]:
        return tuple(d for d in self.disqualifiers if d.at is None)

    @property
    def scoped_disqualifiers(self) -> tuple[Disqualifier, ...]:
        return tuple(d for d in self.disqualifiers if d.at is not None)

    def stage_index(self, stage: str) -> int:
        return self.stages.index(stage)

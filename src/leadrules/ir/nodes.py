"""The lowered plan's vocabulary: a closed set of small frozen node types.

A plan node is what every backend emits from. Values and Kleene predicates are expression
nodes; each has `accept(emitter)`, which calls the emitter's one method for that node, so the
Python code generator, the SQL builder, the z3 encoder and the plan interpreter each handle
every operation (see `emitter.py`: a new node type is a new abstract method, and a backend that
lacks it cannot be instantiated).

Compared with the checked model, references are resolved to slots (a field's position, a
score's, an event counter's), and what every backend used to work out for itself is a field
here, computed once by `lower.py`: whether a value can be missing (`nullable`), which event
counter an aggregate reads.

Scoring, selection and the funnel are plain data (`plan.py`), not expressions: they are the
statements every backend emits in its own order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar, Union

from leadrules.model import Window
from leadrules.source import Span

if TYPE_CHECKING:
    from leadrules.ir.emitter import ExprEmitter

__all__ = [
    "ConstValue", "Const", "Input", "Domain", "ScoreRef", "BandRef", "ConditionRef",
    "EventSlot", "EventAggregate", "HasEvent", "Linear", "Compare", "InSet", "TextTest",
    "Presence", "Not", "All", "Any", "Node", "COMPARE_OPS", "TEXT_TESTS",
]

T = TypeVar("T")

ConstValue = Union[Decimal, str, bool, dt.date, dt.datetime]
COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
TEXT_TESTS = ("starts with", "ends with", "contains")


@dataclass(frozen=True, slots=True)
class EventSlot:
    """One (event, window) counter the plan reads; `index` is its position in first-use order
    (conditions, if-rule conditions, disqualifiers, criteria, routes, then per-event rules)."""

    event: str
    window: Window | None
    index: int
    event_index: int  # the event's position among the declared events

    @property
    def seconds(self) -> int | None:
        return None if self.window is None else self.window.seconds


# ---- values -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Const:
    value: ConstValue
    type: str  # "number" | "text" | "boolean" | "date" | "timestamp"
    span: Span = dataclasses.field(compare=False)
    nullable: bool = False

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.const(self)


@dataclass(frozen=True, slots=True)
class Input:
    """A declared field's value: missing when absent or null (only an optional field can be)."""

    field: str
    index: int  # position among the declared fields
    kind: str  # the field's declared kind: text email integer number boolean date timestamp choice
    type: str
    nullable: bool
    span: Span = dataclasses.field(compare=False)

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.input(self)


@dataclass(frozen=True, slots=True)
class Domain:
    """`field.domain`: the text after the last '@', lower-cased; missing without an '@'."""

    field: str
    index: int  # the email field's position among the declared fields
    optional: bool  # whether the email field itself can be missing
    span: Span = dataclasses.field(compare=False)
    type: str = "text"
    nullable: bool = True

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.domain(self)


@dataclass(frozen=True, slots=True)
class ScoreRef:
    score: str
    index: int
    span: Span = dataclasses.field(compare=False)
    type: str = "number"
    nullable: bool = False

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.score_ref(self)


@dataclass(frozen=True, slots=True)
class BandRef:
    """A band's label: missing when the score falls in no entry."""

    band: str
    index: int
    span: Span = dataclasses.field(compare=False)
    type: str = "text"
    nullable: bool = True

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.band_ref(self)


@dataclass(frozen=True, slots=True)
class ConditionRef:
    condition: str
    index: int
    nullable: bool  # whether the named condition can be unknown
    span: Span = dataclasses.field(compare=False)
    type: str = "boolean"

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.condition_ref(self)


@dataclass(frozen=True, slots=True)
class EventAggregate:
    """An aggregate over one lead's events of one type in a window; never missing.

    `aggregate` is "count" today; decayed sums, frequency caps, distinct active days and event
    `where` filters are further aggregates over the same (event, window) pass."""

    slot: EventSlot
    span: Span = dataclasses.field(compare=False)
    aggregate: str = "count"
    type: str = "number"
    nullable: bool = False

    @property
    def event(self) -> str:
        return self.slot.event

    @property
    def window(self) -> Window | None:
        return self.slot.window

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.event_aggregate(self)


@dataclass(frozen=True, slots=True)
class HasEvent:
    """`has EVENT [in last D]`: the count is above zero; never unknown."""

    slot: EventSlot
    span: Span = dataclasses.field(compare=False)
    type: str = "boolean"
    nullable: bool = False

    @property
    def event(self) -> str:
        return self.slot.event

    @property
    def window(self) -> Window | None:
        return self.slot.window

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.has_event(self)


@dataclass(frozen=True, slots=True)
class Linear:
    """constant + Σ coefficient × term; missing when any term is missing.

    A term whose coefficient cancelled to 0 (`x - x`) is kept: the sum still reads it, so it is
    still missing when that term is (spec section 9)."""

    terms: tuple[tuple[Decimal, Node], ...]
    constant: Decimal
    nullable: bool
    span: Span = dataclasses.field(compare=False)
    type: str = "number"

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.linear(self)


# ---- Kleene predicates ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # one of COMPARE_OPS
    left: Node
    right: Node
    nullable: bool
    span: Span = dataclasses.field(compare=False)
    type: str = "boolean"

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.compare(self)


@dataclass(frozen=True, slots=True)
class InSet:
    """x in [v, ...] (negated: not in). Values are Decimal or str."""

    subject: Node
    values: tuple[Decimal | str, ...]
    negated: bool
    nullable: bool
    span: Span = dataclasses.field(compare=False)
    type: str = "boolean"

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.in_set(self)


@dataclass(frozen=True, slots=True)
class TextTest:
    op: str  # one of TEXT_TESTS
    subject: Node
    pattern: Node
    nullable: bool
    span: Span = dataclasses.field(compare=False)
    type: str = "boolean"

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.text_test(self)


@dataclass(frozen=True, slots=True)
class Presence:
    """x is present / x is missing; never unknown."""

    subject: Node
    present: bool
    span: Span = dataclasses.field(compare=False)
    type: str = "boolean"
    nullable: bool = False

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.presence(self)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    nullable: bool
    span: Span = dataclasses.field(compare=False)
    type: str = "boolean"

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.not_(self)


@dataclass(frozen=True, slots=True)
class All:
    """Kleene and: false if any operand is false, else unknown if any is unknown."""

    operands: tuple[Node, ...]
    nullable: bool
    span: Span = dataclasses.field(compare=False)
    type: str = "boolean"

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.all_(self)


@dataclass(frozen=True, slots=True)
class Any:
    """Kleene or: true if any operand is true, else unknown if any is unknown."""

    operands: tuple[Node, ...]
    nullable: bool
    span: Span = dataclasses.field(compare=False)
    type: str = "boolean"

    def accept(self, emitter: ExprEmitter[T]) -> T:
        return emitter.any_(self)


Node = Union[
    Const, Input, Domain, ScoreRef, BandRef, ConditionRef, EventAggregate, HasEvent, Linear,
    Compare, InSet, TextTest, Presence, Not, All, Any,
]

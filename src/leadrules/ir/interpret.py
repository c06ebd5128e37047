"""The plan interpreter: the value of an expression node for one lead, read from what one
evaluation computed.

`Interpreter(lead).value(node)` walks a node over a `LeadValues` (the lead's typed field
values, its event counts, its email domains, and the scores, bands and conditions the engine
computed) under Kleene logic: a value that is missing is None, a predicate is True, False or
None (unknown). Named scores, bands and conditions are read, never recomputed, so the result
agrees with the evaluation the values came from.

It is the slow, obvious reading of the plan, for callers that ask about one sub-expression at a
time: `explain` shows the truth of each clause of a criterion and the values it looked at.
Arithmetic runs in the caller's decimal context.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from leadrules.ir import nodes as n
from leadrules.ir.emitter import ExprEmitter

__all__ = ["LeadValues", "Interpreter", "Truth"]

Truth = bool | None

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "starts with": str.startswith, "ends with": str.endswith, "contains": lambda text, part: part in text,
}


@dataclass(frozen=True, slots=True)
class LeadValues:
    """What one evaluation of one lead saw, by the plan's positions."""

    values: Sequence[Any]  # by field index (`Input.index`); None = missing
    counts: Sequence[int]  # by event slot index (`EventSlot.index`)
    domains: Mapping[int, str | None]  # by email field index (`Domain.index`); None = no '@'
    scores: Sequence[int | Decimal]  # by score index
    bands: Sequence[str | None]  # by band index; None = the score is in no entry
    conditions: Sequence[Truth]  # by condition index


class Interpreter(ExprEmitter[Any]):
    """The value of a node for one lead: None when missing or unknown."""

    def __init__(self, lead: LeadValues) -> None:
        self.lead = lead

    def value(self, node: n.Node) -> Any:
        return node.accept(self)

    def const(self, node: n.Const) -> Any:
        return node.value

    def input(self, node: n.Input) -> Any:
        return self.lead.values[node.index]

    def domain(self, node: n.Domain) -> str | None:
        return self.lead.domains[node.index]

    def score_ref(self, node: n.ScoreRef) -> int | Decimal:
        return self.lead.scores[node.index]

    def band_ref(self, node: n.BandRef) -> str | None:
        return self.lead.bands[node.index]

    def condition_ref(self, node: n.ConditionRef) -> Truth:
        return self.lead.conditions[node.index]

    def event_aggregate(self, node: n.EventAggregate) -> int:
        return self.lead.counts[node.slot.index]

    def has_event(self, node: n.HasEvent) -> bool:
        return self.lead.counts[node.slot.index] > 0

    def linear(self, node: n.Linear) -> Any:
        total: Any = node.constant
        for coefficient, term in node.terms:
            value = term.accept(self)
            if value is None:
                return None
            total += coefficient * value
        return total

    def compare(self, node: n.Compare) -> Truth:
        left, right = node.left.accept(self), node.right.accept(self)
        if left is None or right is None:
            return None
        return _COMPARE[node.op](left, right)

    def in_set(self, node: n.InSet) -> Truth:
        subject = node.subject.accept(self)
        return None if subject is None else (subject in node.values) != node.negated

    def text_test(self, node: n.TextTest) -> Truth:
        subject, pattern = node.subject.accept(self), node.pattern.accept(self)
        if subject is None or pattern is None:
            return None
        return _TEXT_TESTS[node.op](subject, pattern)

    def presence(self, node: n.Presence) -> bool:
        return (node.subject.accept(self) is not None) == node.present

    def not_(self, node: n.Not) -> Truth:
        operand = node.operand.accept(self)
        return None if operand is None else not operand

    def all_(self, node: n.All) -> Truth:
        return _kleene([o.accept(self) for o in node.operands], decisive=False)

    def any_(self, node: n.Any) -> Truth:
        return _kleene([o.accept(self) for o in node.operands], decisive=True)


def _kleene(truths: list[Truth], decisive: bool) -> Truth:
    """Kleene and (decisive False) / or (decisive True): the decisive value if any operand has
    it, else unknown if any operand is unknown, else the other value."""
    if decisive in truths:
        return decisive
    return None if None in truths else not decisive

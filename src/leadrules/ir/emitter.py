"""The emitter contracts every backend implements: one abstract method per plan operation.

`ExprEmitter[T]` turns expression nodes into a backend's `T` (a Python source fragment, a
sqlglot expression, a pair of z3 terms, a value). A node dispatches itself with
`node.accept(emitter)`; there is no `isinstance` ladder and no method looked up by name, so a
node type added to `nodes.py` is an abstract method here, and every backend fails to instantiate
(and `mypy --strict` reports it) until it handles the new operation.

`ScoringEmitter[T]` is the same contract for the statement-level operations of `plan.py`:
points rules, the score with its clamp, band selection. The funnel (disqualifiers, the stage
ladder, routes) is data that each backend walks in its own shape; `plan.Funnel` defines its
semantics once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, TypeVar

from leadrules.ir import nodes as n
from leadrules.ir import plan as p

__all__ = ["ExprEmitter", "ScoringEmitter", "emit"]

T = TypeVar("T")


class ExprEmitter(ABC, Generic[T]):
    """One method per expression node type."""

    @abstractmethod
    def const(self, node: n.Const) -> T: ...

    @abstractmethod
    def input(self, node: n.Input) -> T: ...

    @abstractmethod
    def domain(self, node: n.Domain) -> T: ...

    @abstractmethod
    def score_ref(self, node: n.ScoreRef) -> T: ...

    @abstractmethod
    def band_ref(self, node: n.BandRef) -> T: ...

    @abstractmethod
    def condition_ref(self, node: n.ConditionRef) -> T: ...

    @abstractmethod
    def event_aggregate(self, node: n.EventAggregate) -> T: ...

    @abstractmethod
    def has_event(self, node: n.HasEvent) -> T: ...

    @abstractmethod
    def linear(self, node: n.Linear) -> T: ...

    @abstractmethod
    def compare(self, node: n.Compare) -> T: ...

    @abstractmethod
    def in_set(self, node: n.InSet) -> T: ...

    @abstractmethod
    def text_test(self, node: n.TextTest) -> T: ...

    @abstractmethod
    def presence(self, node: n.Presence) -> T: ...

    @abstractmethod
    def not_(self, node: n.Not) -> T: ...

    @abstractmethod
    def all_(self, node: n.All) -> T: ...

    @abstractmethod
    def any_(self, node: n.Any) -> T: ...


def emit(node: n.Node, emitter: ExprEmitter[T]) -> T:
    """The emitter's result for a node (the same as `node.accept(emitter)`)."""
    return node.accept(emitter)


class ScoringEmitter(ABC, Generic[T]):
    """One method per scoring and selection operation; `T` is what a backend builds for one.

    The order of operations is fixed by the plan (`plan.Score.total`): each rule's amount,
    capped in magnitude by the rule's cap; the amounts summed; the sum clamped into
    [minimum, maximum]. A band is the first entry whose range holds the score."""

    @abstractmethod
    def if_points(self, score: p.Score, rule: p.IfPoints) -> T: ...

    @abstractmethod
    def event_points(self, score: p.Score, rule: p.EventPoints) -> T: ...

    @abstractmethod
    def field_points(self, score: p.Score, rule: p.FieldPoints) -> T: ...

    @abstractmethod
    def score(self, score: p.Score, rules: list[T]) -> T: ...

    @abstractmethod
    def band(self, band: p.Band) -> T: ...

    def points(self, score: p.Score, rule: p.PointsRule) -> T:
        """Dispatch one points rule to its method."""
        return rule.accept(score, self)

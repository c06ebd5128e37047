"""Analyses over plan nodes, derived once: children, walks, what an expression reads."""

from __future__ import annotations

from collections.abc import Iterator

from leadrules.ir import nodes as n
from leadrules.ir.emitter import ExprEmitter

__all__ = ["children", "walk", "fields_read", "slots_read"]

_Nodes = tuple[n.Node, ...]


class _Children(ExprEmitter[_Nodes]):
    """Direct sub-expressions of each node type (cancelled linear terms included)."""

    def const(self, node: n.Const) -> _Nodes:
        return ()

    def input(self, node: n.Input) -> _Nodes:
        return ()

    def domain(self, node: n.Domain) -> _Nodes:
        return ()

    def score_ref(self, node: n.ScoreRef) -> _Nodes:
        return ()

    def band_ref(self, node: n.BandRef) -> _Nodes:
        return ()

    def condition_ref(self, node: n.ConditionRef) -> _Nodes:
        return ()

    def event_aggregate(self, node: n.EventAggregate) -> _Nodes:
        return ()

    def has_event(self, node: n.HasEvent) -> _Nodes:
        return ()

    def linear(self, node: n.Linear) -> _Nodes:
        return tuple(term for _, term in node.terms)

    def compare(self, node: n.Compare) -> _Nodes:
        return (node.left, node.right)

    def in_set(self, node: n.InSet) -> _Nodes:
        return (node.subject,)

    def text_test(self, node: n.TextTest) -> _Nodes:
        return (node.subject, node.pattern)

    def presence(self, node: n.Presence) -> _Nodes:
        return (node.subject,)

    def not_(self, node: n.Not) -> _Nodes:
        return (node.operand,)

    def all_(self, node: n.All) -> _Nodes:
        return node.operands

    def any_(self, node: n.Any) -> _Nodes:
        return node.operands


_CHILDREN = _Children()


def children(node: n.Node) -> _Nodes:
    return node.accept(_CHILDREN)


def walk(node: n.Node) -> Iterator[n.Node]:
    """The node and every node under it, pre-order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def fields_read(node: n.Node) -> frozenset[str]:
    """The declared fields an expression reads (directly or through `.domain`)."""
    return frozenset(x.field for x in walk(node) if isinstance(x, (n.Input, n.Domain)))


def slots_read(node: n.Node) -> frozenset[n.EventSlot]:
    """The event counters an expression reads."""
    return frozenset(x.slot for x in walk(node) if isinstance(x, (n.EventAggregate, n.HasEvent)))

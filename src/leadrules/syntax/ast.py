"""The abstract syntax tree: frozen, slotted dataclasses with a Span on every node.

Nodes are data. Child nodes sit in fields; sequences are tuples. `iter_children`
derives traversal from the dataclass fields, so passes never hard-code shapes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Iterator, Mapping, Union

from leadrules.source import Span

__all__ = [
    "block_entries",
    "Node", "Ident", "Comment", "Duration",
    "Number", "String", "Bool", "NameRef", "Attribute", "Negate", "Sum", "Product",
    "HasEvent", "CountEvent", "Compare", "Between", "InList", "TextTest", "Presence",
    "Not", "And", "Or", "ListName", "ListLiteral", "Expr", "ListRef",
    "FieldType", "RulesetDecl", "TestsFor", "Owner", "Description", "FieldDecl",
    "EventDecl", "ListDecl", "ConditionDecl", "IfRule", "PerRule", "ScoreDecl",
    "BandEntry", "BandDecl", "Disqualify", "StagesDecl", "Handoff", "StageCriterion",
    "RouteEntry", "RouteDecl", "CrmEntry", "CrmDecl", "AsOf", "LeadLiteral", "Expect", "TestDecl",
    "Statement", "Module", "iter_children", "walk",
]


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


@dataclass(frozen=True, slots=True)
class Ident(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Comment(Node):
    text: str  # including the leading '#'
    own_line: bool  # True when nothing but spaces precedes it on its line


@dataclass(frozen=True, slots=True)
class Duration(Node):
    amount: int
    unit: str  # "days" | "weeks" | "hours"

    @property
    def seconds(self) -> int:
        return self.amount * {"hours": 3600, "days": 86400, "weeks": 604800}[self.unit]


# ---- expressions -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Number(Node):
    value: Decimal


@dataclass(frozen=True, slots=True)
class String(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class NameRef(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    base: NameRef
    attribute: Ident


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: "Expr"


@dataclass(frozen=True, slots=True)
class Sum(Node):
    """terms[0] signs[0] ... ; signs[i] is +1 or -1 for terms[i], signs[0] always +1."""

    terms: tuple["Expr", ...]
    signs: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Product(Node):
    factors: tuple["Expr", ...]


@dataclass(frozen=True, slots=True)
class HasEvent(Node):
    event: Ident
    window: Duration | None


@dataclass(frozen=True, slots=True)
class CountEvent(Node):
    event: Ident
    window: Duration | None


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str  # == != < <= > >=
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class Between(Node):
    subject: "Expr"
    low: "Expr"
    high: "Expr"


@dataclass(frozen=True, slots=True)
class ListName(Node):
    name: str


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    items: tuple["Number | String", ...]


ListRef = Union[ListName, ListLiteral]


@dataclass(frozen=True, slots=True)
class InList(Node):
    subject: "Expr"
    items: ListRef
    negated: bool


@dataclass(frozen=True, slots=True)
class TextTest(Node):
    op: str  # "starts with" | "ends with" | "contains"
    subject: "Expr"
    pattern: "Expr"


@dataclass(frozen=True, slots=True)
class Presence(Node):
    subject: "Expr"
    present: bool  # True: `is present`; False: `is missing`


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: "Expr"


@dataclass(frozen=True, slots=True)
class And(Node):
    operands: tuple["Expr", ...]


@dataclass(frozen=True, slots=True)
class Or(Node):
    operands: tuple["Expr", ...]


Expr = Union[
    Number, String, Bool, NameRef, Attribute, Negate, Sum, Product, HasEvent, CountEvent,
    Compare, Between, InList, TextTest, Presence, Not, And, Or,
]


# ---- statements ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldType(Node):
    kind: str  # text email integer number boolean date timestamp choice (or an unknown word)
    choices: tuple[String, ...] = ()
    low: Number | None = None
    high: Number | None = None


@dataclass(frozen=True, slots=True)
class RulesetDecl(Node):
    name: String
    version: String


@dataclass(frozen=True, slots=True)
class TestsFor(Node):
    path: String


@dataclass(frozen=True, slots=True)
class Owner(Node):
    value: String


@dataclass(frozen=True, slots=True)
class Description(Node):
    value: String


@dataclass(frozen=True, slots=True)
class FieldDecl(Node):
    name: Ident
    type: FieldType
    optional: bool


@dataclass(frozen=True, slots=True)
class EventDecl(Node):
    name: Ident


@dataclass(frozen=True, slots=True)
class ListDecl(Node):
    name: Ident
    items: ListLiteral


@dataclass(frozen=True, slots=True)
class ConditionDecl(Node):
    name: Ident
    condition: Expr


@dataclass(frozen=True, slots=True)
class IfRule(Node):
    label: Ident | None
    points: Decimal
    condition: Expr


@dataclass(frozen=True, slots=True)
class PerRule(Node):
    label: Ident | None
    points: Decimal
    source: Ident  # an event or an integer field
    window: Duration | None
    cap: Decimal | None


@dataclass(frozen=True, slots=True)
class ScoreDecl(Node):
    name: Ident
    minimum: Number | None
    maximum: Number | None
    rules: tuple[IfRule | PerRule, ...]
    options_order: tuple[str, ...] = ()  # "min"/"max" in written order, for fmt


@dataclass(frozen=True, slots=True)
class BandEntry(Node):
    label: String
    low: Number | None
    high: Number | None


@dataclass(frozen=True, slots=True)
class BandDecl(Node):
    name: Ident
    score: Ident
    entries: tuple[BandEntry, ...]


@dataclass(frozen=True, slots=True)
class Disqualify(Node):
    code: Ident
    reason: String | None
    at: Ident | None
    condition: Expr


@dataclass(frozen=True, slots=True)
class StagesDecl(Node):
    names: tuple[Ident, ...]


@dataclass(frozen=True, slots=True)
class Handoff(Node):
    stage: Ident


@dataclass(frozen=True, slots=True)
class StageCriterion(Node):
    stage: Ident
    condition: Expr


@dataclass(frozen=True, slots=True)
class RouteEntry(Node):
    target: String
    condition: Expr | None  # None for `otherwise`


@dataclass(frozen=True, slots=True)
class RouteDecl(Node):
    stage: Ident
    entries: tuple[RouteEntry, ...]


@dataclass(frozen=True, slots=True)
class CrmEntry(Node):
    stage: Ident  # a declared stage or `Disqualified`
    value: String  # the CRM property's value for leads in that stage


@dataclass(frozen=True, slots=True)
class CrmDecl(Node):
    """`crm NAME "property":` with one `Stage -> "value"` line per stage."""

    name: Ident
    property: String
    entries: tuple[CrmEntry, ...]


@dataclass(frozen=True, slots=True)
class AsOf(Node):
    value: String


@dataclass(frozen=True, slots=True)
class LeadLiteral(Node):
    value: Any  # a JSON object; numbers as int or Decimal


@dataclass(frozen=True, slots=True)
class Expect(Node):
    key: Ident
    value: Any  # a JSON value; numbers as int or Decimal


@dataclass(frozen=True, slots=True)
class TestDecl(Node):
    name: String
    items: tuple[AsOf | LeadLiteral | Expect, ...]


Statement = Union[
    RulesetDecl, TestsFor, Owner, Description, FieldDecl, EventDecl, ListDecl, ConditionDecl,
    ScoreDecl, BandDecl, Disqualify, StagesDecl, Handoff, StageCriterion, RouteDecl, CrmDecl,
    TestDecl,
]


@dataclass(frozen=True, slots=True)
class Module(Node):
    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...]


def _child_field_names(node_type: type[Node]) -> tuple[str, ...]:
    """The fields of a node type that may hold child nodes: all but its span."""
    return tuple(f.name for f in dataclasses.fields(node_type) if f.name != "span")


def iter_children(node: Node) -> Iterator[Node]:
    """Child nodes in field order, derived from the dataclass fields."""
    names = _CHILD_FIELDS.get(type(node))
    for name in _child_field_names(type(node)) if names is None else names:
        value = getattr(node, name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, Node):
                    yield item


def _node_types(root: type[Node]) -> Iterator[type[Node]]:
    """`root` and every node type derived from it."""
    yield root
    for subclass in root.__subclasses__():
        yield from _node_types(subclass)


# looked up once per node type here, not once per node in every walk (half the cost of a walk)
_CHILD_FIELDS: Mapping[type[Node], tuple[str, ...]] = MappingProxyType(
    # (`dataclass(slots=True)` replaces each class; the replaced ones, without __slots__, are left out)
    {node_type: _child_field_names(node_type) for node_type in _node_types(Node) if "__slots__" in vars(node_type)})


def block_entries(statement: Statement) -> tuple[Node, ...]:
    """The entries indented under a block statement, in order (none for a one-line statement)."""
    if isinstance(statement, ScoreDecl):
        return tuple(statement.rules)
    if isinstance(statement, (BandDecl, RouteDecl, CrmDecl)):
        return tuple(statement.entries)
    if isinstance(statement, TestDecl):
        return tuple(statement.items)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node below and including `node`, depth first, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        children = list(iter_children(current))
        children.reverse()
        stack += children

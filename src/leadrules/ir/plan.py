"""The lowered plan of one checked model: its expressions as `nodes`, plus the statements.

Built once per model by `lower.lower(model)`. Everything a backend needs to emit a ruleset is
here, in the order it must be computed, with the analyses derived once:

- `slots`: every (event, window) counter the rules read, in first-use order;
- `email_fields`: the fields whose `.domain` is read, in first-use order;
- `order`: conditions, scores and bands, each after what it uses; `uses` says what each reads;
- `nullable` on every node (which values can be missing, which conditions unknown).

The semantics of scoring, selection and the funnel are defined in this module's docstrings and
data, once; backends emit them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar, Union

from leadrules import model as m
from leadrules.ir import nodes as n
from leadrules.output_schema import OutputSchema
from leadrules.source import Span

if TYPE_CHECKING:
    from leadrules.ir.emitter import ScoringEmitter

__all__ = [
    "Condition", "IfPoints", "EventPoints", "FieldPoints", "PointsRule", "Score", "BandEntry",
    "Band", "Disqualifier", "Criterion", "RouteEntry", "Route", "Funnel", "Plan", "Item",
]

T = TypeVar("T")

# a computed item: ("condition" | "score" | "band", name)
Item = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    index: int
    expr: n.Node
    span: Span = field(compare=False)

    @property
    def nullable(self) -> bool:
        return self.expr.nullable


# ---- scoring ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IfPoints:
    """`+P if C`: P when C is true (unknown and false give nothing)."""

    label: str | None
    points: Decimal
    condition: n.Node
    index: int  # position within the score's rules
    span: Span = field(compare=False)

    def accept(self, score: Score, emitter: ScoringEmitter[T]) -> T:
        return emitter.if_points(score, self)


@dataclass(frozen=True, slots=True)
class EventPoints:
    """`+P per EVENT [in last D] (max M)`: P × count, its magnitude capped at M. A count is
    never negative, so the capped side follows from the sign of P."""

    label: str | None
    points: Decimal
    count: n.EventAggregate
    cap: Decimal | None
    index: int
    span: Span = field(compare=False)

    def accept(self, score: Score, emitter: ScoringEmitter[T]) -> T:
        return emitter.event_points(score, self)


@dataclass(frozen=True, slots=True)
class FieldPoints:
    """`+P per FIELD (max M)`: P × the field's value, clamped into [-M, M]; nothing when the
    field is missing."""

    label: str | None
    points: Decimal
    value: n.Input
    cap: Decimal | None
    index: int
    span: Span = field(compare=False)

    def accept(self, score: Score, emitter: ScoringEmitter[T]) -> T:
        return emitter.field_points(score, self)


PointsRule = Union[IfPoints, EventPoints, FieldPoints]


@dataclass(frozen=True, slots=True)
class Score:
    """The sum of the rules' amounts, then clamped: below `minimum` is `minimum`, above
    `maximum` is `maximum` (the checker keeps minimum ≤ maximum). Never missing.

    `integral`: every point, cap and bound is whole and no rule multiplies a field, so the score
    is always a whole number (backends may use integer arithmetic)."""

    name: str
    index: int
    rules: tuple[PointsRule, ...]
    minimum: Decimal | None
    maximum: Decimal | None
    integral: bool
    span: Span = field(compare=False)


# a band entry is already plain data in the model: the label for scores in [low, high), None an
# open end
BandEntry = m.BandEntry


@dataclass(frozen=True, slots=True)
class Band:
    """First-true selection: the first entry whose range holds the score; missing if none."""

    name: str
    index: int
    score: n.ScoreRef
    entries: tuple[BandEntry, ...]
    span: Span = field(compare=False)


# ---- the funnel -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Disqualifier:
    """Fires when its condition is true. A global one (`blocks` None) sends the lead to
    `Disqualified` and adds its code to `reasons`; a scoped one adds its code to `blocked` and
    keeps the lead from reaching stage number `blocks` and every later stage."""

    code: str
    reason: str
    index: int  # position among all disqualifiers, as written
    at: str | None
    blocks: int | None  # the stage index it blocks from; None for a global disqualifier
    condition: n.Node
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Criterion:
    """A stage's criterion. The stage is reached when the criterion is true and no scoped
    disqualifier blocking at or before it fires."""

    stage: str
    index: int  # the stage's position in the funnel
    condition: n.Node
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class RouteEntry:
    target: str
    condition: n.Node | None  # None for `otherwise`
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Route:
    """First-true selection among `entries`, else `otherwise`'s target, else no route; applies
    to leads whose final stage is `stage`."""

    stage: str
    index: int  # position among the route blocks, as written
    entries: tuple[RouteEntry, ...]
    otherwise: RouteEntry | None
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Funnel:
    """Stage selection, once for every backend:

    1. any global disqualifier fires → stage `Disqualified`, `disqualified` true;
    2. else the last stage (walking `ladder` from the top) whose criterion is true and which no
       fired scoped disqualifier blocks (`blocks` ≤ the stage's index);
    3. else the entry stage (the first stage; no stage at all when none is declared).
    The route is the route block of the final stage, if any.
    `reasons` are the fired global disqualifiers' codes, `blocked` the fired scoped ones', both
    in the order written. The entry stage's criterion, if any, is never consulted."""

    stages: tuple[str, ...]
    disqualifiers: tuple[Disqualifier, ...]
    ladder: tuple[Criterion, ...]  # criteria in funnel order, entry stage excluded
    routes: tuple[Route, ...]
    # the lowest stage index any scoped disqualifier blocks; len(stages) when none
    first_blockable: int

    @property
    def entry_stage(self) -> str | None:
        return self.stages[0] if self.stages else None

    @property
    def global_disqualifiers(self) -> tuple[Disqualifier, ...]:
        return tuple(d for d in self.disqualifiers if d.blocks is None)

    @property
    def scoped_disqualifiers(self) -> tuple[Disqualifier, ...]:
        return tuple(d for d in self.disqualifiers if d.blocks is not None)

    def route_for(self, stage: str | None) -> Route | None:
        return next((r for r in self.routes if r.stage == stage), None)


@dataclass(frozen=True)
class Plan:
    """One checked model, lowered. Mappings keep declaration order."""

    model: m.CheckedModel
    fields: tuple[m.Field, ...]
    slots: tuple[n.EventSlot, ...]  # first-use order
    email_fields: tuple[str, ...]  # first-use order
    conditions: dict[str, Condition]
    scores: dict[str, Score]
    bands: dict[str, Band]
    funnel: Funnel
    order: tuple[Item, ...]  # conditions, scores and bands, each after what it uses
    uses: dict[Item, frozenset[Item]]  # the computed items each one reads directly
    output: OutputSchema

    def slot(self, event: str, window: m.Window | None) -> n.EventSlot:
        seconds = None if window is None else window.seconds
        return next(s for s in self.slots if s.event == event and s.seconds == seconds)

    def levels(self) -> list[list[Item]]:
        """`order` grouped into levels: an item comes one level after everything it uses."""
        level_of: dict[Item, int] = {}
        for item in self.order:
            level_of[item] = 1 + max((level_of.get(u, 0) for u in self.uses[item]), default=0)
        levels: list[list[Item]] = []
        for item, level in level_of.items():
            while len(levels) < level:
                levels.append([])
            levels[level - 1].append(item)
        return [level for level in levels if level]


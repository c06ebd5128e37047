"""Checked model → plan: references resolved to slots, the analyses computed once.

`lower(model)` is called once per model (engines and the linter share the result through
`plan_of`, which keeps it on nothing global: callers hold the plan). `Lowering.expr` lowers any
model expression against a plan, for callers that hold model expressions (lint rules ask about
a disqualifier's or a criterion's condition).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from leadrules import model as m
from leadrules.fieldkinds import KINDS
from leadrules.ir import nodes as n
from leadrules.ir import plan as p
from leadrules.output_schema import output_schema
from leadrules.source import Span

__all__ = ["lower", "Lowering", "model_expressions"]


def model_expressions(model: m.CheckedModel) -> list[m.Expr]:
    """Every boolean expression of a model, in first-use order: conditions, if-rule conditions,
    disqualifiers, stage criteria, route entries."""
    exprs: list[m.Expr] = [c.expr for c in model.conditions.values()]
    exprs += [r.condition for s in model.scores.values() for r in s.rules if isinstance(r, m.IfRule)]
    exprs += [d.condition for d in model.disqualifiers]
    exprs += [c.condition for c in model.criteria.values()]
    exprs += [e.condition for r in model.routes.values() for e in r.entries if e.condition is not None]
    return exprs


@dataclass(frozen=True)
class _Uses:
    """Slots and email fields in first-use order (a pre-order walk of `model_expressions`,
    then the per-event rules)."""

    slots: tuple[n.EventSlot, ...]
    email_fields: tuple[str, ...]


def _first_uses(model: m.CheckedModel) -> _Uses:
    slots: dict[tuple[str, int | None], m.Window | None] = {}
    email_fields: list[str] = []

    def use(event: str, window: m.Window | None) -> None:
        slots.setdefault((event, None if window is None else window.seconds), window)

    def visit(expr: m.Expr) -> None:
        if isinstance(expr, (m.EventCount, m.HasEvent)):
            use(expr.event, expr.window)
        elif isinstance(expr, m.EmailDomain) and expr.field not in email_fields:
            email_fields.append(expr.field)
        for child in m.children(expr):
            visit(child)

    for expr in model_expressions(model):
        visit(expr)
    for score in model.scores.values():
        for rule in score.rules:
            if isinstance(rule, m.PerEventRule):
                use(rule.event, rule.window)
    event_index = {name: i for i, name in enumerate(model.events)}
    return _Uses(
        tuple(n.EventSlot(event, window, i, event_index[event])
              for i, ((event, _), window) in enumerate(slots.items())),
        tuple(email_fields),
    )


class Lowering:
    """Lowers model expressions against the indexes of one model."""

    def __init__(self, model: m.CheckedModel, slots: tuple[n.EventSlot, ...]) -> None:
        self.model = model
        self.field_index = {name: i for i, name in enumerate(model.fields)}
        self.score_index = {name: i for i, name in enumerate(model.scores)}
        self.band_index = {name: i for i, name in enumerate(model.bands)}
        self.condition_index = {name: i for i, name in enumerate(model.conditions)}
        self.slots = {(s.event, s.seconds): s for s in slots}
        self.condition_nullable: dict[str, bool] = {}
        self._cache: dict[m.Expr, n.Node] = {}
        self._dispatch: dict[type, Callable[[m.Expr], n.Node]] = {
            m.Const: self._const, m.FieldValue: self._field, m.EmailDomain: self._domain,
            m.ScoreValue: self._score, m.BandValue: self._band, m.ConditionValue: self._condition,
            m.EventCount: self._count, m.HasEvent: self._has, m.Linear: self._linear,
            m.Compare: self._compare, m.InSet: self._in_set, m.TextTest: self._text_test,
            m.Presence: self._presence, m.Not: self._not, m.And: self._and, m.Or: self._or,
        }

    def expr(self, expr: m.Expr) -> n.Node:
        cached = self._cache.get(expr)
        if cached is None or cached.span != expr.span:
            cached = self._dispatch[type(expr)](expr)
            self._cache[expr] = cached
        return cached

    def slot(self, event: str, window: m.Window | None) -> n.EventSlot:
        return self.slots[(event, None if window is None else window.seconds)]

    def input(self, name: str, span: Span) -> n.Input:
        f = self.model.fields[name]
        return n.Input(name, self.field_index[name], f.kind, KINDS[f.kind].value_type, f.optional, span)

    # one method per model expression type
    def _const(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.Const)
        return n.Const(e.value, e.type, e.span)

    def _field(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.FieldValue)
        return self.input(e.field, e.span)

    def _domain(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.EmailDomain)
        return n.Domain(e.field, self.field_index[e.field], self.model.fields[e.field].optional, e.span)

    def _score(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.ScoreValue)
        return n.ScoreRef(e.score, self.score_index[e.score], e.span)

    def _band(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.BandValue)
        return n.BandRef(e.band, self.band_index[e.band], e.span)

    def _condition(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.ConditionValue)
        nullable = self.condition_nullable.get(e.condition)
        if nullable is None:  # a condition read before its own lowering (only from a lint query)
            nullable = self.expr(self.model.conditions[e.condition].expr).nullable
            self.condition_nullable[e.condition] = nullable
        return n.ConditionRef(e.condition, self.condition_index[e.condition], nullable, e.span)

    def _count(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.EventCount)
        return n.EventAggregate(self.slot(e.event, e.window), e.span)

    def _has(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.HasEvent)
        return n.HasEvent(self.slot(e.event, e.window), e.span)

    def _linear(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.Linear)
        terms = tuple((c, self.expr(t)) for c, t in e.terms)
        return n.Linear(terms, e.constant, any(t.nullable for _, t in terms), e.span)

    def _compare(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.Compare)
        left, right = self.expr(e.left), self.expr(e.right)
        return n.Compare(e.op, left, right, left.nullable or right.nullable, e.span)

    def _in_set(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.InSet)
        subject = self.expr(e.subject)
        return n.InSet(subject, e.values, e.negated, subject.nullable, e.span)

    def _text_test(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.TextTest)
        subject, pattern = self.expr(e.subject), self.expr(e.pattern)
        return n.TextTest(e.op, subject, pattern, subject.nullable or pattern.nullable, e.span)

    def _presence(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.Presence)
        return n.Presence(self.expr(e.subject), e.present, e.span)

    def _not(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.Not)
        operand = self.expr(e.operand)
        return n.Not(operand, operand.nullable, e.span)

    def _and(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.And)
        operands = tuple(self.expr(o) for o in e.operands)
        return n.All(operands, any(o.nullable for o in operands), e.span)

    def _or(self, e: m.Expr) -> n.Node:
        assert isinstance(e, m.Or)
        operands = tuple(self.expr(o) for o in e.operands)
        return n.Any(operands, any(o.nullable for o in operands), e.span)


def _whole(value: Decimal | None) -> bool:
    return value is None or value == value.to_integral_value()


def lower(model: m.CheckedModel) -> p.Plan:
    """The plan of a checked model."""
    first = _first_uses(model)
    low = Lowering(model, first.slots)
    conditions: dict[str, p.Condition] = {}
    scores: dict[str, p.Score] = {}
    bands: dict[str, p.Band] = {}
    for kind, name in model.order:
        if kind == "condition":
            condition = model.conditions[name]
            expr = low.expr(condition.expr)
            low.condition_nullable[name] = expr.nullable
            conditions[name] = p.Condition(name, low.condition_index[name], expr, condition.span)
        elif kind == "score":
            scores[name] = _score(low, model.scores[name])
        else:
            band = model.bands[name]
            score_ref = n.ScoreRef(band.score, low.score_index[band.score], band.span)
            bands[name] = p.Band(name, low.band_index[name], score_ref,
                                 band.entries,
                                 band.span)
    # declaration order for the mappings, as the model keeps it
    conditions = {name: conditions[name] for name in model.conditions if name in conditions}
    scores = {name: scores[name] for name in model.scores if name in scores}
    bands = {name: bands[name] for name in model.bands if name in bands}
    stage_index = {stage: i for i, stage in enumerate(model.stages)}
    disqualifiers = tuple(
        p.Disqualifier(d.code, d.reason, i, d.at, None if d.at is None else stage_index[d.at],
                       low.expr(d.condition), d.span)
        for i, d in enumerate(model.disqualifiers)
    )
    ladder = tuple(
        p.Criterion(stage, stage_index[stage], low.expr(model.criteria[stage].condition),
                    model.criteria[stage].span)
        for stage in model.stages[1:] if stage in model.criteria
    )
    routes = tuple(
        p.Route(stage, i,
                tuple(p.RouteEntry(e.target, None if e.condition is None else low.expr(e.condition), e.span)
                      for e in route.entries),
                None if route.otherwise is None else p.RouteEntry(route.otherwise.target, None, route.otherwise.span),
                route.span)
        for i, (stage, route) in enumerate(model.routes.items())
    )
    first_blockable = min((d.blocks for d in disqualifiers if d.blocks is not None), default=len(model.stages))
    funnel = p.Funnel(model.stages, disqualifiers, ladder, routes, first_blockable)
    return p.Plan(
        model=model,
        fields=tuple(model.fields.values()),
        slots=first.slots,
        email_fields=first.email_fields,
        conditions=conditions,
        scores=scores,
        bands=bands,
        funnel=funnel,
        order=model.order,
        uses=model.uses,
        output=output_schema(model),
    )


def _score(low: Lowering, score: m.Score) -> p.Score:
    rules: list[p.PointsRule] = []
    integral = _whole(score.minimum) and _whole(score.maximum)
    for index, rule in enumerate(score.rules):
        integral = integral and _whole(rule.points)
        if isinstance(rule, m.IfRule):
            rules.append(p.IfPoints(rule.label, rule.points, low.expr(rule.condition), index, rule.span))
        elif isinstance(rule, m.PerEventRule):
            count = n.EventAggregate(low.slot(rule.event, rule.window), rule.span)
            rules.append(p.EventPoints(rule.label, rule.points, count, rule.cap, index, rule.span))
            integral = integral and _whole(rule.cap)
        else:
            rules.append(p.FieldPoints(rule.label, rule.points, low.input(rule.field, rule.span), rule.cap,
                                       index, rule.span))
            integral = False
    return p.Score(score.name, low.score_index[score.name], tuple(rules), score.minimum, score.maximum,
                   integral, score.span)

"""A direct reading of spec section 3 over the CheckedModel, used to confirm witnesses.

It is deliberately naive (no compilation, no caching) so that it can serve as an
independent second opinion next to the Python engine: a witness is reported only when the
engine's record and this reading agree with what the finding claims.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.values import parse_date, parse_timestamp

__all__ = ["Trace", "trace", "Truth"]

Truth = bool | None  # None is unknown
Value = Decimal | str | bool | dt.date | dt.datetime | None


@dataclass(frozen=True)
class Trace:
    record: dict[str, Any]
    scores: dict[str, Decimal]
    bands: dict[str, str | None]
    fires: tuple[Truth, ...]  # per disqualifier, in declaration order
    criteria: dict[str, Truth]
    routes: dict[str, tuple[Truth, ...]]
    rules: dict[tuple[str, int], Decimal]  # (score, rule index) → points added
    reader: "_Reader"

    @property
    def lead(self) -> dict[str, Any]:
        return self.reader.lead

    def truth(self, expr: m.Expr) -> Truth:
        return self.reader.truth(expr)

    def value(self, expr: m.Expr) -> Value:
        return self.reader.value(expr)


class _Reader:
    def __init__(self, model: m.CheckedModel, lead: dict[str, Any], as_of: dt.datetime) -> None:
        self.model = model
        self.lead = lead
        self.as_of = as_of
        self.scores: dict[str, Decimal] = {}
        self.bands: dict[str, str | None] = {}
        self.events: dict[str, list[dt.datetime]] = {name: [] for name in model.events}
        for event in lead.get("events") or []:
            at = parse_timestamp(str(event.get("at", "")))
            if event.get("type") in self.events and at is not None and at <= as_of:
                self.events[event["type"]].append(at)

    def count(self, event: str, window: m.Window | None) -> int:
        times = self.events[event]
        if window is None:
            return len(times)
        start = self.as_of - dt.timedelta(seconds=window.seconds)
        return sum(1 for t in times if start < t)

    def field(self, name: str) -> Value:
        f = self.model.fields[name]
        raw = self.lead.get(name)
        if raw is None:
            return None
        if f.kind in ("integer", "number"):
            return Decimal(raw) if not isinstance(raw, Decimal) else raw
        if f.kind == "date":
            return parse_date(raw)
        if f.kind == "timestamp":
            return parse_timestamp(raw)
        return raw  # type: ignore[no-any-return]

    def value(self, e: m.Expr) -> Value:
        if isinstance(e, m.Const):
            return e.value
        if isinstance(e, m.FieldValue):
            return self.field(e.field)
        if isinstance(e, m.EmailDomain):
            raw = self.field(e.field)
            if not isinstance(raw, str) or "@" not in raw:
                return None
            return raw.rsplit("@", 1)[1].lower()
        if isinstance(e, m.ScoreValue):
            return self.scores[e.score]
        if isinstance(e, m.BandValue):
            return self.bands[e.band]
        if isinstance(e, m.EventCount):
            return Decimal(self.count(e.event, e.window))
        if isinstance(e, m.Linear):
            total = e.constant
            for coefficient, term in e.terms:
                v = self.value(term)
                if v is None:
                    return None
                assert isinstance(v, Decimal)
                total += coefficient * v
            return total
        return self.truth(e)

    def truth(self, e: m.Expr) -> Truth:
        if isinstance(e, m.Const):
            return bool(e.value)
        if isinstance(e, m.ConditionValue):
            return self.truth(self.model.conditions[e.condition].expr)
        if isinstance(e, m.FieldValue):
            v = self.field(e.field)
            return None if v is None else bool(v)
        if isinstance(e, m.HasEvent):
            return self.count(e.event, e.window) >= 1
        if isinstance(e, m.Not):
            inner = self.truth(e.operand)
            return None if inner is None else not inner
        if isinstance(e, m.And):
            parts = [self.truth(p) for p in e.operands]
            return False if False in parts else (None if None in parts else True)
        if isinstance(e, m.Or):
            parts = [self.truth(p) for p in e.operands]
            return True if True in parts else (None if None in parts else False)
        if isinstance(e, m.Presence):
            known = self.truth(e.subject) is not None if e.subject.type == "boolean" \
                else self.value(e.subject) is not None
            return known if e.present else not known
        if isinstance(e, m.Compare):
            a, b = self.value(e.left), self.value(e.right)
            if a is None or b is None:
                return None
            return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b,  # type: ignore[operator]
                    ">=": a >= b}[e.op]  # type: ignore[operator]
        if isinstance(e, m.InSet):
            v = self.value(e.subject)
            if v is None:
                return None
            return (v in e.values) != e.negated
        if isinstance(e, m.TextTest):
            s, p = self.value(e.subject), self.value(e.pattern)
            if s is None or p is None:
                return None
            assert isinstance(s, str) and isinstance(p, str)
            return {"starts with": s.startswith(p), "ends with": s.endswith(p), "contains": p in s}[e.op]
        raise TypeError(type(e).__name__)


def _capped(points: Decimal, cap: Decimal | None) -> Decimal:
    if cap is None:
        return points
    return max(-cap, min(cap, points))


def trace(model: m.CheckedModel, lead: dict[str, Any], as_of: dt.datetime) -> Trace:
    """Evaluate one valid lead; the record has the keys of spec section 5 (without `id`)."""
    reader = _Reader(model, lead, as_of)
    rules: dict[tuple[str, int], Decimal] = {}
    for kind, name in model.order:
        if kind == "score":
            score = model.scores[name]
            total = Decimal(0)
            for index, rule in enumerate(score.rules):
                if isinstance(rule, m.IfRule):
                    points = rule.points if reader.truth(rule.condition) is True else Decimal(0)
                elif isinstance(rule, m.PerEventRule):
                    points = _capped(rule.points * reader.count(rule.event, rule.window), rule.cap)
                else:
                    raw = reader.field(rule.field)
                    points = Decimal(0) if raw is None else _capped(rule.points * raw, rule.cap)  # type: ignore[operator]
                rules[(name, index)] = points
                total += points
            if score.minimum is not None:
                total = max(total, score.minimum)
            if score.maximum is not None:
                total = min(total, score.maximum)
            reader.scores[name] = total
        elif kind == "band":
            band = model.bands[name]
            value = reader.scores[band.score]
            reader.bands[name] = next(
                (e.label for e in band.entries
                 if (e.low is None or value >= e.low) and (e.high is None or value < e.high)), None)
    fires = tuple(reader.truth(d.condition) for d in model.disqualifiers)
    reasons = [d.code for d, f in zip(model.disqualifiers, fires, strict=True) if f is True and d.at is None]
    blocked = [d.code for d, f in zip(model.disqualifiers, fires, strict=True) if f is True and d.at is not None]
    criteria = {s: reader.truth(c.condition) for s, c in model.criteria.items()}
    stage = model.entry_stage
    for index, name in enumerate(model.stages):
        if index == 0 or criteria.get(name) is not True:
            continue
        if any(d.at is not None and f is True and model.stage_index(d.at) <= index
               for d, f in zip(model.disqualifiers, fires, strict=True)):
            continue
        stage = name
    if reasons:
        stage = m.DISQUALIFIED
    routes = {s: tuple(reader.truth(e.condition) for e in r.entries if e.condition is not None)
              for s, r in model.routes.items()}
    route: str | None = None
    if stage in model.routes:
        chosen = model.routes[stage]
        truths = routes[stage]
        picked = next((e.target for e, t in zip(chosen.entries, truths, strict=True) if t is True), None)
        route = picked if picked is not None else (chosen.otherwise.target if chosen.otherwise else None)
    record = {"stage": stage, "disqualified": bool(reasons), "reasons": reasons, "blocked": blocked,
              "scores": {n: reader.scores[n] for n in model.scores},
              "bands": {n: reader.bands[n] for n in model.bands}, "route": route}
    return Trace(record, dict(reader.scores), dict(reader.bands), fires, criteria, routes, rules, reader)

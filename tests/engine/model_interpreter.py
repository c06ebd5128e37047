"""A plain tree-walking interpreter of a checked model (src/leadrules/model.py): the compiled
evaluator must run the model it is given exactly. It shares the lowering with the engines, so it
cannot judge that lowering; tests/engine/reference.py, which reads the syntax tree, does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.engine.validate import validate
from leadrules.values import json_number


def _count(events: list[tuple[str, dt.datetime]], event: str, window: m.Window | None, as_of: dt.datetime) -> int:
    total = 0
    for kind, at in events:
        if kind != event or at > as_of:
            continue
        if window is not None and not (as_of - dt.timedelta(seconds=window.seconds) < at):
            continue
        total += 1
    return total


class Reference:
    def __init__(self, model: m.CheckedModel, values: dict[str, Any], events: list[tuple[str, dt.datetime]],
                 as_of: dt.datetime) -> None:
        self.model = model
        self.values = values
        self.events = events
        self.as_of = as_of
        self.env: dict[str, Any] = {}

    def value(self, e: m.Expr) -> Any:
        """A value, None when missing; for conditions True / False / None (unknown)."""
        if isinstance(e, m.Const):
            return e.value
        if isinstance(e, m.FieldValue):
            return self.values[e.field]
        if isinstance(e, m.EmailDomain):
            address = self.values[e.field]
            if address is None or "@" not in address:
                return None
            return address[address.rindex("@") + 1:].lower()
        if isinstance(e, (m.ScoreValue, m.BandValue, m.ConditionValue)):
            name = e.score if isinstance(e, m.ScoreValue) else e.band if isinstance(e, m.BandValue) else e.condition
            return self.env[name]
        if isinstance(e, m.EventCount):
            return _count(self.events, e.event, e.window, self.as_of)
        if isinstance(e, m.HasEvent):
            return _count(self.events, e.event, e.window, self.as_of) >= 1
        if isinstance(e, m.Linear):
            total = e.constant
            for coefficient, term in e.terms:
                v = self.value(term)
                if v is None:
                    return None
                total = total + coefficient * v
            return total
        if isinstance(e, m.Compare):
            a, b = self.value(e.left), self.value(e.right)
            if a is None or b is None:
                return None
            if e.op == "==":
                return a == b
            if e.op == "!=":
                return a != b
            if e.op == "<":
                return a < b
            if e.op == "<=":
                return a <= b
            if e.op == ">":
                return a > b
            return a >= b
        if isinstance(e, m.InSet):
            v = self.value(e.subject)
            if v is None:
                return None
            found = any(v == item for item in e.values)
            return not found if e.negated else found
        if isinstance(e, m.TextTest):
            s, p = self.value(e.subject), self.value(e.pattern)
            if s is None or p is None:
                return None
            if e.op == "starts with":
                return s.startswith(p)
            if e.op == "ends with":
                return s.endswith(p)
            return p in s
        if isinstance(e, m.Presence):
            present = self.value(e.subject) is not None
            return present if e.present else not present
        if isinstance(e, m.Not):
            v = self.value(e.operand)
            return None if v is None else not v
        if isinstance(e, m.And):
            results = [self.value(o) for o in e.operands]
            if any(r is False for r in results):
                return False
            if any(r is None for r in results):
                return None
            return True
        if isinstance(e, m.Or):
            results = [self.value(o) for o in e.operands]
            if any(r is True for r in results):
                return True
            if any(r is None for r in results):
                return None
            return False
        raise TypeError(type(e).__name__)

    def score(self, score: m.Score) -> Decimal:
        total = Decimal(0)
        for rule in score.rules:
            if isinstance(rule, m.IfRule):
                if self.value(rule.condition) is True:
                    total += rule.points
                continue
            if isinstance(rule, m.PerEventRule):
                amount: Any = _count(self.events, rule.event, rule.window, self.as_of)
            else:
                amount = self.values[rule.field]
                if amount is None:
                    continue
            points = rule.points * amount
            if rule.cap is not None and abs(points) > rule.cap:
                points = rule.cap if points > 0 else -rule.cap
            total += points
        if score.minimum is not None and total < score.minimum:
            total = score.minimum
        if score.maximum is not None and total > score.maximum:
            total = score.maximum
        return total

    def band(self, band: m.Band) -> str | None:
        s = self.env[band.score]
        for entry in band.entries:
            if (entry.low is None or s >= entry.low) and (entry.high is None or s < entry.high):
                return entry.label
        return None


def evaluate(model: m.CheckedModel, lead: Any, as_of: dt.datetime, record: int = 1) -> dict[str, Any]:
    """The output record of section 5, computed the slow and obvious way."""
    valid, error = validate(model, lead, record)
    if valid is None:
        assert error is not None
        return error
    ref = Reference(model, dict(zip(model.fields, valid.values, strict=True)), list(valid.events), as_of)
    for kind, name in model.order:
        if kind == "condition":
            ref.env[name] = ref.value(model.conditions[name].expr)
        elif kind == "score":
            ref.env[name] = ref.score(model.scores[name])
        else:
            ref.env[name] = ref.band(model.bands[name])
    fired = [d for d in model.disqualifiers if ref.value(d.condition) is True]
    reasons = [d.code for d in fired if d.at is None]
    blocked = [d.code for d in fired if d.at is not None]
    blocked_stages = set()
    for d in fired:
        if d.at is not None:
            blocked_stages.update(model.stages[model.stages.index(d.at):])
    if reasons:
        stage: str | None = m.DISQUALIFIED
    else:
        stage = model.stages[0] if model.stages else None
        for candidate in model.stages[1:]:
            criterion = model.criteria.get(candidate)
            if criterion is not None and candidate not in blocked_stages and ref.value(criterion.condition) is True:
                stage = candidate
    route = None
    block = model.routes.get(stage) if stage is not None else None
    if block is not None:
        for entry in block.entries:
            assert entry.condition is not None
            if ref.value(entry.condition) is True:
                route = entry.target
                break
        else:
            route = block.otherwise.target if block.otherwise is not None else None
    return {
        "id": valid.id,
        "stage": stage,
        "disqualified": bool(reasons),
        "reasons": reasons,
        "blocked": blocked,
        "scores": {name: json_number(ref.env[name]) for name in model.scores},
        "bands": {name: ref.env[name] for name in model.bands},
        "route": route,
    }


def criterion_truths(model: m.CheckedModel, lead: Any, as_of: dt.datetime) -> dict[str, Any]:
    """Truth of every stage criterion (for checking explain)."""
    valid, _ = validate(model, lead, 1)
    assert valid is not None
    ref = Reference(model, dict(zip(model.fields, valid.values, strict=True)), list(valid.events), as_of)
    for kind, name in model.order:
        if kind == "condition":
            ref.env[name] = ref.value(model.conditions[name].expr)
        elif kind == "score":
            ref.env[name] = ref.score(model.scores[name])
        else:
            ref.env[name] = ref.band(model.bands[name])
    return {stage: ref.value(c.condition) for stage, c in model.criteria.items()}

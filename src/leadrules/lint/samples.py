"""Concrete leads built from the values a ruleset mentions, as a cheap first try for every
"is there a lead that ..." question.

Most of what the linter asks is satisfiable (a stage is reachable, two route entries
overlap, a lead skips a stage). A lead made of the literals the rules compare against (and
their neighbours), evaluated by the Python engine, answers many of those questions at once
and is itself the witness; the solver is asked only about what no sample shows. Samples can
only prove that something happens, never that it cannot, so they never weaken "unreachable".
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.fieldkinds import KINDS
from leadrules.ir.lower import model_expressions
from leadrules.lint.witness import AS_OF, event_times
from leadrules.values import format_timestamp, json_number

__all__ = ["Sampler"]

_COUNTS = (0, 0, 1, 1, 2, 3, 5, 10)
# dates and instants are varied by a day or a second; these keep the variations representable
_LOW = dt.datetime(1, 1, 3, tzinfo=dt.timezone.utc)
_HIGH = dt.datetime(9999, 12, 29, tzinfo=dt.timezone.utc)


def _mentioned(model: m.CheckedModel) -> tuple[dict[str, set[Any]], dict[str, set[str]], dict[str, set[int]]]:
    """Per field: constants it is compared with; per email field: domains; per event: the
    thresholds its counts are compared with."""
    values: dict[str, set[Any]] = {name: set() for name in model.fields}
    domains: dict[str, set[str]] = {name: set() for name in model.fields}
    counts: dict[str, set[int]] = {name: set() for name in model.events}
    stack: list[m.Expr] = list(model_expressions(model))
    while stack:
        e = stack.pop()
        stack.extend(m.children(e))
        pairs: list[tuple[m.Expr, tuple[Any, ...]]] = []
        if isinstance(e, m.Compare):
            if isinstance(e.right, m.Const):
                pairs.append((e.left, (e.right.value,)))
            if isinstance(e.left, m.Const):
                pairs.append((e.right, (e.left.value,)))
        elif isinstance(e, m.InSet):
            pairs.append((e.subject, e.values))
        elif isinstance(e, m.TextTest) and isinstance(e.pattern, m.Const) and isinstance(e.pattern.value, str):
            p = e.pattern.value
            pairs.append((e.subject, (p, p + "x", "x" + p, "x" + p + "x")))
        for subject, constants in pairs:
            if isinstance(subject, m.Linear) and len(subject.terms) == 1 and subject.terms[0][0] == 1:
                shift = subject.constant
                subject = subject.terms[0][1]
                constants = tuple(c - shift if isinstance(c, Decimal) else c for c in constants)
            if isinstance(subject, m.FieldValue):
                values[subject.field].update(constants)
            elif isinstance(subject, m.EmailDomain):
                domains[subject.field].update(c for c in constants if isinstance(c, str))
            elif isinstance(subject, m.EventCount):
                counts[subject.event].update(int(c) for c in constants if isinstance(c, Decimal) and 0 <= c < 1000)
    return values, domains, counts


def _numbers(f: m.Field, constants: set[Any]) -> list[Decimal]:
    out: set[Decimal] = set()
    integral = KINDS[f.kind].integral
    step = Decimal(1) if integral else Decimal("0.5")
    for c in constants:
        if isinstance(c, Decimal):
            out.update((c - step, c, c + step))
    for bound in (f.low, f.high):
        if bound is not None:
            out.add(bound)
    out.update((Decimal(0), Decimal(1), Decimal(100)))
    if integral:
        out = {v for v in out if v == v.to_integral_value()}
    return sorted(v for v in out if (f.low is None or v >= f.low) and (f.high is None or v <= f.high))


def _field_choices(f: m.Field, constants: set[Any], domains: set[str]) -> list[Any]:
    record = KINDS[f.kind]
    if record.numeric:
        numbers = _numbers(f, constants)
        return [int(v) if record.integral else json_number(v) for v in numbers]
    if record.acceptance == "boolean":
        return [True, False]
    if record.acceptance == "choice":
        return list(f.choices)
    if record.acceptance == "date":
        days = {AS_OF.date()} | {c for c in constants if isinstance(c, dt.date) and not isinstance(c, dt.datetime)}
        near = {d + dt.timedelta(days=k) for d in days for k in (-1, 0, 1) if _LOW.date() < d < _HIGH.date()}
        return sorted(d.isoformat() for d in near)
    if record.acceptance == "timestamp":
        moments: set[dt.datetime] = {AS_OF}
        moments.update(c for c in constants if isinstance(c, dt.datetime) and _LOW < c < _HIGH)
        instants = {t + dt.timedelta(seconds=k) for t in moments for k in (-1, 0, 1)}
        return sorted(format_timestamp(t) for t in instants)
    texts = sorted(c for c in constants if isinstance(c, str))
    if f.kind == "email":
        return [*texts, *(f"pat@{d}" for d in sorted(domains)), "pat@example.com", "pat"]
    return [*texts, "other"]


class Sampler:
    """Leads from the values a ruleset mentions: fresh ones, and variations of a given lead
    (a witness deep in the funnel varied one or two fields at a time reaches the questions
    asked about that stage: which route entries overlap there, which stage it skips)."""

    def __init__(self, model: m.CheckedModel, seed: int = 0) -> None:
        self.model = model
        self.random = random.Random(seed)
        values, domains, self.thresholds = _mentioned(model)
        self.choices = {name: _field_choices(f, values[name], domains[name]) for name, f in model.fields.items()}
        self.windows = _windows(model)

    def leads(self, count: int) -> list[dict[str, Any]]:
        """`count` valid leads mixing the mentioned values (deterministic for a seed)."""
        out = []
        for _ in range(count):
            lead: dict[str, Any] = {}
            for name, f in self.model.fields.items():
                value = self._value(name, f)
                if value is not None:
                    lead[name] = value
            lead["events"] = self._events(self.model.events)
            out.append(lead)
        return out

    def variations(self, lead: dict[str, Any], count: int, focus: set[str] | None = None) -> list[dict[str, Any]]:
        """`count` copies of a lead with one or two fields (or one event's history) changed;
        only fields and events named in `focus` when it is given."""
        names = [n for n in self.model.fields if focus is None or n in focus]
        names += [f"event:{e}" for e in self.model.events if focus is None or e in focus]
        if not names:
            return []
        out = []
        for _ in range(count):
            varied = dict(lead)
            for name in self.random.sample(names, min(len(names), self.random.choice((1, 1, 2)))):
                if name.startswith("event:"):
                    event = name[len("event:"):]
                    kept = [e for e in varied.get("events", []) if e["type"] != event]
                    varied["events"] = sorted(kept + self._events([event]), key=lambda e: e["at"])
                    continue
                value = self._value(name, self.model.fields[name])
                if value is None:
                    varied.pop(name, None)
                else:
                    varied[name] = value
            out.append(varied)
        return out

    def _value(self, name: str, f: m.Field) -> Any:
        if f.optional and self.random.random() < 0.2:
            return None
        return self.random.choice(self.choices[name])

    def _events(self, names: Any) -> list[dict[str, str]]:
        events: list[dict[str, str]] = []
        for event in names:
            options = sorted(set(_COUNTS) | {t + k for t in self.thresholds[event] for k in (-1, 0, 1) if t + k >= 0})
            spans = self.windows.get(event, [])
            nested = sorted(self.random.choice(options) for _ in range(len(spans) + 1))
            for at in event_times(spans, nested):
                events.append({"type": event, "at": format_timestamp(at)})
        events.sort(key=lambda e: e["at"])
        return events


def _windows(model: m.CheckedModel) -> dict[str, list[int]]:
    """Per event, the window lengths (seconds) anything counts it over, ascending."""
    found: dict[str, set[int]] = {}
    stack: list[m.Expr] = list(model_expressions(model))
    while stack:
        e = stack.pop()
        stack.extend(m.children(e))
        if isinstance(e, (m.HasEvent, m.EventCount)) and e.window is not None:
            found.setdefault(e.event, set()).add(e.window.seconds)
    for score in model.scores.values():
        for rule in score.rules:
            if isinstance(rule, m.PerEventRule) and rule.window is not None:
                found.setdefault(rule.event, set()).add(rule.window.seconds)
    return {event: sorted(seconds) for event, seconds in found.items()}

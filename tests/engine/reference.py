"""The oracle: a deliberately plain interpreter of a ruleset's SYNTAX TREE, written from the
language spec (sections 2, 3, 5 and 9), with no code shared with the engines.

It reads the AST that `leadrules.syntax.parse` builds and asks the checker only whether the
ruleset is valid; it never evaluates the checker's model, so a defect in the shared lowering
(normalisation of arithmetic, inlined lists, `between`) shows up as a disagreement with every
engine instead of hiding in all of them at once. No caching beyond memoising names within one
lead, no cleverness: each rule of the spec is spelled out once, in the order the spec states it.

Values: None is missing (and, for conditions, unknown); numbers are exact Decimals; dates are
`datetime.date`, timestamps aware UTC `datetime`s; band labels and text are `str`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from leadrules.check import check
from leadrules.source import SourceFile
from leadrules.syntax import ast, parse

__all__ = ["Rules", "rules_from_text", "evaluate", "criterion_truths", "parse_timestamp", "parse_date"]

DISQUALIFIED = "Disqualified"

# exact arithmetic: a precision no test value comes near, and rounding of any kind is an error
_EXACT = decimal.Context(prec=100_000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                         traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow,
                                decimal.DivisionByZero])

# Section 9, "One timestamp grammar everywhere"
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIMESTAMP_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?)?", re.ASCII)


def parse_date(text: str) -> dt.date | None:
    match = _DATE_RE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_timestamp(text: str) -> dt.datetime | None:
    """`YYYY-MM-DD` (midnight UTC), or with `T`/space, `hh:mm[:ss[.f{1,6}]]` and `Z`/`±hh:mm`/none."""
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        offset = dt.timedelta(0)
        if zone is not None and zone != "Z":
            hours, minutes = int(zone[1:3]), int(zone[4:6])
            if minutes > 59:
                return None
            offset = (1 if zone[0] == "+" else -1) * dt.timedelta(hours=hours, minutes=minutes)
        local = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                            int((fraction or "0").ljust(6, "0")), tzinfo=dt.timezone(offset))
        return local.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Rules:
    """The declarations of one ruleset, read straight off its syntax tree."""

    fields: tuple[ast.FieldDecl, ...]  # declaration order
    events: frozenset[str]
    lists: dict[str, ast.ListLiteral]
    conditions: dict[str, ast.Expr]
    scores: dict[str, ast.ScoreDecl]  # declaration order
    bands: dict[str, ast.BandDecl]  # declaration order
    disqualifiers: tuple[ast.Disqualify, ...]  # declaration order
    stages: tuple[str, ...]
    criteria: dict[str, ast.Expr]
    routes: dict[str, ast.RouteDecl]

    @property
    def field_kinds(self) -> dict[str, str]:
        return {f.name.name: f.type.kind for f in self.fields}


def rules_from_module(module: ast.Module) -> Rules:
    s = module.statements
    stages = next((st.names for st in s if isinstance(st, ast.StagesDecl)), ())
    return Rules(
        fields=tuple(st for st in s if isinstance(st, ast.FieldDecl)),
        events=frozenset(st.name.name for st in s if isinstance(st, ast.EventDecl)),
        lists={st.name.name: st.items for st in s if isinstance(st, ast.ListDecl)},
        conditions={st.name.name: st.condition for st in s if isinstance(st, ast.ConditionDecl)},
        scores={st.name.name: st for st in s if isinstance(st, ast.ScoreDecl)},
        bands={st.name.name: st for st in s if isinstance(st, ast.BandDecl)},
        disqualifiers=tuple(st for st in s if isinstance(st, ast.Disqualify)),
        stages=tuple(name.name for name in stages),
        criteria={st.stage.name: st.condition for st in s if isinstance(st, ast.StageCriterion)},
        routes={st.stage.name: st for st in s if isinstance(st, ast.RouteDecl)},
    )


def rules_from_text(text: str, path: str = "reference.rules") -> Rules:
    """Parse `text`; the checker is asked only whether the ruleset is valid."""
    module, diagnostics = parse(SourceFile(path, text))
    if module is None:
        raise ValueError(f"does not parse: {[d.message for d in diagnostics]}")
    model, diagnostics = check(module)
    if model is None:
        raise ValueError(f"does not check: {[(d.code, d.message) for d in diagnostics]}")
    return rules_from_module(module)


# ---- section 3 step 1: validation -----------------------------------------------------------


@dataclass(frozen=True)
class Lead:
    id: Any
    values: dict[str, Any]  # field name -> typed value, None when missing
    events: tuple[tuple[str, dt.datetime], ...]  # declared types only


def _json_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return Decimal(repr(value))
    return None


def _in_range(number: Decimal, field_type: ast.FieldType) -> bool:
    low = field_type.low.value if field_type.low is not None else None
    high = field_type.high.value if field_type.high is not None else None
    return (low is None or low <= number) and (high is None or number <= high)


def _typed(field_type: ast.FieldType, value: Any) -> Any:
    """The field's value, or None when `value` is not of the declared type."""
    kind = field_type.kind
    if kind in ("text", "email"):
        return value if isinstance(value, str) else None
    if kind == "choice":
        return value if isinstance(value, str) and value in [c.value for c in field_type.choices] else None
    if kind == "integer":
        number = _json_number(value)
        if number is None or number != number.to_integral_value(context=_EXACT):
            return None
        return number if _in_range(number, field_type) else None
    if kind == "number":
        number = _json_number(value)
        return number if number is not None and _in_range(number, field_type) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "date":
        return parse_date(value) if isinstance(value, str) else None
    if kind == "timestamp":
        return parse_timestamp(value) if isinstance(value, str) else None
    raise AssertionError(f"field type {kind}")


def _error(lead_id: Any, record: int, field: str | None) -> dict[str, Any]:
    # the spec fixes id, record and field; the message is only required to say what was expected
    # and found, so the oracle leaves it open (None) and the comparison checks it is a text
    return {"id": lead_id, "error": {"record": record, "field": field, "message": None}}


def validate(rules: Rules, lead: Any, record: int) -> Lead | dict[str, Any]:
    if not isinstance(lead, Mapping):
        return _error(record, record, None)
    lead_id = lead.get("id")
    if lead_id is None:
        lead_id = record
    values: dict[str, Any] = {}
    for field in rules.fields:
        name = field.name.name
        raw = lead.get(name)
        if raw is None:
            if not field.optional:
                return _error(lead_id, record, name)
            values[name] = None
            continue
        typed = _typed(field.type, raw)
        if typed is None:
            return _error(lead_id, record, name)
        values[name] = typed
    events: list[tuple[str, dt.datetime]] = []
    raw_events = lead.get("events")
    if raw_events is not None:
        if not isinstance(raw_events, list):
            return _error(lead_id, record, "events")
        for event in raw_events:
            if not isinstance(event, Mapping):
                return _error(lead_id, record, "events")
            kind = event.get("type")
            if not isinstance(kind, str) or kind not in rules.events:
                continue  # events of undeclared types are ignored
            at = event.get("at")
            stamp = parse_timestamp(at) if isinstance(at, str) else None
            if stamp is None:
                return _error(lead_id, record, "events")
            events.append((kind, stamp))
    return Lead(lead_id, values, tuple(events))


# ---- sections 2 and 3: evaluation -----------------------------------------------------------


def _kleene_not(value: bool | None) -> bool | None:
    return None if value is None else not value


def _kleene_and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _kleene_or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


def _like(subject: Any, literal: Any) -> Any:
    """A string literal beside a date or timestamp is that date or instant (section 2)."""
    if isinstance(literal, str) and isinstance(subject, dt.datetime):
        stamp = parse_timestamp(literal)
        assert stamp is not None, literal
        return stamp
    if isinstance(literal, str) and isinstance(subject, dt.date):
        day = parse_date(literal)
        assert day is not None, literal
        return day
    return literal


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    a, b = _like(b, a), _like(a, b)
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    if op == ">=":
        return bool(a >= b)
    raise AssertionError(op)


class _Lead:
    """One valid lead being evaluated: names are computed on first use."""

    def __init__(self, rules: Rules, lead: Lead, as_of: dt.datetime) -> None:
        self.rules = rules
        self.lead = lead
        self.as_of = as_of
        self.known: dict[str, Any] = {}

    def count(self, event: str, window: ast.Duration | None) -> Decimal:
        """Events of that type at or before as-of; with a window, less than its length old."""
        total = 0
        for kind, at in self.lead.events:
            if kind != event or at > self.as_of:
                continue
            if window is not None and not (self.as_of - at < dt.timedelta(seconds=window.seconds)):
                continue
            total += 1
        return Decimal(total)

    def name(self, name: str) -> Any:
        if name not in self.known:
            self.known[name] = self._name(name)
        return self.known[name]

    def _name(self, name: str) -> Any:
        if name in self.lead.values:
            return self.lead.values[name]
        if name in self.rules.conditions:
            return self.value(self.rules.conditions[name])
        if name in self.rules.scores:
            return self.score(self.rules.scores[name])
        if name in self.rules.bands:
            return self.band(self.rules.bands[name])
        raise AssertionError(f"unknown name {name}")

    def items(self, ref: ast.ListRef) -> list[Any]:
        literal = self.rules.lists[ref.name] if isinstance(ref, ast.ListName) else ref
        return [item.value for item in literal.items]

    def value(self, e: ast.Expr) -> Any:
        if isinstance(e, (ast.Number, ast.String, ast.Bool)):
            return e.value
        if isinstance(e, ast.NameRef):
            return self.name(e.name)
        if isinstance(e, ast.Attribute):
            assert e.attribute.name == "domain", e.attribute.name
            address = self.name(e.base.name)
            if address is None or "@" not in address:
                return None
            return address.rsplit("@", 1)[1].lower()
        if isinstance(e, ast.Negate):
            v = self.value(e.operand)
            return None if v is None else -v
        if isinstance(e, ast.Sum):
            # every term is evaluated: a missing one makes the sum unknown even if others cancel it
            terms = [self.value(t) for t in e.terms]
            if any(t is None for t in terms):
                return None
            return sum((sign * t for sign, t in zip(e.signs, terms, strict=True)), Decimal(0))
        if isinstance(e, ast.Product):
            factors = [self.value(f) for f in e.factors]
            if any(f is None for f in factors):
                return None
            result = Decimal(1)
            for f in factors:
                result *= f
            return result
        if isinstance(e, ast.HasEvent):
            return self.count(e.event.name, e.window) >= 1
        if isinstance(e, ast.CountEvent):
            return self.count(e.event.name, e.window)
        if isinstance(e, ast.Compare):
            return _compare(e.op, self.value(e.left), self.value(e.right))
        if isinstance(e, ast.Between):
            x = self.value(e.subject)
            return _kleene_and([_compare("<=", self.value(e.low), x), _compare("<=", x, self.value(e.high))])
        if isinstance(e, ast.InList):
            x = self.value(e.subject)
            if x is None:
                return None
            found = any(_compare("==", x, item) for item in self.items(e.items))
            return not found if e.negated else found
        if isinstance(e, ast.TextTest):
            s, p = self.value(e.subject), self.value(e.pattern)
            if s is None or p is None:
                return None
            if e.op == "starts with":
                return s.startswith(p)
            if e.op == "ends with":
                return s.endswith(p)
            assert e.op == "contains", e.op
            return p in s
        if isinstance(e, ast.Presence):
            present = self.value(e.subject) is not None
            return present if e.present else not present
        if isinstance(e, ast.Not):
            return _kleene_not(self.value(e.operand))
        if isinstance(e, ast.And):
            return _kleene_and([self.value(o) for o in e.operands])
        if isinstance(e, ast.Or):
            return _kleene_or([self.value(o) for o in e.operands])
        raise AssertionError(type(e).__name__)

    def score(self, score: ast.ScoreDecl) -> Decimal:
        total = Decimal(0)
        for rule in score.rules:
            if isinstance(rule, ast.IfRule):
                if self.value(rule.condition) is True:
                    total += rule.points
                continue
            source = rule.source.name
            if source in self.rules.events:
                amount: Decimal | None = self.count(source, rule.window)
            else:
                amount = self.name(source)
            if amount is None:
                continue  # a missing counter field adds nothing
            points = rule.points * amount
            if rule.cap is not None and abs(points) > rule.cap:
                points = rule.cap if points > 0 else -rule.cap
            total += points
        if score.minimum is not None and total < score.minimum.value:
            total = score.minimum.value
        if score.maximum is not None and total > score.maximum.value:
            total = score.maximum.value
        return total

    def band(self, band: ast.BandDecl) -> str | None:
        s = self.name(band.score.name)
        for entry in band.entries:
            if (entry.low is None or s >= entry.low.value) and (entry.high is None or s < entry.high.value):
                return entry.label.value
        return None


def evaluate(rules: Rules, lead: Any, as_of: dt.datetime, record: int = 1) -> dict[str, Any]:
    """The output record of section 5 (numbers as Decimals), or the error record of an invalid
    lead (its message None: the spec does not fix the wording)."""
    valid = validate(rules, lead, record)
    if isinstance(valid, dict):
        return valid
    with decimal.localcontext(_EXACT):
        ev = _Lead(rules, valid, as_of)
        fired = [d for d in rules.disqualifiers if ev.value(d.condition) is True]
        reasons = [d.code.name for d in fired if d.at is None]
        blocked = [d.code.name for d in fired if d.at is not None]
        blocked_from = min((rules.stages.index(d.at.name) for d in fired if d.at is not None), default=None)
        stage: str | None
        if reasons:
            stage = DISQUALIFIED
        elif not rules.stages:
            stage = None
        else:
            stage = rules.stages[0]
            for index, candidate in enumerate(rules.stages):
                if index == 0 or (blocked_from is not None and index >= blocked_from):
                    continue
                criterion = rules.criteria.get(candidate)
                if criterion is not None and ev.value(criterion) is True:
                    stage = candidate
        route = None
        block = rules.routes.get(stage) if stage is not None else None
        if block is not None:
            chosen = [e for e in block.entries if e.condition is not None and ev.value(e.condition) is True]
            otherwise = [e for e in block.entries if e.condition is None]
            if chosen:
                route = chosen[0].target.value
            elif otherwise:
                route = otherwise[0].target.value
        return {
            "id": valid.id,
            "stage": stage,
            "disqualified": bool(reasons),
            "reasons": reasons,
            "blocked": blocked,
            "scores": {name: ev.name(name) for name in rules.scores},
            "bands": {name: ev.name(name) for name in rules.bands},
            "route": route,
        }


def criterion_truths(rules: Rules, lead: Any, as_of: dt.datetime) -> dict[str, bool | None]:
    """Truth of every stage criterion of a valid lead (True, False or None for unknown)."""
    valid = validate(rules, lead, 1)
    assert isinstance(valid, Lead), valid
    with decimal.localcontext(_EXACT):
        ev = _Lead(rules, valid, as_of)
        return {stage: ev.value(criterion) for stage, criterion in rules.criteria.items()}

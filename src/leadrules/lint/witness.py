"""z3 model → witness: a complete, valid lead record with its events, plus the as-of instant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from leadrules import model as m
from leadrules.diagnostics import Witness
from leadrules.fieldkinds import KINDS
from leadrules.lint.encode import EPOCH, Encoding, micros
from leadrules.values import format_timestamp, json_number, parse_timestamp

__all__ = ["AS_OF", "AS_OF_TEXT", "build_witness", "NotDecimal", "event_times", "lead_values"]

AS_OF_TEXT = "2026-11-22T00:00:00Z"
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)


class NotDecimal(Exception):
    """The solver chose a rational without a short decimal form (1/3, or over 6 places)."""


def _decimal(value: z3.ExprRef) -> Decimal:
    if not isinstance(value, z3.RatNumRef):
        if isinstance(value, z3.IntNumRef):
            return Decimal(value.as_long())
        raise NotDecimal(str(value))
    fraction = Fraction(value.numerator_as_long(), value.denominator_as_long())
    denominator = fraction.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        raise NotDecimal(str(value))
    exact = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    exponent = exact.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise NotDecimal(str(value))  # rule files (emitted tests) take at most 6 decimals
    return exact


def event_times(windows: list[int], counts: list[int]) -> list[dt.datetime]:
    """Timestamps for events: counts[i] events inside window i (ascending windows, the last
    one unbounded), none closer than the window they are counted in."""
    times: list[dt.datetime] = []
    previous = 0
    for index, total in enumerate(counts):
        extra = total - previous
        # events in window i but not in window i-1 sit just past the shorter window
        newest = AS_OF - dt.timedelta(seconds=windows[index - 1]) if index else AS_OF
        oldest_gap = (windows[index] - (windows[index - 1] if index else 0)) if index < len(windows) else None
        for k in range(extra):
            step = k if oldest_gap is None or k < oldest_gap else oldest_gap - 1
            times.append(newest - dt.timedelta(seconds=step))
        previous = total
    return times


def event_total(enc: Encoding, solution: z3.ModelRef) -> int:
    """How many events a witness read off `solution` would hold (each event's widest
    counter holds all of its events: the counters of nested windows form a chain)."""
    total = 0
    for event, seconds in enc.event_windows.items():
        raw = solution.eval(enc.counts[(event, seconds[-1])], model_completion=True)
        assert isinstance(raw, z3.IntNumRef)
        total += raw.as_long()
    return total


def event_caps(enc: Encoding, limit: int) -> list[z3.BoolRef]:
    """Constraints that keep every event's count at or below `limit`."""
    return [enc.counts[(event, seconds[-1])] <= limit for event, seconds in enc.event_windows.items()]


def build_witness(enc: Encoding, solution: z3.ModelRef) -> Witness:
    """Read a lead off a satisfying assignment. Raises NotDecimal for a non-decimal number."""
    lead: dict[str, Any] = {}

    def get(term: z3.ExprRef) -> z3.ExprRef:
        return solution.eval(term, model_completion=True)

    for name, v in enc.fields.items():
        f = v.field
        if f.optional and not z3.is_true(get(v.present)):
            continue
        raw = get(v.value)
        accepted = KINDS[f.kind].acceptance
        if accepted == "integer":
            assert isinstance(raw, z3.IntNumRef)
            lead[name] = raw.as_long()
        elif accepted == "number":
            lead[name] = json_number(_decimal(raw))
        elif accepted == "boolean":
            lead[name] = z3.is_true(raw)
        elif accepted == "date":
            assert isinstance(raw, z3.IntNumRef)
            lead[name] = dt.date.fromordinal(raw.as_long()).isoformat()
        elif accepted == "timestamp":
            assert isinstance(raw, z3.IntNumRef)
            lead[name] = format_timestamp(EPOCH + dt.timedelta(microseconds=raw.as_long()))
        elif v.domain_labels is not None and v.has_at is not None and v.domain is not None:
            # only `.domain` is read: the address is a fixed local part and the domain
            code = get(v.domain)
            assert isinstance(code, z3.IntNumRef)
            lead[name] = "pat@" + v.domain_labels[code.as_long()] if z3.is_true(get(v.has_at)) else "pat"
        elif v.labels is not None:
            assert isinstance(raw, z3.IntNumRef)
            lead[name] = v.labels[raw.as_long()]
        else:
            assert isinstance(raw, z3.SeqRef)
            lead[name] = raw.as_string()
    events: list[dict[str, str]] = []
    for event, seconds in enc.event_windows.items():
        counts = []
        for s in seconds:
            raw = get(enc.counts[(event, s)])
            assert isinstance(raw, z3.IntNumRef)
            counts.append(raw.as_long())
        bounded = [s for s in seconds if s is not None]
        for at in event_times(bounded, counts):
            events.append({"type": event, "at": format_timestamp(at)})
    events.sort(key=lambda e: e["at"])
    lead["events"] = events
    return Witness(AS_OF_TEXT, lead)


def lead_values(enc: Encoding, lead: dict[str, Any], scores: dict[str, Decimal]) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
    """A valid lead (with the scores the engine gave it) as values of the encoding's
    variables: the inverse of `build_witness`. Whether they satisfy the base constraints is
    checked where they are used (see `KnownLeads.shows`)."""
    values: list[tuple[z3.ExprRef, z3.ExprRef]] = []
    for name, v in enc.fields.items():
        f = v.field
        value = lead.get(name)
        if f.optional:
            values.append((v.present, z3.BoolVal(value is not None)))
        if value is None:
            continue
        accepted = KINDS[f.kind].acceptance
        if v.labels is not None:
            named = v.labels[:-1]
            values.append((v.value, z3.IntVal(named.index(value) if value in named else len(named))))
        elif accepted == "integer":
            values.append((v.value, z3.IntVal(int(value))))
        elif accepted == "number":
            values.append((v.value, _numeral(Decimal(str(value)))))
        elif accepted == "boolean":
            values.append((v.value, z3.BoolVal(bool(value))))
        elif accepted == "date":
            values.append((v.value, z3.IntVal(dt.date.fromisoformat(str(value)).toordinal())))
        elif accepted == "timestamp":
            instant = parse_timestamp(str(value))
            if instant is not None:
                values.append((v.value, z3.IntVal(micros(instant))))
        else:
            values.append((v.value, z3.StringVal(value)))
        if v.has_at is None or v.domain is None:
            continue
        has_at = "@" in value
        values.append((v.has_at, z3.BoolVal(has_at)))
        if not has_at:
            continue
        local, raw = value.rsplit("@", 1)
        if v.domain_labels is not None:
            named = v.domain_labels[:-1]
            domain = raw.lower()
            values.append((v.domain, z3.IntVal(named.index(domain) if domain in named else len(named))))
            continue
        values.append((z3.String(f"local:{v.value.decl().name()[len('field:'):]}"), z3.StringVal(local)))
        values.append((v.domain, z3.StringVal(raw.lower() if v.raw_domain is not None else raw)))
        if v.raw_domain is not None:
            values.append((v.raw_domain, z3.StringVal(raw)))
    ages: dict[str, list[float]] = {}
    for event in lead.get("events", []):
        at = parse_timestamp(event["at"])
        if at is not None and at <= AS_OF:  # the engine counts no event after the as-of instant
            ages.setdefault(event["type"], []).append((AS_OF - at).total_seconds())
    for event, seconds in enc.event_windows.items():
        times = ages.get(event, [])
        for s in seconds:
            values.append((enc.counts[(event, s)], z3.IntVal(sum(1 for age in times if s is None or age < s))))
    for name, score in enc.scores.items():
        if name in scores:
            values.append((score, _numeral(scores[name])))
    return values


def _numeral(value: Decimal) -> z3.RatNumRef:
    """An exact z3 numeral (`real` builds a quotient, which a model does not simplify)."""
    return z3.RealVal(str(Fraction(value)))


def describe_lead(enc: Encoding, lead: dict[str, Any], names: set[str] | None = None) -> str:
    """A short reading of a lead: 'a lead with role "director", employees 50 and 1 demo_request'."""
    parts: list[str] = []
    for name, value in lead.items():
        if name == "events" or (names is not None and name not in names):
            continue
        parts.append(f"{name} {_show(value)}")
    counts: dict[str, int] = {}
    for event in lead.get("events", []):
        counts[event["type"]] = counts.get(event["type"], 0) + 1
    for event, n in counts.items():
        if names is None or event in names:
            parts.append(f"{n} {event}")
    missing = [n for n, f in enc.model.fields.items() if f.optional and n not in lead
               and (names is None or n in names)]
    parts.extend(f"no {n}" for n in missing)
    if not parts:
        return "a lead"
    if len(parts) == 1:
        return "a lead with " + parts[0]
    return "a lead with " + ", ".join(parts[:-1]) + " and " + parts[-1]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def lead_names(exprs: list[m.Expr], model: m.CheckedModel | None = None) -> set[str]:
    """Fields and events an expression reads, through conditions, scores and bands when the
    model is given (for short readings and for pairing rules)."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if isinstance(e, (m.FieldValue, m.EmailDomain)):
            found.add(e.field)
        elif isinstance(e, (m.HasEvent, m.EventCount)):
            found.add(e.event)
        elif model is not None and isinstance(e, (m.ConditionValue, m.ScoreValue, m.BandValue)):
            name = e.condition if isinstance(e, m.ConditionValue) else e.score if isinstance(e, m.ScoreValue) else e.band
            if name in seen:
                continue
            seen.add(name)
            if isinstance(e, m.ConditionValue):
                stack.append(model.conditions[e.condition].expr)
            elif isinstance(e, m.BandValue):
                stack.append(m.ScoreValue(model.bands[e.band].score, e.span))
            else:
                for rule in model.scores[e.score].rules:
                    if isinstance(rule, m.IfRule):
                        stack.append(rule.condition)
                    elif isinstance(rule, m.PerEventRule):
                        found.add(rule.event)
                    else:
                        found.add(rule.field)
        stack.extend(m.children(e))
    return found

"""The plan interpreter: Kleene logic over one lead's values, and agreement with the compiled
engine's trace on every decision of a ruleset that uses every node type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from leadrules.check import check
from leadrules.engine.python import compile_model
from leadrules.ir import nodes as n
from leadrules.ir import plan as p
from leadrules.ir.interpret import Interpreter, LeadValues
from leadrules.model import CheckedModel, Window
from leadrules.source import SourceFile, Span
from leadrules.syntax import parse

SPAN = Span("<test>", 1, 1, 1, 1)
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
T, F, U = n.Const(True, "boolean", SPAN), n.Const(False, "boolean", SPAN), n.ConditionRef("u", 0, True, SPAN)

RULES = '''ruleset "interpret" version "1"
field email: email optional
field employees: integer optional
field revenue: number
field role: one of ["vp", "cxo", "student"]
field title: text optional
event demo
event visit
condition senior = role in ["vp", "cxo"]
condition busy = count(visit in last 7 days) + employees - employees >= 3
condition named = title starts with "Head" or title ends with "VP" or title contains "Chief"
condition reachable = email is present and not (email.domain in ["gmail.com", "yahoo.com"])
score fit (min -5, max 40):
    +10 if senior
    +7 if busy and named
    +2 per visit in last 30 days (max 10)
    +1 per employees (max 5)
    -3 if revenue < 1000.5
band grade of fit:
    "A" from 20
    "B" from 5 to 20
disqualify student "students" at SQL if role == "student"
disqualify nomail "no mail" if email is missing and employees is missing
stages Lead -> MQL -> SQL
stage MQL if fit >= 10 and (busy or reachable)
stage SQL if grade == "A" or has demo in last 14 days
route SQL:
    to "AE" if revenue > 1000000 and named
    to "Ent" if senior
    otherwise to "SDR"
'''

LEADS: list[dict[str, Any]] = [
    {"id": "full", "email": "Pat@Corp.COM", "employees": 12, "revenue": 2000000, "role": "vp", "title": "Head of IT",
     "events": [{"type": "visit", "at": "2026-11-20T00:00:00Z"}] * 4 + [{"type": "demo", "at": "2026-11-21T00:00:00Z"}]},
    {"id": "missing", "revenue": 10, "role": "student"},
    {"id": "no-at", "email": "pat", "revenue": Decimal("1000.5"), "role": "cxo", "title": "Chief of staff",
     "events": [{"type": "visit", "at": "2026-10-01T00:00:00Z"}, {"type": "demo", "at": "2026-09-01T00:00:00Z"}]},
    {"id": "free-mail", "email": "a@gmail.com", "employees": 300, "revenue": 5, "role": "student", "title": "SVP",
     "events": [{"type": "visit", "at": "2026-11-21T12:00:00Z"}] * 3},
    {"id": "unknown-busy", "email": "b@x.org", "revenue": 999999999, "role": "vp",
     "events": [{"type": "visit", "at": "2026-11-21T12:00:00Z"}] * 5},
]


def _model() -> CheckedModel:
    module, diagnostics = parse(SourceFile("interpret.rules", RULES))
    assert module is not None, diagnostics
    model, diagnostics = check(module)
    assert model is not None, diagnostics
    return model


def _lead(**given: Any) -> LeadValues:
    parts: dict[str, Any] = {"values": (), "counts": (), "domains": {}, "scores": (), "bands": (), "conditions": ()}
    parts.update(given)
    return LeadValues(**parts)


@pytest.mark.parametrize(("a", "b", "conjunction", "disjunction"), [
    (T, T, True, True), (T, F, False, True), (F, F, False, False),
    (T, U, None, True), (F, U, False, None), (U, U, None, None),
])
def test_kleene_and_or_not(a: n.Node, b: n.Node, conjunction: bool | None, disjunction: bool | None) -> None:
    interpreter = Interpreter(_lead(conditions=(None,)))
    for left, right in ((a, b), (b, a)):
        assert interpreter.value(n.All((left, right), True, SPAN)) is conjunction
        assert interpreter.value(n.Any((left, right), True, SPAN)) is disjunction
    assert interpreter.value(n.Not(U, True, SPAN)) is None
    assert interpreter.value(n.Not(T, False, SPAN)) is False


def test_missing_values_make_comparisons_unknown_and_presence_known() -> None:
    employees = n.Input("employees", 0, "integer", "number", True, SPAN)
    title = n.Input("title", 1, "text", "text", True, SPAN)
    three = n.Const(Decimal(3), "number", SPAN)
    # a cancelled term still reads its field: missing when the field is
    cancelled = n.Linear(((Decimal(1), employees), (Decimal(-1), employees)), Decimal(2), True, SPAN)
    exprs = {
        "compare": n.Compare(">=", employees, three, True, SPAN),
        "in": n.InSet(title, ("a", "b"), True, True, SPAN),
        "text": n.TextTest("contains", title, n.Const("x", "text", SPAN), True, SPAN),
        "linear": cancelled,
        "domain": n.Domain("email", 2, True, SPAN),
    }
    missing = Interpreter(_lead(values=(None, None, None), domains={2: None}))
    assert {name: missing.value(e) for name, e in exprs.items()} == dict.fromkeys(exprs)
    assert missing.value(n.Presence(employees, True, SPAN)) is False
    assert missing.value(n.Presence(cancelled, False, SPAN)) is True
    present = Interpreter(_lead(values=(5, "axe", "a@b.c"), domains={2: "b.c"}))
    assert {name: present.value(e) for name, e in exprs.items()} == {
        "compare": True, "in": True, "text": True, "linear": Decimal(2), "domain": "b.c"}
    assert present.value(n.InSet(title, ("axe",), True, False, SPAN)) is False


def test_named_values_and_counts_are_read_not_recomputed() -> None:
    slot = n.EventSlot("visit", Window(7, "days", 7 * 86400), 1, 0)
    lead = _lead(counts=(9, 0), scores=(Decimal("2.5"),), bands=(None,), conditions=(True,))
    interpreter = Interpreter(lead)
    assert interpreter.value(n.EventAggregate(slot, SPAN)) == 0
    assert interpreter.value(n.HasEvent(slot, SPAN)) is False
    assert interpreter.value(n.ScoreRef("fit", 0, SPAN)) == Decimal("2.5")
    assert interpreter.value(n.BandRef("grade", 0, SPAN)) is None
    assert interpreter.value(n.ConditionRef("c", 0, False, SPAN)) is True
    assert interpreter.value(n.Compare("<", n.ScoreRef("fit", 0, SPAN), n.Const(Decimal(3), "number", SPAN),
                                       False, SPAN)) is True


def test_every_decision_agrees_with_the_compiled_trace() -> None:
    evaluator = compile_model(_model())
    plan = evaluator.generated.plan
    field_index = {f.name: i for i, f in enumerate(plan.fields)}
    seen: set[bool | None] = set()
    for lead in LEADS:
        record, valid, trace, _ = evaluator.trace(lead, AS_OF)
        assert valid is not None and trace is not None, record
        domains = {field_index[name]: d for name, d in zip(plan.email_fields, trace.domains, strict=True)}
        interpreter = Interpreter(LeadValues(valid.values, trace.counts, domains, trace.scores, trace.bands,
                                             trace.conditions))
        pairs = [(c.expr, t) for c, t in zip(plan.conditions.values(), trace.conditions, strict=True)]
        pairs += [(d.condition, t) for d, t in zip(plan.funnel.disqualifiers, trace.disqualifiers, strict=True)]
        pairs += [(c.condition, t) for c, t in zip(plan.funnel.ladder, trace.criteria, strict=True)]
        for route, entries in zip(plan.funnel.routes, trace.routes, strict=True):
            pairs += [(e.condition, t) for e, t in zip(route.entries, entries, strict=True) if e.condition is not None]
        assert len(pairs) == 4 + 2 + 2 + 2
        for node, traced in pairs:
            value = interpreter.value(node)
            assert (type(value), value) == (type(traced), traced), (lead["id"], node)
        for (_, _, rule), (fired, _) in zip(evaluator.generated.rules, trace.rule_points, strict=True):
            if isinstance(rule, p.IfPoints):
                assert (interpreter.value(rule.condition) is True) == fired, (lead["id"], rule)
        seen.update(trace.conditions)
    assert seen == {True, False, None}  # the leads reach every truth value

"""The lowered plan: a closed vocabulary that every emitter must handle, and the analyses
computed once at lowering."""

from __future__ import annotations

import typing
from decimal import Decimal

import pytest

from leadrules.check import check
from leadrules.ir import lower
from leadrules.ir import nodes as n
from leadrules.ir.analyses import fields_read, slots_read, walk
from leadrules.ir.emitter import ExprEmitter
from leadrules.source import SourceFile
from leadrules.syntax import parse
from plan_texts import PLAN_RULES

RULES = PLAN_RULES


def _plan():  # type: ignore[no-untyped-def]
    module, diagnostics = parse(SourceFile("plan.rules", RULES))
    assert module is not None, diagnostics
    model, diagnostics = check(module)
    assert model is not None, diagnostics
    return lower(model)


NODE_TYPES = typing.get_args(n.Node)


def test_every_node_type_dispatches_to_its_own_abstract_method() -> None:
    abstract = set(ExprEmitter.__abstractmethods__)
    called: list[str] = []

    class Recorder(ExprEmitter[str]):
        pass

    for name in abstract:
        setattr(Recorder, name, lambda self, node, name=name: called.append(name) or name)
    Recorder.__abstractmethods__ = frozenset()
    recorder = Recorder()
    plan = _plan()
    seen = {type(x): x for c in plan.conditions.values() for x in walk(c.expr)}
    for d in plan.funnel.disqualifiers:
        seen.update({type(x): x for x in walk(d.condition)})
    for c in plan.funnel.ladder:
        seen.update({type(x): x for x in walk(c.condition)})
    results = {t: node.accept(recorder) for t, node in seen.items()}
    # each node type reaches a distinct method, and there is one method per node type
    assert len(set(results.values())) == len(results)
    assert len(abstract) == len(NODE_TYPES)


def test_an_emitter_missing_one_operation_cannot_be_instantiated() -> None:
    for missing in sorted(ExprEmitter.__abstractmethods__):
        methods = {name: (lambda self, node: None) for name in ExprEmitter.__abstractmethods__ if name != missing}
        incomplete = type("Incomplete", (ExprEmitter,), methods)
        with pytest.raises(TypeError, match=missing):
            incomplete()


def test_lowering_resolves_slots_nullability_and_uses_once() -> None:
    plan = _plan()
    # first-use order: conditions, if-rule conditions, disqualifiers, criteria, routes, per-event rules
    assert [(s.event, s.seconds) for s in plan.slots] == [
        ("visit", 7 * 86400), ("demo", None), ("demo", 14 * 86400), ("visit", 30 * 86400)]
    assert [s.event_index for s in plan.slots] == [1, 0, 0, 1]
    assert plan.email_fields == ("email",)
    busy = plan.conditions["busy"].expr
    # the cancelled `employees - employees` still reads an optional field: unknown when missing
    assert isinstance(busy, n.Compare) and busy.nullable
    assert fields_read(busy) == frozenset({"employees"})
    assert [s.event for s in slots_read(busy)] == ["visit"]
    assert plan.conditions["senior"].nullable is False
    assert plan.scores["fit"].integral is False  # `per employees` multiplies a field
    assert plan.scores["intent"].integral is True
    assert plan.scores["intent"].minimum == Decimal(0) and plan.scores["intent"].maximum == Decimal(50)
    assert plan.uses[("score", "fit")] == frozenset({("condition", "senior")})
    assert plan.uses[("band", "grade")] == frozenset({("score", "fit")})
    assert plan.levels() == [[("condition", "senior"), ("condition", "busy"), ("score", "intent")],
                             [("score", "fit")], [("band", "grade")]]
    funnel = plan.funnel
    assert [(d.code, d.blocks) for d in funnel.disqualifiers] == [("gmail", None), ("student", 2)]
    assert funnel.first_blockable == 2
    assert [(c.stage, c.index) for c in funnel.ladder] == [("MQL", 1), ("SQL", 2)]
    route = funnel.route_for("SQL")
    assert route is not None and [e.target for e in route.entries] == ["AE"]
    assert route.otherwise is not None and route.otherwise.target == "SDR"
    assert plan.output.record_keys == ("id", "stage", "disqualified", "reasons", "blocked", "scores", "bands",
                                       "route")
    assert plan.output.csv_columns() == ["id", "stage", "disqualified", "reasons", "blocked", "route",
                                         "score.fit", "score.intent", "band.grade", "error"]

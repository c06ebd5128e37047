"""Property: the compiled evaluator and the reference interpreter agree on random small models
and random leads (missing values, numbers equal to thresholds, events exactly on window edges)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_interpreter import criterion_truths
from model_interpreter import evaluate as reference_evaluate

from leadrules import model as m
from leadrules.engine.python import compile_model
from leadrules.jsontext import dumps
from leadrules.source import Span

SPAN = Span("<generated>", 1, 1, 1, 1)
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
NUMBERS = [Decimal(x) for x in ("0", "1", "5", "10", "2.5", "-3")]
TEXTS = ["a", "b", "c", "ab", ""]
DAY = m.Window(1, "days", 86400)
MONTH = m.Window(30, "days", 30 * 86400)
WINDOWS = [None, DAY, MONTH]
EVENTS = ("ev1", "ev2")
DATES = [dt.date(2026, 1, 1), dt.date(2026, 6, 1)]
STAMPS = [AS_OF - dt.timedelta(days=1), AS_OF]


def fields(optional: list[bool]) -> dict[str, m.Field]:
    specs = [
        ("n", "integer", (), Decimal(-5), Decimal(20)),
        ("x", "number", (), None, None),
        ("t", "text", (), None, None),
        ("c", "choice", ("a", "b", "c"), None, None),
        ("flag", "boolean", (), None, None),
        ("mail", "email", (), None, None),
        ("d", "date", (), None, None),
        ("ts", "timestamp", (), None, None),
    ]
    return {
        name: m.Field(name, kind, opt, SPAN, choices, low, high)
        for (name, kind, choices, low, high), opt in zip(specs, optional, strict=True)
    }


class Names:
    """What an expression may refer to at the point it is generated."""

    def __init__(self, conditions: list[str], scores: list[str], bands: list[str]) -> None:
        self.conditions = conditions
        self.scores = scores
        self.bands = bands


def number_expr(draw: Any, names: Names, depth: int) -> m.Expr:
    options = ["const", "n", "x", "count"] + (["score"] if names.scores else []) + (["linear"] if depth < 2 else [])
    kind = draw(st.sampled_from(options))
    if kind == "const":
        return m.Const(draw(st.sampled_from(NUMBERS)), "number", SPAN)
    if kind in ("n", "x"):
        return m.FieldValue(kind, "number", SPAN)
    if kind == "count":
        return m.EventCount(draw(st.sampled_from(EVENTS)), draw(st.sampled_from(WINDOWS)), SPAN)
    if kind == "score":
        return m.ScoreValue(draw(st.sampled_from(names.scores)), SPAN)
    terms = draw(st.lists(st.tuples(st.sampled_from([Decimal(1), Decimal(-1), Decimal(2), Decimal("0.5")]),
                                    st.sampled_from(["n", "x", "count"] + (["score"] if names.scores else []))),
                          min_size=1, max_size=2))
    built = []
    for coefficient, term_kind in terms:
        term = number_expr(draw, Names([], names.scores, []), 9) if term_kind != "score" else \
            m.ScoreValue(draw(st.sampled_from(names.scores)), SPAN)
        if term_kind in ("n", "x"):
            term = m.FieldValue(term_kind, "number", SPAN)
        elif term_kind == "count":
            term = m.EventCount(draw(st.sampled_from(EVENTS)), draw(st.sampled_from(WINDOWS)), SPAN)
        built.append((coefficient, term))
    return m.Linear(tuple(built), draw(st.sampled_from(NUMBERS)), SPAN)


def text_expr(draw: Any, names: Names) -> m.Expr:
    options = ["const", "t", "c", "domain"] + (["band"] if names.bands else [])
    kind = draw(st.sampled_from(options))
    if kind == "const":
        return m.Const(draw(st.sampled_from(TEXTS + ["x.io"])), "text", SPAN)
    if kind in ("t", "c"):
        return m.FieldValue(kind, "text", SPAN)
    if kind == "domain":
        return m.EmailDomain("mail", SPAN)
    return m.BandValue(draw(st.sampled_from(names.bands)), SPAN)


def bool_expr(draw: Any, names: Names, depth: int = 0) -> m.Expr:
    leaves = ["compare_num", "compare_text", "in_text", "in_num", "text_test", "presence", "has", "flag",
              "const", "date", "stamp"] + (["condition"] if names.conditions else [])
    nodes = ["not", "and", "or"] if depth < 3 else []
    kind = draw(st.sampled_from(leaves + nodes))
    if kind == "compare_num":
        return m.Compare(draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="])),
                         number_expr(draw, names, depth), number_expr(draw, names, depth), SPAN)
    if kind == "compare_text":
        return m.Compare(draw(st.sampled_from(["==", "!="])), text_expr(draw, names), text_expr(draw, names), SPAN)
    if kind == "in_text":
        values = tuple(draw(st.lists(st.sampled_from(TEXTS + ["x.io", "A"]), min_size=1, max_size=3, unique=True)))
        return m.InSet(text_expr(draw, names), values, draw(st.booleans()), SPAN)
    if kind == "in_num":
        values = tuple(draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3, unique=True)))
        return m.InSet(number_expr(draw, names, depth), values, draw(st.booleans()), SPAN)
    if kind == "text_test":
        return m.TextTest(draw(st.sampled_from(["starts with", "ends with", "contains"])),
                          text_expr(draw, names), text_expr(draw, names), SPAN)
    if kind == "presence":
        subject = draw(st.sampled_from(["number", "text", "bool"]))
        inner = (number_expr(draw, names, depth) if subject == "number" else text_expr(draw, names)
                 if subject == "text" else bool_expr(draw, names, 3))
        return m.Presence(inner, draw(st.booleans()), SPAN)
    if kind == "has":
        return m.HasEvent(draw(st.sampled_from(EVENTS)), draw(st.sampled_from(WINDOWS)), SPAN)
    if kind == "flag":
        return m.FieldValue("flag", "boolean", SPAN)
    if kind == "const":
        return m.Const(draw(st.booleans()), "boolean", SPAN)
    if kind == "date":
        return m.Compare(draw(st.sampled_from(["<", ">=", "=="])), m.FieldValue("d", "date", SPAN),
                         m.Const(draw(st.sampled_from(DATES)), "date", SPAN), SPAN)
    if kind == "stamp":
        return m.Compare(draw(st.sampled_from(["<", ">=", "=="])), m.FieldValue("ts", "timestamp", SPAN),
                         m.Const(draw(st.sampled_from(STAMPS)), "timestamp", SPAN), SPAN)
    if kind == "condition":
        return m.ConditionValue(draw(st.sampled_from(names.conditions)), SPAN)
    if kind == "not":
        return m.Not(bool_expr(draw, names, depth + 1), SPAN)
    operands = tuple(bool_expr(draw, names, depth + 1) for _ in range(draw(st.integers(2, 3))))
    return (m.And if kind == "and" else m.Or)(operands, SPAN)


@st.composite
def models(draw: Any) -> m.CheckedModel:
    flds = fields(draw(st.lists(st.booleans(), min_size=8, max_size=8)))
    conditions: dict[str, m.Condition] = {}
    for i in range(draw(st.integers(0, 2))):
        name = f"cond{i}"
        conditions[name] = m.Condition(name, bool_expr(draw, Names(list(conditions), [], [])), SPAN)
    scores: dict[str, m.Score] = {}
    bands: dict[str, m.Band] = {}
    order: list[tuple[str, str]] = [("condition", name) for name in conditions]
    for i in range(draw(st.integers(0, 3))):
        name = f"score{i}"
        names = Names(list(conditions), list(scores), list(bands))
        rules: list[m.ScoreRule] = []
        for _ in range(draw(st.integers(0, 4))):
            points = draw(st.sampled_from([Decimal(10), Decimal(-5), Decimal("2.5"), Decimal(1)]))
            cap = draw(st.sampled_from([None, Decimal(5), Decimal(20)]))
            kind = draw(st.sampled_from(["if", "if", "event", "field"]))
            if kind == "if":
                rules.append(m.IfRule(draw(st.sampled_from([None, "lbl"])), points, bool_expr(draw, names), SPAN))
            elif kind == "event":
                rules.append(m.PerEventRule(None, points, draw(st.sampled_from(EVENTS)),
                                            draw(st.sampled_from(WINDOWS)), cap, SPAN))
            else:
                rules.append(m.PerFieldRule(None, points, "n", cap, SPAN))
        low = draw(st.sampled_from([None, Decimal(0), Decimal(5)]))
        high = draw(st.sampled_from([None, Decimal(10), Decimal(30)]))
        scores[name] = m.Score(name, low, high, tuple(rules), SPAN)
        order.append(("score", name))
        if draw(st.booleans()):
            entries = []
            for label in ("A", "B", "C")[: draw(st.integers(1, 3))]:
                entries.append(m.BandEntry(label, draw(st.sampled_from([None, Decimal(0), Decimal(5), Decimal(10)])),
                                           draw(st.sampled_from([None, Decimal(5), Decimal(10), Decimal(20)])), SPAN))
            band_name = f"band{i}"
            bands[band_name] = m.Band(band_name, name, tuple(entries), SPAN)
            order.append(("band", band_name))
    everything = Names(list(conditions), list(scores), list(bands))
    stages = ("Lead", "MQL", "SQL")
    disqualifiers = tuple(
        m.Disqualifier(f"dq{i}", f"reason {i}", draw(st.sampled_from([None, None, "MQL", "SQL"])),
                       bool_expr(draw, everything), SPAN)
        for i in range(draw(st.integers(0, 3)))
    )
    criteria = {
        stage: m.StageCriterion(stage, bool_expr(draw, everything), SPAN)
        for stage in ("MQL", "SQL") if draw(st.integers(0, 4)) > 0
    }
    routes = {}
    for stage in ("Lead", "MQL", "SQL", m.DISQUALIFIED):
        if draw(st.booleans()):
            entries = tuple(m.RouteEntry(f"team-{stage}-{j}", bool_expr(draw, everything), SPAN)
                            for j in range(draw(st.integers(0, 2))))
            otherwise = m.RouteEntry(f"default-{stage}", None, SPAN) if draw(st.booleans()) else None
            routes[stage] = m.Route(stage, entries, otherwise, SPAN)
    return m.CheckedModel(
        path="<generated>", name="generated", version="1", owner=None, description=None, fields=flds,
        events={e: SPAN for e in EVENTS}, lists={}, conditions=conditions, scores=scores, bands=bands,
        disqualifiers=disqualifiers, stages=stages, handoff="SQL", criteria=criteria, routes=routes, tests=(),
        order=tuple(order),
        # each item may read any item before it: a safe over-approximation of what it reads
        uses={item: frozenset(order[:i]) for i, item in enumerate(order)},
    )


def _stamp(instant: dt.datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


EDGE_OFFSETS = [dt.timedelta(0), dt.timedelta(seconds=1), -dt.timedelta(seconds=1), -dt.timedelta(days=1),
                -dt.timedelta(days=1) + dt.timedelta(seconds=1), -dt.timedelta(days=30),
                -dt.timedelta(days=30) + dt.timedelta(seconds=1), -dt.timedelta(days=400)]


@st.composite
def leads(draw: Any) -> dict[str, Any]:
    def maybe(values: st.SearchStrategy[Any]) -> Any:
        return draw(st.one_of(st.just("<absent>"), st.none(), values))

    raw = {
        "n": maybe(st.sampled_from([-5, 0, 1, 5, 10, 20, 2.0])),
        "x": maybe(st.sampled_from([Decimal(x) for x in ("0", "1", "5", "10", "2.5", "-3", "4.99")])),
        "t": maybe(st.sampled_from(TEXTS + ["abc", "x.io"])),
        "c": maybe(st.sampled_from(["a", "b", "c"])),
        "flag": maybe(st.booleans()),
        "mail": maybe(st.sampled_from(["p@x.io", "p@X.IO", "nobody", "a@b@x.io", "q@"])),
        "d": maybe(st.sampled_from(["2026-01-01", "2026-06-01", "2025-12-31"])),
        "ts": maybe(st.sampled_from([_stamp(AS_OF), _stamp(AS_OF - dt.timedelta(days=1)), "2026-11-21T00:00:00+01:00"])),
    }
    lead = {k: v for k, v in raw.items() if v != "<absent>"}
    events = draw(st.lists(st.tuples(st.sampled_from(["ev1", "ev2", "other"]), st.sampled_from(EDGE_OFFSETS)),
                           max_size=6))
    lead["events"] = [{"type": t, "at": _stamp(AS_OF + offset)} for t, offset in events]
    if draw(st.booleans()):
        lead["id"] = draw(st.sampled_from(["L1", 7]))
    return lead


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(models(), st.lists(leads(), min_size=1, max_size=6))
def test_compiled_agrees_with_reference(model: m.CheckedModel, lead_list: list[dict[str, Any]]) -> None:
    evaluator = compile_model(model)
    for record, lead in enumerate(lead_list, 1):
        want = reference_evaluate(model, lead, AS_OF, record)
        got = evaluator.evaluate(lead, AS_OF, record=record)
        assert dumps(got) == dumps(want), evaluator.source
        explained = evaluator.explain(lead, AS_OF, record=record)
        assert dumps(explained.record) == dumps(want)
        if "error" not in want:
            assert explained.criteria == criterion_truths(model, lead, AS_OF)
            for stage, truth in explained.criteria.items():
                clauses = explained.clauses(model, stage)
                if truth is True:
                    assert all(c.truth is True for c in clauses)
                if truth is False:
                    assert any(c.truth is False for c in clauses)


@settings(max_examples=30, deadline=None)
@given(models())
def test_generated_source_holds_no_rule_text(model: m.CheckedModel) -> None:
    """Names, labels and values from the rule file reach generated code only as constants."""
    source = compile_model(model).source
    for word in ["score0", "cond0", "dq0", "team-", "ev1", "MQL", "Disqualified", "x.io", "reason 0"]:
        assert word not in source

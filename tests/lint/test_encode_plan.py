"""The z3 encoding is emitted from the lowered plan: model-expression queries and plan-node
queries are the same terms, scores and bands are defined as the evaluator computes them, the
funnel queries follow `plan.Funnel`, and the text and window analyses are exact."""

from __future__ import annotations

import pytest
import z3

from leadrules.errors import InternalError
from leadrules.ir import nodes as n
from leadrules.lint.encode import Encoding, encode, text_uses, used_windows
from plan_texts import PLAN_RULES

from .helpers import model_of

RULES = PLAN_RULES
DAY = 86_400


def _valid(enc: Encoding, claim: z3.BoolRef) -> bool:
    """The claim holds for every lead the encoding admits."""
    solver = z3.Solver()
    solver.add(*enc.base, z3.Not(claim))
    return bool(solver.check() == z3.unsat)


def test_model_expressions_and_plan_nodes_give_the_same_terms() -> None:
    model = model_of(RULES)
    enc = encode(model)
    funnel = enc.plan.funnel
    for d, lowered in zip(model.disqualifiers, funnel.disqualifiers, strict=True):
        assert enc.cond(d.condition) is enc.cond_of(lowered.condition)
        assert enc.fires(d).eq(enc.cond_of(lowered.condition).true)
    for criterion in funnel.ladder:
        assert enc.cond(model.criteria[criterion.stage].condition) is enc.cond_of(criterion.condition)
    assert enc.cond(model.conditions["senior"].expr) is enc.cond_of(enc.plan.conditions["senior"].expr)


def test_a_node_that_is_never_boolean_is_an_internal_error() -> None:
    enc = encode(model_of(RULES))
    busy = enc.plan.conditions["busy"].expr
    assert isinstance(busy, n.Compare) and isinstance(busy.left, n.Linear)
    with pytest.raises(InternalError, match="not a condition: Linear"):
        enc.cond_of(busy.left)
    with pytest.raises(InternalError, match="not a condition: ScoreRef"):
        enc.cond_of(enc.plan.bands["grade"].score)


def test_scores_and_bands_are_the_evaluators() -> None:
    model = model_of(RULES)
    enc = encode(model)
    role = enc.fields["role"]
    assert role.labels is not None
    sql = enc.plan.funnel.ladder[1].condition
    assert isinstance(sql, n.Any) and isinstance(sql.operands[0], n.Compare)
    grade = enc.val_of(sql.operands[0].left)
    solver = z3.Solver()
    solver.add(*enc.base, role.value == role.labels.index("vp"), enc.fields["employees"].present,
               enc.fields["employees"].value == 3, enc.counts[("visit", 30 * DAY)] == 7,
               enc.counts[("demo", None)] == 2)
    assert solver.check() == z3.sat
    solution = solver.model()
    # fit: 10 (senior) + min(2 × 7, 10) + min(1 × 3, 5); intent: 5 + 3 × 2
    assert solution.eval(enc.scores["fit"]) == z3.RealVal(23)
    assert solution.eval(enc.scores["intent"]) == z3.RealVal(11)
    assert z3.is_true(solution.eval(grade.known))
    assert enc.band_labels["grade"][solution.eval(grade.value).as_long()] == "A"


def test_funnel_queries_follow_the_plan() -> None:
    model = model_of(RULES)
    enc = encode(model)
    student = model.disqualifiers[1]
    assert _valid(enc, enc.blocked("SQL") == enc.fires(student))
    assert _valid(enc, z3.Not(enc.blocked("MQL")))
    assert z3.is_false(enc.qualifies("Lead"))  # the entry stage has no criterion
    stages = [enc.ends_in(s) for s in ("Disqualified", *model.stages)]
    assert _valid(enc, z3.Sum([z3.If(s, 1, 0) for s in stages]) == 1)
    route = model.routes["SQL"]
    revenue = enc.fields["revenue"].value
    assert _valid(enc, enc.selects(route, 0) == z3.And(enc.ends_in("SQL"), revenue > 1000000))


def test_text_uses_and_windows_are_read_off_the_plan() -> None:
    model = model_of(RULES)
    assert text_uses(model) == {("field", "role"): {"vp", "cxo", "student"}, ("domain", "email"): {"gmail.com"},
                                ("band", "grade"): {"A"}}
    assert used_windows(model) == {"demo": {None, 14 * DAY}, "visit": {None, 7 * DAY, 30 * DAY}}
    other = model_of('ruleset "r" version "1"\nfield email: email\nfield name: text optional\n'
                     'disqualify a "a" if email contains "sales" and email.domain in ["acme.com"]\n'
                     'disqualify b "b" if name is missing\n')
    assert text_uses(other) == {("field", "email"): None, ("domain", "email"): {"acme.com"}, ("field", "name"): set()}
    assert used_windows(other) == {}

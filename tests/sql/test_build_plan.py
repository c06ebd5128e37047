"""The SQL builder emits from the lowered plan: its columns, counters and funnel are the plan's."""

from __future__ import annotations

import pytest
from sqlglot import exp

from leadrules import model as m
from leadrules.check import check
from leadrules.engine.sql import build
from leadrules.engine.sql.build import SqlExpressions, build_query
from leadrules.engine.sql.dialects import Dialect, profile_for
from leadrules.engine.sql.render import render
from leadrules.ir import lower
from leadrules.source import SourceFile
from leadrules.syntax import parse

# `late` is written before `early` but blocks a later stage; the counters are numbered by first
# use (condition, disqualifiers, criteria), so `demo in last 7 days` comes before `demo`
RULES = '''ruleset "plan-sql" version "1"
field email: email
field role: text optional
event visit
event demo
condition active = count(visit) >= 2
score fit (max 20):
    +5 if active
    +3 per demo (max 9)
band grade of fit:
    "A" from 10
    "B" to 10
stages Lead -> MQL -> SQL
disqualify late "late" at SQL if role == "x"
disqualify early "early" at MQL if has demo in last 7 days
disqualify free "free" if email.domain == "gmail.com"
stage MQL if active
stage SQL if has demo
route SQL:
    to "AE" if grade == "A"
    otherwise to "SDR"
'''


def _model() -> m.CheckedModel:
    module, diagnostics = parse(SourceFile("plan-sql.rules", RULES))
    assert module is not None, diagnostics
    model, diagnostics = check(module)
    assert model is not None, diagnostics
    return model


def _cte(select: exp.Select, name: str) -> exp.Select:
    found = next(cte.this for cte in select.ctes if cte.alias == name)
    assert isinstance(found, exp.Select)
    return found


def test_a_plan_passed_in_is_used_instead_of_lowering_again(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model()
    profile = profile_for(Dialect.POSTGRES)
    expected = render(build_query(model, profile).select, profile)
    plan = lower(model)

    def no_lowering(_: m.CheckedModel) -> None:
        raise AssertionError("lowered again")

    monkeypatch.setattr(build, "lower", no_lowering)
    assert render(build_query(model, profile, plan=plan).select, profile) == expected


def test_output_columns_are_the_plans_sql_columns() -> None:
    model = _model()
    compiled = build_query(model, profile_for(Dialect.DUCKDB))
    assert compiled.columns == lower(model).output.sql_columns == (
        "id", "stage", "disqualified", "reasons", "blocked", "route", "score_fit", "band_grade")
    assert tuple(compiled.select.named_selects) == compiled.columns


def test_counters_and_domains_follow_the_plans_first_use_order() -> None:
    model = _model()
    plan = lower(model)
    assert [(s.event, s.seconds) for s in plan.slots] == [("visit", None), ("demo", 604800), ("demo", None)]
    assert plan.email_fields == ("email",)
    select = build_query(model, profile_for(Dialect.DUCKDB)).select
    assert _cte(select, "lr_event_counts").named_selects == ["lr_key", "e0_visit", "e1_demo", "e2_demo"]
    assert _cte(select, "lr_input").named_selects == [
        "lr_id", "f0_email", "f1_role", "m0_email", "e0_visit", "e1_demo", "e2_demo"]


def test_scoped_disqualifiers_block_their_stage_and_later_ones_in_stage_order() -> None:
    profile = profile_for(Dialect.DUCKDB)
    decision = _cte(build_query(_model(), profile).select, "lr_decision")
    criteria = {e.alias: render(e.this, profile, pretty=False) for e in decision.expressions if e.alias.startswith("g")}
    assert criteria == {
        "g1_MQL": "COALESCE(c0_active, FALSE) AND NOT d1_early",
        "g2_SQL": "COALESCE(e2_demo > 0, FALSE) AND NOT d1_early AND NOT d0_late",
    }


def test_a_dialect_without_lateral_aliases_reads_the_flags_from_a_cte_of_their_own() -> None:
    select = build_query(_model(), profile_for(Dialect.BIGQUERY)).select
    assert [cte.alias for cte in select.ctes] == [
        "lr_params", "lr_event_counts", "lr_input", "lr_step1", "lr_step2", "lr_step3",
        "lr_disqualifiers", "lr_decision"]
    assert _cte(select, "lr_disqualifiers").named_selects == ["*", "d0_late", "d1_early", "d2_free"]


def test_every_node_of_the_plan_becomes_a_fresh_tree() -> None:
    # a sqlglot node has one parent: emitting the same plan node twice gives two trees
    plan = lower(_model())
    emitter = SqlExpressions(profile_for(Dialect.DUCKDB), {"email": "m0_email"})
    condition = plan.funnel.disqualifiers[2].condition
    first, second = condition.accept(emitter), condition.accept(emitter)
    assert first == second and first is not second
    assert render(first, profile_for(Dialect.DUCKDB), pretty=False) == "m0_email = 'gmail.com'"

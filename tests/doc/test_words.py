"""The English printer of `leadrules doc`: one exact sentence per model expression kind, and the
phrasing hints the syntax tree gives back (named lists, `between`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leadrules import model as m
from leadrules.doc.words import (
    article,
    condition_words,
    phrasing_of,
    rule_words,
    show_value,
    value_words,
)
from leadrules.source import SourceFile, Span
from leadrules.syntax import parse
from leadrules.workspace import load_source

SPAN = Span("t.rules", 1, 1, 1, 2)
D = Decimal
FIT = m.ScoreValue("fit", SPAN)
ROLE = m.FieldValue("role", "text", SPAN)
EMPLOYEES = m.FieldValue("employees", "number", SPAN)
CREATED = m.FieldValue("created_at", "date", SPAN)
OPTED_OUT = m.FieldValue("opted_out", "boolean", SPAN)
GRADE = m.BandValue("fit_grade", SPAN)
DAYS_30 = m.Window(30, "days", 30 * 86400)


def num(value: int | str) -> m.Const:
    return m.Const(D(value), "number", SPAN)


def text(value: str) -> m.Const:
    return m.Const(value, "text", SPAN)


@pytest.mark.parametrize(("expr", "expected"), [
    (num(30), "30"),
    (m.Const(D("12.50"), "number", SPAN), "12.5"),
    (text("saas"), "saas"),
    (text("two words"), '"two words"'),
    (m.Const(dt.date(2026, 11, 22), "date", SPAN), "2026-11-22"),
    (m.Const(dt.datetime(2026, 11, 22, 10, tzinfo=dt.timezone.utc), "timestamp", SPAN), "2026-11-22T10:00:00Z"),
    (ROLE, "its role"),
    (m.EmailDomain("work_email", SPAN), "its work email domain"),
    (FIT, "its fit"),
    (GRADE, "its fit grade"),
    (m.EventCount("pricing_page_view", DAYS_30, SPAN), "the number of pricing_page_view events in the last 30 days"),
    (m.EventCount("login", None, SPAN), "the number of login events"),
    (m.Linear(((D(1), FIT), (D(2), m.ScoreValue("engagement", SPAN))), D(-10), SPAN),
     "its fit plus 2 times its engagement minus 10"),
    (m.Linear(((D(-1), FIT),), D(5), SPAN), "minus its fit plus 5"),
    (m.Linear(((D(0), EMPLOYEES), (D(1), FIT)), D(0), SPAN), "0 times its employees plus its fit"),
    (m.ConditionValue("hand_raised", SPAN), "whether it meets the hand raised condition"),
])
def test_value_words(expr: m.Expr, expected: str) -> None:
    assert value_words(expr) == expected


@pytest.mark.parametrize(("expr", "expected"), [
    (m.Const(True, "boolean", SPAN), "always"),
    (m.Const(False, "boolean", SPAN), "never"),
    (OPTED_OUT, "opted out is true"),
    (m.ConditionValue("decision_maker", SPAN), "it meets the decision maker condition"),
    (m.HasEvent("pricing_page_view", DAYS_30, SPAN), "it has had a pricing_page_view in the last 30 days"),
    (m.HasEvent("upgrade_clicked", m.Window(1, "weeks", 604800), SPAN), "it has had an upgrade_clicked in the last week"),
    (m.HasEvent("demo_request", None, SPAN), "it has had a demo_request"),
    (m.Compare(">=", FIT, num(30), SPAN), "its fit is at least 30"),
    (m.Compare(">", FIT, num(30), SPAN), "its fit is more than 30"),
    (m.Compare("<", FIT, num(30), SPAN), "its fit is less than 30"),
    (m.Compare("<=", FIT, num(30), SPAN), "its fit is at most 30"),
    (m.Compare("==", ROLE, text("manager"), SPAN), "its role is manager"),
    (m.Compare("!=", ROLE, text("manager"), SPAN), "its role is not manager"),
    (m.Compare("<=", num(30), FIT, SPAN), "its fit is at least 30"),
    (m.Compare(">=", CREATED, m.Const(dt.date(2026, 1, 1), "date", SPAN), SPAN), "its created at is on or after 2026-01-01"),
    (m.Compare("<", CREATED, m.Const(dt.date(2026, 1, 1), "date", SPAN), SPAN), "its created at is before 2026-01-01"),
    (m.Compare(">=", m.EventCount("careers_page_view", DAYS_30, SPAN), num(3), SPAN),
     "the number of careers_page_view events in the last 30 days is at least 3"),
    (m.InSet(GRADE, ("A", "B"), False, SPAN), "its fit grade is A or B"),
    (m.InSet(GRADE, ("A",), False, SPAN), "its fit grade is A"),
    (m.InSet(ROLE, ("director", "vp", "cxo"), False, SPAN), "its role is one of director, vp or cxo"),
    (m.InSet(ROLE, ("director", "vp", "cxo"), True, SPAN), "its role is not one of director, vp or cxo"),
    (m.InSet(GRADE, ("C", "D"), True, SPAN), "its fit grade is neither C nor D"),
    (m.InSet(EMPLOYEES, (D(1), D(2)), False, SPAN), "its employees is 1 or 2"),
    (m.TextTest("starts with", ROLE, text("vp_"), SPAN), "its role starts with vp_"),
    (m.TextTest("ends with", m.EmailDomain("email", SPAN), text(".edu"), SPAN), 'its email domain ends with ".edu"'),
    (m.TextTest("contains", ROLE, text("head of"), SPAN), 'its role contains "head of"'),
    (m.Presence(m.FieldValue("annual_revenue", "number", SPAN), False, SPAN), "its annual revenue is missing"),
    (m.Presence(m.FieldValue("annual_revenue", "number", SPAN), True, SPAN), "its annual revenue is present"),
    (m.Not(m.Compare(">=", FIT, num(50), SPAN), SPAN), "its fit is less than 50"),
    (m.Not(m.InSet(GRADE, ("A", "B"), False, SPAN), SPAN), "its fit grade is neither A nor B"),
    (m.Not(m.InSet(GRADE, ("A", "B"), True, SPAN), SPAN), "its fit grade is A or B"),
    (m.Not(m.TextTest("starts with", ROLE, text("vp"), SPAN), SPAN), "its role does not start with vp"),
    (m.Not(m.Presence(ROLE, True, SPAN), SPAN), "its role is missing"),
    (m.Not(m.HasEvent("login", DAYS_30, SPAN), SPAN), "it has had no login in the last 30 days"),
    (m.Not(m.ConditionValue("business_email", SPAN), SPAN), "it does not meet the business email condition"),
    (m.Not(OPTED_OUT, SPAN), "opted out is false"),
    (m.Not(m.Not(OPTED_OUT, SPAN), SPAN), "opted out is true"),
    (m.Not(m.Const(True, "boolean", SPAN), SPAN), "never"),
    (m.Not(m.And((OPTED_OUT, m.HasEvent("login", None, SPAN)), SPAN), SPAN),
     "it is not the case that (opted out is true and it has had a login)"),
    (m.And((m.InSet(GRADE, ("A", "B"), False, SPAN), m.Compare(">=", m.ScoreValue("engagement", SPAN), num(30), SPAN)),
           SPAN),
     "its fit grade is A or B and its engagement is at least 30"),
    (m.And((OPTED_OUT, m.HasEvent("a_b", None, SPAN), m.HasEvent("c", None, SPAN)), SPAN),
     "opted out is true, it has had an a_b and it has had a c"),
    (m.Or((m.ConditionValue("hand_raised", SPAN),
           m.And((m.Compare(">=", FIT, num(80), SPAN), m.ConditionValue("team", SPAN)), SPAN)), SPAN),
     "it meets the hand raised condition or (its fit is at least 80 and it meets the team condition)"),
    (m.And((m.Or((OPTED_OUT, m.HasEvent("login", None, SPAN)), SPAN), m.Compare("<", FIT, num(1), SPAN)), SPAN),
     "(opted out is true or it has had a login) and its fit is less than 1"),
])
def test_condition_words(expr: m.Expr, expected: str) -> None:
    assert condition_words(expr) == expected


def test_every_model_expression_kind_has_words() -> None:
    kinds = {m.Const, m.FieldValue, m.EmailDomain, m.ScoreValue, m.BandValue, m.ConditionValue, m.EventCount,
             m.HasEvent, m.Linear, m.Compare, m.InSet, m.TextTest, m.Presence, m.Not, m.And, m.Or}
    assert kinds == set(m.Expr.__args__)  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="not a model expression: str"):
        condition_words("fit")  # type: ignore[arg-type]


@pytest.mark.parametrize(("word", "expected"), [
    ("MQL", "an"), ("SQL", "an"), ("PQL", "a"), ("Lead", "a"), ("Inquiry", "an"), ("upgrade_clicked", "an"),
])
def test_article(word: str, expected: str) -> None:
    assert article(word) == expected


def test_show_value_quotes_text_that_is_not_one_plain_word() -> None:
    assert show_value("") == '""'
    assert show_value("a|b") == '"a|b"'
    assert show_value(True) == "true"
    assert show_value(None) == "missing"


RULES = """\
ruleset "w" version "1"
field email: email
field employees: integer
field industry: text
field clicks: integer optional
event demo_request
list target = ["software", "fintech"]
score fit:
    +30 if employees between 50 and 5000
    +25 if industry in target
    +5 if industry not in ["retail"]
    +10 per demo_request in last 14 days (max 30)
    +2 per clicks (max 10)
stages Lead -> MQL
stage MQL if fit >= 30
"""


def test_syntax_tree_gives_back_between_and_list_names() -> None:
    loaded = load_source(SourceFile("w.rules", RULES))
    assert loaded.model is not None, loaded.diagnostics
    module, _ = parse(SourceFile("w.rules", RULES))
    assert module is not None
    hints = phrasing_of(module)
    rules = loaded.model.scores["fit"].rules
    assert [rule_words(rule, hints) for rule in rules] == [
        "when its employees is between 50 and 5000",
        "when its industry is in target (software or fintech)",
        "when its industry is not retail",
        "for each demo_request in the last 14 days",
        "for each unit of its clicks (none when it is missing)",
    ]
    # without the hints the model's own shape shows: two comparisons and an inlined list
    assert rule_words(rules[0]) == "when its employees is at least 50 and its employees is at most 5000"
    assert rule_words(rules[1]) == "when its industry is software or fintech"

"""Text compared only with literals is an enumeration; `.domain` is exact or "unknown"."""

from __future__ import annotations

from leadrules.config import Config
from leadrules.lint.context import LintContext

from .helpers import codes, evaluate, lint_text

HEADER = 'ruleset "r" version "1"\n'


def test_domain_literal_with_upper_case_never_matches() -> None:
    _, found = lint_text(HEADER + 'field email: email\ndisqualify up "Upper" if email.domain == "ACME.org"\n'
                         'disqualify low "Lower" if email.domain == "acme.org"\n')
    assert codes(found, "LR203") == [3]


def test_non_ascii_domain_can_match() -> None:
    _, found = lint_text(HEADER + 'field email: email\ndisqualify de "DE" if email.domain == "müller.de"\n')
    assert not codes(found, "LR203")
    _, found = lint_text(HEADER + 'field email: email\nstages Lead -> MQL\nstage MQL if email.domain == "müller.de"\n')
    assert not codes(found, "LR101")


def test_raw_email_and_domain_together_are_never_called_impossible() -> None:
    # "x@ACME.COM" ends with "@ACME.COM" and its domain is "acme.com": the disqualifier can
    # fire. z3 cannot lower-case, so the linter may call it unknown, never impossible.
    text = (HEADER + "field email: email\n"
            'disqualify comp "Competitor" if email ends with "@ACME.COM" and email.domain == "acme.com"\n')
    _, found = lint_text(text)
    assert not codes(found, "LR203")
    assert not codes(found, "LR403")


def test_raw_email_and_domain_witness_reproduces() -> None:
    text = (HEADER + "field email: email\nfield size: integer in 1..10\n"
            'disqualify comp "Competitor" if email contains "sales" and email.domain in ["acme.com", "b.io"]\n'
            'stages Lead -> MQL\nstage MQL if size > 5\n')
    model, found = lint_text(text)
    assert not codes(found, "LR203") and not codes(found, "LR901")
    ctx = LintContext.create(model, Config())
    fires = ctx.encoding.fires(model.disqualifiers[0])
    answer = ctx.ask(fires)
    assert answer.status == "sat"
    witness = ctx.witness_for(answer, (fires,))
    assert witness is not None
    assert evaluate(model, witness).fires == (True,)


def test_enumerated_text_and_bands_give_exact_answers() -> None:
    text = HEADER + """field country: text
field role: one of ["a", "b", "c"]
score fit:
    +10 if country in ["US", "DE"]
    +5 if role == "b"
band grade of fit:
    "A" from 10
    "B" to 10
stages Lead -> MQL -> SQL
stage MQL if grade == "A" and country != "US"
stage SQL if grade == "A" and country == "FR"
route MQL:
    to "x" if role in ["a", "b"]
    to "y" if country == "DE"
"""
    model, found = lint_text(text)
    assert codes(found, "LR101") == [12]  # FR earns at most 5: grade B
    assert not codes(found, "LR302")
    for d in found:
        if d.witness is not None:
            evaluate(model, d.witness)
    ctx = LintContext.create(model, Config())
    query = (ctx.encoding.ends_in("MQL"), ctx.encoding.cond(model.routes["MQL"].entries[1].condition).true)
    answer = ctx.ask(*query)
    witness = ctx.witness_for(answer, query)
    assert witness is not None
    outcome = evaluate(model, witness)
    assert outcome.record["stage"] == "MQL" and witness.lead["country"] == "DE"


def test_presence_of_the_email_does_not_need_its_text() -> None:
    text = (HEADER + "field email: email optional\n"
            'disqualify comp "Competitor" if email is present and email.domain in ["acme.com", "b.io"]\n'
            'disqualify none "No address" if email is present and email.domain is missing\n')
    model, found = lint_text(text)
    assert not found
    ctx = LintContext.create(model, Config())
    assert ctx.encoding.fields["email"].domain_labels is not None
    for disqualifier in model.disqualifiers:
        fires = ctx.encoding.fires(disqualifier)
        answer = ctx.ask(fires)
        witness = ctx.witness_for(answer, (fires,))
        assert witness is not None
        assert evaluate(model, witness).record["reasons"] == [disqualifier.code]

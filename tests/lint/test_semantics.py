"""Exactness of the encoding: three-valued logic, windows, caps, clamps, witnesses."""

from __future__ import annotations

from leadrules.config import Config
from leadrules.lint.context import SAT, LintContext

from .helpers import codes, evaluate, lint_text, model_of

HEAD = 'ruleset "t" version "1"\nfield employees: integer in 1..500\nfield revenue: number optional\n'


def test_criterion_only_missing_data_makes_unknown_is_unreachable() -> None:
    # revenue > 10 or not (revenue > 10) is never false, but unknown when revenue is missing
    text = HEAD + "stages Lead -> MQL -> SQL\nstage MQL if not (revenue > 10 or not revenue > 10)\n" \
        "stage SQL if employees >= 1\ndisqualify x \"X\" if employees == 3\n"
    _, found = lint_text(text)
    assert codes(found, "LR101") == [5]


def test_missing_makes_not_true_so_a_lead_is_unrouted() -> None:
    text = HEAD + "stages Lead -> MQL\nstage MQL if employees >= 1\ndisqualify x \"X\" if employees == 3\n" \
        "route MQL:\n    to \"big\" if revenue >= 100\n    to \"small\" if revenue < 100\n"
    model, found = lint_text(text)
    unrouted = [d for d in found if d.code == "LR303"]
    assert [d.span.line for d in unrouted] == [7]
    assert unrouted[0].witness is not None
    assert "revenue" not in unrouted[0].witness.lead  # only a missing revenue escapes both entries
    assert evaluate(model, unrouted[0].witness).record["route"] is None


def test_is_missing_is_never_unknown() -> None:
    text = HEAD + "stages Lead -> MQL\nstage MQL if revenue is missing or revenue is present\n" \
        "disqualify x \"X\" if revenue is missing and revenue is present\n"
    _, found = lint_text(text)
    assert codes(found, "LR203") == [6]
    assert codes(found, "LR101") == []


def test_window_count_within_total() -> None:
    text = HEAD + "event demo\nstages Lead -> MQL\nstage MQL if count(demo in last 7 days) >= 1 and not has demo\n" \
        "disqualify x \"X\" if employees == 3\n"
    _, found = lint_text(text)
    assert codes(found, "LR101") == [6]


def test_nested_windows_witness_places_events_in_the_right_window() -> None:
    text = HEAD + "event demo\nstages Lead -> MQL\n" \
        "stage MQL if count(demo in last 7 days) == 1 and count(demo in last 14 days) == 3 and count(demo) == 4\n" \
        "disqualify x \"X\" if employees == 3\nroute MQL:\n    to \"a\" if employees > 600\n"
    model, found = lint_text(text)
    unrouted = [d for d in found if d.code == "LR303"]
    assert unrouted and unrouted[0].witness is not None
    assert len(unrouted[0].witness.lead["events"]) == 4
    assert evaluate(model, unrouted[0].witness).record["stage"] == "MQL"


def test_threshold_above_sum_of_caps() -> None:
    text = HEAD + "event demo\nevent webinar\nscore engagement:\n    +10 per demo (max 20)\n" \
        "    +5 per webinar in last 30 days (max 15)\nstages Lead -> MQL\nstage MQL if engagement >= 36\n" \
        "disqualify x \"X\" if employees == 3\n"
    _, found = lint_text(text)
    assert codes(found, "LR101") == [10]
    text_ok = text.replace(">= 36", ">= 35")
    _, found = lint_text(text_ok)
    assert codes(found, "LR101") == []


def test_score_clamps_and_negative_points() -> None:
    text = HEAD + "score fit (min 0, max 30):\n    +50 if employees >= 100\n    -80 if employees < 10\n" \
        "stages Lead -> MQL -> SQL\nstage MQL if fit >= 30\nstage SQL if fit < 0\ndisqualify x \"X\" if employees == 3\n"
    _, found = lint_text(text)
    assert codes(found, "LR101") == [9]


def test_email_domain_missing_without_at() -> None:
    text = 'ruleset "t" version "1"\nfield email: email\nstages Lead -> MQL\n' \
        'stage MQL if email.domain is missing and email contains "x"\ndisqualify g "G" if email.domain == "gmail.com"\n'
    model, found = lint_text(text)
    assert codes(found, "LR101") == []
    ctx = LintContext.create(model, Config())
    answer = ctx.ask(ctx.encoding.ends_in("MQL"))
    assert answer.status == SAT
    witness = ctx.witness_for(answer, (ctx.encoding.ends_in("MQL"),))
    assert witness is not None and "@" not in witness.lead["email"] and "x" in witness.lead["email"]


def test_domain_is_lower_case() -> None:
    text = 'ruleset "t" version "1"\nfield email: email\nstages Lead -> MQL\nstage MQL if email.domain == "Acme.com"\n' \
        'disqualify g "G" if email.domain == "gmail.com"\n'
    _, found = lint_text(text)
    assert codes(found, "LR101") == [4]


def test_text_tests_are_exact() -> None:
    text = 'ruleset "t" version "1"\nfield industry: text\nstages Lead -> MQL -> SQL\n' \
        'stage MQL if industry starts with "soft" and industry ends with "ware"\n' \
        'stage SQL if industry starts with "ab" and industry == "xab"\ndisqualify g "G" if industry == "gov"\n'
    model, found = lint_text(text)
    assert codes(found, "LR101") == [5]
    skip = model_of(text)
    assert skip.criteria


def test_non_decimal_rational_is_re_solved() -> None:
    text = HEAD + "stages Lead -> MQL\nstage MQL if 3 * revenue > 1 and 3 * revenue < 1.000003\n" \
        "disqualify x \"X\" if employees == 3\nroute MQL:\n    to \"a\" if employees > 600\n"
    model, found = lint_text(text)
    unrouted = [d for d in found if d.code == "LR303"]
    assert unrouted and unrouted[0].witness is not None
    assert evaluate(model, unrouted[0].witness).record["stage"] == "MQL"

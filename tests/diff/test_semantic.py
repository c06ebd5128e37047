"""Golden pairs: one edit of a ruleset, the verdict of every outcome key and stage set, and
every witness evaluated with both versions by the Python engine."""

from __future__ import annotations

from leadrules.diff.semantic import SemanticDiff

from .helpers import BASE, diff, edit, model, reproduces


def verdicts(result: SemanticDiff) -> dict[str, str]:
    return {k.key: k.verdict for k in result.keys}


def set_verdicts(result: SemanticDiff) -> dict[str, str]:
    return {s.stage: s.verdict for s in result.stage_sets}


ALL_EQUIVALENT = {"validity": "equivalent", "stage": "equivalent", "disqualified": "equivalent",
                  "reasons": "equivalent", "blocked": "equivalent", "route": "equivalent",
                  "fit": "equivalent", "engagement": "equivalent", "grade": "equivalent"}
ALL_EQUAL = {"Lead": "equal", "MQL": "equal", "SQL": "equal", "Disqualified": "equal"}


def check_witnesses(result: SemanticDiff, old: str, new: str) -> None:
    """Every witness the diff reports reproduces under both versions."""
    for k in result.keys:
        if k.verdict == "changed":
            reproduces(k.evidence, old, new, k.key, k.kind)
    for s in result.stage_sets:
        if s.only_old is not None:
            a, b = reproduces(s.only_old, old, new, "stage", "outcome")
            assert a == s.stage and b != s.stage
        if s.only_new is not None:
            a, b = reproduces(s.only_new, old, new, "stage", "outcome")
            assert a != s.stage and b == s.stage


def test_threshold_lowered_makes_mql_looser() -> None:
    new = edit("engagement >= 30", "engagement >= 20")
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "stage": "changed"}
    assert set_verdicts(result) == {**ALL_EQUAL, "Lead": "stricter", "MQL": "looser"}
    check_witnesses(result, BASE, new)
    mql = next(s for s in result.stage_sets if s.stage == "MQL")
    assert mql.only_old is None and mql.only_new is not None
    assert (mql.only_new.old, mql.only_new.new) == ("Lead", "MQL")


def test_threshold_raised_makes_mql_stricter() -> None:
    new = edit("engagement >= 30", "engagement >= 40")
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "stage": "changed"}
    assert set_verdicts(result) == {**ALL_EQUAL, "Lead": "looser", "MQL": "stricter"}
    check_witnesses(result, BASE, new)


def test_global_disqualifier_added() -> None:
    new = edit('disqualify small', 'disqualify students "Students" if role == "student"\ndisqualify small')
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "stage": "changed", "disqualified": "changed",
                                "reasons": "changed", "route": "equivalent"}
    assert set_verdicts(result) == {**ALL_EQUAL, "Lead": "stricter", "Disqualified": "looser"}
    check_witnesses(result, BASE, new)
    reasons = result.key("reasons")
    assert reasons.evidence is not None and (reasons.evidence.old, reasons.evidence.new) == ([], ["students"])


def test_scoped_disqualifier_added() -> None:
    new = edit('disqualify small', 'disqualify unknown_country "No country" at MQL if country is missing\n'
                                   'disqualify small')
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "stage": "changed", "blocked": "changed", "route": "changed"}
    assert set_verdicts(result) == {**ALL_EQUAL, "Lead": "looser", "MQL": "stricter", "SQL": "stricter"}
    check_witnesses(result, BASE, new)
    blocked = result.key("blocked")
    assert blocked.evidence is not None and blocked.evidence.new == ["unknown_country", *blocked.evidence.old]


def test_disqualifier_removed() -> None:
    new = edit('disqualify competitor "Works for a competitor" if email.domain in ["rival.io"]\n', "")
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "stage": "changed", "disqualified": "changed",
                                "reasons": "changed", "route": "changed"}
    # a lead of the competitor now ends where its scores put it
    assert set_verdicts(result) == {"Lead": "looser", "MQL": "looser", "SQL": "looser", "Disqualified": "stricter"}
    check_witnesses(result, BASE, new)
    gone = next(s for s in result.stage_sets if s.stage == "Disqualified")
    assert gone.only_old is not None and gone.only_old.witness.lead["email"].endswith("@rival.io")


def test_route_reordered_same_set_different_winner() -> None:
    new = edit('''    to "emea" if country in ["GB", "DE"]
    to "na" if country in ["US"]''', '''    to "na" if country in ["US", "GB"]
    to "emea" if country in ["GB", "DE"]''')
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "route": "changed"}
    assert set_verdicts(result) == ALL_EQUAL
    check_witnesses(result, BASE, new)
    route = result.key("route")
    assert route.evidence is not None
    assert (route.evidence.old, route.evidence.new) == ("emea", "na")
    assert route.evidence.witness.lead["country"] == "GB"


def test_band_boundary_moved() -> None:
    new = edit('''    "B" from 20 to 50
    "C" to 20''', '''    "B" from 25 to 50
    "C" to 25''')
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "grade": "changed"}
    check_witnesses(result, BASE, new)
    grade = result.key("grade")
    assert grade.evidence is not None and (grade.evidence.old, grade.evidence.new) == ("B", "C")


def test_band_boundary_moved_where_no_score_lands_is_equivalent() -> None:
    # fit takes only the values 0, 20, 30 and 50: no lead scores in [45, 50)
    new = edit('''    "A" from 50
    "B" from 20 to 50''', '''    "A" from 45
    "B" from 20 to 45''')
    result = diff(BASE, new)
    assert verdicts(result) == ALL_EQUIVALENT


def test_field_made_optional_changes_validity() -> None:
    new = edit("field employees: integer in 1..100000", "field employees: integer in 1..100000 optional")
    result = diff(BASE, new)
    validity = result.key("validity")
    assert validity.verdict == "changed"
    assert validity.evidence is not None
    assert "employees" not in validity.evidence.witness.lead
    assert reproduces(validity.evidence, BASE, new, "validity", "validity") == (False, True)
    assert validity.evidence.detail == "OLD: employees: required, found nothing"


def test_one_of_value_removed_changes_validity() -> None:
    new = edit('"student", "engineer", "manager"', '"student", "manager"')
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "validity": "changed"}
    validity = result.key("validity")
    assert validity.evidence is not None and validity.evidence.witness.lead["role"] == "engineer"
    assert reproduces(validity.evidence, BASE, new, "validity", "validity") == (True, False)


def test_range_narrowed_changes_validity() -> None:
    new = edit("integer in 1..100000", "integer in 1..5000")
    result = diff(BASE, new)
    validity = result.key("validity")
    assert validity.verdict == "changed"
    assert reproduces(validity.evidence, BASE, new, "validity", "validity") == (True, False)


def test_field_added_changes_validity_and_nothing_else() -> None:
    new = edit("event webinar", "field budget_confirmed: boolean\nevent webinar")
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "validity": "changed"}
    validity = result.key("validity")
    assert validity.evidence is not None and "budget_confirmed" not in validity.evidence.witness.lead
    assert reproduces(validity.evidence, BASE, new, "validity", "validity") == (True, False)


def test_equivalent_rewrites() -> None:
    old = edit("+20 if employees >= 100", "+20 if employees between 100 and 100000")
    new = edit("stage MQL if fit >= 40 and engagement >= 30", "stage MQL if engagement >= 30 and fit >= 40")
    new = edit("+20 if employees >= 100", "+20 if employees >= 100 and employees <= 100000", new)
    new = edit('condition senior = role in ["manager", "director"]\n', "", new)
    new = edit("+30 if senior", '+30 if role in ["director", "manager"]', new)
    result = diff(old, new)
    assert verdicts(result) == ALL_EQUIVALENT
    assert set_verdicts(result) == ALL_EQUAL
    assert (result.added, result.removed) == ((), ())


def test_ruleset_against_itself_is_equivalent() -> None:
    result = diff(BASE, BASE)
    assert verdicts(result) == ALL_EQUIVALENT
    assert set_verdicts(result) == ALL_EQUAL


def test_scores_and_bands_in_one_version_only_are_added_or_removed() -> None:
    new = edit("band grade of fit:", "score intent:\n    +5 if has webinar\n\nband grade of fit:")
    new = edit('''band grade of fit:
    "A" from 50
    "B" from 20 to 50
    "C" to 20
''', "", new)
    result = diff(BASE, new)
    assert (result.added, result.removed) == (("intent",), ("grade",))
    assert "intent" not in verdicts(result) and "grade" not in verdicts(result)


def test_score_changed_witness_shows_both_values() -> None:
    new = edit("+20 if employees >= 100", "+25 if employees >= 100")
    result = diff(BASE, new)
    fit = result.key("fit")
    assert fit.verdict == "changed"
    old_value, new_value = reproduces(fit.evidence, BASE, new, "fit", "score")
    assert new_value - old_value == 5


def test_email_field_made_text_accepts_the_same_records() -> None:
    new = edit("field email: email", "field email: text")
    new = edit('email.domain in ["rival.io"]', 'email ends with "@rival.io"', new)
    result = diff(BASE, new)
    assert result.key("validity").verdict == "equivalent"


def test_one_of_values_reordered_accept_the_same_records() -> None:
    new = edit('["student", "engineer", "manager", "director"]', '["director", "manager", "engineer", "student"]')
    assert verdicts(diff(BASE, new)) == ALL_EQUIVALENT


def test_integer_field_made_number_changes_validity_only() -> None:
    new = edit("field employees: integer in 1..100000", "field employees: number in 1..100000")
    result = diff(BASE, new)
    assert verdicts(result) == {**ALL_EQUIVALENT, "validity": "changed"}
    assert reproduces(result.key("validity").evidence, BASE, new, "validity", "validity") == (False, True)


def test_sampled_leads_show_a_change_the_solver_is_not_asked_about() -> None:
    # the fallback used when the solver gives up: a lead built from the mentioned values
    from leadrules.diff.semantic import _Differ, _Joint
    from leadrules.engine.python import compile_model

    new = edit("engagement >= 30", "engagement >= 20")
    old_model, new_model = model(BASE), model(new)
    differ = _Differ(_Joint(old_model, new_model, 5000), compile_model(old_model), compile_model(new_model))
    evidence = differ.sampled("stage", "outcome", lambda a, b: a != b)
    assert evidence is not None
    reproduces(evidence, BASE, new, "stage", "outcome")
    assert differ.sampled("fit", "score", lambda a, b: a != b) is None

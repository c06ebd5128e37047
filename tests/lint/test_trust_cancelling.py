"""The linter reads cancelling arithmetic as the evaluator does: unknown when a term is missing."""

from __future__ import annotations

from trust_texts import CANCELLING

from .helpers import evaluate, lint_text


def test_no_false_unused_unreachable_or_always_firing_findings() -> None:
    # before cancelled terms were kept: LR501 for employees and visits, LR101 for MQL and
    # SQL, LR204 for junk (with a witness lead that junk does not disqualify)
    _, found = lint_text(CANCELLING)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("LR403", 6, 27, "`0 * employees == 0` is always true when its values are present"),
        ("LR403", 8, 27, "`0 * visits >= 0` is always true when its values are present"),
    ]


def test_cancelled_disqualifier_that_needs_its_field_is_reported_correctly() -> None:
    # `0 * visits < 0` is false whenever visits is present and unknown otherwise: it never fires
    text = CANCELLING.replace("0 * visits >= 0", "0 * visits < 0")
    _, found = lint_text(text)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("LR201", 5, 1, "handoff stage 'SQL' is not guarded by any disqualifier: "
                        "the disqualifiers that apply to it (junk) can never fire"),
        ("LR403", 6, 27, "`0 * employees == 0` is always true when its values are present"),
        ("LR203", 8, 1, "disqualifier 'junk' can never fire: `0 * visits < 0` is never true for a valid lead"),
        ("LR403", 8, 27, "`0 * visits < 0` is always false for a valid lead"),
    ]


def test_skip_witness_reproduces_with_cancelled_terms() -> None:
    text = CANCELLING.replace("stage MQL if size > 5 and", "stage MQL if size > 9 and")
    model, found = lint_text(text)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("LR101", 6, 1, "stage 'MQL' is unreachable: every lead that meets its criterion also reaches a later "
                        "stage (SQL)"),
        ("LR403", 6, 27, "`0 * employees == 0` is always true when its values are present"),
        ("LR102", 7, 1, "a lead can reach 'SQL' without meeting the criterion of 'MQL'"),
        ("LR403", 8, 27, "`0 * visits >= 0` is always true when its values are present"),
    ]
    witness = found[2].witness
    assert witness is not None
    outcome = evaluate(model, witness)
    # SQL reads employees: the witness must carry it, and the lead must really end in SQL
    assert outcome.record["stage"] == "SQL"
    assert witness.lead.get("employees") is not None
    assert witness.lead.get("visits") is None

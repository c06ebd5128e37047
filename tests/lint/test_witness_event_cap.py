"""A finding whose lead would need millions of events is reported without a witness, quickly,
instead of building the lead (the check used to run for minutes and take gigabytes)."""

from __future__ import annotations

import time

import pytest

from leadrules.lint.context import MAX_WITNESS_EVENTS

from .helpers import evaluate, lint_text

RULES = """ruleset "r" version "1"
event ev
score s:
    +{points} per ev
band g of s:
    "A" to 40
"""


def test_a_gap_that_needs_millions_of_events_is_reported_without_a_witness() -> None:
    started = time.monotonic()
    _, found = lint_text(RULES.format(points="0.000001"))
    assert time.monotonic() - started < 20
    assert [(d.code, d.span.line, d.span.column, d.message, d.witness) for d in found] == [(
        "LR305", 5, 1,
        "band 'g': a reachable value of s falls in no entry (uncovered: [40, ...)); a lead that shows it "
        f"needs more than {MAX_WITNESS_EVENTS} events of one kind, so none is given", None)]


@pytest.mark.parametrize(("points", "events"), [("1", 40), ("0.1", 400)])
def test_a_gap_within_the_cap_keeps_its_witness(points: str, events: int) -> None:
    _, found = lint_text(RULES.format(points=points))
    assert [(d.code, d.message) for d in found] == [
        ("LR305", "band 'g': s = 40 is reachable and falls in no entry (uncovered: [40, ...))")]
    witness = found[0].witness
    assert witness is not None
    assert len(witness.lead["events"]) == events
    assert evaluate(lint_text(RULES.format(points=points))[0], witness).bands["g"] is None

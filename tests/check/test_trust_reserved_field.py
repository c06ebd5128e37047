"""`events` is the lead record's list of events: a field of that name is LR005 at its name."""

from __future__ import annotations

import pytest

from leadrules.check import check
from leadrules.source import SourceFile
from leadrules.syntax import parse

HINT = ('rename the field; events are declared with `event NAME` and read from the record\'s "events" list')
MESSAGE = "'events' is reserved for the lead's list of events and cannot name a field"


def _check(text: str) -> list[tuple[str, int, int, int, int, str, str | None]]:
    module, found = parse(SourceFile("e.rules", text))
    assert module is not None and found == []
    model, found = check(module)
    assert (model is None) == bool(found)
    return [(d.code, d.span.line, d.span.column, d.span.end_line, d.span.end_column, d.message, d.hint)
            for d in found]


@pytest.mark.parametrize("declared", ["text", "integer optional", 'one of ["a"]', "boolean"])
def test_a_field_named_events_is_lr005(declared: str) -> None:
    text = f'ruleset "e" version "1"\nfield email: email\nfield  events: {declared}\nevent demo\n' \
           'score s:\n    +1 if events is present\n'
    assert _check(text) == [("LR005", 3, 8, 3, 14, MESSAGE, HINT)]


def test_other_uses_of_the_word_stay_valid() -> None:
    # an event type, a condition or a score may be called `events`: they are not record keys
    assert _check('ruleset "e" version "1"\nevent events\nscore s:\n    +1 per events\n') == []
    assert _check('ruleset "e" version "1"\nfield n: integer optional\ncondition events = n > 1\n') == []

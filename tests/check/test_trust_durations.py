"""A window is at most 100 years (spec section 9): longer is LR003 at check time, at the window."""

from __future__ import annotations

from leadrules.check import check
from leadrules.source import SourceFile
from leadrules.syntax import parse

LONG = """\
ruleset "long" version "1"
event demo
score s:
    +1 per demo in last 800000 days
    +2 if has demo in last 5219 weeks
    +3 if count(demo in last 876601 hours) > 1
    +4 per demo in last 1000000000 days
    +5 if has demo in last 36526 days
"""

HINT = "the longest window is 36525 days, 5218 weeks or 876600 hours; leave out `in last ...` to count every event"


def _check(text: str) -> list[tuple[str, int, int, int, int, str, str | None]]:
    module, diagnostics = parse(SourceFile("long.rules", text))
    assert module is not None and diagnostics == []
    model, diagnostics = check(module)
    assert model is None or diagnostics == []
    return [(d.code, d.span.line, d.span.column, d.span.end_line, d.span.end_column, d.message, d.hint)
            for d in diagnostics]


def test_windows_longer_than_100_years_are_lr003() -> None:
    assert _check(LONG) == [
        ("LR003", 4, 17, 4, 36, "duration of 800000 days is longer than 100 years (at most 36525 days)", HINT),
        ("LR003", 5, 20, 5, 38, "duration of 5219 weeks is longer than 100 years (at most 5218 weeks)", HINT),
        ("LR003", 6, 22, 6, 42, "duration of 876601 hours is longer than 100 years (at most 876600 hours)", HINT),
        ("LR003", 7, 17, 7, 40, "duration of 1000000000 days is longer than 100 years (at most 36525 days)", HINT),
        ("LR003", 8, 20, 8, 38, "duration of 36526 days is longer than 100 years (at most 36525 days)", HINT),
    ]


def test_the_longest_windows_are_accepted() -> None:
    text = ('ruleset "max" version "1"\nevent demo\nscore s:\n    +1 per demo in last 36525 days\n'
            "    +2 if has demo in last 5218 weeks\n    +3 if count(demo in last 876600 hours) > 1\n"
            "    +4 per demo in last 1 week\n")
    assert _check(text) == []

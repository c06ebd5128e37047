"""`fmt` keeps trailing comments on their statement's line, so `# noqa` still applies after it."""

from __future__ import annotations

from leadrules.check import check
from leadrules.config import Config
from leadrules.io.fmt import format_module
from leadrules.lint import lint
from leadrules.lint.noqa import apply_noqa, suppressed_codes
from leadrules.source import SourceFile
from leadrules.syntax import parse


def fmt(text: str) -> str:
    source = SourceFile("t.rules", text)
    module, diagnostics = parse(source)
    assert diagnostics == [] and module is not None
    return format_module(module, source)


def findings(text: str) -> list[tuple[str, int]]:
    """(code, line) of what `check` reports for `text`, after noqa."""
    source = SourceFile("t.rules", text)
    module, diagnostics = parse(source)
    assert module is not None and diagnostics == []
    model, errors = check(module)
    assert model is not None and errors == []
    return [(d.code, d.span.line) for d in apply_noqa(lint(model, Config()), source)]


ROUTES = '''ruleset "f" version "1"
field country: text
field employees: integer in 1..100000
stages Lead -> MQL
stage MQL if employees >= 10
disqualify tiny "Tiny" if employees < 2
route MQL:
    to "emea" if country in ["GB", "DE", "FR"]
    to "uk" if (country == "GB" or  # noqa: LR301
                country == "UK")  # British spelling too
    otherwise to "rest"
'''

ROUTES_FORMATTED = '''ruleset "f" version "1"

field country: text
field employees: integer in 1..100000

stages Lead -> MQL
stage MQL if employees >= 10

disqualify tiny "Tiny" if employees < 2

route MQL:
    to "emea" if country in ["GB", "DE", "FR"]
    to "uk" if country == "GB" or country == "UK"  # noqa: LR301  # British spelling too
    otherwise to "rest"
'''


def test_noqa_on_the_first_line_of_a_joined_entry_stays_on_its_line() -> None:
    assert fmt(ROUTES) == ROUTES_FORMATTED
    assert fmt(ROUTES_FORMATTED) == ROUTES_FORMATTED


def test_findings_and_noqa_are_the_same_before_and_after_fmt() -> None:
    # without the noqa, LR301 is reported at the `uk` entry
    assert findings(ROUTES.replace("  # noqa: LR301", "")) == [("LR301", 9)]
    assert findings(ROUTES) == []
    assert findings(ROUTES_FORMATTED) == []


def test_a_noqa_before_another_comment_on_one_line_still_applies() -> None:
    assert suppressed_codes('to "uk" if x  # noqa: LR301  # why') == frozenset({"LR301"})
    assert suppressed_codes("x  # why  # noqa: LR301, LR302") == frozenset({"LR301", "LR302"})
    assert suppressed_codes("x  # noqa: LR301  # noqa: LR302") == frozenset({"LR301", "LR302"})
    assert suppressed_codes("x  # noqa  # why") == frozenset()
    assert suppressed_codes('x == "# noqa"') is None  # inside a string
    assert suppressed_codes("x  # noqa because") is None  # not a directive


def test_trailing_comment_of_a_multi_line_header_stays_on_the_header() -> None:
    text = ('ruleset "x" version "1"\nfield a: integer\n'
            "score s (min 0,  # floor\n"
            "         max 10):  # noqa: LR305\n"
            "    +1 if a > 1\n")
    out = fmt(text)
    assert out == ('ruleset "x" version "1"\n\nfield a: integer\n\n'
                   "score s (min 0, max 10):  # floor  # noqa: LR305\n"
                   "    +1 if a > 1\n")
    assert fmt(out) == out


def test_comments_of_a_wrapped_lead_literal_stay_trailing() -> None:
    text = ('tests for "x.rules"\n'
            'test "t":\n'
            '    as of "2026-01-01T00:00:00Z"\n'
            '    lead {"a": 1,  # first\n'
            '          "b": 2}  # last\n'
            '    expect stage == "Lead"\n')
    out = fmt(text)
    assert out == ('tests for "x.rules"\n\n'
                   'test "t":\n'
                   '    as of "2026-01-01T00:00:00Z"\n'
                   '    lead {"a": 1, "b": 2}  # first  # last\n'
                   '    expect stage == "Lead"\n')
    assert fmt(out) == out

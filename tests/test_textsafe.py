"""Terminal control characters from rule files and lead data never reach a terminal raw: every
human-readable output shows them as visible escapes (textsafe.printable)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from leadrules.cli import cli, main
from leadrules.io.render import get_renderer
from leadrules.textsafe import printable
from leadrules.workspace import load_file, sources_for

ESC_CLEAR = "\x1b[2J\x1b]0;OWNED\x07"


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(("text", "shown"), [
    (ESC_CLEAR, "\\x1b[2J\\x1b]0;OWNED\\x07"),
    ("\x00\x01\x1f", "\\x00\\x01\\x1f"),
    ("a\nb\rc\td", "a\\nb\\rc\\td"),
    ("\x7f", "\\x7f"),
    ("\x80\x85\x9b\x9f", "\\x80\\x85\\x9b\\x9f"),
    ("\u202a\u202b\u202c\u202d\u202e", "\\u202a\\u202b\\u202c\\u202d\\u202e"),
    ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),
    ("\ud800", "\\ud800"),
    ("café ✓ 日本 \u00a0 \u2065 \u206a [red] :x:", "café ✓ 日本 \u00a0 \u2065 \u206a [red] :x:"),
    ("", ""),
])
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


BAD_RULES = ('ruleset "x" version "1"\nfield name: text\nfield seen: timestamp\n\nscore s:\n'
             '    +1 if name == "\u202e\x1b[2J" and seen > "\\u001b[2Jx"\n')


@pytest.fixture()
def bad_rules(tmp_path: Path) -> Path:
    path = tmp_path / "bad.rules"
    path.write_text(BAD_RULES, encoding="utf-8")
    return path


def test_text_renderer_escapes_message_and_source_line_with_carets_under_the_escaped_text(bad_rules: Path) -> None:
    loaded = load_file(bad_rules)
    sources = sources_for(loaded.diagnostics, {loaded.source.path: loaded.source})
    text = get_renderer("text")(loaded.diagnostics, sources)
    assert text == (
        f"{bad_rules}:6:38: LR003 error: '\\x1b[2Jx' is not a timestamp\n"
        "  |\n"
        '6 |     +1 if name == "\\u202e\\x1b[2J" and seen > "\\u001b[2Jx"\n'
        "  |                                              ^^^^^^^^^^^^\n"
        '  = help: write timestamps as "2026-11-22T10:00:00Z" or "2026-11-22 10:00"\n'
    )


def test_github_renderer_escapes_the_message(bad_rules: Path) -> None:
    loaded = load_file(bad_rules)
    text = get_renderer("github")(loaded.diagnostics, {})
    assert text == f"::error file={bad_rules},line=6,col=38,title=LR003::'\\x1b[2Jx' is not a timestamp\n"


def test_check_output_has_no_raw_control_character(bad_rules: Path) -> None:
    result = _invoke("check", str(bad_rules))
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert '6 |     +1 if name == "\\u202e\\x1b[2J" and seen > "\\u001b[2Jx"' in result.stdout.splitlines()


def test_test_output_escapes_the_name_and_the_lead_error(tmp_path: Path) -> None:
    path = tmp_path / "t.rules"
    path.write_text('ruleset "x" version "1"\nfield role: one of ["a"]\n\nscore s:\n    +1 if role == "a"\n\n'
                    'test "\\u001b[2J clears \\u202e":\n    as of "2026-11-22"\n'
                    '    lead {"role": "\\u009b\\u202eb"}\n    expect s == 1\n', encoding="utf-8")
    result = _invoke("test", str(path))
    assert result.exit_code == 1
    assert result.stdout == (
        f"FAIL {path}:7 \\x1b[2J clears \\u202e\n"
        '     the test lead is invalid: role: expected one of "a", found "\\x9b\\u202eb"\n'
        "0 passed, 1 failed\n"
    )


def test_eval_error_on_stderr_escapes_the_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text('ruleset "x" version "1"\nfield name: text\n', encoding="utf-8")
    missing = tmp_path / f"no{ESC_CLEAR}.jsonl"
    with pytest.raises(SystemExit) as stopped:
        main(["eval", str(rules), str(missing), "--as-of", "2026-11-22"])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"leadrules: error: {tmp_path}/no\\x1b[2J\\x1b]0;OWNED\\x07.jsonl: no such file\n"


def test_usage_error_on_stderr_escapes_the_argument(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["eval", "--x\x1b[2J\u202e"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "Error: No such option '--x\\x1b[2J\\u202e'."

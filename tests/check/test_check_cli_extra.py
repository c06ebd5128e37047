"""The check command: --emit-tests in the canonical layout, colour, --statistics, stdin, noqa warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

WIDE = """ruleset "e" version "1"
field country_of_registration: text
field number_of_employees: integer in 1..100000
field annual_recurring_revenue: number optional
field industry_vertical: one of ["saas", "fintech", "retail"]
event pricing_page_view
stages Lead -> MQL
stage MQL if number_of_employees >= 10 and industry_vertical == "saas"
disqualify tiny "Tiny" if number_of_employees < 2
route MQL:
    to "emea" if country_of_registration in ["GB", "DE", "FR"]
    to "uk" if country_of_registration == "GB"
"""


def leadrules(*args: str, stdin: str | None = None, cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadrules", *args], capture_output=True, text=True,
                          input=stdin, cwd=cwd, env=env, timeout=120)


@pytest.fixture()
def wide(tmp_path: Path) -> Path:
    path = tmp_path / "e.rules"
    path.write_text(WIDE)
    return path


def test_emitted_tests_are_in_the_canonical_layout(tmp_path: Path, wide: Path) -> None:
    out = tmp_path / "found.rules"
    leadrules("check", str(wide), "--emit-tests", str(out))
    assert out.read_text() == (
        'tests for "e.rules"\n'
        "\n"
        "test \"LR303 line 10: a lead can end in 'MQL' and match no route entry\":\n"
        '    as of "2026-11-22T00:00:00Z"\n'
        '    lead {"country_of_registration": "other", "number_of_employees": 100,\n'
        '          "industry_vertical": "saas", "events": []}\n'
        '    expect stage == "MQL"\n'
        "    expect route == null\n"
    )
    checked = leadrules("fmt", "--check", str(out))
    assert (checked.returncode, checked.stdout) == (0, "")
    assert leadrules("test", str(out)).returncode == 0


FUNNEL = """ruleset "f" version "1"
field country: text
field employees: integer in 1..100000
stages Lead -> MQL
stage MQL if employees >= 10
disqualify tiny "Tiny" if employees < 2
route MQL:
    to "emea" if country in ["GB", "DE", "FR"]
    to "uk" if country == "GB"
    to "enterprise" if employees >= 1000
"""


@pytest.fixture()
def funnel(tmp_path: Path) -> Path:
    path = tmp_path / "f.rules"
    path.write_text(FUNNEL)
    return path


def test_statistics_counts_findings_per_code(tmp_path: Path, funnel: Path) -> None:
    (tmp_path / "g.rules").write_text(FUNNEL.replace('"f"', '"g"'))
    proc = leadrules("check", "--statistics", "f.rules", "g.rules", "--ignore", "LR303", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ("2  LR301  warning  overlapping-routes\n"
                           "2  LR302  error    dead-route\n")
    assert proc.stderr == "2 file(s) checked, 2 error(s), 2 warning(s), 0 info\n"
    proc = leadrules("check", "--statistics", "--format", "json", "f.rules", cwd=tmp_path)
    assert json.loads(proc.stdout) == [
        {"code": "LR301", "name": "overlapping-routes", "severity": "warning", "count": 1},
        {"code": "LR302", "name": "dead-route", "severity": "error", "count": 1},
        {"code": "LR303", "name": "unrouted-lead", "severity": "warning", "count": 1},
    ]
    assert leadrules("check", "--statistics", "--format", "sarif", "f.rules", cwd=tmp_path).returncode == 2


def test_check_reads_standard_input(tmp_path: Path) -> None:
    proc = leadrules("check", "--format", "json", "-", stdin=FUNNEL, cwd=tmp_path)
    assert proc.returncode == 1
    assert [(d["file"], d["code"], d["line"]) for d in json.loads(proc.stdout)] == [
        ("<stdin>", "LR303", 7), ("<stdin>", "LR302", 9), ("<stdin>", "LR301", 10)]
    proc = leadrules("check", "-", stdin='ruleset "x" version "1"\nfield a: integr\n', cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == "<stdin>:2:10: LR002 error: unknown type 'integr' (did you mean 'integer'?)"
    # the configuration of the current folder applies
    (tmp_path / "leadrules.toml").write_text('ignore = ["LR3"]\n')
    proc = leadrules("check", "--format", "json", "-", stdin=FUNNEL, cwd=tmp_path)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, [])
    assert leadrules("check", "-", "-", stdin=FUNNEL, cwd=tmp_path).returncode == 2


def test_fmt_reads_standard_input(tmp_path: Path) -> None:
    messy = 'ruleset "x"   version "1"\nfield a: integer\n'
    canonical = 'ruleset "x" version "1"\n\nfield a: integer\n'
    proc = leadrules("fmt", "-", stdin=messy, cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, canonical, "")
    proc = leadrules("fmt", "--check", "-", stdin=messy, cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, "would reformat <stdin>\n")
    proc = leadrules("fmt", "--check", "-", stdin=canonical, cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "")
    proc = leadrules("fmt", "-", stdin='ruleset "x" version\n', cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr.startswith("<stdin>:1:20: LR001 error: ")
    assert leadrules("fmt", "-", "x.rules", stdin=messy, cwd=tmp_path).returncode == 2


def test_noqa_that_names_an_unknown_code_or_silences_nothing_is_a_warning(tmp_path: Path) -> None:
    text = (FUNNEL.replace("employees >= 10\n", "employees >= 10  # noqa: LR102\n")
            .replace('< 2\n', '< 2  # noqa: LR999, E501\n')
            .replace('country == "GB"\n', 'country == "GB"  # noqa: LR302\n')
            .replace('>= 1000\n', '>= 1000  # noqa\n')
            + '    otherwise to "rest"  # noqa\n')
    (tmp_path / "f.rules").write_text(text)
    proc = leadrules("check", "f.rules", cwd=tmp_path)
    assert proc.stderr == (
        "f.rules:5:31: warning: `# noqa: LR102` silences nothing on this line\n"
        "f.rules:6:42: warning: `# noqa` names unknown codes LR999, E501\n"
        "f.rules:11:26: warning: `# noqa` silences nothing on this line\n"
        "1 file(s) checked, 0 error(s), 0 warning(s), 0 info\n"
    )
    # the warnings leave the exit status alone, even with --strict, and stay off a JSON standard output
    assert proc.returncode == 0
    proc = leadrules("check", "--strict", "--format", "json", "f.rules", cwd=tmp_path)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, [])
    # a deselected code may be silenced by a noqa that is needed when it runs: no warning for it
    proc = leadrules("check", "--select", "LR3", "f.rules", cwd=tmp_path)
    assert proc.stderr == ("f.rules:6:42: warning: `# noqa` names unknown codes LR999, E501\n"
                           "1 file(s) checked, 0 error(s), 0 warning(s), 0 info\n")


def _run_on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Standard output of `leadrules ARGS` when it is a terminal."""
    import os
    import pty

    main, child = pty.openpty()
    try:
        subprocess.run([sys.executable, "-m", "leadrules", *args], stdout=child, stderr=subprocess.DEVNULL,
                       cwd=cwd, env=env, timeout=120)
    finally:
        os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_colour_only_on_a_terminal_without_no_color(tmp_path: Path, funnel: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    args = ["check", "--select", "LR302", "f.rules"]
    coloured = _run_on_a_terminal(args, tmp_path, env)
    assert coloured.splitlines()[:4] == [
        "\x1b[1mf.rules:9:5\x1b[0m: \x1b[31m\x1b[1mLR302 error\x1b[0m: "
        "route entry to 'uk' is never selected: every lead it matches is already routed to 'emea'",
        "  |",
        '9 |     to "uk" if country == "GB"',
        "  |     \x1b[31m\x1b[1m" + "^" * 26 + "\x1b[0m",
    ]
    plain = leadrules(*args, cwd=tmp_path, env=env).stdout
    assert "\x1b" not in plain and plain.splitlines()[0].startswith("f.rules:9:5: LR302 error: ")
    assert "\x1b" not in _run_on_a_terminal(args, tmp_path, {**env, "NO_COLOR": "1"})


def test_noqa_for_a_syntax_or_type_error_says_it_cannot_silence_it(tmp_path: Path) -> None:
    (tmp_path / "f.rules").write_text('ruleset "x" version "1"\ncondition c = nope  # noqa: LR002\n')
    proc = leadrules("check", "f.rules", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith("f.rules:2:15: LR002 error: unknown name 'nope'")
    assert proc.stderr == (
        "f.rules:2:21: warning: `# noqa: LR002` cannot silence syntax and type errors (LR001-LR006); fix the error\n"
        "1 file(s) checked, 1 error(s), 0 warning(s), 0 info\n")

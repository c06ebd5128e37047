"""The command line under bad input and odd use: one clear line or rendered diagnostics, the
exit status of spec section 7, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SPEC_EXAMPLES = Path(__file__).parent / "fixtures" / "spec_examples"
AS_OF = "2026-11-22T00:00:00Z"

BROKEN = 'ruleset "b" version "1"\nfield x: integer\nscore s:\n    +1 if y > 2\n'
TESTS_FOR = ('tests for "{target}"\n\ntest "x":\n    as of "2026-11-22T00:00:00Z"\n'
             '    lead {{"id": 1}}\n    expect stage == "Lead"\n')


def run(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "leadrules", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    return done


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for name in ("projectflow.rules", "projectflow.leads.jsonl"):
        shutil.copy(SPEC_EXAMPLES / name, tmp_path / name)
        (tmp_path / name).chmod(0o644)
    (tmp_path / "broken.rules").write_text(BROKEN)
    (tmp_path / "t_ok.rules").write_text(TESTS_FOR.format(target="projectflow.rules"))
    (tmp_path / "t_broken.rules").write_text(TESTS_FOR.format(target="broken.rules"))
    (tmp_path / "empty_folder").mkdir()
    return tmp_path


@pytest.mark.parametrize("command", ["check", "test", "fmt"])
def test_folder_without_rule_files_is_a_usage_error(work: Path, command: str) -> None:
    done = run(work, command, "empty_folder")
    assert done.returncode == 2
    assert done.stderr == "leadrules: error: empty_folder: no *.rules files in this folder\n"


def test_errors_of_a_tests_for_target_are_rendered_with_their_source_line(work: Path) -> None:
    done = run(work, "check", "t_broken.rules")
    assert done.returncode == 1
    assert ("broken.rules:4:11: LR002 error: unknown name 'y'\n"
            "  |\n"
            "4 |     +1 if y > 2\n"
            "  |           ^\n"
            "  = help: declare it, e.g. `field y: text`\n") in done.stdout
    tested = run(work, "test", "t_broken.rules")
    assert tested.returncode == 1
    assert "4 |     +1 if y > 2\n" in tested.stderr


def test_check_reports_a_ruleset_error_once_when_its_tests_file_is_checked_too(work: Path) -> None:
    done = run(work, "check", "--format", "json", "broken.rules", "t_broken.rules")
    assert done.returncode == 1
    found = [(d["file"], d["line"], d["code"]) for d in json.loads(done.stdout)]
    assert found == [("broken.rules", 4, "LR002"), ("t_broken.rules", 1, "LR001")]


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_select_and_ignore_reject_codes_that_match_nothing(work: Path, option: str) -> None:
    done = run(work, "check", option, "LR102,LR999", "projectflow.rules")
    assert done.returncode == 2
    assert f"Invalid value for {option}: 'LR999' matches no leadrules code" in done.stderr
    assert run(work, "check", option, "LR9", "projectflow.rules").returncode == 0  # LR900 exists


def test_malformed_code_names_its_option(work: Path) -> None:
    done = run(work, "check", "--ignore", "XY1", "projectflow.rules")
    assert done.returncode == 2
    assert "Invalid value for --ignore: 'XY1' is not a code or code prefix" in done.stderr


@pytest.mark.parametrize("args", [
    ("eval", "t_ok.rules", "projectflow.leads.jsonl", "--as-of", AS_OF),
    ("eval", "t_broken.rules", "projectflow.leads.jsonl", "--as-of", AS_OF),
    ("explain", "t_ok.rules", "projectflow.leads.jsonl", "--as-of", AS_OF),
    ("export", "t_ok.rules", "--to", "sql"),
    ("export", "t_ok.rules", "--to", "lead-schema"),
])
def test_a_tests_for_file_where_a_ruleset_is_expected_is_one_line_and_exit_2(work: Path,
                                                                              args: tuple[str, ...]) -> None:
    done = run(work, *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (f"leadrules: error: {args[1]}: a `tests for` file, not a ruleset "
                           f"(its ruleset is '{'broken' if 'broken' in args[1] else 'projectflow'}.rules')\n")


def test_export_ast_json_of_a_tests_for_file_still_works(work: Path) -> None:
    done = run(work, "export", "t_ok.rules", "--to", "ast-json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["statements"][0]["node"] == "TestsFor"


def test_eval_output_onto_a_folder_is_one_line(work: Path) -> None:
    done = run(work, "eval", "projectflow.rules", "projectflow.leads.jsonl", "--as-of", AS_OF,
               "-o", "empty_folder")
    assert done.returncode == 2
    assert done.stderr == "leadrules: error: empty_folder: is a directory (-o takes a file name)\n"
    assert list((work / "empty_folder").iterdir()) == []
    assert sorted(p.name for p in work.iterdir() if p.name.endswith(".tmp")) == []


def test_as_of_without_minutes_shows_the_expected_shape(work: Path) -> None:
    done = run(work, "eval", "projectflow.rules", "projectflow.leads.jsonl", "--as-of", "2026-11-22T10")
    assert done.returncode == 2
    assert ("Invalid value for --as-of: expected a timestamp (ISO 8601, e.g. 2026-11-22T00:00:00Z), "
            "found '2026-11-22T10'") in done.stderr


def test_explain_invalid_lead_message_is_one_line(work: Path) -> None:
    lead = {"id": "L1", "email": "a@b.com", "role": "manager", "industry": "software",
            "employees": "many employees " * 10, "country": "US", "unsubscribed": False}
    (work / "lead.json").write_text(json.dumps(lead))
    done = run(work, "explain", "projectflow.rules", "lead.json", "--as-of", AS_OF)
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("invalid lead: employees: expected an integer")


def test_fmt_summary_counts_files_left_untouched(work: Path) -> None:
    (work / "syntax.rules").write_text('ruleset "x" version "1"\nfield a integer\n')
    done = run(work, "fmt", "syntax.rules", "projectflow.rules")
    assert done.returncode == 1
    assert done.stderr.endswith("0 file(s) reformatted, 1 unchanged, 1 left untouched (syntax errors)\n")
    checked = run(work, "fmt", "--check", "syntax.rules")
    assert checked.returncode == 1
    assert checked.stderr.endswith("0 file(s) would be reformatted, 1 left untouched (syntax errors)\n")


def test_command_list_shows_whole_summaries(work: Path) -> None:
    done = run(work, "--help")
    assert done.returncode == 0
    listing = done.stdout.split("Commands:\n", 1)[1]
    assert "..." not in listing
    # a summary may wrap onto an indented continuation line at 80 columns; command names start at column 3
    names = [line.split()[0] for line in listing.splitlines() if line.startswith("  ") and line[2] != " "]
    assert names == ["check", "eval", "explain", "test", "fmt", "export", "doc", "diff", "report", "calibrate"]


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_output_closed_by_its_reader_is_exit_2_not_1(work: Path, engine: str) -> None:
    lead = {"email": "a@b.com", "role": "manager", "industry": "software", "employees": 5, "country": "US",
            "unsubscribed": False}
    (work / "many.jsonl").write_text("".join(json.dumps({"id": i, **lead}) + "\n" for i in range(20000)))
    process = subprocess.Popen([sys.executable, "-m", "leadrules", "eval", "projectflow.rules", "many.jsonl",
                                "--as-of", AS_OF, "--engine", engine],
                               cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    assert json.loads(process.stdout.readline())["id"] == 0
    process.stdout.close()  # like `| head -1`
    errors = process.stderr.read()
    assert process.wait(timeout=120) == 2
    assert errors == ""

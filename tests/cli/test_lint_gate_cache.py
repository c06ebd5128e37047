"""The lint gate of `eval`/`export` keeps the lines it prints in a cache: a second run of the same
ruleset prints the same lines without running the linter; an edit, or LEADRULES_NO_CACHE, runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
AS_OF = "2026-11-22T00:00:00Z"
# runs the CLI and tells on stderr's last line whether the linter was imported
_RUN = (
    "import sys\n"
    "from leadrules.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "print('linted' if 'leadrules.lint' in sys.modules else 'not linted', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _gate(folder: Path, cache: Path, *args: str, **env: str) -> tuple[int, list[str], str]:
    environment = {key: value for key, value in os.environ.items() if key != "LEADRULES_NO_CACHE"}
    environment.update(LEADRULES_CACHE_DIR=str(cache), **env)
    done = subprocess.run([sys.executable, "-c", _RUN, "eval", "funnel_defects.rules", "--as-of", AS_OF,
                           "--engine", "python", *args], input="{}\n", capture_output=True, text=True,
                          timeout=120, cwd=folder, env=environment)
    *lines, linted = done.stderr.splitlines()
    return done.returncode, lines, linted


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "funnel_defects.rules", tmp_path / "funnel_defects.rules")
    return tmp_path


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "lint-gate").glob("*.json")) if (cache / "lint-gate").is_dir() else []


def test_a_second_run_prints_the_same_lines_without_the_linter(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code, first, linted = _gate(folder, cache)
    assert (code, linted) == (3, "linted")
    assert len(first) == 4 and first[0].startswith("leadrules: warning: funnel_defects.rules:26:5: LR304 ")
    (entry,) = _entries(cache)
    assert json.loads(entry.read_text(encoding="utf-8")) == [line.removeprefix("leadrules: warning: ")
                                                             for line in first[:3]]
    assert _gate(folder, cache) == (3, first, "not linted")
    code, refused, linted = _gate(folder, cache, "--strict")
    assert (code, linted) == (1, "not linted")
    assert refused[:3] == [line.replace("leadrules: warning: ", "leadrules: error: ") for line in first[:3]]


def test_an_edited_ruleset_is_linted_again(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _gate(folder, cache)
    rules = folder / "funnel_defects.rules"
    rules.write_text(rules.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert _gate(folder, cache)[2] == "linted"
    assert len(_entries(cache)) == 2


def test_no_cache_when_turned_off(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _gate(folder, cache, LEADRULES_NO_CACHE="1")[2] == "linted"
    assert _gate(folder, cache, LEADRULES_NO_CACHE="1")[2] == "linted"
    assert _entries(cache) == []


def test_a_damaged_entry_is_linted_again_and_replaced(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _, first, _ = _gate(folder, cache)
    (entry,) = _entries(cache)
    entry.write_text('{"not": "a list"', encoding="utf-8")
    assert _gate(folder, cache) == (3, first, "linted")
    assert _gate(folder, cache) == (3, first, "not linted")


def test_a_cache_that_cannot_be_written_is_passed_by(folder: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    _, first, _ = _gate(folder, tmp_path / "cache")
    assert _gate(folder, blocked) == (3, first, "linted")
    assert _gate(folder, blocked) == (3, first, "linted")

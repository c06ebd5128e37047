"""Start-up stays lazy: what a command does not use is not imported. Each case runs in a fresh
interpreter and lists the heavy packages found in sys.modules afterwards (not timings: those are
benchmarks/bench_startup.py's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "spec_examples"
AS_OF = "2026-11-22T00:00:00Z"
HEAVY = ("z3", "sqlglot", "duckdb", "pyarrow", "jinja2", "altair", "rich", "polars", "pandas")
_REPORT = "import json, sys; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(HEAVY))))"


def _imported(body: str, cache: Path, *args: str) -> set[str]:
    script = f"import sys\nHEAVY = {HEAVY!r}\n{body}\n{_REPORT}\n"
    environment = {key: value for key, value in os.environ.items() if key != "LEADRULES_NO_CACHE"}
    environment["LEADRULES_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120,
                          cwd=EXAMPLES, env=environment, input="")
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


_EVAL = (
    "from leadrules.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    assert exc.code in (0, 3), exc.code\n"  # 3: some of the example leads are invalid
)
_LEADS = str(EXAMPLES / "projectflow.leads.jsonl")


def test_the_cli_and_the_check_parse_step_import_nothing_heavy(tmp_path: Path) -> None:
    body = ("import leadrules.cli\n"
            "from leadrules.workspace import load_file\n"
            "assert load_file('projectflow.rules').model is not None\n")
    assert _imported(body, tmp_path) == set()


@pytest.mark.parametrize("command", ["eval", "explain", "test", "fmt", "export", "doc", "diff", "report", "calibrate"])
def test_importing_a_command_imports_no_solver_sql_or_html_library(command: str, tmp_path: Path) -> None:
    body = f"import leadrules.cli.{command}_cmd\n"
    allowed = {"rich"} if command == "explain" else set()  # explain's tables are rich's
    assert _imported(body, tmp_path) - allowed == set()


@pytest.mark.parametrize("engine", ["python", "auto"])  # auto: the Python engine for a small JSON Lines file
def test_eval_on_the_python_engine_imports_no_solver_once_its_gate_is_cached(engine: str, tmp_path: Path) -> None:
    args = ("eval", "projectflow.rules", _LEADS, "--as-of", AS_OF, "--engine", engine, "-o", str(tmp_path / "o"))
    assert _imported(_EVAL, tmp_path, *args) == {"z3"}  # the first run lints
    assert _imported(_EVAL, tmp_path, *args) == set()


def test_eval_on_duckdb_imports_duckdb_and_sqlglot_only(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    args = ("eval", "projectflow.rules", _LEADS, "--as-of", AS_OF, "--engine", "duckdb", "-o", str(tmp_path / "o"))
    _imported(_EVAL, tmp_path, *args)
    assert _imported(_EVAL, tmp_path, *args) == {"duckdb", "sqlglot"}

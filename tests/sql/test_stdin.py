"""`eval --engine duckdb` reads JSON Lines from stdin like the Python engine does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
AS_OF = "2026-11-22T00:00:00Z"


def _eval_stdin(engine: str) -> subprocess.CompletedProcess[str]:
    leads = (EXAMPLES / "projectflow.leads.jsonl").read_text(encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "leadrules", "eval", str(EXAMPLES / "projectflow.rules"), "-", "--as-of", AS_OF,
         "--engine", engine],
        input=leads, capture_output=True, text=True, timeout=120,
    )


def test_duckdb_engine_reads_stdin_and_matches_python_byte_for_byte() -> None:
    duckdb_run = _eval_stdin("duckdb")
    python_run = _eval_stdin("python")
    assert duckdb_run.returncode == python_run.returncode == 3  # L8 and L9 are invalid
    assert duckdb_run.stderr == ""
    assert duckdb_run.stdout == python_run.stdout
    assert len(duckdb_run.stdout.splitlines()) == 10

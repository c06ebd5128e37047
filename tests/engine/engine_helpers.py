"""Helpers shared by the engine tests (a module name of its own: no clash with other test folders)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
AS_OF_TEXT = "2026-11-22T00:00:00Z"


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadrules", *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=cwd)

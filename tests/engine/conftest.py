"""Shared fixtures of the engine tests: the spec's worked example and a CLI runner."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from leadrules.model import CheckedModel
from leadrules.workspace import load_file

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "spec" / "examples"
if not EXAMPLES.is_dir():  # a checkout with shared/ beside it (CI) or inside the work tree
    EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "spec" / "examples"
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
AS_OF_TEXT = "2026-11-22T00:00:00Z"


@pytest.fixture(scope="session")
def examples() -> Path:
    if not (EXAMPLES / "projectflow.rules").is_file():
        pytest.skip("shared/spec/examples is not beside the checkout")
    return EXAMPLES


@pytest.fixture(scope="session")
def projectflow(examples: Path) -> CheckedModel:
    model = load_file(examples / "projectflow.rules").model
    assert model is not None
    return model


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadrules", *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=cwd)

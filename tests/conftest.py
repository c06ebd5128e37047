"""Shared fixtures: where the repository's example files live, and running the CLI in-process."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLES = REPO_ROOT / "tests" / "fixtures" / "spec_examples"


def pytest_configure(config: pytest.Config) -> None:
    # the lint gate of `eval`/`export` caches what it prints; the suite keeps that cache in a
    # folder of its own (inherited by the CLI subprocesses), never in the user's home
    os.environ.setdefault("LEADRULES_CACHE_DIR", tempfile.mkdtemp(prefix="leadrules-test-cache-"))


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def rulesets_dir() -> Path:
    return REPO_ROOT / "rulesets"


@pytest.fixture
def spec_examples() -> Path:
    if not SPEC_EXAMPLES.is_dir():
        pytest.skip("the spec examples are not available on this machine")
    return SPEC_EXAMPLES


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `leadrules ARGS...` through the console entry point (as a user would), in-process."""
    from leadrules.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run

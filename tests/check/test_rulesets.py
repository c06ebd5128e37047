"""The shipped rulesets are clean, canonical, and their test blocks pass."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RULESETS = str(REPO / "rulesets")


def test_rulesets_check_clean_even_in_strict_mode(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", "--strict", "--format", "json", RULESETS)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip() == "[]"


def test_rulesets_are_formatted(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("fmt", "--check", RULESETS)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_ruleset_test_blocks_pass(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("test", RULESETS)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "17 passed, 0 failed" in result.stdout + result.stderr

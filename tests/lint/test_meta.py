"""CODES, registry, rule modules, docs pages and golden folders agree."""

from __future__ import annotations

from pathlib import Path

from leadrules.diagnostics import CODES
from leadrules.lint.docs import pages
from leadrules.lint.registry import LINT_CODES, RULES

ROOT = Path(__file__).resolve().parents[2]


def test_registry_matches_codes_and_modules() -> None:
    assert tuple(r.code for r in RULES) == LINT_CODES
    assert LINT_CODES == tuple(c for c in CODES if "LR101" <= c <= "LR899")
    modules = sorted(p.stem.split("_")[0] for p in (ROOT / "src/leadrules/lint/rules").glob("LR*.py"))
    assert modules == list(LINT_CODES)
    for rule in RULES:
        doc = rule.__doc__ or ""
        for section in ("## What it does", "## Why it matters", "## Example", "## How to fix"):
            assert section in doc, (rule.code, section)


def test_docs_pages_are_generated_from_the_docstrings() -> None:
    expected = pages()
    assert sorted(expected) == sorted(f"{c}.md" for c in CODES)
    for name, text in expected.items():
        assert (ROOT / "docs/rules" / name).read_text(encoding="utf-8") == text, name

"""Import contracts: data flows one way (syntax → check → model → engines/lint → io → cli)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "leadrules"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_lark_stays_inside_syntax(path: Path) -> None:
    if path.parent.name == "syntax":
        return
    assert not any(name == "lark" or name.startswith("lark.") for name in _imports(path)), (
        f"{path.relative_to(PACKAGE)} imports lark; only syntax/ may"
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_imports_the_cli(path: Path) -> None:
    if "cli" in path.relative_to(PACKAGE).parts or path.name == "__main__.py":
        return
    assert not any(name == "leadrules.cli" or name.startswith("leadrules.cli.") for name in _imports(path))


# stage → stages it must not import (anything to its right in the pipeline)
_FORBIDDEN = {
    "syntax": ("leadrules.check", "leadrules.model", "leadrules.engine", "leadrules.lint", "leadrules.io"),
    "check": ("leadrules.engine", "leadrules.lint", "leadrules.io"),
    "engine": ("leadrules.lint",),
}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_stages_import_only_leftwards(path: Path) -> None:
    stage = path.relative_to(PACKAGE).parts[0]
    forbidden = _FORBIDDEN.get(stage, ())
    bad = [name for name in _imports(path) if name.startswith(forbidden)] if forbidden else []
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}, which come later in the pipeline"

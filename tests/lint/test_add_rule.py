"""scripts/add_lint_rule.py on a copy of the package tree: the files it writes, and a
package that still imports with the new rule registered and documented."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "add_lint_rule.py"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src" / "leadrules", tmp_path / "src" / "leadrules",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "docs" / "rules", tmp_path / "docs" / "rules")
    (tmp_path / "tests" / "golden").mkdir(parents=True)
    return tmp_path


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--root", str(root)],
                          capture_output=True, text=True, cwd=root)


def test_scaffold_writes_a_registered_documented_rule(copy: Path) -> None:
    done = _run(copy, "LR306", "route-to-nowhere", "route target is not a known team")
    assert done.returncode == 0, done.stderr
    module = copy / "src/leadrules/lint/rules/LR306_route_to_nowhere.py"
    assert done.stdout.splitlines()[:7] == [
        "written:",
        "  src/leadrules/lint/rules/LR306_route_to_nowhere.py",
        "  src/leadrules/diagnostics.py",
        "  src/leadrules/lint/registry.py",
        "  tests/golden/LR306/example.rules",
        "  tests/golden/LR306/example.expected.json",
        "  docs/rules/LR306.md",
    ]
    assert "tests/golden/LR306/example.rules" in done.stdout.split("to fill in:")[1]

    text = module.read_text()
    assert "class RouteToNowhere:" in text and '"""Route target is not a known team.' in text
    assert 'code: ClassVar[str] = "LR306"' in text and 'name: ClassVar[str] = "route-to-nowhere"' in text
    assert "severity: ClassVar[Severity] = Severity.WARNING" in text

    codes = (copy / "src/leadrules/diagnostics.py").read_text().splitlines()
    at = codes.index('        _code("LR306", "route-to-nowhere", W, "route target is not a known team"),')
    assert codes[at - 1].startswith('        _code("LR305"') and codes[at + 1].startswith('        _code("LR401"')
    registry = (copy / "src/leadrules/lint/registry.py").read_text()
    assert "from leadrules.lint.rules.LR306_route_to_nowhere import RouteToNowhere\n" in registry
    assert "BandGap, RouteToNowhere," in registry

    assert json.loads((copy / "tests/golden/LR306/example.expected.json").read_text()) == [
        {"code": "LR306", "line": 1, "severity": "warning", "witness": False}]
    assert (copy / "tests/golden/LR306/example.rules").read_text().startswith('ruleset "lr306" version "1"\n')

    # the copy imports: the registry's own check that RULES and CODES agree passes, the new
    # rule runs in place, and its docs page is the one generated from the docstring
    probe = (
        "import json\n"
        "from leadrules.lint.registry import LINT_CODES, RULES\n"
        "from leadrules.lint.docs import pages\n"
        "print(json.dumps([list(LINT_CODES), [r.__name__ for r in RULES], pages()['LR306.md']]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(copy / "src")}
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=copy)
    assert shown.returncode == 0, shown.stderr
    lint_codes, classes, page = json.loads(shown.stdout)
    assert lint_codes[11:14] == ["LR305", "LR306", "LR401"] and classes[12] == "RouteToNowhere"
    assert (copy / "docs/rules/LR306.md").read_text() == page
    assert page.startswith("# LR306 route-to-nowhere\n\nSeverity: **warning**. Route target is not a known team.")


def test_scaffold_refuses_a_code_that_exists_and_writes_nothing(copy: Path) -> None:
    before = (copy / "src/leadrules/diagnostics.py").read_text()
    done = _run(copy, "LR305", "band-gap-again", "again")
    assert done.returncode == 1 and "LR305 already has a rule module" in done.stderr
    assert (copy / "src/leadrules/diagnostics.py").read_text() == before
    assert not list((copy / "tests/golden").iterdir())


@pytest.mark.parametrize(("args", "message"), [
    (("LR9001", "x", "s"), "'LR9001' is not a lint code"),
    (("LR601", "Bad Name", "s"), "'bad name' is not a rule name"),
    (("LR601", "fine", 'say "hi"'), "the summary must be one line"),
])
def test_scaffold_rejects_what_it_would_paste_into_python(copy: Path, args: tuple[str, ...], message: str) -> None:
    done = _run(copy, *args)
    assert done.returncode == 1 and message in done.stderr

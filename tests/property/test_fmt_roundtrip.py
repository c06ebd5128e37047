"""Properties of the formatter: random ASTs survive fmt → parse unchanged, and fmt is idempotent."""

from __future__ import annotations

import random
from pathlib import Path

from ast_strategies import modules, strip_spans
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrules.io.fmt import format_module
from leadrules.source import SourceFile
from leadrules.syntax import ast, parse

REPO = Path(__file__).resolve().parents[2]
EMPTY = SourceFile("gen.rules", "")


def _reparse(text: str) -> tuple[ast.Module, SourceFile]:
    source = SourceFile("out.rules", text)
    module, diagnostics = parse(source)
    assert diagnostics == [], f"formatted text does not parse: {diagnostics}\n{text}"
    assert module is not None
    return module, source


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules)
def test_random_ast_survives_fmt_and_parse(module: ast.Module) -> None:
    text = format_module(module, EMPTY)
    parsed, source = _reparse(text)
    assert strip_spans(parsed) == strip_spans(module)
    assert format_module(parsed, source) == text


def _with_comments(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    out: list[str] = []
    for index, line in enumerate(lines):
        choice = rng.random()
        if choice < 0.15:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# own-line comment {index}")
        if choice > 0.85 and line.strip() and not line.rstrip().endswith(("[", "{", "(", ",")):
            line = f"{line}  # trailing comment {index}"
        out.append(line)
        if 0.4 < choice < 0.45:
            out.append("")
    return "\n".join(out) + "\n"


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.sampled_from(sorted((REPO / "rulesets").rglob("*.rules"))))
def test_comments_survive_and_fmt_is_idempotent(seed: int, path: Path) -> None:
    text = _with_comments(path.read_text(encoding="utf-8"), random.Random(seed))
    source = SourceFile("c.rules", text)
    module, diagnostics = parse(source)
    assert diagnostics == [] and module is not None
    once = format_module(module, source)
    again, again_source = _reparse(once)
    assert strip_spans(again.statements) == strip_spans(module.statements)
    assert sorted(c.text for c in again.comments) == sorted(c.text for c in module.comments)
    assert format_module(again, again_source) == once

"""`export --to ast-json`: the shape of the JSON, exact numbers, and the shipped schema."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from leadrules.io.export_ast import ast_to_data, build_ast_schema, export_ast_json, load_ast_schema
from leadrules.jsontext import loads
from leadrules.source import SourceFile
from leadrules.syntax import ast, parse

REPO = Path(__file__).resolve().parents[2]
FILES = sorted((REPO / "rulesets").rglob("*.rules")) + sorted((REPO / "tests" / "fixtures" / "spec_examples").glob("*.rules"))


def test_shipped_schema_matches_the_ast_classes() -> None:
    assert load_ast_schema() == build_ast_schema()
    jsonschema.Draft202012Validator.check_schema(load_ast_schema())


def test_every_ast_class_has_a_schema_definition() -> None:
    definitions = load_ast_schema()["$defs"]
    for name in ast.__all__:
        candidate = getattr(ast, name)
        if isinstance(candidate, type) and issubclass(candidate, ast.Node) and candidate is not ast.Node:
            assert definitions[name]["properties"]["node"] == {"const": name}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_export_validates_against_the_schema(path: Path) -> None:
    source = SourceFile(str(path), path.read_text(encoding="utf-8"))
    module, _ = parse(source)
    assert module is not None
    jsonschema.Draft202012Validator(load_ast_schema()).validate(json.loads(export_ast_json(module)))


def test_node_shape_and_exact_numbers() -> None:
    text = 'ruleset "x" version "1"\nfield a: number\nscore s:\n    +2.50 if a > 0.1\n'
    module, _ = parse(SourceFile("x.rules", text))
    assert module is not None
    data = loads(export_ast_json(module))
    score = data["statements"][2]
    rule = score["rules"][0]
    assert rule["node"] == "IfRule" and rule["label"] is None
    assert rule["span"] == {"file": "x.rules", "line": 4, "column": 5, "end_line": 4, "end_column": 21}
    assert rule["points"] == Decimal("2.5")
    assert rule["condition"]["node"] == "Compare" and rule["condition"]["op"] == ">"
    assert rule["condition"]["right"] == {
        "node": "Number", "span": {"file": "x.rules", "line": 4, "column": 18, "end_line": 4, "end_column": 21},
        "value": Decimal("0.1"),
    }
    assert '"value": 0.1' in export_ast_json(module)
    assert ast_to_data(module) == data


def test_export_command(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("export", str(REPO / "rulesets" / "score_grade.rules"), "--to", "ast-json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["node"] == "Module"
    assert [s["node"] for s in data["statements"][:3]] == ["RulesetDecl", "Owner", "Description"]
    assert data["comments"][0]["text"] == "# Score + grade: the classic marketing-automation model."


def test_export_of_a_file_with_syntax_errors_exits_1(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.rules"
    path.write_text('ruleset "x"\n', encoding="utf-8")
    result = run_cli("export", str(path), "--to", "ast-json")
    assert result.exit_code == 1
    assert "LR001" in result.stderr and result.stdout == ""

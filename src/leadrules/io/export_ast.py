"""`export --to ast-json`: the AST of a rule file as JSON, and the JSON Schema it follows.

Every node becomes `{"node": "ClassName", "span": {...}, <field>: <value>, ...}` with its
dataclass fields in declaration order; tuples become arrays, decimals exact JSON numbers.
The schema shipped as `leadrules/schemas/ast.schema.json` is derived from the same
dataclasses by `build_ast_schema`; a test keeps the shipped file equal to it.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from decimal import Decimal
from importlib import resources
from typing import Any, Union

from leadrules.jsontext import dumps
from leadrules.syntax import ast

__all__ = ["ast_to_data", "export_ast_json", "build_ast_schema", "load_ast_schema", "SCHEMA_ID"]

SCHEMA_ID = "https://leadrules.dev/schemas/ast.schema.json"


def ast_to_data(value: Any) -> Any:
    """Plain JSON data for an AST node or any value found in one."""
    if isinstance(value, ast.Node):
        data: dict[str, Any] = {"node": type(value).__name__, "span": value.span.to_json()}
        for f in dataclasses.fields(value):
            if f.name != "span":
                data[f.name] = ast_to_data(getattr(value, f.name))
        return data
    if isinstance(value, (tuple, list)):
        return [ast_to_data(item) for item in value]
    if isinstance(value, dict):
        return {key: ast_to_data(item) for key, item in value.items()}
    return value  # str, bool, int, Decimal, None


def export_ast_json(module: ast.Module) -> str:
    """The module's AST as one line of JSON text; numbers exactly as written."""
    return dumps(ast_to_data(module))


# ---- the schema -----------------------------------------------------------------

_ALIASES: dict[str, Any] = {"Expr": ast.Expr, "ListRef": ast.ListRef, "Statement": ast.Statement}


def _node_classes() -> list[type[ast.Node]]:
    found: list[type[ast.Node]] = []
    for name in ast.__all__:
        candidate = getattr(ast, name)
        if isinstance(candidate, type) and issubclass(candidate, ast.Node) and candidate is not ast.Node:
            found.append(candidate)
    return found


def _alias_name(annotation: Any) -> str | None:
    for name, alias in _ALIASES.items():
        if annotation == alias:
            return name
    return None


def _type_schema(annotation: Any) -> dict[str, Any]:
    alias = _alias_name(annotation)
    if alias is not None:
        return {"$ref": f"#/$defs/{alias}"}
    if annotation is Any:
        return {"$ref": "#/$defs/JsonValue"}
    if annotation is str:
        return {"type": "string"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is Decimal:
        return {"type": "number"}
    if isinstance(annotation, type) and issubclass(annotation, ast.Node):
        return {"$ref": f"#/$defs/{annotation.__name__}"}
    origin = typing.get_origin(annotation)
    if origin is tuple:
        item = typing.get_args(annotation)[0]
        return {"type": "array", "items": _type_schema(item)}
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(options) != len(typing.get_args(annotation))
        choices = [_type_schema(a) for a in options]
        if nullable:
            choices.append({"type": "null"})
        return choices[0] if len(choices) == 1 else {"anyOf": choices}
    raise TypeError(f"no schema for annotation {annotation!r}")  # pragma: no cover


def build_ast_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `export --to ast-json`, derived from the AST classes."""
    namespace = {**vars(ast), "Decimal": Decimal, "Any": Any}
    definitions: dict[str, Any] = {
        "Span": {
            "type": "object",
            "properties": {key: {"type": "string"} if key == "file" else {"type": "integer", "minimum": 1}
                           for key in ("file", "line", "column", "end_line", "end_column")},
            "required": ["file", "line", "column", "end_line", "end_column"],
            "additionalProperties": False,
        },
        "JsonValue": {
            "description": "a JSON value from a test block (lead record or expected value)",
            "type": ["object", "array", "string", "number", "boolean", "null"],
        },
    }
    for alias, union in _ALIASES.items():
        definitions[alias] = {"oneOf": [{"$ref": f"#/$defs/{a.__name__}"} for a in typing.get_args(union)]}
    for cls in _node_classes():
        hints = typing.get_type_hints(cls, globalns=namespace)
        properties: dict[str, Any] = {"node": {"const": cls.__name__}, "span": {"$ref": "#/$defs/Span"}}
        for f in dataclasses.fields(cls):
            if f.name != "span":
                properties[f.name] = _type_schema(hints[f.name])
        definitions[cls.__name__] = {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "leadrules AST",
        "description": "The abstract syntax tree of one rule file, as printed by `leadrules export --to ast-json`.",
        "$ref": "#/$defs/Module",
        "$defs": dict(sorted(definitions.items())),
    }


def load_ast_schema() -> dict[str, Any]:
    """The schema shipped inside the package."""
    text = resources.files("leadrules").joinpath("schemas/ast.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema

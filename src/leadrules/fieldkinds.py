"""The field kinds of the language, one record per kind: everything a stage needs to know.

A field's kind (`field x: integer`) decides its value type in expressions, how a lead's value is
accepted (JSON and CSV), its SQL type, its JSON Schema, its z3 sort, the words used for it in
error messages and in `doc`, and how samples and witnesses are made. Each stage reads the record
instead of testing kind names, so adding a kind is one row here plus the special cases a stage
truly has (its parser, its z3 encoding); `docs/architecture.md` lists them.

Behaviour here is data: the functions that act on values (validation, CSV cells, z3 variables)
live in their stages and are chosen by the record's attributes (`acceptance`, `z3_sort`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FieldKind", "KINDS", "DECLARABLE", "kind"]


@dataclass(frozen=True, slots=True)
class FieldKind:
    name: str
    # the value type in expressions: "number" | "text" | "boolean" | "date" | "timestamp"
    value_type: str
    # how a lead's value is accepted (engine/validate.py, io/leads.py CSV cells, batch/ SQL):
    # "text" | "choice" | "integer" | "number" | "boolean" | "date" | "timestamp"
    acceptance: str
    # what the field takes, in the words of error messages (ranges and choices are added)
    expected: str
    # the JSON Schema of one value (`export --to lead-schema`; ranges and choices are added)
    json_schema: tuple[tuple[str, Any], ...]
    # the SQL type a value is cast to once accepted
    sql_type: str
    # the z3 sort of its variable (lint/encode.py): "Int" | "Real" | "Bool" | "String"
    # (dates are Int day numbers, timestamps Int microseconds since the epoch)
    z3_sort: str
    # `doc`: the kind in words and what values it allows
    doc_name: str
    doc_allowed: str
    # whole numbers only (samples step by 1, witnesses are ints)
    integral: bool = False
    # a range `in LOW..HIGH` may follow the kind
    ranged: bool = False

    @property
    def numeric(self) -> bool:
        return self.value_type == "number"

    @property
    def textual(self) -> bool:
        return self.value_type == "text"

    @property
    def temporal(self) -> bool:
        return self.value_type in ("date", "timestamp")


_TEXT_SCHEMA = (("type", "string"),)

KINDS: dict[str, FieldKind] = {
    k.name: k
    for k in (
        FieldKind("text", "text", "text", "text", _TEXT_SCHEMA, "VARCHAR", "String", "text", "any text"),
        FieldKind("email", "text", "text", "an email address (text)",
                  (("type", "string"), ("description", "an email address; .domain is the text after the last @")),
                  "VARCHAR", "String", "email address",
                  "any text; its domain is the part after the last @, lower-cased"),
        FieldKind("choice", "text", "choice", "one of", (), "VARCHAR", "String", "one of", ""),
        FieldKind("integer", "number", "integer", "an integer", (("type", "integer"),), "DECIMAL", "Int",
                  "whole number", "any whole number", integral=True, ranged=True),
        FieldKind("number", "number", "number", "a number", (("type", "number"),), "DECIMAL", "Real",
                  "number", "any number", ranged=True),
        FieldKind("boolean", "boolean", "boolean", "true or false", (("type", "boolean"),), "BOOLEAN", "Bool",
                  "true or false", "true, false"),
        FieldKind("date", "date", "date", "a date (YYYY-MM-DD)", (("type", "string"),), "DATE", "Int",
                  "date", "YYYY-MM-DD"),
        FieldKind("timestamp", "timestamp", "timestamp", "a timestamp (ISO 8601)", (("type", "string"),),
                  "TIMESTAMP", "Int", "timestamp", "ISO 8601, UTC unless an offset is given"),
    )
}

# the kinds written by name in `field x: KIND` (a choice is written `one of [...]`)
DECLARABLE = tuple(name for name in KINDS if name != "choice")


def kind(name: str) -> FieldKind:
    """The record of a kind the checker accepted."""
    return KINDS[name]

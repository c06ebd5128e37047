"""`export --to lead-schema`: the JSON Schema (2020-12) of one lead record.

It accepts exactly what `engine.validate` accepts: declared fields by type (an `integer` takes
any JSON number without a fraction, `150.0` included; booleans are never numbers), `one of`
values, inclusive ranges, required fields present and not null, dates and timestamps by the
same patterns the validator uses (calendar-checked, leap years included), and `events` as a
list of objects where an object whose `type` is a declared event needs a timestamp `at`.
Extra keys are allowed, as in evaluation.
"""

from __future__ import annotations

from typing import Any

from leadrules import model as m
from leadrules.fieldkinds import kind
from leadrules.jsontext import dumps

__all__ = ["export_lead_schema", "lead_schema", "DATE_REGEX", "TIMESTAMP_REGEX"]

_YEAR = "(?!0000)[0-9]{4}"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DATE = f"(?:{_YEAR}-{_MONTH_DAY}|(?!0000){_LEAP_YEAR}-02-29)"
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,6})?)?"
_ZONE = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
_END = "$(?![\\s\\S])"  # the very end: Python's `$` also matches before a final newline
DATE_REGEX = f"^{_DATE}{_END}"
TIMESTAMP_REGEX = f"^{_DATE}(?:[T ]{_TIME}{_ZONE})?{_END}"  # leadrules.values: a plain date is midnight UTC


def _field_schema(fld: m.Field) -> dict[str, Any]:
    record = kind(fld.kind)
    schema: dict[str, Any] = dict(record.json_schema)
    if record.ranged and fld.low is not None and fld.high is not None:
        schema["minimum"] = fld.low
        schema["maximum"] = fld.high
    elif fld.choices:
        schema = {"enum": list(fld.choices)}
    elif record.temporal:
        schema["pattern"] = DATE_REGEX if record.value_type == "date" else TIMESTAMP_REGEX
    if fld.optional:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def lead_schema(model: m.CheckedModel) -> dict[str, Any]:
    """The schema as a JSON-ready dict (numbers as Decimal)."""
    properties: dict[str, Any] = {name: _field_schema(fld) for name, fld in model.fields.items()}
    event_item: dict[str, Any] = {"type": "object"}
    if model.events:
        event_item["if"] = {"properties": {"type": {"enum": list(model.events)}}, "required": ["type"]}
        event_item["then"] = {"properties": {"at": {"type": "string", "pattern": TIMESTAMP_REGEX}},
                              "required": ["at"]}
    if "events" not in properties:
        properties["events"] = {"type": ["array", "null"], "items": event_item}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Lead record of ruleset {model.name} {model.version}",
        "type": "object",
        "properties": properties,
        "required": [name for name, fld in model.fields.items() if not fld.optional],
        "additionalProperties": True,
    }


def export_lead_schema(model: m.CheckedModel) -> str:
    return dumps(lead_schema(model))

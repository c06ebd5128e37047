"""What the tests that run the exported SQL on a real database (Postgres, Spark) share: the
valid leads as rows of the documented `leads` and `events` tables, and the Python engine's
records in the shape those tests compare with the database's rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.engine.python import compile_model
from leadrules.engine.validate import validate


def utc_naive(value: dt.datetime) -> dt.datetime:
    """A timestamp column's value: the instant in UTC without a zone (the tables hold UTC)."""
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _cell(value: Any) -> Any:
    """A validated value as a table cell: instants in UTC without a zone, integers (which the
    engine keeps as ints) as the exact decimals of the DECIMAL column they fill."""
    if isinstance(value, dt.datetime):
        return utc_naive(value)
    if value.__class__ is int:
        return Decimal(value)
    return value


def lead_tables(model: m.CheckedModel, leads: list[dict[str, Any]], ids: Sequence[str] | None = None,
                ) -> tuple[list[list[Any]], list[tuple[str, str, dt.datetime]]]:
    """Rows of `leads` (id, then one value per field in declaration order) and of `events`
    (lead id, type, at). Every lead must be valid: the query trusts its tables. The ids are
    the validated ids as text, or `ids` in the order of the leads."""
    rows: list[list[Any]] = []
    events: list[tuple[str, str, dt.datetime]] = []
    for number, lead in enumerate(leads, 1):
        valid, error = validate(model, lead, number)
        assert valid is not None, error
        lead_id = str(valid.id) if ids is None else ids[number - 1]
        rows.append([lead_id, *(_cell(v) for v in valid.values)])
        events.extend((lead_id, kind, utc_naive(at)) for kind, at in valid.events)
    return rows, events


def python_results(model: m.CheckedModel, leads: list[dict[str, Any]], as_of: dt.datetime,
                   ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The Python engine's records sorted by id, ids as text (the record's own, or `ids` in the
    order of the leads) and scores as Decimal, as the database rows are read back."""
    evaluator = compile_model(model)
    results = []
    for number, lead in enumerate(leads, 1):
        record = evaluator.evaluate(lead, as_of, record=number)
        lead_id = str(record["id"]) if ids is None else ids[number - 1]
        results.append({**record, "id": lead_id, "scores": {n: Decimal(str(v)) for n, v in record["scores"].items()}})
    return sorted(results, key=lambda r: r["id"])

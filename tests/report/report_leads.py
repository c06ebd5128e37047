"""Seeded leads for any ruleset, read off its field and event declarations, with invalid records
mixed in (a missing field, a value of the wrong type, a line that is not an object, hostile ids)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from leadrules import model as m

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
AS_OF_TEXT = "2026-11-22T00:00:00Z"
DOMAINS = ["acme.com", "bigco.io", "gmail.com", "yahoo.com", "rivalcrm.com", "pipelinepro.io", "uni.edu"]
TEXTS = ["software", "fintech", "healthtech", "logistics", "retail", "US", "GB", "DE", "FR", "BR"]
SIZES = [1, 3, 8, 20, 45, 60, 120, 250, 900, 1500, 4000, 12000]
HOSTILE_ID = '<script src="https://evil.example/x.js"></script>\x1b[31m\u202e'


def _value(rng: random.Random, fld: m.Field, number: int) -> Any:
    if fld.kind == "email":
        return f"user{number}@{rng.choice(DOMAINS)}"
    if fld.kind == "choice":
        return rng.choice(fld.choices)
    if fld.kind == "integer":
        low = int(fld.low) if fld.low is not None else 0
        high = int(fld.high) if fld.high is not None else 100000
        return rng.choice([v for v in SIZES if low <= v <= high] or [low])
    if fld.kind == "number":
        return rng.choice([0, 5000, 250000, 2500000, 12500000.5, 80000000])
    if fld.kind == "boolean":
        return rng.random() < 0.1
    if fld.kind == "date":
        return (AS_OF - dt.timedelta(days=rng.randint(0, 400))).strftime("%Y-%m-%d")
    if fld.kind == "timestamp":
        return (AS_OF - dt.timedelta(seconds=rng.randint(0, 400 * 86400))).strftime("%Y-%m-%dT%H:%M:%SZ")
    return rng.choice(TEXTS)


def lead_lines(model: m.CheckedModel, count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    events = list(model.events)
    lines = []
    for number in range(1, count + 1):
        record: dict[str, Any] = {"id": f"L{number}"}
        for name, fld in model.fields.items():
            if fld.optional and rng.random() < 0.3:
                continue
            record[name] = _value(rng, fld, number)
        record["events"] = [
            {"type": rng.choice(events),
             "at": (AS_OF - dt.timedelta(seconds=rng.randint(0, 120 * 86400))).strftime("%Y-%m-%dT%H:%M:%SZ")}
            for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 12]) if events else 0)
        ]
        required = [name for name, fld in model.fields.items() if not fld.optional]
        if number % 23 == 0 and required:
            del record[rng.choice(required)]
        elif number % 29 == 0:
            record[next(iter(model.fields))] = [1, 2]  # a list is no field's value
        elif number % 37 == 0:
            record["id"] = HOSTILE_ID + str(number)
            record[required[0]] = {"x": 1}
        if number % 41 == 0:
            lines.append("[1, 2, 3]")  # not an object: an error record in its place
        else:
            lines.append(json.dumps(record))
    return lines


def write_leads(path: Path, model: m.CheckedModel, count: int, seed: int = 11) -> Path:
    path.write_text("\n".join(lead_lines(model, count, seed)) + "\n", encoding="utf-8")
    return path

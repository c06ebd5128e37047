"""Capture and replay of decisions (`leadrules test --write-baseline / --baseline`): record
what a ruleset decides for a set of leads once, and list every lead a later version decides
differently.

A baseline is JSON Lines: a header `{"leadrules_baseline": 1, "ruleset": NAME, "version": V,
"as_of": TS}`, then one line per lead record `{"id": ID, "lead": RECORD, "decision":
{KEY: VALUE}}` holding the lead as read (events from `--events` included), so replaying
needs nothing but the baseline file. The keys are `validity` (`"valid"`, or the error
message), `stage`, `disqualified`, `reasons`, `blocked`, `route`, and each score and band
by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadrules import model as m
from leadrules.errors import InputError
from leadrules.io.leads import DEFAULT_CSV, CsvOptions, read_leads
from leadrules.jsontext import dumps, loads
from leadrules.reading import input_errors_for
from leadrules.values import format_timestamp

__all__ = ["Flip", "Replay", "decision", "write_baseline", "replay_baseline", "BASELINE_FORMAT"]

BASELINE_FORMAT = 1
_OUTCOME_KEYS = ("stage", "disqualified", "reasons", "blocked", "route")


@dataclass(frozen=True)
class Flip:
    """One lead whose decision on one key differs from the baseline."""

    line: int  # line of the baseline file that holds the lead
    id: Any
    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Replay:
    records: int
    flips: tuple[Flip, ...]
    as_of: str


def decision(record: dict[str, Any]) -> dict[str, Any]:
    """The decision keys of an output record."""
    if "error" in record:
        return {"validity": str(record["error"].get("message", ""))}
    out: dict[str, Any] = {"validity": "valid"}
    out.update((key, record[key]) for key in _OUTCOME_KEYS)
    out.update(record["scores"])
    out.update(record["bands"])
    return out


def _lines(model: m.CheckedModel, leads_path: str, events_path: str | None, as_of: dt.datetime,
           csv_reading: CsvOptions) -> Iterator[str]:
    from leadrules.engine.python import compile_model

    evaluator = compile_model(model)
    yield dumps({"leadrules_baseline": BASELINE_FORMAT, "ruleset": model.name, "version": model.version,
                 "as_of": format_timestamp(as_of)}, separators=(",", ":"))
    with read_leads(leads_path, model, events_path, None, csv_reading) as records:
        for number, lead in enumerate(records, 1):
            record = evaluator.evaluate(lead, as_of, record=number)
            yield dumps({"id": record["id"], "lead": lead, "decision": decision(record)}, separators=(",", ":"))


def write_baseline(model: m.CheckedModel, leads_path: str, events_path: str | None, as_of: dt.datetime,
                   out_path: str, csv_reading: CsvOptions = DEFAULT_CSV) -> int:
    """Evaluate the leads and write the baseline; returns the number of lead records."""
    from leadrules.io.output import write_output_text

    lines = list(_lines(model, leads_path, events_path, as_of, csv_reading))
    write_output_text(out_path, "".join(line + "\n" for line in lines))
    return len(lines) - 1


def _read(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with input_errors_for(path):
            text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = loads(line)
        except ValueError:
            raise InputError(f"{path}:{number}: not JSON; a baseline is written by `leadrules test "
                             "--write-baseline`") from None
        if not isinstance(value, dict):
            raise InputError(f"{path}:{number}: not a baseline record")
        yield number, value


def replay_baseline(model: m.CheckedModel, path: str) -> Replay:
    """Evaluate every lead of a baseline again and list the keys whose value differs."""
    from leadrules.engine.python import compile_model
    from leadrules.engine.validate import parse_lead_timestamp

    rows = _read(path)
    first = next(rows, None)
    if first is None or first[1].get("leadrules_baseline") != BASELINE_FORMAT:
        raise InputError(f"{path}:1: not a leadrules baseline (written by `leadrules test --write-baseline`)")
    as_of_text = first[1].get("as_of")
    as_of = parse_lead_timestamp(as_of_text) if isinstance(as_of_text, str) else None
    if as_of is None:
        raise InputError(f"{path}:1: the baseline header has no valid as_of")
    evaluator = compile_model(model)
    flips: list[Flip] = []
    count = 0
    for number, row in rows:
        expected = row.get("decision")
        if "lead" not in row or not isinstance(expected, dict):
            raise InputError(f"{path}:{number}: not a baseline record (needs lead and decision)")
        count += 1
        record = evaluator.evaluate(row["lead"], as_of, record=count)
        now = decision(record)
        if "stage" not in expected or "stage" not in now:
            # valid in one and invalid in the other: the validity key says it all
            if expected.get("validity") != now["validity"]:
                flips.append(Flip(number, row.get("id", record["id"]), "validity", expected.get("validity"),
                                  now["validity"]))
            continue
        for key, old in expected.items():
            if key in now and now[key] != old:
                flips.append(Flip(number, row.get("id", record["id"]), key, old, now[key]))
    return Replay(count, tuple(flips), str(as_of_text))

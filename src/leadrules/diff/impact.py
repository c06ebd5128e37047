"""The impact part of `leadrules diff --leads`: both versions evaluate the same records at the
same as-of instant, and the two results of each record are compared key by key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.io.leads import DEFAULT_CSV, CsvOptions, read_leads

__all__ = ["Impact", "Transitions", "ScoreChange", "compare_records", "measure_impact", "SAMPLES"]

SAMPLES = 5  # sample ids kept per changed cell of a transition matrix


@dataclass
class Transitions:
    """A transition matrix: (old value, new value) → count, with sample ids of changed cells."""

    counts: dict[tuple[Any, Any], int] = field(default_factory=dict)
    samples: dict[tuple[Any, Any], list[Any]] = field(default_factory=dict)

    def add(self, old: Any, new: Any, record_id: Any) -> None:
        cell = (old, new)
        self.counts[cell] = self.counts.get(cell, 0) + 1
        if old != new:
            kept = self.samples.setdefault(cell, [])
            if len(kept) < SAMPLES:
                kept.append(record_id)

    @property
    def changed(self) -> int:
        return sum(n for (a, b), n in self.counts.items() if a != b)

    def cells(self) -> list[tuple[Any, Any, int, list[Any]]]:
        """(old, new, count, samples), changed cells first, then by count."""
        return sorted(((a, b, n, self.samples.get((a, b), [])) for (a, b), n in self.counts.items()),
                      key=lambda c: (c[0] == c[1], -c[2], str(c[0]), str(c[1])))


@dataclass
class ScoreChange:
    changed: int = 0
    largest: tuple[Any, Decimal, Decimal] | None = None  # (id, old, new) with the largest |new - old|

    def add(self, record_id: Any, old: Decimal, new: Decimal) -> None:
        if old == new:
            return
        self.changed += 1
        if self.largest is None or abs(new - old) > abs(self.largest[2] - self.largest[1]):
            self.largest = (record_id, old, new)


@dataclass
class Impact:
    as_of: dt.datetime
    records: int = 0
    stage: Transitions = field(default_factory=Transitions)
    route: Transitions = field(default_factory=Transitions)
    reasons_gained: dict[str, int] = field(default_factory=dict)
    reasons_lost: dict[str, int] = field(default_factory=dict)
    blocked_gained: dict[str, int] = field(default_factory=dict)
    blocked_lost: dict[str, int] = field(default_factory=dict)
    # records whose list of reasons (of blocked codes) differs, order included
    reasons_changed: int = 0
    blocked_changed: int = 0
    scores: dict[str, ScoreChange] = field(default_factory=dict)
    bands: dict[str, Transitions] = field(default_factory=dict)
    # records valid under one version only: (id, the error of the version that rejects it)
    became_invalid: list[tuple[Any, str]] = field(default_factory=list)
    became_valid: list[tuple[Any, str]] = field(default_factory=list)
    invalid_both: int = 0


def _count_codes(into: dict[str, int], codes: Iterable[str]) -> None:
    for code in codes:
        into[code] = into.get(code, 0) + 1


def compare_records(old_model: m.CheckedModel, new_model: m.CheckedModel, as_of: dt.datetime,
                    pairs: Iterator[tuple[dict[str, Any], dict[str, Any]]]) -> Impact:
    """Tally the differences between the two results of each record (in input order)."""
    impact = Impact(as_of)
    shared_scores = [s for s in new_model.scores if s in old_model.scores]
    shared_bands = [b for b in new_model.bands if b in old_model.bands]
    impact.scores = {s: ScoreChange() for s in shared_scores}
    impact.bands = {b: Transitions() for b in shared_bands}
    for old, new in pairs:
        impact.records += 1
        record_id = new.get("id", old.get("id"))
        old_error: dict[str, Any] | None = old.get("error")
        new_error: dict[str, Any] | None = new.get("error")
        if old_error is None and new_error is not None:
            impact.became_invalid.append((record_id, str(new_error.get("message", ""))))
            continue
        if old_error is not None and new_error is None:
            impact.became_valid.append((record_id, str(old_error.get("message", ""))))
            continue
        if old_error is not None:
            impact.invalid_both += 1
            continue
        impact.stage.add(old["stage"], new["stage"], record_id)
        impact.route.add(old["route"], new["route"], record_id)
        impact.reasons_changed += old["reasons"] != new["reasons"]
        impact.blocked_changed += old["blocked"] != new["blocked"]
        _count_codes(impact.reasons_gained, [c for c in new["reasons"] if c not in old["reasons"]])
        _count_codes(impact.reasons_lost, [c for c in old["reasons"] if c not in new["reasons"]])
        _count_codes(impact.blocked_gained, [c for c in new["blocked"] if c not in old["blocked"]])
        _count_codes(impact.blocked_lost, [c for c in old["blocked"] if c not in new["blocked"]])
        for name in shared_scores:
            impact.scores[name].add(record_id, Decimal(old["scores"][name]), Decimal(new["scores"][name]))
        for name in shared_bands:
            impact.bands[name].add(old["bands"][name], new["bands"][name], record_id)
    return impact


def measure_impact(old_model: m.CheckedModel, new_model: m.CheckedModel, leads_path: str,
                   events_path: str | None, as_of: dt.datetime, csv_reading: CsvOptions = DEFAULT_CSV) -> Impact:
    """Evaluate the leads file with both versions (the Python engine) and compare the results.
    The file is read once per version: each version converts CSV cells by its own field types."""
    from leadrules.engine.python import compile_model

    old_eval, new_eval = compile_model(old_model), compile_model(new_model)
    with read_leads(leads_path, old_model, events_path, None, csv_reading) as old_records, \
            read_leads(leads_path, new_model, events_path, None, csv_reading) as new_records:
        pairs = zip(old_eval.evaluate_many(old_records, as_of), new_eval.evaluate_many(new_records, as_of),
                    strict=True)
        return compare_records(old_model, new_model, as_of, pairs)

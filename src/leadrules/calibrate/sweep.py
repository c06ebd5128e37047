"""Threshold sweeps: how a stage's selection would change if one numeric threshold moved.

A *threshold* is an ordering comparison in a stage criterion between a number (a score, a
numeric field, an event count) and a constant: `engagement >= 30`, `40 <= fit`. Moving it
changes only whether that comparison is true, so each lead falls in one of four classes,
worked out once from its evaluation (`LeadClass`): it reaches the stage or a later one whatever
the threshold (a later stage's own criterion holds, or the rest of the criterion holds either
way), never (disqualified, blocked, or the rest fails either way), only when the comparison
holds, or only when it fails. A lead whose number is missing makes the comparison unknown
whatever the threshold, so its class is fixed too. The selection at any threshold is then
counted with binary searches over the sorted values, without evaluating again.

Every threshold is swept on its own, the others held at their written values.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from leadrules import model as m
from leadrules.calibrate.metrics import Rate, f1, rate

__all__ = ["Threshold", "find_thresholds", "ALWAYS", "NEVER", "IF_TRUE", "IF_FALSE", "SweepTally", "SweepPart", "PartMetrics",
           "MAX_CANDIDATES", "candidate_values", "weeks_spanned", "suggest"]

ALWAYS, NEVER, IF_TRUE, IF_FALSE = 0, 1, 2, 3
MAX_CANDIDATES = 101  # threshold values tried; more distinct observed values are thinned evenly
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
Number = int | Decimal


@dataclass(frozen=True)
class Threshold:
    stage: str
    stage_index: int  # position in `stages`
    compare: m.Compare  # the node as the model holds it
    subject: m.Expr  # the number side
    op: str  # with the subject on the left: `40 <= fit` is `fit >= 40`
    value: Number  # the constant as written
    constant: m.Const  # its node (the span to replace)


def _is_number_subject(expr: m.Expr) -> bool:
    return isinstance(expr, (m.ScoreValue, m.EventCount)) or (isinstance(expr, m.FieldValue) and expr.type == "number")


def _comparisons(expr: m.Expr) -> list[m.Compare]:
    found: list[m.Compare] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, m.Compare):
            found.append(e)
        elif isinstance(e, (m.And, m.Or, m.Not)):
            stack.extend(reversed(m.children(e)))
    return found


def find_thresholds(model: m.CheckedModel) -> tuple[Threshold, ...]:
    """The numeric thresholds written in stage criteria, in funnel and source order (those
    inside named conditions belong to the condition, not to a stage, and are left out)."""
    found = []
    for index, stage in enumerate(model.stages):
        criterion = model.criteria.get(stage)
        if criterion is None:
            continue
        for compare in _comparisons(criterion.condition):
            if compare.op not in _FLIP:
                continue
            left, right = compare.left, compare.right
            if _is_number_subject(left) and isinstance(right, m.Const) and isinstance(right.value, Decimal):
                found.append(Threshold(stage, index, compare, left, compare.op, _number(right.value), right))
            elif _is_number_subject(right) and isinstance(left, m.Const) and isinstance(left.value, Decimal):
                found.append(Threshold(stage, index, compare, right, _FLIP[compare.op], _number(left.value), left))
    found.sort(key=lambda t: (t.stage_index, t.constant.span.line, t.constant.span.column))
    return tuple(found)


def _number(value: Decimal) -> Number:
    return int(value) if value == value.to_integral_value() else value


def holds(op: str, value: Number, threshold: Number) -> bool:
    return {"<": value < threshold, "<=": value <= threshold, ">": value > threshold, ">=": value >= threshold}[op]


@dataclass(frozen=True)
class PartMetrics:
    """The selection (leads that reach the stage or a later one) at one threshold value."""

    volume: int
    positives: int
    precision: Rate
    recall: Rate
    leads_per_week: float | None
    f1: float | None

    def to_json(self) -> dict[str, object]:
        return {"volume": self.volume, "positives": self.positives, "precision": self.precision.to_json(),
                "recall": self.recall.to_json(), "leads_per_week": self.leads_per_week, "f1": self.f1}


def weeks_spanned(first: dt.datetime | None, last: dt.datetime | None) -> float | None:
    """The weeks a set of leads covers (its first to its last instant), at least one; None without times."""
    if first is None or last is None:
        return None
    span = (last - first).total_seconds() / (7 * 24 * 3600)
    return max(1.0, span)


class SweepTally:
    """One part's decided leads of one threshold, counted as they stream by (local to one
    computation): only the leads whose class depends on the threshold keep their value, and
    those by distinct value, so memory follows the distinct values, not the leads."""

    __slots__ = ("always", "always_positive", "if_true", "if_false", "observed")

    def __init__(self) -> None:
        self.always = self.always_positive = 0
        self.if_true: dict[Number, list[int]] = {}  # value → [leads, positives]
        self.if_false: dict[Number, list[int]] = {}
        self.observed: set[Number] = set()  # every value seen (the first of equal values is kept)

    def add(self, lead_class: int, value: Number | None, positive: bool) -> None:
        if value is None:
            if lead_class == ALWAYS:
                self.always += 1
                self.always_positive += positive
            return
        self.observed.add(value)
        if lead_class == ALWAYS:
            self.always += 1
            self.always_positive += positive
        elif lead_class == IF_TRUE or lead_class == IF_FALSE:
            table = self.if_true if lead_class == IF_TRUE else self.if_false
            counts = table.get(value)
            if counts is None:
                table[value] = [1, int(positive)]
            else:
                counts[0] += 1
                counts[1] += positive


class SweepPart:
    """The leads of one part (before or after --holdout-after) of one threshold, counted."""

    def __init__(self, op: str, tally: SweepTally, weeks: float | None, positives: int) -> None:
        """`tally`: the part's decided leads; `positives`: all positive leads of the part (the recall base)."""
        self.op = op
        self.weeks = weeks
        self.total_positives = positives
        self.always, self.always_positive = tally.always, tally.always_positive
        self._true = self._sorted(tally.if_true)
        self._false = self._sorted(tally.if_false)

    @staticmethod
    def _sorted(table: dict[Number, list[int]]) -> tuple[list[Number], list[int], list[int]]:
        """The distinct values in order, with running counts of leads and of positives (from 0)."""
        values = sorted(table)
        leads, positives = [0], [0]
        for value in values:
            n, positive = table[value]
            leads.append(leads[-1] + n)
            positives.append(positives[-1] + positive)
        return values, leads, positives

    def _holding(self, table: tuple[list[Number], list[int], list[int]], threshold: Number) -> tuple[int, int]:
        """(leads, positives) of a sorted table whose value makes `value OP threshold` true."""
        values, leads, positives = table
        n = len(values)
        if self.op in (">=", ">"):
            cut = bisect.bisect_left(values, threshold) if self.op == ">=" else bisect.bisect_right(values, threshold)
            return leads[n] - leads[cut], positives[n] - positives[cut]
        cut = bisect.bisect_right(values, threshold) if self.op == "<=" else bisect.bisect_left(values, threshold)
        return leads[cut], positives[cut]

    def at(self, threshold: Number) -> PartMetrics:
        true_n, true_pos = self._holding(self._true, threshold)
        held_n, held_pos = self._holding(self._false, threshold)
        false_n = self._false[1][-1] - held_n
        false_pos = self._false[2][-1] - held_pos
        volume = self.always + true_n + false_n
        positives = self.always_positive + true_pos + false_pos
        precision, recall = rate(positives, volume), rate(positives, self.total_positives)
        per_week = None if self.weeks is None else volume / self.weeks
        return PartMetrics(volume, positives, precision, recall, per_week, f1(precision.value, recall.value))


def candidate_values(observed: Iterable[Number], current: Number) -> list[Number]:
    """The distinct observed values (thinned evenly to MAX_CANDIDATES) and the current one."""
    distinct = sorted(set(observed))
    if len(distinct) > MAX_CANDIDATES:
        step = (len(distinct) - 1) / (MAX_CANDIDATES - 1)
        distinct = sorted({distinct[round(i * step)] for i in range(MAX_CANDIDATES)})
    return sorted({*distinct, current})


def suggest(rows: Sequence[tuple[Number, PartMetrics]], capacity: float | None) -> tuple[Number | None, str]:
    """The suggested value and why: the most positives at no more than `capacity` leads a week
    (ties: the higher precision, then the fewer leads), else the best F1 (ties: the higher
    precision). None when the part has no positive at all."""
    usable = [(value, metrics) for value, metrics in rows if metrics.volume > 0]
    if not usable or all(metrics.positives == 0 for _, metrics in usable):
        return None, "no positive outcome before the holdout: nothing to suggest"
    if capacity is not None:
        within = [(v, mt) for v, mt in usable if mt.leads_per_week is not None and mt.leads_per_week <= capacity]
        if not within:
            value, _ = min(usable, key=lambda row: (row[1].volume, -(row[1].precision.value or 0.0)))
            return value, f"no value keeps within {capacity:g} leads/week: the one with the fewest leads"
        value, _ = max(within, key=lambda row: (row[1].positives, row[1].precision.value or 0.0, -row[1].volume))
        return value, f"most positive outcomes within {capacity:g} leads/week"
    value, _ = max(usable, key=lambda row: (row[1].f1 or 0.0, row[1].precision.value or 0.0))
    return value, "best F1 (precision and recall)"

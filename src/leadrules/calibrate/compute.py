"""The numbers of `leadrules calibrate`: every lead evaluated as known at its decision, joined to
what sales decided, counted.

Leads are evaluated by the Python engine's trace (`Evaluator.trace`, what the explain ledger is
built from), which says which scoring rules and disqualifiers fired and gives the values a
criterion looked at. The thresholds' subjects and their stages' criteria are lowered to plan
nodes once per run and read over each lead's traced values by the plan interpreter, as explain
reads a criterion's clauses. Leads stream by: each is counted as it is read and only tallies are kept
(per threshold, leads by distinct value), so memory does not grow with the leads.
Only *decided* leads count: a valid record whose id has a positive or negative outcome. Open
outcomes, leads without an outcome, error records and outcome ids no lead has are counted and
reported, never mixed into the rates.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadrules import model as m
from leadrules.calibrate.metrics import Lift, Rate, lift, rate
from leadrules.calibrate.outcomes import OutcomeTable
from leadrules.calibrate.sweep import (
    ALWAYS,
    IF_FALSE,
    IF_TRUE,
    NEVER,
    Number,
    PartMetrics,
    SweepPart,
    SweepTally,
    Threshold,
    candidate_values,
    find_thresholds,
    suggest,
    weeks_spanned,
)
from leadrules.errors import InputError
from leadrules.io.leads import DEFAULT_CSV, CsvOptions, printed_id, read_leads
from leadrules.ir import Lowering
from leadrules.ir import nodes as n
from leadrules.ir.interpret import Interpreter, LeadValues
from leadrules.model_text import describe, describe_rule
from leadrules.values import format_timestamp

__all__ = ["Calibration", "StageRow", "RuleRow", "ThresholdRow", "SweepRow", "compute_calibration",
           "MIN_GROUP", "TOP_REASONS", "NO_REASON", "NO_ROUTE", "NO_BAND", "EXAMPLE_IDS"]

MIN_GROUP = 30  # decided leads needed both where a rule fired and where it did not, to judge its lift
TOP_REASONS = 3  # rejection reasons shown per rule
EXAMPLE_IDS = 5  # outcome ids without a lead, shown
NO_REASON = "(no reason given)"
NO_ROUTE = "(no route)"
NO_BAND = "(none)"

Truth = bool | None


@dataclass(frozen=True)
class StageRow:
    stage: str
    volume: int  # decided leads at exactly this stage
    acceptance: Rate  # positives among them
    reached: int  # decided leads at this stage or a later one (not Disqualified)
    precision: Rate | None  # positives among those reached; None for Disqualified
    recall: Rate | None  # positives reached among all positives

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "volume": self.volume, "acceptance_rate": self.acceptance.to_json(),
                "reached": self.reached,
                "precision": None if self.precision is None else self.precision.to_json(),
                "recall": None if self.recall is None else self.recall.to_json()}


@dataclass(frozen=True)
class RuleRow:
    kind: str  # "rule" | "disqualifier"
    name: str  # the score of a rule, the code of a disqualifier
    index: int | None  # a rule's position within its score, from 0
    label: str | None
    text: str  # the rule (or the disqualifier's condition) as written
    fired: int
    not_fired: int
    rate_fired: Rate
    rate_not_fired: Rate
    lift: Lift
    verdict: str  # "too rare to judge" | "raises" | "lowers" | "no clear effect" | "no estimate"
    reasons: tuple[tuple[str, int], ...]  # top rejection reasons where it fired

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"kind": self.kind}
        if self.kind == "rule":
            entry.update({"score": self.name, "index": self.index, "label": self.label, "rule": self.text})
        else:
            entry.update({"code": self.name, "rule": self.text})
        entry.update({
            "fired": self.fired, "not_fired": self.not_fired,
            "positive_rate_fired": self.rate_fired.to_json(), "positive_rate_not_fired": self.rate_not_fired.to_json(),
            "lift": self.lift.value, "lift_low": self.lift.low, "lift_high": self.lift.high, "verdict": self.verdict,
            "rejection_reasons": [{"reason": r, "count": n} for r, n in self.reasons],
        })
        return entry


@dataclass(frozen=True)
class SweepRow:
    value: Number
    fit: PartMetrics  # the training part: before --holdout-after (all decided leads without it)
    holdout: PartMetrics | None


@dataclass(frozen=True)
class ThresholdRow:
    threshold: Threshold
    text: str  # the comparison as written
    subject: str
    rows: tuple[SweepRow, ...]
    suggested: Number | None
    why: str
    fit_current: PartMetrics
    fit_suggested: PartMetrics | None
    holdout_current: PartMetrics | None
    holdout_suggested: PartMetrics | None

    def to_json(self) -> dict[str, Any]:
        t = self.threshold
        span = t.constant.span
        def metrics(p: PartMetrics | None) -> dict[str, object] | None:
            return None if p is None else p.to_json()
        return {
            "stage": t.stage, "criterion": self.text, "subject": self.subject, "op": t.op,
            "current": _json_number(t.value), "suggested": None if self.suggested is None else _json_number(self.suggested),
            "why": self.why, "at": {"line": span.line, "column": span.column},
            "training": {"current": metrics(self.fit_current), "suggested": metrics(self.fit_suggested)},
            "holdout": {"current": metrics(self.holdout_current), "suggested": metrics(self.holdout_suggested)},
            "sweep": [{"value": _json_number(r.value), "training": r.fit.to_json(), "holdout": metrics(r.holdout)}
                      for r in self.rows],
        }


def _json_number(value: Number) -> int | float:
    return value if isinstance(value, int) else float(value)


@dataclass(frozen=True)
class Calibration:
    ruleset: str
    version: str
    path: str
    as_of: str  # the fixed instant, or "each lead's FIELD"
    holdout_after: dt.datetime | None
    capacity: float | None
    positive_values: tuple[str, ...]
    negative_values: tuple[str, ...]
    records: int
    invalid: int
    no_outcome: int
    open: int
    decided: int
    positives: int
    unknown_ids: int
    unknown_examples: tuple[str, ...]
    outcome_rows: int
    outcome_replaced: int
    outcome_unusable: int
    outcome_problems: tuple[str, ...]
    untimed: int  # decided leads without a time (left out of the holdout split)
    fit_leads: int
    holdout_leads: int
    stages: tuple[StageRow, ...]
    rules: tuple[RuleRow, ...]
    disqualifiers: tuple[RuleRow, ...]
    reasons_by_stage: dict[str, tuple[tuple[str, int], ...]]
    reasons_by_band: dict[str, dict[str, tuple[tuple[str, int], ...]]]
    reasons_by_route: dict[str, tuple[tuple[str, int], ...]]
    thresholds: tuple[ThresholdRow, ...]

    def to_json(self) -> dict[str, Any]:
        def counts(items: tuple[tuple[str, int], ...]) -> list[dict[str, object]]:
            return [{"reason": r, "count": n} for r, n in items]
        return {
            "ruleset": {"name": self.ruleset, "version": self.version, "path": self.path},
            "as_of": self.as_of,
            "holdout_after": None if self.holdout_after is None else format_timestamp(self.holdout_after),
            "capacity_per_week": self.capacity,
            "outcome_values": {"positive": list(self.positive_values), "negative": list(self.negative_values)},
            "leads": {"records": self.records, "invalid": self.invalid, "no_outcome": self.no_outcome,
                      "open": self.open, "decided": self.decided, "positive": self.positives,
                      "negative": self.decided - self.positives, "untimed": self.untimed,
                      "before_holdout": self.fit_leads, "holdout": self.holdout_leads},
            "outcomes": {"rows": self.outcome_rows, "replaced": self.outcome_replaced,
                         "unusable": self.outcome_unusable, "problems": list(self.outcome_problems),
                         "unknown_ids": self.unknown_ids, "unknown_id_examples": list(self.unknown_examples)},
            "stages": [s.to_json() for s in self.stages],
            "rules": [r.to_json() for r in self.rules],
            "disqualifiers": [d.to_json() for d in self.disqualifiers],
            "rejection_reasons": {
                "by_stage": {k: counts(v) for k, v in self.reasons_by_stage.items()},
                "by_band": {band: {label: counts(v) for label, v in labels.items()}
                            for band, labels in self.reasons_by_band.items()},
                "by_route": {k: counts(v) for k, v in self.reasons_by_route.items()},
            },
            "thresholds": [t.to_json() for t in self.thresholds],
            "min_group": MIN_GROUP,
        }


def verdict(fired: int, not_fired: int, estimate: Lift) -> str:
    if fired < MIN_GROUP or not_fired < MIN_GROUP:
        return "too rare to judge"
    if estimate.low is None or estimate.high is None:
        return "no estimate"
    if estimate.low > 1:
        return "raises"
    if estimate.high < 1:
        return "lowers"
    return "no clear effect"


@dataclass(frozen=True)
class _LoweredThreshold:
    """A threshold's subject and its stage's criterion as plan nodes (lowered once per run).
    `compare` is a node object of its own, standing in `criterion` exactly where the model's
    criterion holds the threshold's comparison: `Lowering` shares the node of equal expressions,
    so the lowered comparison alone could stand elsewhere too."""

    subject: n.Node
    criterion: n.Node
    compare: n.Node


def _lower_threshold(t: Threshold, criterion: m.Expr, lowering: Lowering) -> _LoweredThreshold:
    compare = copy.copy(lowering.expr(t.compare))
    return _LoweredThreshold(lowering.expr(t.subject),
                             _placed(criterion, lowering.expr(criterion), t.compare, compare), compare)


def _placed(expr: m.Expr, node: n.Node, target: m.Expr, stand_in: n.Node) -> n.Node:
    """`node` (the lowering of `expr`) with `stand_in` wherever `expr` holds `target` itself,
    through the not/and/or that `_kleene` walks (lowered one to one: Not, All, Any)."""
    if expr is target:
        return stand_in
    if isinstance(expr, m.Not) and isinstance(node, n.Not):
        return n.Not(_placed(expr.operand, node.operand, target, stand_in), node.nullable, node.span)
    if isinstance(expr, m.And) and isinstance(node, n.All):
        return n.All(_placed_all(expr.operands, node.operands, target, stand_in), node.nullable, node.span)
    if isinstance(expr, m.Or) and isinstance(node, n.Any):
        return n.Any(_placed_all(expr.operands, node.operands, target, stand_in), node.nullable, node.span)
    if isinstance(expr, (m.Not, m.And, m.Or)):
        raise AssertionError(f"{type(expr).__name__} lowered to {type(node).__name__}")
    return node


def _placed_all(exprs: tuple[m.Expr, ...], nodes: tuple[n.Node, ...], target: m.Expr,
                stand_in: n.Node) -> tuple[n.Node, ...]:
    return tuple(_placed(e, o, target, stand_in) for e, o in zip(exprs, nodes, strict=True))


def _kleene(node: n.Node, given: n.Node, truth: Truth, interpreter: Interpreter) -> Truth:
    """The truth of a lowered criterion with the comparison `given` (that node object) taken as
    `truth` (Kleene logic, as the engine)."""
    if node is given:
        return truth
    if isinstance(node, n.Not):
        inner = _kleene(node.operand, given, truth, interpreter)
        return None if inner is None else not inner
    if isinstance(node, (n.All, n.Any)):
        decisive = isinstance(node, n.Any)
        seen = [_kleene(o, given, truth, interpreter) for o in node.operands]
        if decisive in seen:
            return decisive
        return None if None in seen else not decisive
    result: Truth = interpreter.value(node)
    return result


def _lead_class(t: Threshold, lowered: _LoweredThreshold, stage_index: int, blocked_at: int | None,
                interpreter: Interpreter) -> tuple[int, Number | None]:
    """The sweep class of one lead for one threshold (see `sweep`), and its subject value."""
    subject = interpreter.value(lowered.subject)
    if stage_index < 0 or (blocked_at is not None and blocked_at <= t.stage_index):
        return NEVER, subject
    if stage_index > t.stage_index:
        return ALWAYS, subject
    criterion, compare = lowered.criterion, lowered.compare
    if subject is None:
        return (ALWAYS if _kleene(criterion, compare, None, interpreter) is True else NEVER), None
    when_true = _kleene(criterion, compare, True, interpreter) is True
    when_false = _kleene(criterion, compare, False, interpreter) is True
    if when_true and when_false:
        return ALWAYS, subject
    if when_true:
        return IF_TRUE, subject
    if when_false:
        return IF_FALSE, subject
    return NEVER, subject


def _tally(counters: dict[str, Counter[str]], key: str, reason: str) -> None:
    """One more `reason` under `key` (a Counter made only for a new key, not for every lead)."""
    counter = counters.get(key)
    if counter is None:
        counter = counters[key] = Counter()
    counter[reason] += 1


def _top(counter: Counter[str], limit: int | None = None) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit])


@dataclass
class _RuleCounter:
    """Counts of one rule or disqualifier over decided leads (local to one computation)."""

    fired: int = 0
    fired_positive: int = 0
    reasons: Counter[str] | None = None


class _Part:
    """The decided leads of one part (before or after --holdout-after), counted as they stream
    by (local to one computation): how many, their positives, their first and last instant,
    and one sweep tally per threshold."""

    __slots__ = ("leads", "positives", "first", "last", "tallies")

    def __init__(self, thresholds: int) -> None:
        self.leads = self.positives = 0
        self.first: dt.datetime | None = None
        self.last: dt.datetime | None = None
        self.tallies = [SweepTally() for _ in range(thresholds)]

    def add(self, positive: bool, time: dt.datetime | None) -> None:
        self.leads += 1
        self.positives += positive
        if time is not None:
            if self.first is None or time < self.first:
                self.first = time
            if self.last is None or time > self.last:
                self.last = time


def compute_calibration(model: m.CheckedModel, leads: str | None, events_path: str | None, outcomes: OutcomeTable,
                        *, as_of: dt.datetime | None, as_of_field: str | None, holdout_after: dt.datetime | None,
                        capacity: float | None, positive_values: tuple[str, ...], negative_values: tuple[str, ...],
                        csv_reading: CsvOptions = DEFAULT_CSV,
                        progress: Callable[[int], None] | None = None) -> Calibration:
    """Evaluate every lead (each as of its `as_of_field`, or all as of `as_of`) and count."""
    from leadrules.engine.python import compile_model

    if (as_of is None) == (as_of_field is None):
        raise ValueError("exactly one of as_of and as_of_field")
    evaluator = compile_model(model)
    thresholds = find_thresholds(model)
    stage_position = {stage: index for index, stage in enumerate(model.stages)}
    scoped = [(i, stage_position[d.at]) for i, d in enumerate(model.disqualifiers) if d.at is not None]
    rule_counts: dict[tuple[str, int], _RuleCounter] = {
        (score.name, index): _RuleCounter(reasons=Counter())
        for score in model.scores.values() for index, _ in enumerate(score.rules)}
    disqualifier_counts = [_RuleCounter(reasons=Counter()) for _ in model.disqualifiers]
    exactly = Counter[str]()
    exactly_positive = Counter[str]()
    by_stage: dict[str, Counter[str]] = {}
    by_band: dict[str, dict[str, Counter[str]]] = {band: {} for band in model.bands}
    by_route: dict[str, Counter[str]] = {}
    generated = evaluator.generated
    lowering = generated.lowering
    lowered = [_lower_threshold(t, model.criteria[t.stage].condition, lowering) for t in thresholds]
    # LeadValues reads email domains by the email field's position among the fields
    email_indexes = tuple(lowering.field_index[name] for name in generated.email_fields)
    # the counters of the trace's rules, in the order the trace reports them
    traced_rules = [rule_counts[(score, index)] for score, index, _ in generated.rules]
    fit = _Part(len(thresholds))
    held = None if holdout_after is None else _Part(len(thresholds))
    untimed = decided = 0
    by_id = outcomes.by_id
    seen = bytearray(len(by_id.codes))  # per outcome position: whether some lead has its id
    records = invalid = no_outcome = open_outcomes = 0
    with read_leads(leads, model, events_path, progress, csv_reading) as stream:
        for number, lead in enumerate(stream, 1):
            records = number
            key = printed_id(lead, number)
            position = by_id.positions.get(key)
            outcome = None
            if position is not None:
                seen[position] = 1
                outcome = by_id.outcome_at(key, position)
            if outcome is None or outcome.positive is None:
                # only whether it is valid matters: the plain evaluation, not the costlier trace
                (plain,) = evaluator.evaluate_many((lead,), as_of, as_of_field=as_of_field)
                if "error" in plain:
                    invalid += 1
                elif outcome is None:
                    no_outcome += 1
                else:
                    open_outcomes += 1
                continue
            record, valid, traced, lead_as_of = evaluator.trace(lead, as_of, record=number, as_of_field=as_of_field)
            if valid is None or traced is None:
                invalid += 1
                continue
            decided += 1
            positive = outcome.positive
            disq = traced.disqualifiers
            stage = record["stage"]
            exactly[stage] += 1
            exactly_positive[stage] += positive
            reason = None if positive else (outcome.reason or NO_REASON)
            for counter, (fired, _) in zip(traced_rules, traced.rule_points, strict=True):
                if fired:
                    counter.fired += 1
                    counter.fired_positive += positive
                    if reason is not None and counter.reasons is not None:
                        counter.reasons[reason] += 1
            for counter, truth in zip(disqualifier_counts, disq, strict=True):
                if truth is True:
                    counter.fired += 1
                    counter.fired_positive += positive
                    if reason is not None and counter.reasons is not None:
                        counter.reasons[reason] += 1
            if reason is not None:
                _tally(by_stage, stage, reason)
                for band, label in record["bands"].items():
                    _tally(by_band[band], label if label is not None else NO_BAND, reason)
                route = record["route"]
                _tally(by_route, route if route is not None else NO_ROUTE, reason)
            time = lead_as_of if as_of_field is not None else outcome.decided_at
            if held is None:
                part = fit
            elif time is None:
                untimed += 1
                continue
            else:
                part = fit if time < holdout_after else held  # type: ignore[operator]
            part.add(positive, time)
            if not thresholds:
                continue
            stage_index = -1 if stage == m.DISQUALIFIED else stage_position[stage]
            blocked_at = None if not scoped else min(
                (at for i, at in scoped if disq[i] is True), default=None)
            interpreter = Interpreter(LeadValues(
                values=valid.values, counts=traced.counts,
                domains=dict(zip(email_indexes, traced.domains, strict=True)),
                scores=traced.scores, bands=traced.bands, conditions=traced.conditions))
            for tally, t, lowered_threshold in zip(part.tallies, thresholds, lowered, strict=True):
                lead_class, subject = _lead_class(t, lowered_threshold, stage_index, blocked_at, interpreter)
                tally.add(lead_class, subject, positive)
    unknown = [lead_id for lead_id, position in by_id.positions.items() if not seen[position]]
    positives = sum(exactly_positive.values())
    stages = _stage_rows(model, exactly, exactly_positive, positives)
    rules = _rule_rows(model, rule_counts, decided, positives)
    disqualifiers = tuple(
        _judged("disqualifier", d.code, None, None, describe(d.condition, model), c, decided, positives)
        for d, c in zip(model.disqualifiers, disqualifier_counts, strict=True))
    fit_weeks = weeks_spanned(fit.first, fit.last)
    if capacity is not None and fit_weeks is None and thresholds:
        raise InputError("--capacity needs lead times: --as-of-field, or decided_at in OUTCOMES")
    threshold_rows = tuple(
        _sweep(index, t, fit, held, fit_weeks, capacity, model) for index, t in enumerate(thresholds))
    return Calibration(
        ruleset=model.name, version=model.version, path=model.path,
        as_of=f"each lead's {as_of_field}" if as_of_field is not None else format_timestamp(as_of),  # type: ignore[arg-type]
        holdout_after=holdout_after, capacity=capacity,
        positive_values=positive_values, negative_values=negative_values,
        records=records, invalid=invalid, no_outcome=no_outcome, open=open_outcomes, decided=decided,
        positives=positives, unknown_ids=len(unknown), unknown_examples=tuple(unknown[:EXAMPLE_IDS]),
        outcome_rows=outcomes.rows, outcome_replaced=outcomes.replaced, outcome_unusable=outcomes.unusable,
        outcome_problems=outcomes.problems, untimed=untimed,
        fit_leads=fit.leads, holdout_leads=0 if held is None else held.leads,
        stages=stages, rules=rules, disqualifiers=disqualifiers,
        reasons_by_stage={s: _top(c) for s, c in sorted(by_stage.items(), key=lambda i: _stage_key(model, i[0]))},
        reasons_by_band={b: {label: _top(c) for label, c in sorted(labels.items())} for b, labels in by_band.items()},
        reasons_by_route={r: _top(c) for r, c in sorted(by_route.items())},
        thresholds=threshold_rows,
    )


def _stage_key(model: m.CheckedModel, stage: str) -> int:
    return model.stages.index(stage) if stage in model.stages else len(model.stages)


def _stage_rows(model: m.CheckedModel, exactly: Counter[str], exactly_positive: Counter[str],
                positives: int) -> tuple[StageRow, ...]:
    rows = []
    for index, stage in enumerate(model.stages):
        later = model.stages[index:]
        reached = sum(exactly[s] for s in later)
        reached_positive = sum(exactly_positive[s] for s in later)
        rows.append(StageRow(stage, exactly[stage], rate(exactly_positive[stage], exactly[stage]), reached,
                             rate(reached_positive, reached), rate(reached_positive, positives)))
    if model.disqualifiers:
        rows.append(StageRow(m.DISQUALIFIED, exactly[m.DISQUALIFIED],
                             rate(exactly_positive[m.DISQUALIFIED], exactly[m.DISQUALIFIED]), 0, None, None))
    return tuple(rows)


def _rule_rows(model: m.CheckedModel, counts: dict[tuple[str, int], _RuleCounter], decided: int,
               positives: int) -> tuple[RuleRow, ...]:
    rows = []
    for score in model.scores.values():
        for index, rule in enumerate(score.rules):
            counter = counts[(score.name, index)]
            rows.append(_judged("rule", score.name, index, rule.label, describe_rule(rule, model), counter, decided,
                                positives))
    return tuple(rows)


def _judged(kind: str, name: str, index: int | None, label: str | None, text: str, counter: _RuleCounter,
            decided: int, positives: int) -> RuleRow:
    not_fired = decided - counter.fired
    not_fired_positive = positives - counter.fired_positive
    estimate = lift(counter.fired_positive, counter.fired, not_fired_positive, not_fired)
    return RuleRow(kind, name, index, label, text, counter.fired, not_fired, rate(counter.fired_positive, counter.fired),
                   rate(not_fired_positive, not_fired), estimate, verdict(counter.fired, not_fired, estimate),
                   _top(counter.reasons or Counter(), TOP_REASONS))


def _sweep(index: int, t: Threshold, fit: _Part, held: _Part | None, fit_weeks: float | None,
           capacity: float | None, model: m.CheckedModel) -> ThresholdRow:
    fit_part = SweepPart(t.op, fit.tallies[index], fit_weeks, fit.positives)
    held_part = None if held is None else SweepPart(t.op, held.tallies[index], weeks_spanned(held.first, held.last),
                                                    held.positives)
    observed = set(fit.tallies[index].observed)  # of equal values, the training part's is kept
    if held is not None:
        observed.update(held.tallies[index].observed)
    values = candidate_values(observed, t.value)
    rows = tuple(SweepRow(v, fit_part.at(v), None if held_part is None else held_part.at(v)) for v in values)
    suggested, why = suggest([(r.value, r.fit) for r in rows], capacity)
    return ThresholdRow(
        threshold=t, text=describe(t.compare, model), subject=describe(t.subject, model), rows=rows,
        suggested=suggested, why=why, fit_current=fit_part.at(t.value),
        fit_suggested=None if suggested is None else fit_part.at(suggested),
        holdout_current=None if held_part is None else held_part.at(t.value),
        holdout_suggested=None if held_part is None or suggested is None else held_part.at(suggested),
    )

"""A witness as the Python engine evaluates it: the record and the ledger behind it.

The linter has no evaluator of its own: every witness is run through
`leadrules.engine.python` and findings are confirmed on what the engine reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.engine.python import Evaluator, Explanation, RuleTrace, compile_model

__all__ = ["Outcome", "Truth", "Judge"]

Truth = bool | None  # None is unknown


@dataclass(frozen=True)
class Outcome:
    """What the engine says about one lead: final record, scores, bands, and the truth of
    every disqualifier, stage criterion, route entry and scoring rule."""

    lead: dict[str, Any]
    explanation: Explanation

    @property
    def valid(self) -> bool:
        return self.explanation.valid

    @property
    def record(self) -> dict[str, Any]:
        return self.explanation.record

    @property
    def scores(self) -> dict[str, Decimal]:
        return {name: Decimal(value) for name, value in self.record["scores"].items()}

    @property
    def bands(self) -> dict[str, str | None]:
        return dict(self.record["bands"])

    @property
    def fires(self) -> tuple[Truth, ...]:
        """Truth of each disqualifier's condition, in declaration order."""
        return tuple(truth for _, truth in self.explanation.disqualifiers)

    @property
    def criteria(self) -> dict[str, Truth]:
        return self.explanation.criteria

    @property
    def routes(self) -> dict[str, tuple[Truth, ...]]:
        """Per routed stage: truth of each conditional entry, in order."""
        return self.explanation.routes

    @property
    def rules(self) -> dict[tuple[str, int], tuple[bool, Decimal]]:
        """(score, rule index) → (fired, points added)."""
        return {(r.score, r.index): (r.fired, r.points) for r in self.explanation.rules}

    def selected_entry(self, stage: str) -> int | None:
        """Index of the conditional route entry that routes a lead ending in `stage`."""
        if self.record.get("stage") != stage:
            return None
        return next((i for i, truth in enumerate(self.routes.get(stage, ())) if truth is True), None)


class Judge:
    """Evaluates leads with the model's compiled evaluator (compiled on first use)."""

    def __init__(self, model: m.CheckedModel, as_of: dt.datetime) -> None:
        self.model = model
        self.as_of = as_of
        self._evaluator: Evaluator | None = None

    @property
    def evaluator(self) -> Evaluator:
        if self._evaluator is None:
            self._evaluator = compile_model(self.model)
        return self._evaluator

    def outcome(self, lead: dict[str, Any]) -> Outcome:
        """The engine's verdict on one lead.

        Runs the compiled module's `trace` (the same code `Evaluator.explain` runs) and keeps
        the record with the truth of every rule, disqualifier, criterion and route entry.
        `Evaluator.explain` also builds the next stage's clauses and the named event counts,
        measured 3x slower per lead on a 300-rule ruleset, where the linter screens hundreds
        of leads; when the compiled module is not reachable it is used as is (and a test
        keeps the two in agreement)."""
        evaluator = self.evaluator
        validate = getattr(evaluator, "_validate", None)
        module = getattr(evaluator, "_module", None)
        if validate is None or module is None:
            return Outcome(lead, evaluator.explain(lead, self.as_of))
        valid, error = validate(lead, 1)
        if valid is None:
            return Outcome(lead, Explanation(record=error))
        traced = module.trace(valid.id, valid.values, valid.events, self.as_of)
        try:
            record, rule_points, truths, criteria, routes = traced[:5]
            generated = module.generated
            rules = tuple(
                RuleTrace(score, index, rule.label, _KINDS[type(rule)], bool(fired), Decimal(points))
                for (score, index, rule), (fired, points) in zip(generated.rules, rule_points, strict=True)
            )
            return Outcome(lead, Explanation(
                record=record,
                rules=rules,
                disqualifiers=tuple((d.code, t) for d, t in zip(self.model.disqualifiers, truths, strict=True)),
                criteria=dict(zip(generated.criteria, criteria, strict=True)),
                routes=dict(zip(generated.routes, routes, strict=True)),
            ))
        except (ValueError, TypeError, AttributeError, KeyError):
            # the trace no longer has the shape read here: the public explanation is exact
            return Outcome(lead, evaluator.explain(lead, self.as_of))


_KINDS = {m.IfRule: "if", m.PerEventRule: "per_event", m.PerFieldRule: "per_field"}

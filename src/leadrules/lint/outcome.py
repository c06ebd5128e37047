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
from leadrules.engine.python import Evaluator, Explanation, compile_model

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
        """The engine's verdict on one lead: its record and the truth of every rule,
        disqualifier, criterion and route entry (without the texts a person reads)."""
        return Outcome(lead, self.evaluator.explain(lead, self.as_of, detailed=False))

"""A witness as the Python engine evaluates it: the record and the ledger behind it.

The linter has no evaluator of its own: every witness is run through
`leadrules.engine.python` and findings are confirmed on what the engine reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from leadrules import model as m
from leadrules.engine.python import Evaluator, Explanation, compile_model
from leadrules.engine.python.codegen import GeneratedModule
from leadrules.engine.python.explain import build_explanation
from leadrules.engine.python.runtime import Trace
from leadrules.engine.validate import ValidLead

__all__ = ["Outcome", "Truth", "Judge"]

Truth = bool | None  # None is unknown


@dataclass(frozen=True)
class Outcome:
    """What the engine says about one lead: final record, scores, bands, and the truth of
    every disqualifier, stage criterion, route entry and scoring rule.

    Built from the engine's raw trace; the full ledger (`explanation`) is built only when
    something reads it: a large ruleset's linter judges thousands of leads by their stage,
    scores and route truths, and building every lead's ledger (one entry per scoring rule)
    was measured at over half of the engine time at 600 rules."""

    lead: dict[str, Any]
    record: dict[str, Any]
    # the valid lead and the engine's trace (None for an invalid lead), what the ledger is built from
    checked: ValidLead | None = field(repr=False)
    traced: Trace | None = field(repr=False)
    module: GeneratedModule = field(repr=False, compare=False)
    model: m.CheckedModel = field(repr=False, compare=False)

    @cached_property
    def explanation(self) -> Explanation:
        return build_explanation(self.model, self.module, self.record, self.checked, self.traced, detailed=False)

    @property
    def valid(self) -> bool:
        return "error" not in self.record

    @cached_property
    def scores(self) -> dict[str, Decimal]:
        return {name: Decimal(value) for name, value in self.record["scores"].items()}

    @property
    def bands(self) -> dict[str, str | None]:
        return dict(self.record["bands"])

    @cached_property
    def fires(self) -> tuple[Truth, ...]:
        """Truth of each disqualifier's condition, in declaration order."""
        return () if self.traced is None else tuple(self.traced.disqualifiers)

    @cached_property
    def criteria(self) -> dict[str, Truth]:
        return {} if self.traced is None else dict(zip(self.module.criteria, self.traced.criteria, strict=True))

    @cached_property
    def routes(self) -> dict[str, tuple[Truth, ...]]:
        """Per routed stage: truth of each conditional entry, in order."""
        return {} if self.traced is None else dict(zip(self.module.routes, self.traced.routes, strict=True))

    @cached_property
    def fired(self) -> tuple[tuple[str, int], ...]:
        """(score, rule index) of each scoring rule that fired, read off the trace."""
        if self.traced is None:
            return ()
        return tuple((score, index) for (score, index, _), (fired, _) in zip(
            self.module.rules, self.traced.rule_points, strict=True) if fired)

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
        record, checked, traced, _ = self.evaluator.trace(lead, self.as_of)
        return Outcome(lead, record, checked, traced, self.evaluator.generated, self.model)

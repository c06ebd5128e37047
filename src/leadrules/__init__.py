"""leadrules: lead-qualification rules as checked, testable text files.

    import leadrules
    rules = leadrules.load("acme.rules")          # raises RulesetError with diagnostics
    record = rules.evaluate(lead, as_of="2026-11-22T00:00:00Z")
    for record in rules.evaluate_many(leads, as_of=as_of): ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadrules.errors import RulesetError
from leadrules.version import __version__

if TYPE_CHECKING:
    from leadrules.engine.python import Evaluator, Explanation
    from leadrules.model import CheckedModel

__all__ = ["__version__", "load", "Ruleset", "RulesetError"]


class Ruleset:
    """A checked ruleset compiled for evaluation."""

    def __init__(self, model: CheckedModel) -> None:
        from leadrules.engine.python import compile_model

        self.model = model
        self.evaluator: Evaluator = compile_model(model)

    @property
    def name(self) -> str:
        return self.model.name

    def evaluate(self, lead: Any, *, as_of: dt.datetime | str) -> dict[str, Any]:
        """The output record of one lead (section 5 of the spec), or its error record."""
        return self.evaluator.evaluate(lead, _as_of(as_of))

    def evaluate_many(self, leads: Iterable[Any], *, as_of: dt.datetime | str) -> Iterator[dict[str, Any]]:
        """One record per lead, in order (error records in place)."""
        return self.evaluator.evaluate_many(leads, _as_of(as_of))

    def explain(self, lead: Any, *, as_of: dt.datetime | str) -> Explanation:
        return self.evaluator.explain(lead, _as_of(as_of))


def _as_of(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
    from leadrules.engine.validate import parse_lead_timestamp

    parsed = parse_lead_timestamp(value)
    if parsed is None:
        raise ValueError(f"as_of: expected a timestamp (ISO 8601), found {value!r}")
    return parsed


def load(path: str | Path) -> Ruleset:
    """Parse, check and compile a ruleset file; raises RulesetError (with `.diagnostics`)."""
    from leadrules.workspace import load_file

    loaded = load_file(path)
    if loaded.model is None:
        raise RulesetError(loaded.diagnostics)
    return Ruleset(loaded.model)

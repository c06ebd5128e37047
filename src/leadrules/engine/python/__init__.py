"""The Python engine: compile a checked model once into a fast evaluator.

    evaluator = compile_model(model)
    evaluator.evaluate(lead, as_of)      # output record, or error record for invalid input
    evaluator.explain(lead, as_of)       # Explanation: the record plus the ledger behind it
"""

from __future__ import annotations

import datetime as dt
import decimal
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

from leadrules import model as m
from leadrules.engine.python.explain import Explanation, RuleTrace, build_explanation
from leadrules.engine.python.load import CompiledModule, load_module
from leadrules.engine.validate import Validator, validator_for
from leadrules.errors import InternalError
from leadrules.source import Span
from leadrules.values import exact_context

__all__ = ["compile_model", "Evaluator", "Explanation", "RuleTrace"]

UTC = dt.timezone.utc
_BUG_TYPES = (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError, NameError)


def _utc(as_of: dt.datetime) -> dt.datetime:
    if as_of.tzinfo is UTC:
        return as_of
    if as_of.tzinfo is None:
        return as_of.replace(tzinfo=UTC)
    return as_of.astimezone(UTC)


class Evaluator:
    """A compiled ruleset. Stateless: safe to share between threads."""

    __slots__ = ("model", "_validate", "_module", "_run")

    def __init__(self, model: m.CheckedModel) -> None:
        self.model = model
        self._validate: Validator = validator_for(model)
        self._module: CompiledModule = load_module(model)
        self._run = self._module.evaluate

    @property
    def source(self) -> str:
        """The generated Python source (for debugging, like Jinja's `raw=True`)."""
        return self._module.generated.source

    def evaluate(self, lead: Any, as_of: dt.datetime, *, record: int = 1) -> dict[str, Any]:
        """The output record of one lead, or its error record when the lead is invalid."""
        valid, error = self._validate(lead, record)
        if valid is None:
            assert error is not None
            return error
        if as_of.tzinfo is not UTC:
            as_of = _utc(as_of)
        try:
            with decimal.localcontext(exact_context()):
                return self._run(valid.id, valid.values, valid.events, as_of)
        except _BUG_TYPES as exc:
            raise self._located(exc) from exc

    def evaluate_many(self, leads: Iterable[Any], as_of: dt.datetime) -> Iterator[dict[str, Any]]:
        """Records for leads in order; record numbers count from 1."""
        as_of = _utc(as_of)
        validate = self._validate
        run = self._run
        exact = exact_context()
        get_context, set_context = decimal.getcontext, decimal.setcontext
        for record, lead in enumerate(leads, 1):
            valid, error = validate(lead, record)
            if valid is None:
                assert error is not None
                yield error
                continue
            # the exact context only while the lead is evaluated, never across the yield
            caller_context = get_context()
            set_context(exact)
            try:
                result = run(valid.id, valid.values, valid.events, as_of)
            except _BUG_TYPES as exc:
                raise self._located(exc) from exc
            finally:
                set_context(caller_context)
            yield result

    def explain(self, lead: Any, as_of: dt.datetime, *, record: int = 1, detailed: bool = True) -> Explanation:
        """The record with the ledger behind it: points per rule, truth of every decision.

        `detailed=False` leaves out rule texts and the next stage's clauses (what a person
        reads), for callers such as the linter that judge many leads by their truths."""
        valid, error = self._validate(lead, record)
        if valid is None:
            assert error is not None
            return build_explanation(self.model, self._module.generated, error, None, None)
        as_of = _utc(as_of)
        try:
            with decimal.localcontext(exact_context()):
                traced = self._module.trace(valid.id, valid.values, valid.events, as_of)
        except _BUG_TYPES as exc:
            raise self._located(exc) from exc
        return build_explanation(self.model, self._module.generated, traced[0], valid, traced, detailed=detailed)

    def _located(self, exc: BaseException) -> InternalError:
        """A failure inside generated code, pointed at the rule it was evaluating."""
        span: Span | None = None
        for frame, line in traceback.walk_tb(exc.__traceback__):
            if frame.f_code.co_filename == self._module.filename:
                span = self._module.generated.line_map.get(line)
        where = f"{span.file}:{span.line}:{span.column}: " if span is not None else ""
        return InternalError(f"{where}evaluation failed: {type(exc).__name__}: {exc}")


def compile_model(model: m.CheckedModel) -> Evaluator:
    """The evaluator of a model; the generated code is compiled once per model (cached)."""
    return Evaluator(model)


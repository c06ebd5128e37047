"""The Python engine: compile a checked model once into a fast evaluator.

    evaluator = compile_model(model)
    evaluator.evaluate(lead, as_of)      # output record, or error record for invalid input
    evaluator.explain(lead, as_of)       # Explanation: the record plus the ledger behind it
    evaluator.evaluate_many(leads, as_of_field="signed_at")   # each lead as of its own instant
"""

from __future__ import annotations

import datetime as dt
import decimal
import gc
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

from leadrules import model as m
from leadrules.engine.python.codegen import GeneratedModule
from leadrules.engine.python.explain import Explanation, RuleTrace, build_explanation
from leadrules.engine.python.load import CompiledModule, load_module
from leadrules.engine.python.runtime import Trace
from leadrules.engine.validate import Validator, ValidLead, error_record, parse_lead_timestamp, validator_for
from leadrules.errors import InternalError
from leadrules.records import CheckedCsvRecord
from leadrules.source import Span
from leadrules.values import exact_context

__all__ = ["compile_model", "Evaluator", "Explanation", "RuleTrace", "record_as_of"]

UTC = dt.timezone.utc
_BUG_TYPES = (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError, NameError)
# leads evaluate_many validates and evaluates between two yields: one switch of decimal context
# and one pause of the cyclic collector per chunk
_CHUNK = 1024


def _utc(as_of: dt.datetime) -> dt.datetime:
    if as_of.tzinfo is UTC:
        return as_of
    if as_of.tzinfo is None:
        return as_of.replace(tzinfo=UTC)
    return as_of.astimezone(UTC)


def record_as_of(lead: Any, valid: ValidLead, as_of_field: str) -> tuple[dt.datetime | None, dict[str, Any] | None]:
    """The instant a valid lead is evaluated at under `--as-of-field F`: its own F, read from
    the record as written (declared or not), or the error record naming F when F is missing or
    not a timestamp. A date (`2026-11-02`) means its first instant, so nothing of that day that
    came later leaks in."""
    raw = lead.get(as_of_field) if isinstance(lead, dict) else None
    if isinstance(raw, dt.datetime):
        return _utc(raw), None
    if isinstance(raw, str):
        parsed = parse_lead_timestamp(raw.strip())
        if parsed is not None:
            return parsed, None
        problem = "found text that is not one"
    elif raw is None:
        problem = "found nothing (missing or null)"
    else:
        problem = f"found {type(raw).__name__ if not isinstance(raw, (int, float, decimal.Decimal)) else 'a number'}"
    message = f"expected a timestamp (ISO 8601) to evaluate the lead as of, {problem}"
    return None, error_record(valid.id, valid.record, as_of_field, message)


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

    def evaluate_many(self, leads: Iterable[Any], as_of: dt.datetime | None = None, *,
                      as_of_field: str | None = None) -> Iterator[dict[str, Any]]:
        """Records for leads in order; record numbers count from 1. With `as_of_field`, each
        lead is evaluated as of its own timestamp in that field (`record_as_of`), not `as_of`.

        Leads are taken and validated a chunk at a time in the caller's decimal context, then
        evaluated in the exact context, which is switched to once per chunk (a switch costs
        about as much as a tenth of a lead's evaluation) and never held across a yield. An
        exception from `leads` or from evaluation comes after the records of the leads before it."""
        if as_of_field is None:
            if as_of is None:
                raise ValueError("evaluate_many needs as_of or as_of_field")
            as_of = _utc(as_of)
        numbered = enumerate(leads, 1)
        more = True
        while more:
            # the cyclic collector paused while a chunk is taken and evaluated, never across a
            # yield: records hold no cycles, and collections every few hundred allocations took
            # a third of the time; the first allocation after the pause looks at them once
            paused = gc.isenabled()
            if paused:
                gc.disable()
            try:
                chunk, more, failure = self._take(numbered, as_of, as_of_field)
                results, bug = self._run_chunk(chunk, as_of)
            finally:
                if paused:
                    gc.enable()
            yield from results
            if bug is not None:
                raise bug
            if failure is not None:
                raise failure

    def _take(self, numbered: Iterator[tuple[int, Any]], as_of: dt.datetime | None, as_of_field: str | None,
              ) -> tuple[list[Any], bool, Exception | None]:
        """Up to `_CHUNK` leads validated: each a finished (error) record, the arguments of
        `run`, or (without `as_of_field`) a plain dict lead with its record number, which
        `_run_chunk` validates and evaluates in one step; whether leads may remain; the
        exception `leads` raised, if it did."""
        fast = self._validate.fast
        validate = self._validate
        model = self.model
        chunk: list[Any] = []
        append = chunk.append
        try:
            for record, lead in numbered:
                cls = lead.__class__
                if cls is dict:
                    if as_of_field is None:
                        append((lead, record))
                        if len(chunk) == _CHUNK:
                            return chunk, True, None
                        continue
                    valid = fast(lead, record)
                elif cls is CheckedCsvRecord and as_of_field is None and lead.checked_for is model:
                    # a CSV record the reader already checked: its values as validation gives them
                    lead_id = lead.get("id")
                    append((record if lead_id is None else lead_id, lead.field_values, (), as_of))
                    if len(chunk) == _CHUNK:
                        return chunk, True, None
                    continue
                else:
                    valid = None
                if valid is None:
                    valid, error = validate(lead, record)
                    if valid is None:
                        append(error)
                        if len(chunk) == _CHUNK:
                            return chunk, True, None
                        continue
                lead_as_of = as_of
                if as_of_field is not None:
                    lead_as_of, error = record_as_of(lead, valid, as_of_field)
                    if lead_as_of is None:
                        append(error)
                        if len(chunk) == _CHUNK:
                            return chunk, True, None
                        continue
                lead_id, _, values, events = valid
                append((lead_id, values, events, lead_as_of))
                if len(chunk) == _CHUNK:
                    return chunk, True, None
        except Exception as exc:  # noqa: BLE001 - raised by evaluate_many after the records before it
            return chunk, False, exc
        return chunk, False, None

    def _run_chunk(self, chunk: list[Any], as_of: dt.datetime | None,
                   ) -> tuple[list[dict[str, Any]], InternalError | None]:
        """The records of a chunk from `_take`, evaluated in the exact context; the failure of
        the generated code, located, after the records before it. A plain dict lead goes
        through the validator's fast path straight into `evaluate_fields` (the fast path's
        checks read no decimal context); one it does not accept is validated in the caller's
        context, as `_take` does."""
        run = self._run
        fast_run = self._validate.fast_run
        run_fields = self._module.evaluate_fields
        results: list[dict[str, Any]] = []
        append = results.append
        caller_context = decimal.getcontext()
        exact = exact_context()
        decimal.setcontext(exact)
        try:
            for entry in chunk:
                if entry.__class__ is dict:
                    append(entry)
                elif len(entry) == 2:
                    lead, record = entry
                    out = fast_run(lead, record, as_of, run_fields)
                    if out is None:
                        decimal.setcontext(caller_context)
                        try:
                            valid, error = self._validate(lead, record)
                        finally:
                            decimal.setcontext(exact)
                        out = error if valid is None else run(valid.id, valid.values, valid.events, as_of)
                    append(out)
                else:
                    append(run(*entry))
        except _BUG_TYPES as exc:
            bug = self._located(exc)
            bug.__cause__ = exc
            return results, bug
        finally:
            decimal.setcontext(caller_context)
        return results, None

    def explain(self, lead: Any, as_of: dt.datetime | None, *, record: int = 1, detailed: bool = True,
                as_of_field: str | None = None) -> Explanation:
        """The record with the ledger behind it: points per rule, truth of every decision.

        `detailed=False` leaves out rule texts and the next stage's clauses (what a person
        reads), for callers such as the linter that judge many leads by their truths. With
        `as_of_field`, the lead is explained as of its own timestamp in that field."""
        output, valid, traced, _ = self.trace(lead, as_of, record=record, as_of_field=as_of_field)
        return build_explanation(self.model, self._module.generated, output, valid, traced, detailed=detailed)

    @property
    def generated(self) -> GeneratedModule:
        """The generated module: what the tuples of `trace` line up with (rules, slots, email fields)."""
        return self._module.generated

    def trace(self, lead: Any, as_of: dt.datetime | None, *, record: int = 1, as_of_field: str | None = None,
              ) -> tuple[dict[str, Any], ValidLead | None, Trace | None, dt.datetime | None]:
        """(record, valid lead, raw trace, instant evaluated at): what `explain` builds its ledger
        from, for callers that count many leads and need only a few of its numbers (the trace
        is laid out as `build_explanation` unpacks it). The last three are None for an invalid lead."""
        valid, error = self._validate(lead, record)
        if valid is None:
            assert error is not None
            return error, None, None, None
        if as_of_field is not None:
            as_of, error = record_as_of(lead, valid, as_of_field)
            if as_of is None:
                assert error is not None
                return error, None, None, None
        if as_of is None:
            raise ValueError("explain needs as_of or as_of_field")
        as_of = _utc(as_of)
        try:
            with decimal.localcontext(exact_context()):
                traced = self._module.trace(valid.id, valid.values, valid.events, as_of)
        except _BUG_TYPES as exc:
            raise self._located(exc) from exc
        return traced.record, valid, traced, as_of

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


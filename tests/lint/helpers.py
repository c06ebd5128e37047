"""Shared helpers for the linter's tests: lint a ruleset text, check a witness."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.check import check
from leadrules.config import Config
from leadrules.diagnostics import Diagnostic, Witness
from leadrules.lint import lint
from leadrules.lint.outcome import Judge, Outcome
from leadrules.source import SourceFile
from leadrules.syntax import parse
from leadrules.values import parse_date, parse_timestamp


def model_of(text: str, path: str = "t.rules") -> m.CheckedModel:
    module, diagnostics = parse(SourceFile(path, text))
    assert module is not None, [d.message for d in diagnostics]
    model, diagnostics = check(module)
    assert model is not None, [d.message for d in diagnostics]
    return model


def lint_text(text: str, config: Config | None = None) -> tuple[m.CheckedModel, list[Diagnostic]]:
    model = model_of(text)
    return model, lint(model, config)


def codes(found: list[Diagnostic], code: str) -> list[int]:
    return [d.span.line for d in found if d.code == code]


def assert_valid(model: m.CheckedModel, lead: dict[str, Any]) -> None:
    """The witness is a complete, valid lead: every required field, types, ranges, one of."""
    for name, f in model.fields.items():
        value = lead.get(name)
        if value is None:
            assert f.optional, f"required field {name} missing"
            continue
        if f.kind == "integer":
            assert isinstance(value, int) and not isinstance(value, bool)
        elif f.kind == "number":
            assert isinstance(value, (int, Decimal)) and not isinstance(value, bool)
        elif f.kind == "boolean":
            assert isinstance(value, bool)
        elif f.kind == "date":
            assert parse_date(value) is not None
        elif f.kind == "timestamp":
            assert parse_timestamp(value) is not None
        else:
            assert isinstance(value, str)
        if f.kind == "choice":
            assert value in f.choices
        if f.low is not None:
            assert Decimal(value) >= f.low
        if f.high is not None:
            assert Decimal(value) <= f.high
    for event in lead["events"]:
        assert event["type"] in model.events
        assert parse_timestamp(event["at"]) is not None


def evaluate(model: m.CheckedModel, witness: Witness) -> Outcome:
    """The witness, checked to be a complete valid lead, as the Python engine evaluates it."""
    as_of = parse_timestamp(witness.as_of)
    assert as_of is not None
    assert_valid(model, witness.lead)
    outcome = Judge(model, as_of).outcome(witness.lead)
    assert outcome.valid, outcome.record
    return outcome


AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)

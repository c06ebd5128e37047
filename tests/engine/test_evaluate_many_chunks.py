"""`Evaluator.evaluate_many` takes leads a chunk at a time (one decimal-context switch and one
pause of the cyclic collector per chunk): the records are those of `evaluate`, one lead at a
time, in order across chunk boundaries; an exception from the leads comes after the records of
the leads before it; the caller's decimal context and collector state are theirs at every yield
and while their leads are produced; integer fields reach the rules as ints."""

from __future__ import annotations

import datetime as dt
import decimal
import gc
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from leadrules.engine.python import _CHUNK as CHUNK
from leadrules.engine.python import compile_model
from leadrules.engine.validate import validator_for
from leadrules.model import CheckedModel
from leadrules.workspace import load_file

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
RULES = '''ruleset "chunks" version "1"
field visits: integer in 0..100
field revenue: number
field paid: boolean
score s:
    +3 per visits (max 200)
    +0.5 if revenue > 1000
    +1 if paid
stages Lead -> MQL
stage MQL if s >= 10
'''


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> CheckedModel:
    path = tmp_path_factory.mktemp("chunks") / "chunks.rules"
    path.write_text(RULES, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.model is not None, loaded.diagnostics
    return loaded.model


def _lead(number: int) -> Any:
    """Valid leads with ints, floats and Decimals; every 97th is invalid, every 311th not a dict."""
    if number % 311 == 0:
        return ["not", "an", "object"]
    revenue: Any = [number * 10, number + 0.25, Decimal(f"{number}.10")][number % 3]
    return {"id": f"L{number}", "visits": 101 if number % 97 == 0 else number % 9, "revenue": revenue,
            "paid": number % 2 == 0}


def test_records_are_those_of_evaluate_across_chunks(model: CheckedModel) -> None:
    evaluator = compile_model(model)
    count = 2 * CHUNK + 5
    leads = [_lead(n) for n in range(1, count + 1)]
    records = list(evaluator.evaluate_many(iter(leads), AS_OF))
    assert records == [evaluator.evaluate(lead, AS_OF, record=n) for n, lead in enumerate(leads, 1)]
    assert records[96]["error"] == {"record": 97, "field": "visits",
                                    "message": "visits: expected an integer in 0..100, found 101"}
    assert records[310]["error"]["record"] == 311 and records[2 * CHUNK + 3]["id"] == f"L{2 * CHUNK + 4}"
    # 7 visits: 21 points, an int; 0.5 for a revenue over 1000 makes a Decimal (lead 1026: no
    # visits, 10260 revenue, paid)
    assert records[6]["scores"] == {"s": 21} and records[6]["scores"]["s"].__class__ is int
    assert records[1025]["scores"] == {"s": Decimal("1.5")}


def test_an_exception_from_the_leads_comes_after_the_records_before_it(model: CheckedModel) -> None:
    evaluator = compile_model(model)

    def leads() -> Iterator[Any]:
        for n in range(1, CHUNK + 11):
            yield _lead(n)
        raise OSError("disk gone")

    seen: list[dict[str, Any]] = []
    with pytest.raises(OSError, match="disk gone"):
        for record in evaluator.evaluate_many(leads(), AS_OF):
            seen.append(record)
    assert len(seen) == CHUNK + 10 and seen[-1]["id"] == f"L{CHUNK + 10}"


def test_the_callers_context_and_collector_are_theirs_outside_evaluation(model: CheckedModel) -> None:
    evaluator = compile_model(model)
    caller = decimal.Context(prec=5)
    seen_while_producing: list[tuple[decimal.Context, bool]] = []

    def leads() -> Iterator[Any]:
        for n in range(1, CHUNK + 3):
            seen_while_producing.append((decimal.getcontext(), gc.isenabled()))
            yield _lead(n)

    with decimal.localcontext(caller) as active:
        for record in evaluator.evaluate_many(leads(), AS_OF):
            assert decimal.getcontext() is active and gc.isenabled(), record
    assert all(context is active for context, _ in seen_while_producing)
    gc.disable()
    try:
        assert len(list(evaluator.evaluate_many([_lead(1)] * 3, AS_OF))) == 3
        assert not gc.isenabled()  # a collector the caller turned off stays off
    finally:
        gc.enable()


def test_integer_fields_are_ints_and_numbers_stay_as_given(model: CheckedModel) -> None:
    validator = validator_for(model)
    for lead in ({"visits": 7, "revenue": 12, "paid": True}, {"visits": 7.0, "revenue": 12, "paid": True}):
        valid, error = validator(lead, 1)
        assert error is None and valid is not None
        assert [value.__class__ for value in valid.values] == [int, int, bool]
        assert valid.values == (7, 12, True)
    valid, _ = validator({"visits": Decimal("7.0"), "revenue": 0.1, "paid": False}, 1)  # the general path
    assert valid is not None and valid.values[0].__class__ is int and valid.values[1] == Decimal("0.1")


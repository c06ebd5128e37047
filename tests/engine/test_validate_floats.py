"""Floats from a Python caller (what `json.loads` gives) take the validator's fast path and
come out as the general path takes them: a `number` at its shortest repr, an `integer` from an
integral float as that integer, NaN, infinities, fractions and out-of-range values rejected with
the general path's error record."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrules.engine.validate import Validator, validator_for
from leadrules.model import CheckedModel
from leadrules.workspace import load_file

RULES = '''ruleset "floats" version "1"
field visits: integer
field small: integer in -5..1000
field amount: number
field ratio: number in 0.1..2.5
field spare: number optional
score s:
    +1 if amount > 0
stages Lead -> MQL
stage MQL if s >= 1
'''


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> CheckedModel:
    path = tmp_path_factory.mktemp("floats") / "floats.rules"
    path.write_text(RULES, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.model is not None, loaded.diagnostics
    return loaded.model


def _lead(**values: Any) -> dict[str, Any]:
    return {"visits": 3, "small": 7, "amount": 12, "ratio": 1, **values}


def _fast(validator: Validator, lead: dict[str, Any], record: int = 1) -> Any:
    return validator._fast(lead, record)


def test_floats_take_the_fast_path_exactly(model: CheckedModel) -> None:
    validator = validator_for(model)
    valid = _fast(validator, _lead(visits=150.0, small=-5.0, amount=0.1, ratio=2.5, spare=1e-7))
    assert valid is not None
    assert valid.values == (Decimal(150), Decimal(-5), Decimal("0.1"), Decimal("2.5"), Decimal("1E-7"))
    assert str(valid.values[0]) == "150" and str(valid.values[2]) == "0.1"
    # an integer from -0.0 is 0; a number keeps the repr's digits
    assert _fast(validator, _lead(visits=-0.0, amount=-0.0)).values[:3] == (Decimal(0), Decimal(7), Decimal("-0.0"))
    assert _fast(validator, _lead(amount=12500000.5)).values[2] == Decimal("12500000.5")


@pytest.mark.parametrize("lead, field, message", [
    (_lead(visits=1.5), "visits", "visits: expected an integer, found 1.5"),
    (_lead(small=1000.5), "small", "small: expected an integer between -5 and 1000, found 1000.5"),
    (_lead(small=1001.0), "small", "small: expected an integer between -5 and 1000, found 1001.0"),
    (_lead(ratio=0.09999999999999999), "ratio", "ratio: expected a number between 0.1 and 2.5, found 0.09999999999999999"),
    (_lead(amount=math.nan), "amount", "amount: expected a number, found NaN"),
    (_lead(amount=math.inf), "amount", "amount: expected a number, found Infinity"),
    (_lead(visits=-math.inf), "visits", "visits: expected an integer, found -Infinity"),
])
def test_rejected_floats_get_the_general_paths_error(model: CheckedModel, lead: dict[str, Any], field: str,
                                                     message: str) -> None:
    validator = validator_for(model)
    assert _fast(validator, lead) is None
    valid, error = validator(lead, 4)
    assert valid is None and error is not None
    assert (error["error"]["field"], error["error"]["record"]) == (field, 4)
    assert error["error"]["message"] == validator.check(lead, 4)[1]["error"]["message"]  # type: ignore[index]
    assert error["error"]["message"].startswith(f"{field}: expected")


def test_large_integral_floats_are_read_at_their_repr(model: CheckedModel) -> None:
    validator = validator_for(model)
    # 1e300 as a binary float is not 10**300; its shortest repr is, and that is the value
    lead = _lead(visits=1e300)
    assert _fast(validator, lead) is None
    valid, error = validator(lead, 1)
    assert error is None and valid is not None
    assert valid.values[0] == Decimal(10**300)
    edge = float(2**53)
    assert _fast(validator, _lead(visits=edge)).values[0] == Decimal(2**53)
    assert _fast(validator, _lead(visits=-edge)).values[0] == Decimal(-(2**53))


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10.0, max_value=1001.0),
    st.integers(min_value=-2**60, max_value=2**60).map(float),
    st.integers(min_value=-2**60, max_value=2**60),
    st.sampled_from([0.1, 2.5, 0.09999999999999999, 2.5000000000000004, -5.0, 1000.0, 1000.0000000000001,
                     float(2**53), float(2**53 + 2), -0.0, 5e-324, 1e16, 1e22]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(visits=NUMBERS, small=NUMBERS, amount=NUMBERS, ratio=NUMBERS, spare=st.one_of(st.none(), NUMBERS))
def test_fast_path_gives_what_the_general_path_gives(model: CheckedModel, visits: Any, small: Any, amount: Any,
                                                     ratio: Any, spare: Any) -> None:
    validator = validator_for(model)
    lead = {"visits": visits, "small": small, "amount": amount, "ratio": ratio, "spare": spare}
    general = validator.check(lead, 2)
    assert validator(lead, 2) == general
    fast = _fast(validator, lead, 2)
    # the fast path that hands the values on as arguments accepts the same leads, with the same values
    handed = validator.fast_run(lead, 2, None, lambda lead_id, *rest: (lead_id, rest))
    assert handed == (None if fast is None else (fast.id, (*fast.values, fast.events, None)))
    if fast is not None:
        assert (fast, None) == general
    elif general[0] is not None:
        # only integral floats past 2**53 are left to the general path when valid
        assert any(v.__class__ is float and v.is_integer() and abs(v) > 2**53 for v in (visits, small))


def test_a_valid_json_loads_lead_takes_the_fast_path(tmp_path: Path) -> None:
    import json

    from leadrules.workspace import load_file as load

    bench = Path(__file__).resolve().parents[2] / "benchmarks" / "peer.rules"
    loaded = load(bench)
    assert loaded.model is not None
    lead = json.loads('{"lead_id": 7, "email": "a@b.com", "industry": "software", "employees": 120.0, '
                      '"annual_revenue": 9999999.99, "country": "US", "role": "vp", "pricing_page_visits": 2, '
                      '"demo_requested": true, "webinar_attended": false, "ebook_downloads": 1, '
                      '"email_clicks_30d": 4, "trial_active": false, "key_feature_activations": 0, '
                      '"budget_confirmed": true, "authority": true, "timeline_months": null, '
                      '"is_customer": false, "unsubscribed": false}')
    valid = _fast(validator_for(loaded.model), lead)
    assert valid is not None
    assert valid.values[3:5] == (Decimal(120), Decimal("9999999.99"))

"""The spec's worked examples are vendored under tests/fixtures/spec_examples so the suite runs
from any checkout; when the spec folder sits beside the checkout, the copies must match it."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "spec_examples"
SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "examples"


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_vendored_example_matches_the_spec(name: str) -> None:
    original = SPEC / name
    if not original.is_file():
        pytest.skip("the spec folder is not beside this checkout")
    assert (FIXTURES / name).read_bytes() == original.read_bytes()

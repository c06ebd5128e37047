"""Fixtures of the engine tests: the spec's worked example."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import EXAMPLES

from leadrules.model import CheckedModel
from leadrules.workspace import load_file


@pytest.fixture(scope="session")
def examples() -> Path:
    if not (EXAMPLES / "projectflow.rules").is_file():
        pytest.skip("shared/spec/examples is not beside the checkout")
    return EXAMPLES


@pytest.fixture(scope="session")
def projectflow(examples: Path) -> CheckedModel:
    model = load_file(examples / "projectflow.rules").model
    assert model is not None
    return model

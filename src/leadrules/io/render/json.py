"""Diagnostics as one JSON array (section 7 of the language spec)."""

from __future__ import annotations

from collections.abc import Sequence

from leadrules.diagnostics import Diagnostic
from leadrules.jsontext import dumps
from leadrules.source import SourceFile

__all__ = ["render"]


def render(diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile]) -> str:
    return dumps([d.to_json() for d in diagnostics]) + "\n"

"""The lint rule protocol: one class per code, with its docs in the docstring."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol

from leadrules.diagnostics import Severity

if TYPE_CHECKING:
    from leadrules.lint.context import LintContext

__all__ = ["LintRule"]


class LintRule(Protocol):
    """A rule reads the model and its encoding from the context and reports findings there.

    Its docstring has the sections *What it does*, *Why it matters*, *Example* and *How to
    fix*; `docs/rules/<code>.md` is generated from it."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]

    def run(self, ctx: LintContext) -> None: ...

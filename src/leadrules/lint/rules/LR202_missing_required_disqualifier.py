"""LR202 missing-required-disqualifier."""

from __future__ import annotations

from typing import ClassVar

from leadrules.diagnostics import Severity
from leadrules.lint.context import LintContext
from leadrules.source import Span

__all__ = ["MissingRequiredDisqualifier"]


class MissingRequiredDisqualifier:
    """A disqualifier required by configuration is missing.

    ## What it does
    Reports each code listed in the `required-disqualifiers` configuration key that the
    ruleset does not declare with `disqualify CODE ...`, at the `ruleset` header.

    ## Why it matters
    Teams agree on disqualifiers every ruleset must carry (opt-outs, competitors,
    students). The configuration makes that agreement checkable in CI.

    ## Example
    ```
    # leadrules.toml
    required-disqualifiers = ["unsubscribed"]
    ```
    and a ruleset without `disqualify unsubscribed ...`.

    ## How to fix
    Declare the disqualifier, e.g.
    `disqualify unsubscribed "Opted out of contact" if unsubscribed`.
    """

    code: ClassVar[str] = "LR202"
    name: ClassVar[str] = "missing-required-disqualifier"
    severity: ClassVar[Severity] = Severity.ERROR

    def run(self, ctx: LintContext) -> None:
        declared = {d.code for d in ctx.model.disqualifiers}
        span = ctx.model.header_span or Span(ctx.model.path, 1, 1, 1, 1)
        where = f" (required by {ctx.config.source})" if ctx.config.source else ""
        for code in ctx.config.required_disqualifiers:
            if code not in declared:
                ctx.report(self.code, f"required disqualifier '{code}' is missing{where}", span,
                           hint=f'add `disqualify {code} "..." if ...`')

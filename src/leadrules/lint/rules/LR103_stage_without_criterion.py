"""LR103 stage-without-criterion."""

from __future__ import annotations

from typing import ClassVar

from leadrules.diagnostics import Severity
from leadrules.lint.context import LintContext

__all__ = ["StageWithoutCriterion"]


class StageWithoutCriterion:
    """Stage in `stages` with no entry criterion.

    ## What it does
    Reports every stage after the entry stage that has no `stage NAME if ...` line, at the
    `stages` statement.

    ## Why it matters
    Only the entry stage needs no criterion. A later stage without one can never be reached,
    so it is almost always a criterion that was forgotten or misspelt.

    ## Example
    ```
    stages Lead -> MQL -> SQL -> Opportunity
    stage MQL if engagement >= 20
    stage SQL if engagement >= 60     # no line for Opportunity
    ```

    ## How to fix
    Add `stage Opportunity if ...`, or drop the stage from `stages`.
    """

    code: ClassVar[str] = "LR103"
    name: ClassVar[str] = "stage-without-criterion"
    severity: ClassVar[Severity] = Severity.WARNING

    def run(self, ctx: LintContext) -> None:
        span = ctx.model.stages_span
        if span is None:
            return
        for stage in ctx.model.stages[1:]:
            if stage not in ctx.model.criteria:
                ctx.report(self.code, f"stage '{stage}' has no entry criterion, so no lead can reach it", span,
                           hint=f"add `stage {stage} if ...`")

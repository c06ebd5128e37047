"""LR201 unguarded-handoff."""

from __future__ import annotations

from typing import ClassVar

from leadrules.diagnostics import Severity
from leadrules.lint.context import UNKNOWN, UNSAT, LintContext
from leadrules.source import Span

__all__ = ["UnguardedHandoff"]


class UnguardedHandoff:
    """Handoff stage not guarded by any disqualifier.

    ## What it does
    The handoff stage (`handoff S`, the `handoff` configuration key, or by default the last
    stage) is where leads leave marketing for sales. It is guarded when some disqualifier
    that can fire is global or `at` a stage at or before the handoff stage. This rule
    reports a handoff stage without such a guard, at the `handoff` statement, or at
    `stages` when the handoff stage is implicit or set by configuration.

    ## Why it matters
    Without a disqualifier, students, competitors and opted-out contacts reach sales
    whenever they score enough points.

    ## Example
    ```
    stages Lead -> MQL -> SQL
    stage SQL if engagement >= 60     # nothing keeps competitors out
    ```

    ## How to fix
    Add e.g. `disqualify competitor "Works for a competitor" if email.domain in competitors`,
    or make an existing disqualifier satisfiable.
    """

    code: ClassVar[str] = "LR201"
    name: ClassVar[str] = "unguarded-handoff"
    severity: ClassVar[Severity] = Severity.ERROR

    def run(self, ctx: LintContext) -> None:
        model = ctx.model
        handoff = ctx.config.handoff if ctx.config.handoff in model.stages else model.handoff
        if handoff is None or not model.stages:
            return
        index = model.stage_index(handoff)
        candidates = [d for d in model.disqualifiers if d.at is None or model.stage_index(d.at) <= index]
        unknown = False
        for disqualifier in candidates:
            status = ctx.possible(ctx.encoding.fires(disqualifier))
            if status == UNKNOWN:
                unknown = True
            elif status != UNSAT:
                return
        # at the `handoff` statement when the ruleset names the stage, else at `stages`
        declared = ctx.config.handoff not in model.stages and model.handoff_span is not None
        span = (model.handoff_span if declared else None) or model.stages_span or Span(model.path, 1, 1, 1, 1)
        if unknown:
            ctx.incomplete(f"the guard of handoff stage '{handoff}'", span)
            return
        detail = "no disqualifier applies to it" if not candidates else \
            "the disqualifiers that apply to it (" + ", ".join(d.code for d in candidates) + ") can never fire"
        ctx.report(self.code, f"handoff stage '{handoff}' is not guarded by any disqualifier: {detail}", span,
                   hint="add a global disqualifier, or one `at` a stage at or before the handoff")

"""LR101 unreachable-stage."""

from __future__ import annotations

from typing import ClassVar

import z3

from leadrules import model as m
from leadrules.diagnostics import Severity
from leadrules.lint.context import UNKNOWN, UNSAT, LintContext
from leadrules.lint.facts import stage_status
from leadrules.model_text import describe

__all__ = ["UnreachableStage"]


class UnreachableStage:
    """Unreachable stage: no valid lead can end in it.

    ## What it does
    Proves, for every stage that has an entry criterion, whether some valid lead (declared
    types, `one of` values, ranges, score bounds) ends in that stage, and reports the stages
    none can reach, with the reason: the criterion never holds, every lead meeting it is
    blocked or disqualified, or every lead meeting it also reaches a later stage.

    ## Why it matters
    An unreachable stage is a hole in the funnel: sales waits for leads that can never
    arrive, and everything routed from that stage is dead configuration.

    ## Example
    ```
    score fit (min 0, max 60):
        +50 if employees >= 100
    stage SQL if fit >= 70        # fit is at most 60
    ```

    ## How to fix
    Lower the threshold, raise the score's `max`, or add the rules that can earn the points.
    """

    code: ClassVar[str] = "LR101"
    name: ClassVar[str] = "unreachable-stage"
    severity: ClassVar[Severity] = Severity.ERROR

    def run(self, ctx: LintContext) -> None:
        ctx.reach_stages()
        for stage in ctx.model.stages[1:]:
            criterion = ctx.model.criteria.get(stage)
            if criterion is None:
                continue  # LR103
            status = stage_status(ctx, stage)
            if status == UNKNOWN:
                ctx.incomplete(f"stage '{stage}'", criterion.span)
            if status != UNSAT:
                continue
            ctx.report(self.code, f"stage '{stage}' is unreachable: {self._why(ctx, stage, criterion)}",
                       criterion.span, hint="no valid lead can end in this stage")

    def _why(self, ctx: LintContext, stage: str, criterion: m.StageCriterion) -> str:
        enc = ctx.encoding
        holds = enc.cond(criterion.condition).true
        if ctx.possible(holds) == UNSAT:
            parts = criterion.condition.operands if isinstance(criterion.condition, m.And) else (criterion.condition,)
            for part in parts:
                if ctx.possible(enc.cond(part).true) == UNSAT:
                    return f"`{describe(part)}` never holds for a valid lead (given types, ranges and score bounds)"
            return f"its criterion `{describe(criterion.condition)}` never holds for a valid lead"
        if ctx.possible(holds, z3.Not(enc.blocked(stage))) == UNSAT:
            codes = [d.code for d in ctx.model.scoped_disqualifiers
                     if d.at is not None and ctx.model.stage_index(d.at) <= ctx.model.stage_index(stage)]
            return "every lead that meets its criterion is blocked by " + ", ".join(f"'{c}'" for c in codes)
        if ctx.possible(enc.qualifies(stage), z3.Not(enc.disqualified())) == UNSAT:
            return "every lead that meets its criterion is disqualified"
        later = [s for s in ctx.model.stages[ctx.model.stage_index(stage) + 1:]]
        return "every lead that meets its criterion also reaches a later stage (" + ", ".join(later) + ")"


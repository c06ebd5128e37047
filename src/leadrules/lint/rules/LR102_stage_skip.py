"""LR102 stage-skip."""

from __future__ import annotations

from typing import ClassVar

import z3

from leadrules.diagnostics import Severity
from leadrules.lint.context import SAT, UNKNOWN, LintContext
from leadrules.lint.outcome import Outcome
from leadrules.lint.witness import describe_lead, lead_names

__all__ = ["StageSkip"]


class StageSkip:
    """Stage skip: a lead reaches a stage without meeting the previous stage's criterion.

    ## What it does
    For each stage whose previous stage has a criterion, looks for a valid lead that ends in
    the stage while the previous stage's criterion is not true. Reported at the criterion of
    the stage the lead reaches by skipping, with that lead as witness.

    ## Why it matters
    Funnels are often read as ladders. A lead that becomes an SQL without ever being a good
    enough fit for MQL may be intended (hot hand-raisers) or a gap in the SQL criterion.

    ## Example
    ```
    stages Lead -> MQL -> SQL
    stage MQL if engagement >= 30 and grade in ["A", "B"]
    stage SQL if engagement > 50 and has pricing_page_view   # says nothing about fit
    ```

    ## How to fix
    If skipping is not intended, repeat the previous criterion in the later one
    (`stage SQL if MQL_ready and ...` with a shared `condition`). Otherwise silence it with
    `# noqa: LR102` on the criterion's line.
    """

    code: ClassVar[str] = "LR102"
    name: ClassVar[str] = "stage-skip"
    severity: ClassVar[Severity] = Severity.INFO

    def run(self, ctx: LintContext) -> None:
        ctx.reach_stages()
        enc = ctx.encoding
        stages = ctx.model.stages
        for index in range(2, len(stages)):
            stage, previous = stages[index], stages[index - 1]
            criterion = ctx.model.criteria.get(stage)
            before = ctx.model.criteria.get(previous)
            if criterion is None or before is None:
                continue
            def claim(t: Outcome, stage: str = stage, previous: str = previous) -> str | None:
                if t.record["stage"] != stage:
                    return f"the lead ends in {t.record['stage']}"
                if t.criteria.get(previous) is True:
                    return f"the lead meets {previous}'s criterion"
                return None

            query = (enc.ends_in(stage), z3.Not(enc.cond(before.condition).true))
            status, witness = ctx.search(claim, query, cost=ctx.skip_cost(stage, previous))
            if status == UNKNOWN:
                ctx.incomplete(f"stage skip into '{stage}'", criterion.span)
            if status != SAT:
                continue
            names = lead_names([before.condition, criterion.condition], ctx.model)

            def reading(t: Outcome, stage: str = stage, previous: str = previous, names: set[str] = names) -> str:
                return f"{describe_lead(enc, t.lead, names)} reaches {stage} though {previous}'s criterion is not met"

            ctx.report(self.code, f"a lead can reach '{stage}' without meeting the criterion of '{previous}'",
                       criterion.span, witness=witness, claim=claim, reading=reading)

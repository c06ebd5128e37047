"""LR303 unrouted-lead."""

from __future__ import annotations

from typing import ClassVar

import z3

from leadrules.diagnostics import Severity
from leadrules.lint.context import SAT, UNKNOWN, LintContext
from leadrules.lint.outcome import Outcome
from leadrules.lint.witness import describe_lead, lead_names

__all__ = ["UnroutedLead"]


class UnroutedLead:
    """A lead can end in a routed stage and match no route entry.

    ## What it does
    For each `route` block without `otherwise`, looks for a valid lead that ends in the
    routed stage and matches none of the entries (its route is null). Reported at the
    `route` line with that lead as witness.

    ## Why it matters
    An unrouted lead sits in the stage with no owner: nobody calls it back.

    ## Example
    ```
    route MQL:
        to "emea" if country in ["GB", "DE", "FR"]
        to "enterprise" if employees >= 1000     # an MQL from JP with 50 employees
    ```

    ## How to fix
    Add `otherwise to "..."` as the last entry, or widen the entries.
    """

    code: ClassVar[str] = "LR303"
    name: ClassVar[str] = "unrouted-lead"
    severity: ClassVar[Severity] = Severity.WARNING

    def run(self, ctx: LintContext) -> None:
        enc = ctx.encoding
        for route in ctx.model.routes.values():
            if route.otherwise is not None:
                continue
            conditions = [e.condition for e in route.entries if e.condition is not None]
            stage = route.stage

            def claim(t: Outcome, stage: str = stage) -> str | None:
                if t.record["stage"] != stage:
                    return f"the lead ends in {t.record['stage']}"
                return None if t.record["route"] is None else f"the lead is routed to {t.record['route']}"

            query = (enc.ends_in(route.stage), *[z3.Not(enc.cond(c).true) for c in conditions])
            status, witness = ctx.search(claim, query)
            if status == UNKNOWN:
                ctx.incomplete(f"the route of '{route.stage}'", route.span)
            if status != SAT:
                continue
            names = lead_names(conditions, ctx.model)

            def reading(t: Outcome, stage: str = stage, names: set[str] = names) -> str:
                return f"{describe_lead(enc, t.lead, names)} reaches {stage} and matches no route entry"

            ctx.report(self.code, f"a lead can end in '{route.stage}' and match no route entry", route.span,
                       witness=witness, claim=claim, reading=reading, hint='add `otherwise to "..."`')

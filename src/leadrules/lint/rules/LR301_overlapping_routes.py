"""LR301 overlapping-routes."""

from __future__ import annotations

from typing import ClassVar

from leadrules.diagnostics import Severity, Witness
from leadrules.lint.context import SAT, UNKNOWN, UNSAT, LintContext
from leadrules.lint.facts import entry_status, stage_status
from leadrules.lint.outcome import Outcome
from leadrules.lint.witness import AS_OF_TEXT, describe_lead, lead_names

__all__ = ["OverlappingRoutes"]


class OverlappingRoutes:
    """Two route entries match the same lead; the first wins.

    ## What it does
    For each route entry, looks for a lead in the routed stage that matches both it and an
    earlier entry. Reported at the later entry, with that lead as witness. An entry no lead
    can select gets LR302 instead; `otherwise` takes part in neither.

    ## Why it matters
    Order decides silently: an enterprise lead from Germany goes to the EMEA team although
    an enterprise entry exists. Often intended, often not; the witness shows which.

    ## Example
    ```
    route MQL:
        to "emea" if country in ["GB", "DE", "FR"]
        to "enterprise" if employees >= 1000     # a DE lead with 5000 employees matches both
    ```

    ## How to fix
    Put the more specific entry first, or make the conditions exclusive
    (`employees >= 1000 and country not in [...]`).
    """

    code: ClassVar[str] = "LR301"
    name: ClassVar[str] = "overlapping-routes"
    severity: ClassVar[Severity] = Severity.WARNING

    def run(self, ctx: LintContext) -> None:
        ctx.reach_stages()
        enc = ctx.encoding
        for route in ctx.model.routes.values():
            if stage_status(ctx, route.stage) == UNSAT:
                continue
            live = [i for i in range(len(route.entries)) if entry_status(ctx, route, i) != UNSAT]
            for j in live:
                later = route.entries[j]
                assert later.condition is not None
                for i in (k for k in live if k < j):
                    earlier = route.entries[i]
                    assert earlier.condition is not None
                    stage = route.stage

                    def claim(t: Outcome, i: int = i, j: int = j, stage: str = stage) -> str | None:
                        if t.record["stage"] != stage:
                            return f"the lead ends in {t.record['stage']}"
                        truths = t.routes[stage]
                        return None if truths[i] is True and truths[j] is True else "the entries do not both match"

                    both = (enc.cond(earlier.condition).true, enc.cond(later.condition).true)
                    found = ctx.find(claim)
                    if found is not None:
                        witness: Witness | None = Witness(AS_OF_TEXT, found.lead)
                    else:
                        if ctx.possible(*both) == UNSAT:
                            continue  # exclusive whatever the stage: no need for the funnel
                        def in_stage(t: Outcome, stage: str = stage) -> str | None:
                            return None if t.record["stage"] == stage else "elsewhere"

                        focus = lead_names([earlier.condition, later.condition], ctx.model)
                        status, witness = ctx.search(claim, (enc.ends_in(route.stage), *both),
                                                     near=in_stage, focus=focus,
                                                     cost=ctx.entries_cost(stage, (i, j)))
                        if status == UNKNOWN:
                            ctx.incomplete(f"route entry to '{later.target}'", later.span)
                            continue
                        if status != SAT:
                            continue
                    names = lead_names([earlier.condition, later.condition], ctx.model)

                    def reading(t: Outcome, earlier: str = earlier.target, later_target: str = later.target,
                                stage: str = stage, names: set[str] = names) -> str:
                        return (f"{describe_lead(enc, t.lead, names)} reaches {stage} and is routed to {t.record['route']}, "
                                f"though {later_target} also matches")

                    ctx.report(self.code, f"route entries to '{earlier.target}' and '{later.target}' match the same "
                               f"lead in '{route.stage}'; the first wins", later.span,
                               witness=witness, claim=claim, reading=reading,
                               hint="put the more specific entry first or make the conditions exclusive")
                    break

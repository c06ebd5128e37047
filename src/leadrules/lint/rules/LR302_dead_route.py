"""LR302 dead-route."""

from __future__ import annotations

from typing import ClassVar

from leadrules.diagnostics import Severity
from leadrules.lint.context import UNKNOWN, UNSAT, LintContext
from leadrules.lint.facts import entry_status, stage_status

__all__ = ["DeadRoute"]


class DeadRoute:
    """Route entry never selected (shadowed or unsatisfiable).

    ## What it does
    Proves that no valid lead ending in the routed stage is routed by the entry: either its
    condition never holds there, or every lead it matches is taken by an earlier entry.

    ## Why it matters
    A dead entry is a team that never receives leads, usually because a broader entry
    above it catches them first.

    ## Example
    ```
    route MQL:
        to "emea" if country in ["GB", "DE", "FR"]
        to "uk" if country == "GB"       # every GB lead already went to emea
    ```

    ## How to fix
    Move the narrower entry above the broader one, or delete it.
    """

    code: ClassVar[str] = "LR302"
    name: ClassVar[str] = "dead-route"
    severity: ClassVar[Severity] = Severity.ERROR

    def run(self, ctx: LintContext) -> None:
        for route in ctx.model.routes.values():
            if stage_status(ctx, route.stage) == UNSAT:
                continue  # the stage itself is reported (LR101/LR103)
            for index, entry in enumerate(route.entries):
                assert entry.condition is not None
                status = entry_status(ctx, route, index)
                if status == UNKNOWN:
                    ctx.incomplete(f"route entry to '{entry.target}'", entry.span)
                if status != UNSAT:
                    continue
                alone = ctx.possible_in_route(route.stage, (index,))
                if alone == UNSAT:
                    why = f"its condition never holds for a lead in '{route.stage}'"
                else:
                    shadows = [e.target for earlier, e in enumerate(route.entries[:index]) if e.condition is not None
                               and ctx.possible_in_route(route.stage, (earlier, index)) != UNSAT]
                    why = "every lead it matches is already routed to " + ", ".join(f"'{t}'" for t in shadows)
                ctx.report(self.code, f"route entry to '{entry.target}' is never selected: {why}", entry.span,
                           hint="move it above the entry that shadows it, or delete it")

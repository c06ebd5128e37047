"""LR204 disqualifier-always-fires."""

from __future__ import annotations

from typing import ClassVar

import z3

from leadrules import model as m
from leadrules.diagnostics import Severity
from leadrules.lint.context import SAT, UNKNOWN, UNSAT, LintContext
from leadrules.lint.outcome import Outcome

__all__ = ["DisqualifierAlwaysFires"]


class DisqualifierAlwaysFires:
    """Disqualifier fires for every valid lead.

    ## What it does
    Proves that every valid lead makes the disqualifier's condition true. The witness is
    one such lead.

    ## Why it matters
    A global disqualifier that always fires sends every lead to `Disqualified`; a scoped
    one closes its stage and everything after it.

    ## Example
    ```
    field employees: integer in 1..100000
    disqualify tiny "Too small" if employees < 1000000
    ```

    ## How to fix
    Check the comparison's direction and the threshold.
    """

    code: ClassVar[str] = "LR204"
    name: ClassVar[str] = "disqualifier-always-fires"
    severity: ClassVar[Severity] = Severity.ERROR

    def run(self, ctx: LintContext) -> None:
        for index, disqualifier in enumerate(ctx.model.disqualifiers):
            fires = ctx.encoding.fires(disqualifier)
            status = ctx.possible(z3.Not(fires))
            if status == UNKNOWN:
                ctx.incomplete(f"disqualifier '{disqualifier.code}'", disqualifier.span)
            if status != UNSAT:
                continue
            answer = ctx.ask(fires)
            witness = ctx.witness_for(answer, (fires,)) if answer.status == SAT else None

            def claim(t: Outcome, index: int = index, disqualifier: m.Disqualifier = disqualifier) -> str | None:
                if t.fires[index] is not True:
                    return "the disqualifier does not fire for the witness"
                listed = t.record["reasons"] if disqualifier.at is None else t.record["blocked"]
                return None if disqualifier.code in listed else f"'{disqualifier.code}' is not in the record"

            def reading(t: Outcome, code: str = disqualifier.code) -> str:
                return f"every valid lead, this one too, is caught by '{code}'"

            ctx.report(self.code, f"disqualifier '{disqualifier.code}' fires for every valid lead",
                       disqualifier.span, witness=witness, claim=claim, reading=reading)

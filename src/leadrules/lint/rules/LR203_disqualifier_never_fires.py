"""LR203 disqualifier-never-fires."""

from __future__ import annotations

from typing import ClassVar

from leadrules.diagnostics import Severity
from leadrules.lint.context import UNKNOWN, UNSAT, LintContext
from leadrules.model_text import describe

__all__ = ["DisqualifierNeverFires"]


class DisqualifierNeverFires:
    """Disqualifier can never fire.

    ## What it does
    Proves that no valid lead makes the disqualifier's condition true (missing values
    make a condition unknown, never true).

    ## Why it matters
    A disqualifier that cannot fire guards nothing: the leads it was written for pass.
    Typical causes are a value outside a field's `one of` or range, or a comparison that
    only missing data could satisfy.

    ## Example
    ```
    field employees: integer in 1..100000
    disqualify tiny "Too small" if employees < 1
    ```

    ## How to fix
    Correct the condition so that the leads it targets satisfy it.
    """

    code: ClassVar[str] = "LR203"
    name: ClassVar[str] = "disqualifier-never-fires"
    severity: ClassVar[Severity] = Severity.WARNING

    def run(self, ctx: LintContext) -> None:
        for disqualifier in ctx.model.disqualifiers:
            status = ctx.possible(ctx.encoding.fires(disqualifier))
            if status == UNKNOWN:
                ctx.incomplete(f"disqualifier '{disqualifier.code}'", disqualifier.span)
            elif status == UNSAT:
                ctx.report(self.code, f"disqualifier '{disqualifier.code}' can never fire: "
                           f"`{describe(disqualifier.condition)}` is never true for a valid lead", disqualifier.span)

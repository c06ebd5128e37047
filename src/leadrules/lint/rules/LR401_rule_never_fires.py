"""LR401 rule-never-fires."""

from __future__ import annotations

from typing import ClassVar

from leadrules import model as m
from leadrules.diagnostics import Severity
from leadrules.lint.context import UNKNOWN, UNSAT, LintContext
from leadrules.model_text import describe

__all__ = ["RuleNeverFires"]


class RuleNeverFires:
    """Scoring rule can never fire.

    ## What it does
    Proves that no valid lead makes an `if` rule's condition true, or gives a `per FIELD`
    rule a non-zero counter (its field's range allows only 0).

    ## Why it matters
    Points that can never be earned make the score's real range smaller than it reads,
    and thresholds written against the full range become unreachable.

    ## Example
    ```
    field employees: integer in 1..100000
    score fit:
        +5 if employees < 1
    ```

    ## How to fix
    Correct the condition (direction, threshold, `one of` value) or delete the rule.
    """

    code: ClassVar[str] = "LR401"
    name: ClassVar[str] = "rule-never-fires"
    severity: ClassVar[Severity] = Severity.WARNING

    def run(self, ctx: LintContext) -> None:
        enc = ctx.encoding
        for score in ctx.model.scores.values():
            for rule in score.rules:
                if isinstance(rule, m.IfRule):
                    status = ctx.possible(enc.cond(rule.condition).true)
                    why = f"`{describe(rule.condition)}` is never true for a valid lead"
                elif isinstance(rule, m.PerFieldRule):
                    v = enc.fields[rule.field]
                    status = ctx.possible(v.present, v.value != 0)
                    why = f"'{rule.field}' is always 0 or missing"
                else:
                    continue  # an event can always happen
                if status == UNKNOWN:
                    ctx.incomplete(f"a rule of score '{score.name}'", rule.span)
                elif status == UNSAT:
                    label = f" '{rule.label}'" if rule.label else ""
                    ctx.report(self.code, f"scoring rule{label} of '{score.name}' can never fire: {why}", rule.span)

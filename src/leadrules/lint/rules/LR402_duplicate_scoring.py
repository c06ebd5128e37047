"""LR402 duplicate-scoring."""

from __future__ import annotations

from typing import ClassVar

from leadrules import model as m
from leadrules.diagnostics import Severity
from leadrules.lint.context import UNSAT, LintContext
from leadrules.lint.witness import lead_names
from leadrules.model_text import describe

__all__ = ["DuplicateScoring"]


def _key(rule: m.ScoreRule) -> object:
    if isinstance(rule, m.IfRule):
        return ("if", rule.condition)
    if isinstance(rule, m.PerEventRule):
        return ("event", rule.event, rule.window.seconds if rule.window else None)
    return ("field", rule.field)


class DuplicateScoring:
    """The same condition scored twice in one score.

    ## What it does
    Reports a rule whose condition is the same as an earlier rule's in the same score:
    written identically, or proved equivalent for every valid lead (only pairs of rules
    that read a common field or event are compared), or the same `per` event and window.

    ## Why it matters
    The lead earns the points twice for one signal, usually after a copy-and-edit.

    ## Example
    ```
    score engagement:
        +20 if has webinar_attended
        +10 if has webinar_attended
    ```

    ## How to fix
    Merge the two rules into one with the summed points.
    """

    code: ClassVar[str] = "LR402"
    name: ClassVar[str] = "duplicate-scoring"
    severity: ClassVar[Severity] = Severity.WARNING

    def run(self, ctx: LintContext) -> None:
        enc = ctx.encoding
        for score in ctx.model.scores.values():
            fired = _fired_masks(ctx, score.name, len(score.rules))
            for j, later in enumerate(score.rules):
                for i, earlier in enumerate(score.rules[:j]):
                    same = _key(earlier) == _key(later)
                    if not same and isinstance(earlier, m.IfRule) and isinstance(later, m.IfRule) \
                            and fired[i] == fired[j]:  # no known lead tells them apart
                        shared = lead_names([earlier.condition]) & lead_names([later.condition])
                        if shared:
                            a, b = enc.cond(earlier.condition).true, enc.cond(later.condition).true
                            same = ctx.possible(a != b) == UNSAT
                    if same:
                        what = f"`{describe(later.condition)}`" if isinstance(later, m.IfRule) else \
                            f"'{later.event if isinstance(later, m.PerEventRule) else later.field}'"
                        ctx.report(self.code, f"{what} is scored twice in '{score.name}' "
                                   f"(also at line {earlier.span.line})", later.span,
                                   hint="merge the rules into one with the summed points")
                        break



def _fired_masks(ctx: LintContext, score: str, count: int) -> list[int]:
    """Per rule of the score, a bit per known lead: did the rule fire for it."""
    masks = [0] * count
    for bit, outcome in enumerate(ctx.known):
        for name, index in outcome.fired:
            if name == score:
                masks[index] |= 1 << bit
    return masks

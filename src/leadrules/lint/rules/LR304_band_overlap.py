"""LR304 band-overlap."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from leadrules import model as m
from leadrules.diagnostics import Severity
from leadrules.lint.context import SAT, LintContext
from leadrules.lint.encode import real
from leadrules.lint.outcome import Outcome
from leadrules.values import format_number

__all__ = ["BandOverlap", "show_range"]


def show_range(low: Decimal | None, high: Decimal | None) -> str:
    return f"[{format_number(low) if low is not None else '...'}, {format_number(high) if high is not None else '...'})"


def overlap(a: m.BandEntry, b: m.BandEntry) -> tuple[Decimal | None, Decimal | None] | None:
    lows = [x for x in (a.low, b.low) if x is not None]
    highs = [x for x in (a.high, b.high) if x is not None]
    low = max(lows) if lows else None
    high = min(highs) if highs else None
    if low is not None and high is not None and low >= high:
        return None
    return low, high


class BandOverlap:
    """Bands overlap.

    ## What it does
    Reports two entries of one band whose half-open ranges `[from, to)` intersect, at the
    later entry. This is structural: it is an error whether or not a score can land in the
    overlap. When one can, the witness is such a lead.

    ## Why it matters
    A score in the overlap gets the first matching label; the second entry's range is
    partly a lie, and reports that bucket by band disagree with the rule text.

    ## Example
    ```
    band tier of fit:
        "gold" from 40
        "silver" from 20 to 45     # [40, 45) is both gold and silver
    ```

    ## How to fix
    Make the ranges meet exactly: `"silver" from 20 to 40`.
    """

    code: ClassVar[str] = "LR304"
    name: ClassVar[str] = "band-overlap"
    severity: ClassVar[Severity] = Severity.ERROR

    def run(self, ctx: LintContext) -> None:
        for band in ctx.model.bands.values():
            score = ctx.encoding.scores[band.score]
            for j, later in enumerate(band.entries):
                for earlier in band.entries[:j]:
                    common = overlap(earlier, later)
                    if common is None:
                        continue
                    low, high = common
                    bounds = []
                    if low is not None:
                        bounds.append(score >= real(low))
                    if high is not None:
                        bounds.append(score < real(high))
                    answer = ctx.ask(*bounds)
                    witness = ctx.witness_for(answer, bounds) if answer.status == SAT else None

                    def claim(t: Outcome, band: m.Band = band, low: Decimal | None = low,
                              high: Decimal | None = high, label: str = earlier.label) -> str | None:
                        value = t.scores[band.score]
                        if (low is not None and value < low) or (high is not None and value >= high):
                            return f"{band.score} = {format_number(value)} is outside the overlap"
                        return None if t.bands[band.name] == label else f"the band is {t.bands[band.name]!r}"

                    def reading(t: Outcome, band: m.Band = band, first: str = earlier.label,
                                second: str = later.label) -> str:
                        value = format_number(t.scores[band.score])
                        return f"a lead with {band.score} = {value} gets '{first}', though '{second}' also covers it"

                    ctx.report(self.code, f"band '{band.name}': '{later.label}' {show_range(later.low, later.high)} "
                               f"overlaps '{earlier.label}' {show_range(earlier.low, earlier.high)} on "
                               f"{show_range(low, high)}", later.span, witness=witness, claim=claim,
                               reading=reading, hint="`from` is inclusive and `to` exclusive: let ranges meet exactly")
                    break

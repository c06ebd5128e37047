"""LR305 band-gap."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import z3

from leadrules import model as m
from leadrules.diagnostics import Severity
from leadrules.lint.context import MAX_WITNESS_EVENTS, SAT, UNKNOWN, LintContext
from leadrules.lint.encode import band_contains
from leadrules.lint.outcome import Outcome
from leadrules.lint.rules.LR304_band_overlap import show_range
from leadrules.lint.witness import describe_lead
from leadrules.values import format_number

__all__ = ["BandGap"]


def gaps(band: m.Band) -> list[tuple[Decimal | None, Decimal | None]]:
    """The ranges no entry covers, as half-open intervals (None: unbounded)."""
    ordered = sorted(((e.low, e.high) for e in band.entries),
                     key=lambda r: (r[0] is not None, r[0] if r[0] is not None else Decimal(0)))
    out: list[tuple[Decimal | None, Decimal | None]] = []
    reach: Decimal | None = None  # everything below `reach` is covered, once `started`
    started = False
    for low, high in ordered:
        if low is not None and (not started or (reach is not None and low > reach)):
            out.append((reach if started else None, low))
        if high is None:
            return out
        reach = high if not started or reach is None else max(reach, high)
        started = True
    out.append((reach, None))
    return out


class BandGap:
    """A reachable score value falls in no band.

    ## What it does
    Looks for a valid lead whose score falls in no entry of a band over that score (its
    band value is null, which conditions treat as missing). The message names the score
    value and the uncovered ranges; the witness is the lead.

    ## Why it matters
    A null band makes `grade in ["A", "B"]` unknown, so the lead silently fails every
    criterion that mentions the band, and reports show an empty grade.

    ## Example
    ```
    band tier of fit:
        "silver" from 20 to 40
        "bronze" to 10             # fit = 10 .. 19 has no tier
    ```

    ## How to fix
    Close the gap (`"bronze" to 20`), or bound the score with `(min, max)` so the gap cannot
    be reached.
    """

    code: ClassVar[str] = "LR305"
    name: ClassVar[str] = "band-gap"
    severity: ClassVar[Severity] = Severity.WARNING

    def run(self, ctx: LintContext) -> None:
        for band in ctx.model.bands.values():
            score = ctx.encoding.scores[band.score]
            query = tuple(z3.Not(band_contains(e, score)) for e in band.entries)
            answer = ctx.ask(*query)
            if answer.status == UNKNOWN:
                ctx.incomplete(f"band '{band.name}'", band.span)
            if answer.status != SAT or answer.solution is None:
                continue
            witness = ctx.witness_for(answer, query)
            uncovered = ", ".join(show_range(low, high) for low, high in gaps(band))
            if witness is None:
                ctx.report(self.code, f"band '{band.name}': a reachable value of {band.score} falls in no entry "
                           f"(uncovered: {uncovered}); a lead that shows it needs more than "
                           f"{MAX_WITNESS_EVENTS} events of one kind, so none is given", band.span)
                continue
            value = ctx.evaluate(witness).scores[band.score]

            def claim(t: Outcome, band: m.Band = band, value: Decimal = value) -> str | None:
                if t.scores[band.score] != value:
                    return f"{band.score} is {format_number(t.scores[band.score])}"
                return None if t.bands[band.name] is None else f"the band is {t.bands[band.name]!r}"

            def reading(t: Outcome, band: m.Band = band, value: Decimal = value) -> str:
                return (f"{describe_lead(ctx.encoding, t.lead)} scores {band.score} = "
                        f"{format_number(value)}, which has no '{band.name}' label")

            ctx.report(self.code, f"band '{band.name}': {band.score} = {format_number(value)} is reachable and falls "
                       f"in no entry (uncovered: {uncovered})", band.span, witness=witness, claim=claim,
                       reading=reading)

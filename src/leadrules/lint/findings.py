"""Reporting findings: a witness is made plain and short, confirmed by evaluation (LR901 when
it does not show what the finding says), and read out; unknown answers become LR900."""

from __future__ import annotations

from collections.abc import Callable

from leadrules import model as m
from leadrules.diagnostics import Diagnostic, Witness
from leadrules.lint.encode import Encoding
from leadrules.lint.outcome import Judge, Outcome
from leadrules.lint.search import Claim
from leadrules.lint.solver import LOWER_CASE
from leadrules.source import Span

__all__ = ["Findings", "WitnessMismatch"]


class WitnessMismatch(Exception):
    """The Python engine does not accept a witness the analysis built."""


class Findings:
    """The diagnostics of one lint run, in the order they were reported."""

    def __init__(self, model: m.CheckedModel, encoding: Encoding, judge: Judge) -> None:
        self.model, self.encoding, self.judge = model, encoding, judge
        self.diagnostics: list[Diagnostic] = []

    def evaluate(self, witness: Witness) -> Outcome:
        """The witness as the Python engine evaluates it; a lead the engine rejects is an
        internal error of the witness construction."""
        outcome = self.judge.outcome(witness.lead)
        if not outcome.valid:
            raise WitnessMismatch(f"the engine rejects the witness: {outcome.record['error'].get('message')}")
        return outcome

    def report(self, code: str, message: str, span: Span, *, hint: str | None = None,
               witness: Witness | None = None, claim: Claim | None = None,
               reading: Callable[[Outcome], str] | None = None, notes: tuple[str, ...] = ()) -> None:
        """Add a finding. A witness is evaluated first; if it does not show what the finding
        claims, LR901 is reported in its place (never dropped silently)."""
        text = None
        if witness is not None and claim is not None:
            plain = self._plain(witness)
            if plain != witness:
                try:
                    if claim(self.evaluate(plain)) is None:
                        witness = plain
                except WitnessMismatch:
                    pass
            witness = self._shrink(witness, claim)
        if witness is not None:
            try:
                result = self.evaluate(witness)
                problem = claim(result) if claim is not None else None
            except WitnessMismatch as exc:
                problem = str(exc)
            if problem is not None:
                self.diagnostics.append(Diagnostic(
                    "LR901", f"internal error: the witness for {code} ({message}) does not reproduce: {problem}",
                    span, witness=witness))
                return
            text = reading(result) if reading is not None else None
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint, witness=witness, reading=text,
                                           notes=notes))

    def incomplete(self, what: str, span: Span, why: str | None) -> None:
        """LR900 for a question the solver left open; `why` is its reason (None or a timeout:
        out of time)."""
        if why == LOWER_CASE:
            self.diagnostics.append(Diagnostic(
                "LR900", f"analysis incomplete for {what}: it depends on how an email's domain is "
                "lower-cased, which the solver does not model exactly", span,
                hint="compare `.domain` with lower-case text, or test the email text without `.domain`"))
        elif why is not None and why != "timeout" and "canceled" not in why:
            self.diagnostics.append(Diagnostic(
                "LR900", f"analysis incomplete for {what}: the solver could not decide it ({why})", span,
                hint="simplify the conditions (text tests combined with `.domain` are the usual cause)"))
        else:
            self.diagnostics.append(Diagnostic(
                "LR900", f"analysis incomplete for {what}: the solver ran out of time", span,
                hint="raise `solver-timeout-ms` in the configuration, or simplify the conditions"))

    def _plain(self, witness: Witness) -> Witness:
        """The witness with empty or unprintable text values replaced by plain words; used
        only when it still shows the finding (checked by evaluation in `report`)."""
        lead = dict(witness.lead)
        for name, v in self.encoding.fields.items():
            value = lead.get(name)
            if not isinstance(value, str) or v.field.kind not in ("text", "email"):
                continue
            if value.isascii() and value.isprintable() and value.strip() and value != "@":
                continue
            if v.field.kind == "email":
                lead[name] = "pat" + value[value.rindex("@"):] if "@" in value and value[-1] != "@" else "pat"
            else:
                lead[name] = "other"
        return Witness(witness.as_of, lead)

    def _shrink(self, witness: Witness, claim: Claim) -> Witness:
        """The witness without the events and optional fields it does not need to show the
        claim (one at a time, newest event first), so that it reads as the point it makes."""
        lead = dict(witness.lead)
        shown = self.judge.outcome(lead)
        if not shown.valid or claim(shown) is not None:
            return witness  # `report` turns it into LR901 with the original witness
        events = list(lead.get("events", []))
        index = len(events) - 1
        while index >= 0:
            candidate = {**lead, "events": events[:index] + events[index + 1:]}
            outcome = self.judge.outcome(candidate)
            if outcome.valid and claim(outcome) is None:
                lead, events = candidate, candidate["events"]
            index -= 1
        for name, f in self.model.fields.items():
            if f.optional and name in lead:
                candidate = {k: v for k, v in lead.items() if k != name}
                outcome = self.judge.outcome(candidate)
                if outcome.valid and claim(outcome) is None:
                    lead = candidate
        return Witness(witness.as_of, lead)

"""What every lint rule works with: the model and its z3 encoding, the solver (`solver.py`),
the known leads and the search for a witness (`search.py`), and the findings (`findings.py`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import z3

from leadrules import model as m
from leadrules.config import Config
from leadrules.diagnostics import Diagnostic, Witness
from leadrules.lint.encode import Encoding, encode
from leadrules.lint.findings import Findings, WitnessMismatch
from leadrules.lint.outcome import Judge, Outcome
from leadrules.lint.samples import Sampler
from leadrules.lint.search import Claim, KnownLeads
from leadrules.lint.solver import MAX_WITNESS_EVENTS, SAT, UNKNOWN, UNSAT, Answer, SlicedSolver
from leadrules.lint.witness import AS_OF
from leadrules.source import Span

__all__ = ["LintContext", "Answer", "Claim", "SAT", "UNSAT", "UNKNOWN", "MAX_WITNESS_EVENTS",
           "WitnessMismatch"]


@dataclass(frozen=True)
class LintContext:
    model: m.CheckedModel
    config: Config
    encoding: Encoding
    solver: SlicedSolver
    leads: KnownLeads
    findings: Findings
    # answers several rules need, computed once per run (see `facts.py`)
    facts: dict[tuple[object, ...], object] = field(default_factory=dict)

    @classmethod
    def create(cls, model: m.CheckedModel, config: Config) -> LintContext:
        encoding = encode(model)
        judge = Judge(model, AS_OF)
        solver = SlicedSolver(encoding, config.solver_timeout_ms)
        leads = KnownLeads(judge, Sampler(model), solver)
        return cls(model, config, encoding, solver, leads, Findings(model, encoding, judge))

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.findings.diagnostics

    @property
    def known(self) -> list[Outcome]:
        """Valid leads whose outcome is known: samples and every witness found so far."""
        return self.leads.outcomes

    # ---- questions -------------------------------------------------------------------------
    def ask(self, *constraints: z3.BoolRef) -> Answer:
        return self.solver.ask(*constraints)

    def possible(self, *constraints: z3.BoolRef) -> str:
        """Whether a valid lead meets all constraints (sat, unsat or unknown), when no
        witness is needed: a query on a large slice is first tried on the known leads."""
        if self.solver.is_large(constraints) and self.leads.shows(constraints):
            return SAT
        return self.solver.ask(*constraints).status

    def witness_for(self, answer: Answer, constraints: Sequence[z3.BoolRef]) -> Witness | None:
        return self.solver.witness_for(answer, constraints)

    def find(self, claim: Claim) -> Outcome | None:
        return self.leads.find(claim)

    def search(self, claim: Claim, query: Sequence[z3.BoolRef], *, near: Claim | None = None,
               focus: set[str] | None = None) -> tuple[str, Witness | None]:
        return self.leads.search(claim, query, near=near, focus=focus)

    # ---- findings --------------------------------------------------------------------------
    def evaluate(self, witness: Witness) -> Outcome:
        return self.findings.evaluate(witness)

    def report(self, code: str, message: str, span: Span, *, hint: str | None = None,
               witness: Witness | None = None, claim: Claim | None = None,
               reading: Callable[[Outcome], str] | None = None, notes: tuple[str, ...] = ()) -> None:
        self.findings.report(code, message, span, hint=hint, witness=witness, claim=claim, reading=reading,
                             notes=notes)

    def incomplete(self, what: str, span: Span) -> None:
        """LR900 for the question the solver just left open, with its reason."""
        self.findings.incomplete(what, span, self.solver.take_why_unknown())

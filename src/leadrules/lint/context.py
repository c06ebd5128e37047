"""What every lint rule works with: the model, its z3 encoding, one incremental solver with a
time limit per query, witness construction, and confirmation of witnesses by evaluation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from leadrules import model as m
from leadrules.config import Config
from leadrules.diagnostics import CODES, Diagnostic, Severity, Witness
from leadrules.lint.encode import Encoding, encode
from leadrules.lint.oracle import Trace, trace
from leadrules.lint.witness import AS_OF, NotDecimal, build_witness
from leadrules.source import Span

__all__ = ["LintContext", "Answer", "Claim", "SAT", "UNSAT", "UNKNOWN"]

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"

# A claim is checked on the evaluated witness; it returns None when the witness shows what
# the finding says, else a short description of what it shows instead.
Claim = Callable[[Trace], str | None]


@dataclass(frozen=True)
class Answer:
    status: str
    solution: z3.ModelRef | None = None


def _engine_evaluator(model: m.CheckedModel) -> Any | None:
    """The Python engine's evaluator when the engine is installed, else None."""
    try:
        from leadrules.engine.python import compile_model  # type: ignore[attr-defined]
    except ImportError:
        return None
    return compile_model(model)


_COMPARED_KEYS = ("stage", "disqualified", "reasons", "blocked", "scores", "bands", "route")


@dataclass
class LintContext:
    model: m.CheckedModel
    config: Config
    encoding: Encoding
    solver: z3.Solver
    diagnostics: list[Diagnostic] = field(default_factory=list)
    queries: int = 0
    facts: dict[tuple[object, ...], object] = field(default_factory=dict)
    _evaluator: Any = None
    _engine_checked: bool = False

    @classmethod
    def create(cls, model: m.CheckedModel, config: Config) -> LintContext:
        enc = encode(model)
        solver = z3.Solver()
        solver.set("timeout", config.solver_timeout_ms)
        solver.add(*enc.base)
        return cls(model, config, enc, solver)

    # ---- solving ---------------------------------------------------------------------------
    def ask(self, *constraints: z3.BoolRef) -> Answer:
        """Is there a valid lead meeting all constraints? One push/pop on the shared solver."""
        self.queries += 1
        self.solver.push()
        try:
            self.solver.add(*constraints)
            result = self.solver.check()
            if result == z3.sat:
                return Answer(SAT, self.solver.model())
            if result == z3.unsat:
                return Answer(UNSAT)
            return Answer(UNKNOWN)
        finally:
            self.solver.pop()

    def witness_for(self, answer: Answer, constraints: Sequence[z3.BoolRef]) -> Witness | None:
        """The witness of a satisfiable query, made readable where the query allows it (no
        empty strings); a number the solver picked as a non-decimal rational (1/3) is
        re-solved on a grid of 10⁻⁶."""
        assert answer.solution is not None
        answer = self._readable(answer, constraints)
        try:
            return build_witness(self.encoding, answer.solution)  # type: ignore[arg-type]
        except NotDecimal:
            pass
        grid = []
        for name, v in self.encoding.fields.items():
            if v.field.kind == "number":
                steps = z3.Int(f"grid:{name}")
                grid.append(v.value * 1_000_000 == z3.ToReal(steps))  # type: ignore[operator]
        retry = self.ask(*constraints, *grid)
        if retry.status != SAT or retry.solution is None:
            return None
        try:
            return build_witness(self.encoding, retry.solution)
        except NotDecimal:
            return None

    def _readable(self, answer: Answer, constraints: Sequence[z3.BoolRef]) -> Answer:
        """Replace empty or odd text values by plain ones when the query still holds."""
        assert answer.solution is not None
        wishes: list[z3.BoolRef] = []
        for v in self.encoding.fields.values():
            if v.field.kind not in ("text", "email"):
                continue
            current = answer.solution.eval(v.value, model_completion=True)
            text = current.as_string() if isinstance(current, z3.SeqRef) else ""
            if text.isascii() and text.isprintable() and text.strip() and text not in ("@",):
                continue
            if v.field.kind == "email":
                if v.domain is not None and v.has_at is not None:
                    domain = answer.solution.eval(v.domain, model_completion=True)
                    has_at = z3.is_true(answer.solution.eval(v.has_at, model_completion=True))
                    domain_text = domain.as_string() if isinstance(domain, z3.SeqRef) else ""
                    if not has_at:
                        wishes.append(v.value == z3.StringVal("pat"))
                        continue
                    wishes.append(v.value == z3.StringVal("pat@" + (domain_text or "example.com")))
                else:
                    wishes.append(v.value == z3.StringVal("pat@example.com"))
            else:
                wishes.append(v.value == z3.StringVal("other"))
        if not wishes:
            return answer
        together = self.ask(*constraints, *wishes)
        if together.status == SAT:
            return together
        for wish in wishes:
            single = self.ask(*constraints, wish)
            if single.status == SAT:
                constraints = (*constraints, wish)
                answer = single
        return answer

    # ---- evaluation of witnesses -----------------------------------------------------------
    def evaluate(self, witness: Witness) -> Trace:
        """Evaluate a witness with this module's reading of the spec and, when the Python
        engine is installed, with the engine; a disagreement is an internal error."""
        result = trace(self.model, witness.lead, AS_OF)
        if not self._engine_checked:
            self._engine_checked = True
            self._evaluator = _engine_evaluator(self.model)
        if self._evaluator is not None:
            record = self._evaluator.evaluate(witness.lead, AS_OF)
            if "error" in record:
                raise WitnessMismatch(f"the engine rejects the witness: {record['error'].get('message')}")
            for key in _COMPARED_KEYS:
                if key in record and record[key] != result.record[key]:
                    raise WitnessMismatch(
                        f"the engine gives {key} = {record[key]!r}, the analysis {result.record[key]!r}")
        return result

    # ---- reporting -------------------------------------------------------------------------
    def report(self, code: str, message: str, span: Span, *, hint: str | None = None,
               witness: Witness | None = None, claim: Claim | None = None,
               reading: Callable[[Trace], str] | None = None, notes: tuple[str, ...] = ()) -> None:
        """Add a finding. A witness is evaluated first; if it does not show what the finding
        claims, LR901 is reported in its place (never dropped silently)."""
        text = None
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

    def incomplete(self, what: str, span: Span) -> None:
        self.diagnostics.append(Diagnostic(
            "LR900", f"analysis incomplete for {what}: the solver ran out of time", span,
            hint="raise `solver-timeout-ms` in the configuration, or simplify the conditions"))

    def severity(self, code: str) -> Severity:
        return CODES[code].severity


class WitnessMismatch(Exception):
    """The Python engine and the analysis disagree on a witness."""

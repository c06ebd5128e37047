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
from leadrules.lint.outcome import Judge, Outcome
from leadrules.lint.samples import Sampler
from leadrules.lint.witness import AS_OF, AS_OF_TEXT, NotDecimal, build_witness, event_caps, event_total
from leadrules.source import Span

__all__ = ["LintContext", "Answer", "Claim", "SAT", "UNSAT", "UNKNOWN"]

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"
_INCREMENTAL_LIMIT = 16  # base constraints up to which a slice keeps a push/pop solver
# the most events a witness holds: a finding that needs more is reported without one
MAX_WITNESS_EVENTS = 1000
_SAMPLES = 128  # leads built from the mentioned values, screened before the solver is asked
_PREPROCESSED = z3.Then("simplify", "propagate-values", "solve-eqs", "smt")
_VARIATIONS = 48  # variations of each witness the solver finds, screened as well
_SEEDS, _FOCUSED = 3, 16  # known leads near a question, and variations tried of each

# A claim is checked on the evaluated witness; it returns None when the witness shows what
# the finding says, else a short description of what it shows instead.
Claim = Callable[[Outcome], str | None]


@dataclass(frozen=True)
class Answer:
    status: str
    solution: z3.ModelRef | None = None


@dataclass
class LintContext:
    model: m.CheckedModel
    config: Config
    encoding: Encoding
    judge: Judge
    diagnostics: list[Diagnostic] = field(default_factory=list)
    queries: int = 0
    facts: dict[tuple[object, ...], object] = field(default_factory=dict)
    # valid leads whose outcome is known: samples and every witness found so far
    known: list[Outcome] = field(default_factory=list)
    _var_memo: dict[int, tuple[z3.ExprRef, frozenset[int]]] = field(default_factory=dict)
    _base_model: z3.ModelRef | None = None
    sampler: Sampler | None = None
    _why_unknown: str | None = None
    # ids of the String variables seen by `_vars`: queries over text get a fresh solver
    _string_vars: set[int] = field(default_factory=set)

    @classmethod
    def create(cls, model: m.CheckedModel, config: Config) -> LintContext:
        enc = encode(model)
        ctx = cls(model, config, enc, Judge(model, AS_OF))
        ctx._index_base()
        ctx.sampler = Sampler(model)
        for lead in ctx.sampler.leads(_SAMPLES):
            ctx.learn(lead)
        return ctx

    # ---- known leads -----------------------------------------------------------------------
    def _vary(self, claim: Claim, near: Claim | None, focus: set[str] | None) -> Outcome | None:
        if near is None or not focus or self.sampler is None:
            return None
        seeds = [o for o in reversed(self.known) if near(o) is None][:_SEEDS]
        for seed in seeds:
            for lead in self.sampler.variations(seed.lead, _FOCUSED, focus):
                outcome = self.judge.outcome(lead)
                if outcome.valid and claim(outcome) is None:
                    self.known.append(outcome)
                    return outcome
        return None

    def learn(self, lead: dict[str, Any]) -> Outcome | None:
        """Evaluate a lead and remember it when it is valid."""
        outcome = self.judge.outcome(lead)
        if not outcome.valid:
            return None
        self.known.append(outcome)
        return outcome

    def find(self, claim: Claim) -> Outcome | None:
        """A known lead that shows the claim, if any (newest first: recent witnesses tend to
        sit deep in the funnel, where the questions are)."""
        for outcome in reversed(self.known):
            if claim(outcome) is None:
                return outcome
        return None

    def search(self, claim: Claim, query: Sequence[z3.BoolRef], *, near: Claim | None = None,
               focus: set[str] | None = None) -> tuple[str, Witness | None]:
        """Is there a valid lead that shows the claim? `query` is the claim in z3 terms.
        Known leads first, then variations of the fields and events in `focus` of known
        leads that show `near` (e.g. that reach the stage in question); then the solver,
        whose witness is remembered."""
        found = self.find(claim) or self._vary(claim, near, focus)
        if found is not None:
            return SAT, Witness(AS_OF_TEXT, found.lead)
        answer = self.ask(*query)
        if answer.status != SAT:
            return answer.status, None
        witness = self.witness_for(answer, query)
        if witness is not None and self.learn(witness.lead) is not None and self.sampler is not None:
            for lead in self.sampler.variations(witness.lead, _VARIATIONS):
                self.learn(lead)
        return SAT, witness

    # ---- slicing ---------------------------------------------------------------------------
    # A query needs only the base constraints that share variables with it, transitively
    # (a score's definition pulls in the fields and counts its rules read). Most rule-level
    # queries touch one or two fields, so they are solved against a small slice: a solver per
    # slice, reused with push/pop by every query with the same slice.
    def _index_base(self) -> None:
        self._base_vars = [self._vars(c) for c in self.encoding.base]
        self._by_var: dict[int, list[int]] = {}
        defined = {v.get_id() for v in self.encoding.scores.values()}
        for index, (constraint, names) in enumerate(zip(self.encoding.base, self._base_vars, strict=True)):
            # a definition `score == ...` only matters to queries that read the score
            lhs = constraint.arg(0) if z3.is_eq(constraint) else None
            if lhs is not None and lhs.get_id() in defined:
                self._by_var.setdefault(lhs.get_id(), []).append(index)
                continue
            for var in names:
                self._by_var.setdefault(var, []).append(index)
        self._slices: dict[frozenset[int], z3.Solver] = {}
        self._everything = frozenset(range(len(self.encoding.base)))

    def _vars(self, term: z3.ExprRef) -> frozenset[int]:
        """Ids of the uninterpreted constants in a term (memoised; terms are kept alive)."""
        memo = self._var_memo
        found: set[int] = set()
        stack = [term]
        while stack:
            t = stack.pop()
            key = t.get_id()
            cached = memo.get(key)
            if cached is not None:
                found |= cached[1]
                continue
            if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
                found.add(key)
                if t.sort().kind() == z3.Z3_SEQ_SORT:
                    self._string_vars.add(key)
                continue
            stack.extend(t.children())
        result = frozenset(found)
        memo[term.get_id()] = (term, result)
        return result

    def _slice(self, constraints: Sequence[z3.BoolRef]) -> frozenset[int]:
        """Indices of the base constraints a query depends on."""
        needed: set[int] = set()
        for c in constraints:
            needed |= self._vars(c)
        chosen: set[int] = set()
        pending = list(needed)
        while pending:
            var = pending.pop()
            for index in self._by_var.get(var, ()):
                if index in chosen:
                    continue
                chosen.add(index)
                for other in self._base_vars[index]:
                    if other not in needed:
                        needed.add(other)
                        pending.append(other)
        return frozenset(chosen)

    def _solver_for(self, constraints: Sequence[z3.BoolRef]) -> z3.Solver | frozenset[int]:
        """A cached incremental solver for a small slice; for a large slice the indices, to
        be solved by a fresh solver (z3's incremental core was measured several times slower
        than a fresh solve on the large, score-heavy slices of stage and route queries, and
        up to a hundred times slower on text: `email.domain ends with ".edu"` beside the
        email's own text took over 5 s after a push, 0.05 s fresh)."""
        chosen = self._slice(constraints)
        if len(chosen) > _INCREMENTAL_LIMIT or self._reads_text(chosen, constraints):
            return chosen
        solver = self._slices.get(chosen)
        if solver is None:
            solver = self._new_solver(chosen)
            self._slices[chosen] = solver
        return solver

    def _reads_text(self, chosen: frozenset[int], constraints: Sequence[z3.BoolRef]) -> bool:
        if not self._string_vars:
            return False
        for c in constraints:
            if self._vars(c) & self._string_vars:
                return True
        return any(self._base_vars[index] & self._string_vars for index in chosen)

    def _new_solver(self, chosen: frozenset[int]) -> z3.Solver:
        if len(chosen) > _INCREMENTAL_LIMIT:
            # one-shot: simplifying and eliminating the score definitions before search was
            # measured 1.5-2x faster than the default solver on funnel queries
            solver = _PREPROCESSED.solver()
        else:
            solver = z3.Solver()
        solver.set("timeout", self.config.solver_timeout_ms)
        solver.add(*[self.encoding.base[i] for i in sorted(chosen)])
        return solver

    # ---- solving ---------------------------------------------------------------------------
    def ask(self, *constraints: z3.BoolRef) -> Answer:
        """Is there a valid lead meeting all constraints? One push/pop on a solver that holds
        the base constraints the query depends on.

        Where the encoding over-approximates (`Encoding.links`), the query is solved with
        the links first, whose answers are exact witnesses; only when that fails is it
        solved without them, and an answer found only there is "unknown"."""
        target = self._solver_for(constraints)
        links = self._links_for(constraints)
        if not links:
            return self._ask_on(target, constraints)
        linked = self._ask_on(target, (*constraints, *links))
        if linked.status != UNSAT:
            return linked
        loose = self._ask_on(target, constraints)
        if loose.status != SAT:
            return loose
        self._why_unknown = "lower-case"  # the next `incomplete` says why
        return Answer(UNKNOWN)

    def _links_for(self, constraints: Sequence[z3.BoolRef]) -> list[z3.BoolRef]:
        if not self.encoding.links:
            return []
        variables = self._slice_vars(constraints)
        return [link for link in self.encoding.links if self._vars(link) & variables]

    def _ask_on(self, target: z3.Solver | frozenset[int], constraints: Sequence[z3.BoolRef]) -> Answer:
        self.queries += 1
        if isinstance(target, frozenset):
            solver = self._new_solver(target)
            solver.add(*constraints)
            return self._answer(solver)
        target.push()
        try:
            target.add(*constraints)
            return self._answer(target)
        finally:
            target.pop()

    def _answer(self, solver: z3.Solver) -> Answer:
        result = solver.check()
        if result == z3.sat:
            return Answer(SAT, solver.model())
        if result == z3.unsat:
            return Answer(UNSAT)
        self._why_unknown = solver.reason_unknown()
        return Answer(UNKNOWN)

    def witness_for(self, answer: Answer, constraints: Sequence[z3.BoolRef]) -> Witness | None:
        """The witness of a satisfiable query; a number the solver picked as a non-decimal
        rational (1/3) is re-solved on a grid of 10⁻⁶.

        A query is solved on the base constraints it depends on (its slice); the variables
        outside the slice share no constraint with it, so their values are taken from one
        model of the whole base, solved once."""
        assert answer.solution is not None
        solution, constraints = answer.solution, tuple(constraints)
        if event_total(self.encoding, solution) > MAX_WITNESS_EVENTS:
            # a lead of millions of events is neither readable nor cheap to re-run: ask for
            # one within the cap, and report without a witness when none exists
            caps = [cap for cap in event_caps(self.encoding, MAX_WITNESS_EVENTS)
                    if self._vars(cap) & self._slice_vars(constraints)]
            capped = self.ask(*constraints, *caps)
            if capped.status != SAT or capped.solution is None:
                return None
            solution, constraints = capped.solution, (*constraints, *caps)
        try:
            return self._read(solution, constraints)
        except NotDecimal:
            pass
        grid = self._grid()
        relevant = [g for g in grid if self._vars(g) & self._slice_vars(constraints)]
        retry = self.ask(*constraints, *relevant)
        if retry.status != SAT or retry.solution is None:
            return None
        try:
            return self._read(retry.solution, (*constraints, *relevant))
        except NotDecimal:
            return None

    def _read(self, solution: z3.ModelRef, constraints: Sequence[z3.BoolRef]) -> Witness | None:
        chosen = self._slice(constraints)
        if len(chosen) == len(self.encoding.base):
            return build_witness(self.encoding, solution)
        base = self._whole_base_model()
        if base is None:
            return None
        combined = _Combined(solution, base, frozenset(self._slice_vars(constraints)))
        return build_witness(self.encoding, combined)

    def _slice_vars(self, constraints: Sequence[z3.BoolRef]) -> set[int]:
        inside: set[int] = set()
        for c in constraints:
            inside |= self._vars(c)
        for index in self._slice(constraints):
            inside |= self._base_vars[index]
        return inside

    def _whole_base_model(self) -> z3.ModelRef | None:
        if self._base_model is None:
            answer = self._ask_on(self._everything, (*self._grid(), *self.encoding.links))
            self._base_model = answer.solution
        return self._base_model

    def _grid(self) -> list[z3.BoolRef]:
        """Numbers on a grid of 10⁻⁶, so that they print as short decimals."""
        grid = []
        for name, v in self.encoding.fields.items():
            if v.field.kind == "number":
                steps = z3.Int(f"grid:{name}")
                grid.append(v.value * 1_000_000 == z3.ToReal(steps))
        return grid

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

    # ---- evaluation of witnesses -----------------------------------------------------------
    def evaluate(self, witness: Witness) -> Outcome:
        """The witness as the Python engine evaluates it; a lead the engine rejects is an
        internal error of the witness construction."""
        outcome = self.judge.outcome(witness.lead)
        if not outcome.valid:
            raise WitnessMismatch(f"the engine rejects the witness: {outcome.record['error'].get('message')}")
        return outcome

    # ---- reporting -------------------------------------------------------------------------
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

    def incomplete(self, what: str, span: Span) -> None:
        why, self._why_unknown = self._why_unknown, None
        if why == "lower-case":
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

    def severity(self, code: str) -> Severity:
        return CODES[code].severity


class WitnessMismatch(Exception):
    """The Python engine does not accept a witness the analysis built."""


class _Combined:
    """A satisfying assignment read from two models: the query's model for the variables of
    its slice, a model of the whole base for every other variable."""

    def __init__(self, inside: z3.ModelRef, outside: z3.ModelRef, variables: frozenset[int]) -> None:
        self.inside, self.outside, self.variables = inside, outside, variables

    def eval(self, term: z3.ExprRef, model_completion: bool = False) -> z3.ExprRef:
        chosen = self.inside if _is_inside(term, self.variables) else self.outside
        return chosen.eval(term, model_completion=model_completion)


def _is_inside(term: z3.ExprRef, variables: frozenset[int]) -> bool:
    stack = [term]
    while stack:
        t = stack.pop()
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            if t.get_id() in variables:
                return True
            continue
        stack.extend(t.children())
    return False

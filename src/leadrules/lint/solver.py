"""The solver side of the linter: z3 queries against the base constraints a query depends on
(its slice), each within the configured time budget, and witnesses read off their models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import z3

from leadrules.diagnostics import Witness
from leadrules.lint.encode import Encoding
from leadrules.lint.witness import NotDecimal, build_witness, event_caps, event_total

__all__ = ["Answer", "SlicedSolver", "assignment", "SAT", "UNSAT", "UNKNOWN", "MAX_WITNESS_EVENTS", "LOWER_CASE"]

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"
# why an answer is unknown when it depends on how an email's domain is lower-cased
LOWER_CASE = "lower-case"
_INCREMENTAL_LIMIT = 16  # base constraints up to which a slice keeps a push/pop solver
# the most events a witness holds: a finding that needs more is reported without one
MAX_WITNESS_EVENTS = 1000
_PREPROCESSED = z3.Then("simplify", "propagate-values", "solve-eqs", "smt")


@dataclass(frozen=True)
class Answer:
    status: str
    solution: z3.ModelRef | None = None


class SlicedSolver:
    """Answers "is there a valid lead meeting these constraints?" for one encoding.

    A query needs only the base constraints that share variables with it, transitively
    (a score's definition pulls in the fields and counts its rules read). Most rule-level
    queries touch one or two fields, so they are solved against a small slice: a solver per
    slice, reused with push/pop by every query with the same slice."""

    def __init__(self, encoding: Encoding, timeout_ms: int) -> None:
        self.encoding = encoding
        self.timeout_ms = timeout_ms
        # why the last query was unknown, until `take_why_unknown` reads it
        self._why_unknown: str | None = None
        self._var_memo: dict[int, tuple[z3.ExprRef, frozenset[int]]] = {}
        # ids of the String variables seen by `_vars`: queries over text get a fresh solver
        self._string_vars: set[int] = set()
        self._base_model: z3.ModelRef | None = None
        self._slices: dict[frozenset[int], z3.Solver] = {}
        self._base_vars = [self._vars(c) for c in encoding.base]
        self._by_var: dict[int, list[int]] = {}
        defined = {v.get_id() for v in encoding.scores.values()}
        for index, (constraint, names) in enumerate(zip(encoding.base, self._base_vars, strict=True)):
            # a definition `score == ...` only matters to queries that read the score
            lhs = constraint.arg(0) if z3.is_eq(constraint) else None
            if lhs is not None and lhs.get_id() in defined:
                self._by_var.setdefault(lhs.get_id(), []).append(index)
                continue
            for var in names:
                self._by_var.setdefault(var, []).append(index)
        self._everything = frozenset(range(len(encoding.base)))

    def take_why_unknown(self) -> str | None:
        """Why the last unknown answer was unknown (once: the reason is cleared)."""
        why, self._why_unknown = self._why_unknown, None
        return why

    # ---- slicing ---------------------------------------------------------------------------
    def _vars(self, term: z3.ExprRef) -> frozenset[int]:
        """Ids of the uninterpreted constants in a term (memoised; terms are kept alive)."""
        memo = self._var_memo
        found: set[int] = set()
        # a score's definition repeats its conditions' subterms (a DAG): each is walked once
        seen: set[int] = set()
        stack = [term]
        while stack:
            t = stack.pop()
            key = t.get_id()
            if key in seen:
                continue
            seen.add(key)
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

    def _slice_vars(self, constraints: Sequence[z3.BoolRef]) -> set[int]:
        inside: set[int] = set()
        for c in constraints:
            inside |= self._vars(c)
        for index in self._slice(constraints):
            inside |= self._base_vars[index]
        return inside

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
        solver.set("timeout", self.timeout_ms)
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
        self._why_unknown = LOWER_CASE  # the next `incomplete` says why
        return Answer(UNKNOWN)

    def _links_for(self, constraints: Sequence[z3.BoolRef]) -> list[z3.BoolRef]:
        if not self.encoding.links:
            return []
        variables = self._slice_vars(constraints)
        return [link for link in self.encoding.links if self._vars(link) & variables]

    def _ask_on(self, target: z3.Solver | frozenset[int], constraints: Sequence[z3.BoolRef]) -> Answer:
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

    # ---- known points ----------------------------------------------------------------------
    def is_large(self, constraints: Sequence[z3.BoolRef]) -> bool:
        """Whether the query depends on a large slice (solved from scratch, often slowly)."""
        return len(self._slice(constraints)) > _INCREMENTAL_LIMIT

    def model_of(self, values: Sequence[tuple[z3.ExprRef, z3.ExprRef]]) -> z3.ModelRef | None:
        """The values (those of a known lead) as a model, when it satisfies every base
        constraint and link; else None."""
        model = assignment(values)
        return model if self.satisfies(model) else None

    def satisfies(self, model: z3.ModelRef) -> bool:
        """Whether an assignment satisfies every base constraint and link."""
        return all(z3.is_true(model.eval(constraint, model_completion=True))
                   for constraint in (*self.encoding.base, *self.encoding.links))

    # ---- witnesses -------------------------------------------------------------------------
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


def assignment(values: Sequence[tuple[z3.ExprRef, z3.ExprRef]]) -> z3.ModelRef:
    """The values as a z3 model, not checked against anything."""
    model = z3.Model()
    for variable, value in values:
        model.update_value(variable, value)
    return model


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

"""What every lint rule works with: the model and its z3 encoding, the solver (`solver.py`),
the known leads and the search for a witness (`search.py`), and the findings (`findings.py`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import z3

from leadrules import model as m
from leadrules.config import Config
from leadrules.diagnostics import Diagnostic, Witness
from leadrules.lint.encode import Encoding, encode
from leadrules.lint.findings import Findings, WitnessMismatch
from leadrules.lint.outcome import Judge, Outcome
from leadrules.lint.samples import Sampler
from leadrules.lint.search import Claim, Cost, KnownLeads
from leadrules.lint.solver import MAX_WITNESS_EVENTS, SAT, UNKNOWN, UNSAT, Answer, SlicedSolver
from leadrules.lint.witness import AS_OF
from leadrules.source import Span

__all__ = ["LintContext", "Answer", "Claim", "SAT", "UNSAT", "UNKNOWN", "MAX_WITNESS_EVENTS",
           "WitnessMismatch"]

# scoring rules from which a ruleset's stage questions are first tried by a climb over known
# leads (`LintContext.reach_stages`); below it z3 answers them quickly, and the solver's
# witnesses (which seed later questions) are kept as they were
_CLIMB_RULES = 64
_EXTREME_SWEEPS = 2  # per score and direction


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

    def possible_in_route(self, stage: str, entries: Sequence[int]) -> str:
        """Whether a valid lead ends in `stage` with the route entries `entries` (indices into
        its route) all matching. On a large ruleset (see `reach_stages`) known leads, then a
        climb and pinned solves (`KnownLeads.search`) come before the full solve, whose time
        on these questions is heavy-tailed (over the 5 s budget for some at 600 rules); on a
        small one, `possible`."""
        route = self.model.routes[stage]
        conditions = [route.entries[i].condition for i in entries]
        query = (self.encoding.ends_in(stage), *(self.encoding.cond(c).true for c in conditions if c is not None))
        cost = self.entries_cost(stage, entries)
        if cost is None:
            return self.possible(*query)

        def claim(t: Outcome) -> str | None:
            if t.record["stage"] != stage:
                return "elsewhere"
            truths = t.routes.get(stage, ())
            return None if all(i < len(truths) and truths[i] is True for i in entries) else "unmatched"

        return self.search(claim, query, cost=cost)[0]

    def witness_for(self, answer: Answer, constraints: Sequence[z3.BoolRef]) -> Witness | None:
        return self.solver.witness_for(answer, constraints)

    def find(self, claim: Claim) -> Outcome | None:
        return self.leads.find(claim)

    def search(self, claim: Claim, query: Sequence[z3.BoolRef], *, near: Claim | None = None,
               focus: set[str] | None = None, cost: Cost | None = None) -> tuple[str, Witness | None]:
        return self.leads.search(claim, query, near=near, focus=focus, cost=cost)

    def entries_cost(self, stage: str, entries: Sequence[int], unmatched: Sequence[int] = ()) -> Cost | None:
        """For a large ruleset (see `reach_stages`): how far a lead is from ending in `stage`
        with the route entries `entries` all matching and those of `unmatched` not, for a
        climb before the full solve; None for a small ruleset, whose questions go to the
        solver as before."""
        if not self._climbs():
            return None
        in_stage = _stage_cost(self.model, stage)

        def cost(t: Outcome) -> tuple[Decimal, ...]:
            truths = t.routes.get(stage, ())
            unmet = sum(1 for i in entries if i >= len(truths) or truths[i] is not True)
            unmet += sum(1 for i in unmatched if i < len(truths) and truths[i] is not False)
            # the entries first: matching them may take the lead out of the stage (an entry on
            # `revenue` beside a later criterion on it), which the rest of the climb undoes
            disqualified, *rest = in_stage(t)
            return (disqualified, Decimal(unmet), *rest)

        return cost

    def skip_cost(self, stage: str, previous: str) -> Cost | None:
        """For a large ruleset (see `reach_stages`): how far a lead is from ending in `stage`
        with the criterion of `previous` not true (a stage skip, LR102), for a climb before
        the full solve; None for a small ruleset."""
        if not self._climbs():
            return None
        in_stage = _stage_cost(self.model, stage)

        def cost(t: Outcome) -> tuple[Decimal, ...]:
            disqualified, *rest = in_stage(t)
            return (disqualified, Decimal(t.criteria.get(previous) is True), *rest)

        return cost

    def _climbs(self) -> bool:
        return sum(len(score.rules) for score in self.model.scores.values()) >= _CLIMB_RULES

    def reach_stages(self) -> None:
        """Once per run, for a large ruleset: a known lead in every stage that has a
        criterion and that no known lead reaches yet, found by a climb over the known leads
        (`KnownLeads.climb`), shallow stages first. At 600 rules z3's time on "ends in S" is
        heavy-tailed (over the timeout for some stages), and without a lead in the stage
        neither the known leads nor the nearby search has a start for the questions about
        it. A lead found proves only that the stage is reachable; where none is found, the
        solver decides as before. Likewise a lead of low and one of high value for each
        score, for the comparisons of scores with numbers (LR403)."""
        if ("reached",) in self.facts:
            return
        self.facts[("reached",)] = True
        if not self._climbs():
            return
        for stage in self.model.stages[1:]:
            if stage not in self.model.criteria:
                continue

            def reaches(t: Outcome, stage: str = stage) -> str | None:
                return None if t.record["stage"] == stage else "elsewhere"

            if self.find(reaches) is None:
                self.leads.climb(reaches, _stage_cost(self.model, stage))
        # a comparison of a score asks for leads at either end of its range (LR403)
        for name in self.model.scores:
            for sign in (1, -1):
                self.leads.extreme(_score_cost(name, sign), _EXTREME_SWEEPS)

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


def _stage_cost(model: m.CheckedModel, stage: str) -> Cost:
    """How far a lead is from ending in `stage`, in order: disqualified; how many points its
    scores lack for the comparisons of the stage's criterion; the criterion not true; how
    far the later stages whose criterion is true are from failing it; not ending there."""
    criterion = model.criteria[stage].condition
    later = [model.criteria[s].condition for s in model.stages[model.stage_index(stage) + 1:] if s in model.criteria]
    later_names = [s for s in model.stages[model.stage_index(stage) + 1:] if s in model.criteria]

    def cost(t: Outcome) -> tuple[Decimal, ...]:
        scores = t.scores
        above = [c for s, c in zip(later_names, later, strict=True) if t.criteria.get(s) is True]
        excess = sum((_to_fail(c, scores) for c in above), Decimal(0))
        return (Decimal(t.record["stage"] == m.DISQUALIFIED), _shortfall(criterion, scores),
                Decimal(t.criteria.get(stage) is not True), Decimal(len(above)), excess,
                Decimal(t.record["stage"] != stage))

    return cost


def _score_cost(name: str, sign: int) -> Cost:
    """A score's value (sign 1) or its negation (sign -1), as a cost."""
    def cost(t: Outcome) -> tuple[Decimal, ...]:
        return (sign * t.scores[name],)

    return cost


def _score_gap(expr: m.Expr, scores: dict[str, Decimal]) -> Decimal | None:
    """For a comparison of a score with a number: 0 when it holds, else how far the score is
    from making it hold (plus one); None for any other expression."""
    if not isinstance(expr, m.Compare):
        return None
    op, left, right = expr.op, expr.left, expr.right
    if isinstance(left, m.Const) and isinstance(right, m.ScoreValue):
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        left, right = right, left
    if not (isinstance(left, m.ScoreValue) and isinstance(right, m.Const) and isinstance(right.value, Decimal)):
        return None
    score, bound = scores.get(left.score), right.value
    if score is None:
        return None
    holds = {"==": score == bound, "!=": score != bound, "<": score < bound, "<=": score <= bound,
             ">": score > bound, ">=": score >= bound}[op]
    return Decimal(0) if holds else abs(score - bound) + 1


def _shortfall(expr: m.Expr, scores: dict[str, Decimal]) -> Decimal:
    """Points the scores lack for the score comparisons a condition's conjuncts make."""
    if isinstance(expr, m.And):
        return sum((_shortfall(part, scores) for part in expr.operands), Decimal(0))
    return _score_gap(expr, scores) or Decimal(0)


def _to_fail(expr: m.Expr, scores: dict[str, Decimal]) -> Decimal:
    """How many points a true condition is from failing by its score comparisons: for a
    conjunction its nearest one; 0 without any (a climb breaks those by their other parts)."""
    if isinstance(expr, m.And):
        return min((_to_fail(part, scores) for part in expr.operands if _reads_score(part)), default=Decimal(0))
    if isinstance(expr, m.Compare) and _score_gap(expr, scores) == 0:
        negated = _score_gap(m.Compare(_NEGATED.get(expr.op, expr.op), expr.left, expr.right, expr.span), scores)
        return negated if negated is not None else Decimal(0)
    return Decimal(0)


def _reads_score(expr: m.Expr) -> bool:
    return isinstance(expr, m.And) or (
        isinstance(expr, m.Compare) and any(isinstance(side, m.ScoreValue) for side in (expr.left, expr.right)))


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}

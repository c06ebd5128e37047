"""Looking for a lead that shows a claim: known leads first (samples and every witness found so
far), then variations of them, then the solver, whose witness is remembered."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import z3

from leadrules.diagnostics import Witness
from leadrules.lint.encode import Encoding
from leadrules.lint.outcome import Judge, Outcome
from leadrules.lint.samples import Sampler
from leadrules.lint.solver import SAT, SlicedSolver, assignment
from leadrules.lint.witness import AS_OF_TEXT, lead_values

__all__ = ["Claim", "Cost", "KnownLeads"]

_SAMPLES = 128  # leads built from the mentioned values, screened before the solver is asked
_VARIATIONS = 48  # variations of each witness the solver finds, screened as well
_SEEDS, _FOCUSED = 3, 16  # known leads near a question, and variations tried of each
# the climb (`KnownLeads.climb`): sweeps over every field and event, values tried per field
# (spread over its choices), and histories drawn per event
_SWEEPS, _CHOICES, _HISTORIES = 4, 24, 6
_SHORT_SWEEPS = 3  # for a question asked per pair of route entries, before the full solve

# A claim is checked on the evaluated witness; it returns None when the witness shows what
# the finding says, else a short description of what it shows instead.
Claim = Callable[[Outcome], str | None]
# how far a lead is from showing a claim, compared as tuples: smaller is nearer, and a lead
# that shows the claim costs the least
Cost = Callable[[Outcome], tuple[Decimal, ...]]


class KnownLeads:
    """Valid leads whose outcome is known, in the order they were learnt."""

    def __init__(self, judge: Judge, sampler: Sampler, solver: SlicedSolver) -> None:
        self.judge, self.sampler, self.solver = judge, sampler, solver
        self.outcomes: list[Outcome] = []
        # per position in `outcomes`: the lead's values as an assignment, made when a question
        # first needs it, and whether it is a model of the base constraints (None: not checked)
        self._points: list[z3.ModelRef] = []
        self._models: list[bool | None] = []
        self._climber: Sampler | None = None
        for lead in sampler.leads(_SAMPLES):
            self.learn(lead)

    def learn(self, lead: dict[str, Any]) -> Outcome | None:
        """Evaluate a lead and remember it when it is valid."""
        outcome = self.judge.outcome(lead)
        if not outcome.valid:
            return None
        self.outcomes.append(outcome)
        return outcome

    def find(self, claim: Claim) -> Outcome | None:
        """A known lead that shows the claim, if any (newest first: recent witnesses tend to
        sit deep in the funnel, where the questions are)."""
        for outcome in reversed(self.outcomes):
            if claim(outcome) is None:
                return outcome
        return None

    def shows(self, constraints: Sequence[z3.BoolRef]) -> bool:
        """Whether a known lead meets every constraint: each is evaluated on the lead's
        values as a model of the base constraints and links, which proves the query
        satisfiable without solving it (a lead can only prove, never refute)."""
        for index in range(len(self.outcomes)):
            if index == len(self._points):
                known = self.outcomes[index]
                self._points.append(assignment(lead_values(self.solver.encoding, known.lead, known.scores)))
                self._models.append(None)
            point = self._points[index]
            if not all(z3.is_true(point.eval(c, model_completion=True)) for c in constraints):
                continue
            # whether the lead is a model of the base is checked only once it meets a query
            # (the check evaluates every score's definition: most leads never need it)
            model = self._models[index]
            if model is None:
                model = self._models[index] = self.solver.satisfies(point)
            if model:
                return True
        return False

    def climb(self, goal: Claim, cost: Cost, sweeps: int = _SWEEPS) -> Outcome | None:
        """A lead that shows `goal`, found from the known lead of least `cost` by changing one
        field or one event's history at a time, keeping each change that lowers the cost
        (engine evaluations only, no solver). Remembered when found; like every known lead it
        can only prove that something happens."""
        best, shown = self._climb(goal, cost, sweeps)
        return best if shown else None

    def _climb(self, goal: Claim, cost: Cost, sweeps: int) -> tuple[Outcome | None, bool]:
        """The climb's lead of least cost, and whether it shows `goal` (remembered if so)."""
        if not self.outcomes:
            return None, False
        best, shown = self._descend(goal, cost, sweeps)
        if not shown or self._knows(best):
            return best, shown
        self.outcomes.append(best)
        for variation in self.sampler.variations(best.lead, _VARIATIONS):
            self.learn(variation)
        return best, True

    def extreme(self, cost: Cost, sweeps: int) -> None:
        """Remember the lead of least `cost` a climb of `sweeps` finds (e.g. the lowest score
        a greedy climb reaches: the samples sit in the middle of each score's range)."""
        if self.outcomes:
            best, _ = self._descend(lambda t: "never", cost, sweeps)
            if not self._knows(best):
                self.outcomes.append(best)

    def _knows(self, outcome: Outcome) -> bool:
        return any(known is outcome for known in self.outcomes)

    def _descend(self, goal: Claim, cost: Cost, sweeps: int) -> tuple[Outcome, bool]:
        """The lead of least cost found from the known lead of least cost, one coordinate at a
        time, and whether it shows `goal` (the climb stops there)."""
        best = min(self.outcomes, key=cost)
        lowest = cost(best)
        if goal(best) is None:
            return best, True
        for _ in range(sweeps):
            improved = False
            for name in self._coordinates():
                for lead in self._moves(best.lead, name):
                    outcome = self.judge.outcome(lead)
                    if not outcome.valid:
                        continue
                    value = cost(outcome)
                    if value >= lowest:
                        continue
                    best, lowest, improved = outcome, value, True
                    if goal(outcome) is None:
                        return outcome, True
            if not improved:
                break
        return best, False

    def _coordinates(self) -> list[str]:
        model = self.sampler.model
        return [*model.fields, *(f"event:{e}" for e in model.events)]

    def _moves(self, lead: dict[str, Any], name: str) -> Iterator[dict[str, Any]]:
        """The lead with one field set to each of (up to `_CHOICES` of) its values, or absent
        when optional; or without one event, or with its history redrawn `_HISTORIES` times."""
        if name.startswith("event:"):
            if self._climber is None:
                # a sampler of its own: the shared one's draws would change every later variation
                self._climber = Sampler(self.sampler.model, seed=1)
            event = name.removeprefix("event:")
            events = lead.get("events", [])
            if any(e["type"] == event for e in events):
                yield {**lead, "events": [e for e in events if e["type"] != event]}
            yield from self._climber.variations(lead, _HISTORIES, {event})
            return
        choices = self.sampler.choices[name]
        step = max(1, -(-len(choices) // _CHOICES))
        for value in choices[::step]:
            if lead.get(name) != value:
                yield {**lead, name: value}
        if self.sampler.model.fields[name].optional and name in lead:
            yield {k: v for k, v in lead.items() if k != name}

    def _vary(self, claim: Claim, near: Claim | None, focus: set[str] | None) -> Outcome | None:
        if near is None or not focus:
            return None
        seeds = [o for o in reversed(self.outcomes) if near(o) is None][:_SEEDS]
        for seed in seeds:
            for lead in self.sampler.variations(seed.lead, _FOCUSED, focus):
                outcome = self.judge.outcome(lead)
                if outcome.valid and claim(outcome) is None:
                    self.outcomes.append(outcome)
                    return outcome
        return None

    def _nearby(self, query: Sequence[z3.BoolRef], near: Claim | None, focus: set[str] | None) -> Witness | None:
        """A witness that differs from a known lead showing `near` only in the fields and
        events of `focus`, solved with every other value pinned to the known lead's; only
        for a query on a large slice (with the scores free, z3's time on those is heavy-
        tailed: 0.06 s to over 10 s for the same funnel question at 600 rules, while the
        pinned question has a few free variables)."""
        if near is None or not focus or not self.solver.is_large(query):
            return None
        encoding = self.solver.encoding
        free = _focus_variables(encoding, focus)
        seeds = [o for o in reversed(self.outcomes) if near(o) is None][:_SEEDS]
        for seed in seeds:
            pins = [variable == value for variable, value in lead_values(encoding, seed.lead, seed.scores)
                    if variable.get_id() not in free]
            answer = self.solver.ask(*query, *pins)
            if answer.status == SAT:
                return self.solver.witness_for(answer, (*query, *pins))
        return None

    def _loosen(self, query: Sequence[z3.BoolRef], start: Outcome) -> Witness | None:
        """A witness that differs from `start` (where a climb stalled) in one field or one
        event's counts, solved with every other value pinned to the lead's: z3 picks the
        coordinate's value exactly, where the climb only tries a few (a score one point
        outside a narrow window stalls it; with the scores free, z3 was measured past its
        5 s budget on those questions at 600 rules, the pinned ones take milliseconds)."""
        encoding = self.solver.encoding
        values = lead_values(encoding, start.lead, start.scores)
        for name in self._coordinates():
            free = _focus_variables(encoding, {name.removeprefix("event:")})
            pins = [variable == value for variable, value in values if variable.get_id() not in free]
            answer = self.solver.ask(*query, *pins)
            if answer.status == SAT:
                return self.solver.witness_for(answer, (*query, *pins))
        return None

    def search(self, claim: Claim, query: Sequence[z3.BoolRef], *, near: Claim | None = None,
               focus: set[str] | None = None, cost: Cost | None = None) -> tuple[str, Witness | None]:
        """Is there a valid lead that shows the claim? `query` is the claim in z3 terms.
        Known leads first, then variations of the fields and events in `focus` of known
        leads that show `near` (e.g. that reach the stage in question), then the nearby
        search, then (given a `cost`) a short climb; then the solver, whose witness is
        remembered."""
        found = self.find(claim) or self._vary(claim, near, focus)
        if found is not None:
            return SAT, Witness(AS_OF_TEXT, found.lead)
        witness = self._nearby(query, near, focus)
        if witness is None and cost is not None:
            found, shown = self._climb(claim, cost, _SHORT_SWEEPS)
            if found is not None and shown:
                return SAT, Witness(AS_OF_TEXT, found.lead)
            if found is not None:
                witness = self._loosen(query, found)
        if witness is None:
            answer = self.solver.ask(*query)
            if answer.status != SAT:
                return answer.status, None
            witness = self.solver.witness_for(answer, query)
        if witness is not None and self.learn(witness.lead) is not None:
            for lead in self.sampler.variations(witness.lead, _VARIATIONS):
                self.learn(lead)
        return SAT, witness


def _focus_variables(encoding: Encoding, focus: set[str]) -> set[int]:
    """Ids of the variables a nearby search leaves free: the scores, and those of the fields
    and events named in `focus`."""
    free = {score.get_id() for score in encoding.scores.values()}
    for name, v in encoding.fields.items():
        if name in focus:
            local = z3.String("local:" + v.value.decl().name().removeprefix("field:"))
            free.update(t.get_id() for t in (v.present, v.value, v.has_at, v.domain, v.raw_domain, local)
                        if t is not None)
    free.update(n.get_id() for (event, _), n in encoding.counts.items() if event in focus)
    return free

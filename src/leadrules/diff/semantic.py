"""The semantic part of `leadrules diff`: for each outcome key, can two versions of a ruleset
give a lead different values? Proved with z3, without data.

Both versions are encoded over one set of lead variables (`lint.encode` names z3 constants
after the fields and event windows, so two encodings share them); each version keeps its own
score variables. A query asks for a lead valid under both versions whose value of the key
differs. `unsat` proves the key equivalent; `sat` gives a witness, which is evaluated with
both versions by the Python engine before it is reported; a solver that gives up, or a
witness that does not reproduce, makes the key `unknown` (never a guess).

Validity is compared field by field: a record is valid when each declared field is, so the
versions accept the same records exactly when every field (and every declared event type)
has the same specification; where one differs, a value accepted by one version and not the
other is searched among the values the two specifications mention, and confirmed the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import z3

from leadrules import model as m
from leadrules.diagnostics import Witness
from leadrules.engine.python import Evaluator, compile_model
from leadrules.fieldkinds import KINDS
from leadrules.lint.encode import Encoding, FieldVars, TextUses, encode, micros, text_uses, used_windows
from leadrules.lint.samples import Sampler
from leadrules.lint.witness import AS_OF, AS_OF_TEXT, NotDecimal, build_witness
from leadrules.source import Span

__all__ = [
    "EQUIVALENT", "CHANGED", "UNKNOWN", "Evidence", "KeyVerdict", "StageSet", "SemanticDiff",
    "semantic_diff", "key_value", "OUTCOME_KEYS",
]

EQUIVALENT, CHANGED, UNKNOWN = "equivalent", "changed", "unknown"
EQUAL, STRICTER, LOOSER, INCOMPARABLE = "equal", "stricter", "looser", "incomparable"
# the fixed outcome keys, in report order; scores and bands follow in NEW's declaration order
OUTCOME_KEYS = ("validity", "stage", "disqualified", "reasons", "blocked", "route")
# a score query over many rules: simplify and eliminate the score definitions first
# (measured faster than the default solver on funnel queries, see lint/solver.py)
_PREPROCESSED = z3.Then("simplify", "propagate-values", "solve-eqs", "smt")
_SAMPLES = 128  # leads per version built from the values it mentions, tried when the solver gives up


@dataclass(frozen=True)
class Evidence:
    """A witness re-evaluated with both versions, with the key's value under each."""

    witness: Witness
    old: Any
    new: Any
    detail: str | None = None  # validity: the error of the version that rejects the lead


@dataclass(frozen=True)
class KeyVerdict:
    key: str
    kind: str  # "validity", "outcome", "score" or "band"
    verdict: str  # equivalent | changed | unknown
    evidence: Evidence | None = None
    reason: str | None = None  # why the verdict is unknown
    span: Span | None = None  # the declaration in NEW that the key's value comes from


@dataclass(frozen=True)
class StageSet:
    """Which leads end in one stage under each version."""

    stage: str
    verdict: str  # equal | stricter | looser | incomparable | unknown
    only_old: Evidence | None = None  # in the stage under OLD, not under NEW
    only_new: Evidence | None = None
    reason: str | None = None
    span: Span | None = None


@dataclass(frozen=True)
class SemanticDiff:
    keys: tuple[KeyVerdict, ...]
    stage_sets: tuple[StageSet, ...]
    added: tuple[str, ...]  # scores and bands declared only in NEW
    removed: tuple[str, ...]  # ... only in OLD
    queries: int = 0
    # proved that no lead is valid under both versions: every other key is equivalent only
    # because there is nothing to compare
    no_common_lead: bool = False

    def changed(self) -> list[str]:
        return [k.key for k in self.keys if k.verdict == CHANGED]

    def key(self, name: str) -> KeyVerdict:
        return next(k for k in self.keys if k.key == name)


def key_value(record: dict[str, Any], key: str, kind: str) -> Any:
    """The value of an outcome key in an output record (validity: whether it is valid)."""
    if kind == "validity":
        return "error" not in record
    if kind == "score":
        return record["scores"][key]
    if kind == "band":
        return record["bands"][key]
    return record[key]


# ---- the shared encoding ---------------------------------------------------------------------

_STRING_KINDS = frozenset(name for name, k in KINDS.items() if k.textual)


def _merged_uses(old: m.CheckedModel, new: m.CheckedModel) -> TextUses:
    """One text encoding for both versions: the literals either compares a text with, or the
    string encoding where either needs it or the field's kind or choices differ."""
    merged: TextUses = {}
    for uses in (text_uses(old), text_uses(new)):
        for key, literals in uses.items():
            if key in merged:
                known = merged[key]
                merged[key] = None if known is None or literals is None else known | literals
            else:
                merged[key] = None if literals is None else set(literals)
    for name, f in old.fields.items():
        g = new.fields.get(name)
        if g is not None and (f.kind != g.kind or f.choices != g.choices) and f.kind in _STRING_KINDS \
                and g.kind in _STRING_KINDS:
            merged[("field", name)] = None
            if ("domain", name) in merged:
                merged[("domain", name)] = None
    return merged


def _merged_windows(old: m.CheckedModel, new: m.CheckedModel) -> dict[str, set[int | None]]:
    windows: dict[str, set[int | None]] = {}
    for model in (old, new):
        for event, seconds in used_windows(model).items():
            windows.setdefault(event, set()).update(seconds)
    return windows


def _private_fields(old: m.CheckedModel, new: m.CheckedModel) -> frozenset[str]:
    """Fields declared in both versions whose values are encoded differently (another kind,
    not both text): each version gets variables of its own, tied by `_field_links`."""
    return frozenset(name for name, f in old.fields.items() if name in new.fields
                     and f.kind != new.fields[name].kind
                     and not (f.kind in _STRING_KINDS and new.fields[name].kind in _STRING_KINDS))


def _field_links(old: FieldVars, new: FieldVars, private: bool) -> list[z3.BoolRef]:
    """A lead valid under both versions holds one value for the field: the same presence, and
    for a field of another kind in each version a value both accept."""
    links = [old.present == new.present]
    if not private:
        return links
    kinds = {old.field.kind, new.field.kind}
    if kinds == {"integer", "number"}:
        integer, number = (old, new) if old.field.kind == "integer" else (new, old)
        links.append(z3.Implies(old.present, number.value == z3.ToReal(integer.value)))
    elif kinds == {"date", "timestamp"}:
        # a plain date is also a timestamp (midnight UTC); a timestamp with a time is no date
        date, stamp = (old, new) if old.field.kind == "date" else (new, old)
        day0 = micros(dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) - dt.date(1970, 1, 1).toordinal() * 86_400_000_000
        links.append(z3.Implies(old.present, stamp.value == date.value * 86_400_000_000 + day0))
    else:
        # no JSON value is valid under both kinds: such a lead does not have the field
        links.append(z3.Not(old.present))
    return links


@dataclass
class _Joint:
    """Both versions over one set of lead variables, and the solver queries on them."""

    old_model: m.CheckedModel
    new_model: m.CheckedModel
    timeout_ms: int
    old: Encoding = field(init=False)
    new: Encoding = field(init=False)
    base: list[z3.BoolRef] = field(init=False)
    links: list[z3.BoolRef] = field(init=False)
    queries: int = 0
    _why: str | None = None

    def __post_init__(self) -> None:
        uses = _merged_uses(self.old_model, self.new_model)
        windows = _merged_windows(self.old_model, self.new_model)
        private = _private_fields(self.old_model, self.new_model)
        self.old = encode(self.old_model, scope="old:", text_uses=uses, windows=windows, private_fields=private)
        self.new = encode(self.new_model, scope="new:", text_uses=uses, windows=windows, private_fields=private)
        self.base = [*self.old.base, *self.new.base]
        for name, vars_old in self.old.fields.items():
            vars_new = self.new.fields.get(name)
            if vars_new is not None:
                self.base.extend(_field_links(vars_old, vars_new, name in private))
        self.links = [*self.old.links, *self.new.links]

    def ask(self, *query: z3.BoolRef) -> tuple[str, z3.ModelRef | None]:
        """Is there a lead valid under both versions meeting the query? With the exactness
        links first (see `Encoding.links`); an answer found only without them is unknown."""
        status, solution = self._solve([*query, *self.links])
        if status != "unsat" or not self.links:
            return status, solution
        loose, _ = self._solve(list(query))
        if loose == "sat":
            self._why = "it depends on how an email's domain is lower-cased, which the solver does not model exactly"
            return "unknown", None
        return loose, None

    def _solve(self, query: list[z3.BoolRef]) -> tuple[str, z3.ModelRef | None]:
        self.queries += 1
        solver = _PREPROCESSED.solver()
        solver.set("timeout", self.timeout_ms)
        solver.add(*self.base, *query)
        result = solver.check()
        if result == z3.sat:
            return "sat", solver.model()
        if result == z3.unsat:
            return "unsat", None
        reason = solver.reason_unknown()
        self._why = "the solver ran out of time" if reason in ("timeout", "canceled") or "cancel" in reason \
            else f"the solver could not decide it ({reason})"
        return "unknown", None

    def why(self) -> str:
        why, self._why = self._why, None
        return why or "the solver could not decide it"

    def witness(self, query: Sequence[z3.BoolRef], solution: z3.ModelRef) -> Witness | None:
        """The lead of a solution, read through both encodings (one value per shared variable);
        a number the solver chose off the 10⁻⁶ grid is solved again on it."""
        try:
            return self._read(solution)
        except NotDecimal:
            pass
        grid = []
        for enc in (self.old, self.new):
            for name, v in enc.fields.items():
                if v.field.kind == "number":
                    grid.append(v.value * 1_000_000 == z3.ToReal(z3.Int(f"grid:{v.value}:{name}")))
        status, retry = self.ask(*query, *grid)
        if status != "sat" or retry is None:
            return None
        try:
            return self._read(retry)
        except NotDecimal:
            return None

    def _read(self, solution: z3.ModelRef) -> Witness:
        old_lead = build_witness(self.old, solution).lead
        new_lead = build_witness(self.new, solution).lead
        lead: dict[str, Any] = {**new_lead, **old_lead}
        events = list(old_lead.get("events", []))
        kinds = {e["type"] for e in events}
        events.extend(e for e in new_lead.get("events", []) if e["type"] not in kinds)
        events.sort(key=lambda e: e["at"])
        lead.pop("events", None)
        lead["events"] = events
        return Witness(AS_OF_TEXT, lead)


# ---- outcome keys as z3 terms ------------------------------------------------------------------

_Labels = dict[Any, z3.BoolRef]  # value → the lead has it (exactly one holds for every lead)


def _stage_terms(enc: Encoding) -> _Labels:
    terms: _Labels = {s: enc.ends_in(s) for s in enc.model.stages}
    terms[m.DISQUALIFIED] = enc.disqualified()
    return terms


def _route_terms(enc: Encoding) -> _Labels:
    picks: dict[Any, list[z3.BoolRef]] = {}
    for route in enc.model.routes.values():
        for index, entry in enumerate(route.entries):
            picks.setdefault(entry.target, []).append(enc.selects(route, index))
        if route.otherwise is not None:
            none_true = [z3.Not(enc.cond(e.condition).true) for e in route.entries if e.condition is not None]
            picks.setdefault(route.otherwise.target, []).append(z3.And(enc.ends_in(route.stage), *none_true))
    terms: _Labels = {target: z3.Or(parts) for target, parts in picks.items()}
    terms[None] = z3.Not(z3.Or(list(terms.values()))) if terms else z3.BoolVal(True)
    return terms


def _band_terms(enc: Encoding, band: m.Band) -> _Labels:
    from leadrules.lint.encode import band_contains

    score = enc.scores[band.score]
    terms: dict[Any, list[z3.BoolRef]] = {}
    earlier: list[z3.BoolRef] = []
    for entry in band.entries:
        inside = band_contains(entry, score)
        terms.setdefault(entry.label, []).append(z3.And(inside, *[z3.Not(e) for e in earlier]))
        earlier.append(inside)
    out: _Labels = {label: z3.Or(parts) for label, parts in terms.items()}
    out[None] = z3.Not(z3.Or(earlier)) if earlier else z3.BoolVal(True)
    return out


def _labels_differ(old: _Labels, new: _Labels) -> z3.BoolRef:
    """The lead's value differs: some value holds under OLD and not under NEW."""
    return z3.Or([z3.And(term, z3.Not(new.get(value, z3.BoolVal(False)))) for value, term in old.items()])


def _codes_differ(enc_old: Encoding, old: Sequence[m.Disqualifier],
                  enc_new: Encoding, new: Sequence[m.Disqualifier]) -> z3.BoolRef:
    """The lists of the codes of true disqualifiers differ: a code true in one version and not
    the other, or two codes true in both that the versions list in opposite order."""
    fires_old = {d.code: enc_old.fires(d) for d in old}
    fires_new = {d.code: enc_new.fires(d) for d in new}
    no = z3.BoolVal(False)
    parts = [fires_old.get(c, no) != fires_new.get(c, no) for c in dict.fromkeys([*fires_old, *fires_new])]
    order_old = [d.code for d in old]
    order_new = [d.code for d in new if d.code in fires_old]
    for i, a in enumerate(order_new):
        for b in order_new[i + 1:]:
            if order_old.index(a) > order_old.index(b):
                parts.append(z3.And(fires_old[a], fires_old[b], fires_new[a], fires_new[b]))
    return z3.Or(parts) if parts else no


# ---- the comparison ---------------------------------------------------------------------------


@dataclass
class _Differ:
    joint: _Joint
    old_evaluator: Evaluator
    new_evaluator: Evaluator
    _samples: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] | None = None

    def evaluate(self, lead: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The output records of a lead under OLD and NEW (the Python engine)."""
        return self.old_evaluator.evaluate(lead, AS_OF), self.new_evaluator.evaluate(lead, AS_OF)

    def shows(self, lead: dict[str, Any], key: str, kind: str,
              check: Callable[[Any, Any], bool]) -> Evidence | None:
        """The witness evaluated with both versions, when it shows what is claimed."""
        return self._judge(lead, *self.evaluate(lead), key, kind, check)

    @staticmethod
    def _judge(lead: dict[str, Any], old: dict[str, Any], new: dict[str, Any], key: str, kind: str,
               check: Callable[[Any, Any], bool]) -> Evidence | None:
        old_valid, new_valid = "error" not in old, "error" not in new
        if kind != "validity" and not (old_valid and new_valid):
            return None
        a, b = key_value(old, key, kind), key_value(new, key, kind)
        if not check(a, b):
            return None
        detail = None
        if kind == "validity":
            rejected = old if not old_valid else new
            detail = "{}: {}".format("OLD" if not old_valid else "NEW", rejected["error"].get("message"))
        return Evidence(Witness(AS_OF_TEXT, lead), a, b, detail)

    def sampled(self, key: str, kind: str, check: Callable[[Any, Any], bool]) -> Evidence | None:
        """A lead built from the values either version mentions that shows the difference
        (samples can show that values differ, never that they cannot)."""
        if self._samples is None:
            old_model, new_model = self.joint.old_model, self.joint.new_model
            olds, news = Sampler(old_model).leads(_SAMPLES), Sampler(new_model).leads(_SAMPLES)
            leads = [*[_merged(o, n) for o, n in zip(olds, news, strict=True)], *olds, *news]
            self._samples = []
            for lead in leads:
                old, new = self.evaluate(lead)
                if "error" not in old and "error" not in new:
                    self._samples.append((lead, old, new))
        for lead, old, new in self._samples:
            if self._judge(lead, old, new, key, kind, check) is not None:
                return self._polish(lead, key, kind, check)
        return None

    def _polish(self, lead: dict[str, Any], key: str, kind: str, check: Callable[[Any, Any], bool]) -> Evidence | None:
        holds: Callable[[dict[str, Any]], bool] = lambda c: self.shows(c, key, kind, check) is not None  # noqa: E731
        return self.shows(self.shrink(self.plain(lead, holds), holds), key, kind, check)

    def shrink(self, lead: dict[str, Any], holds: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The lead without the events and optional fields it does not need (one at a time,
        newest event first), so that it reads as the point it makes."""
        events = list(lead.get("events", []))
        index = len(events) - 1
        while index >= 0:
            candidate = {**lead, "events": events[:index] + events[index + 1:]}
            if holds(candidate):
                lead, events = candidate, candidate["events"]
            index -= 1
        optional = {n for n, f in self.joint.old_model.fields.items() if f.optional} | \
            {n for n, f in self.joint.new_model.fields.items() if f.optional}
        for name in list(lead):
            if name in optional:
                candidate = {k: v for k, v in lead.items() if k != name}
                if holds(candidate):
                    lead = candidate
        return lead

    def find(self, query: z3.BoolRef, key: str, kind: str,
             check: Callable[[Any, Any], bool]) -> tuple[str, Evidence | None, str | None]:
        """(status, evidence, why unknown) for "some lead valid under both shows the query"."""
        status, solution = self.joint.ask(query)
        if status == "unsat":
            return "unsat", None, None
        why = None
        if status != "sat" or solution is None:
            why = self.joint.why()
        else:
            witness = self.joint.witness([query], solution)
            if witness is None:
                why = "the solver's lead has a number with no short decimal form"
            elif self.shows(witness.lead, key, kind, check) is None:
                why = "the lead the solver found does not reproduce the difference when evaluated"
            else:
                return "sat", self._polish(witness.lead, key, kind, check), None
        # the solver gave no usable answer: a sampled lead that shows the difference still
        # proves the key changed
        sampled = self.sampled(key, kind, check)
        if sampled is not None:
            return "sat", sampled, None
        return "unknown", None, why

    def plain(self, lead: dict[str, Any], holds: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The lead with texts the solver made up ('', '!0!@.edu') replaced by plain words
        where the lead still shows the difference."""
        kinds = {n: f.kind for n, f in self.joint.old_model.fields.items()}
        kinds.update({n: f.kind for n, f in self.joint.new_model.fields.items()})
        for name, value in list(lead.items()):
            if not isinstance(value, str) or kinds.get(name) not in ("text", "email"):
                continue
            if kinds[name] == "email":
                domain = value[value.rindex("@") + 1:] if "@" in value else None
                if domain is None:
                    options = ["pat"]
                elif domain.startswith(".") or not domain:
                    options = [f"pat@example{domain}", f"pat@{domain}"]
                else:
                    options = [f"pat@{domain}"]
            elif value.isascii() and value.isprintable() and value.strip():
                continue
            else:
                options = ["other"]
            for option in options:
                if option == value:
                    break
                candidate = {**lead, name: option}
                if holds(candidate):
                    lead = candidate
                    break
        return lead


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """One lead from a lead of each version: OLD's fields and events, and NEW's where OLD has none."""
    lead = {**new, **old}
    kinds = {e["type"] for e in old.get("events", [])}
    lead["events"] = [*old.get("events", []), *(e for e in new.get("events", []) if e["type"] not in kinds)]
    return lead


def _differs(a: Any, b: Any) -> bool:
    return bool(a != b)


def semantic_diff(old: m.CheckedModel, new: m.CheckedModel, timeout_ms: int = 5000) -> SemanticDiff:
    """Compare two checked versions of a ruleset on every outcome key."""
    joint = _Joint(old, new, timeout_ms)
    differ = _Differ(joint, compile_model(old), compile_model(new))
    keys: list[KeyVerdict] = [_validity(differ)]
    enc_old, enc_new = joint.old, joint.new

    def compare(key: str, kind: str, query: z3.BoolRef, span: Span | None) -> KeyVerdict:
        status, evidence, why = differ.find(query, key, kind, _differs)
        if status == "unsat":
            return KeyVerdict(key, kind, EQUIVALENT, span=span)
        if status == "sat":
            return KeyVerdict(key, kind, CHANGED, evidence, span=span)
        return KeyVerdict(key, kind, UNKNOWN, reason=why, span=span)

    stages_old, stages_new = _stage_terms(enc_old), _stage_terms(enc_new)
    keys.append(compare("stage", "outcome", _labels_differ(stages_old, stages_new), new.stages_span))
    keys.append(compare("disqualified", "outcome", enc_old.disqualified() != enc_new.disqualified(),
                        _cause(old.global_disqualifiers, new.global_disqualifiers)))
    keys.append(compare("reasons", "outcome", _codes_differ(enc_old, old.global_disqualifiers, enc_new,
                                                            new.global_disqualifiers),
                        _cause(old.global_disqualifiers, new.global_disqualifiers)))
    keys.append(compare("blocked", "outcome", _codes_differ(enc_old, old.scoped_disqualifiers, enc_new,
                                                            new.scoped_disqualifiers),
                        _cause(old.scoped_disqualifiers, new.scoped_disqualifiers)))
    keys.append(compare("route", "outcome", _labels_differ(_route_terms(enc_old), _route_terms(enc_new)),
                        _cause(tuple(old.routes.values()), tuple(new.routes.values()))))
    for name, score in new.scores.items():
        if name in old.scores:
            keys.append(compare(name, "score", enc_old.scores[name] != enc_new.scores[name], score.span))
    for name, band in new.bands.items():
        if name in old.bands:
            keys.append(compare(name, "band", _labels_differ(_band_terms(enc_old, old.bands[name]),
                                                             _band_terms(enc_new, band)), band.span))
    stage_sets = []
    for stage in dict.fromkeys([*old.stages, *new.stages, m.DISQUALIFIED]):
        stage_sets.append(_stage_set(differ, stage, stages_old, stages_new))
    added = tuple(n for n in [*new.scores, *new.bands] if n not in old.scores and n not in old.bands)
    removed = tuple(n for n in [*old.scores, *old.bands] if n not in new.scores and n not in new.bands)
    no_common_lead = keys[0].verdict != EQUIVALENT and joint.ask(z3.BoolVal(True))[0] == "unsat"
    return SemanticDiff(tuple(keys), tuple(stage_sets), added, removed, joint.queries, no_common_lead)


def _stage_cause(old: m.CheckedModel, new: m.CheckedModel, stage: str) -> Span | None:
    """The line of NEW a stage set's change is attached to: the stage's own criterion when NEW
    changed it, else the first criterion or disqualifier NEW changed, else the criterion or
    the `stages` line."""
    criterion = new.criteria.get(stage)
    if criterion is not None and old.criteria.get(stage) != criterion:
        return criterion.span
    changed = [c.span for c in new.criteria.values() if old.criteria.get(c.stage) != c]
    changed += [d.span for d in new.disqualifiers if d not in old.disqualifiers]
    if changed:
        return changed[0]
    return criterion.span if criterion is not None else new.stages_span


def _cause(old: Sequence[m.Disqualifier | m.Route], new: Sequence[m.Disqualifier | m.Route]) -> Span | None:
    """The line of NEW to attach a change to: the first declaration of the kind that NEW
    changed or added (declarations compare without their positions), else the first one."""
    changed = [d.span for d in new if d not in old]
    spans = changed or [d.span for d in new]
    return spans[0] if spans else None


def _stage_set(differ: _Differ, stage: str, old: _Labels, new: _Labels) -> StageSet:
    no = z3.BoolVal(False)
    in_old, in_new = old.get(stage, no), new.get(stage, no)
    span = _stage_cause(differ.joint.old_model, differ.joint.new_model, stage)

    def left(a: Any, b: Any) -> bool:
        return bool(a == stage and b != stage)

    def entered(a: Any, b: Any) -> bool:
        return bool(a != stage and b == stage)

    s_old, only_old, why_old = differ.find(z3.And(in_old, z3.Not(in_new)), "stage", "outcome", left)
    s_new, only_new, why_new = differ.find(z3.And(in_new, z3.Not(in_old)), "stage", "outcome", entered)
    if "unknown" in (s_old, s_new):
        return StageSet(stage, UNKNOWN, only_old, only_new, reason=why_old or why_new, span=span)
    verdict = {(False, False): EQUAL, (True, False): STRICTER, (False, True): LOOSER,
               (True, True): INCOMPARABLE}[(s_old == "sat", s_new == "sat")]
    return StageSet(stage, verdict, only_old, only_new, span=span)


# ---- validity ----------------------------------------------------------------------------------


def _validity(differ: _Differ) -> KeyVerdict:
    """Validity changes field by field (and for event types declared in one version only)."""
    old, new = differ.joint.old_model, differ.joint.new_model
    changed_fields = [n for n in dict.fromkeys([*old.fields, *new.fields])
                      if _accepts(old.fields.get(n)) != _accepts(new.fields.get(n))]
    changed_events = [e for e in dict.fromkeys([*old.events, *new.events])
                      if (e in old.events) != (e in new.events)]
    if not changed_fields and not changed_events:
        return KeyVerdict("validity", "validity", EQUIVALENT)
    base = _base_lead(differ)
    if base is None:
        return KeyVerdict("validity", "validity", UNKNOWN, reason="no lead valid under both versions was found")
    for name in changed_fields:
        f, g = old.fields.get(name), new.fields.get(name)
        span = g.span if g is not None else None
        for candidate in _field_candidates(f, g):
            lead = {k: v for k, v in base.items() if k != name}
            if candidate is not _ABSENT:
                lead[name] = candidate
            evidence = differ.shows(lead, "validity", "validity", _differs)
            if evidence is not None:
                return KeyVerdict("validity", "validity", CHANGED, evidence, span=span)
    for event in changed_events:
        lead = {**base, "events": [*base.get("events", []), {"type": event, "at": "not a timestamp"}]}
        evidence = differ.shows(lead, "validity", "validity", _differs)
        if evidence is not None:
            return KeyVerdict("validity", "validity", CHANGED, evidence, span=new.events.get(event))
    return KeyVerdict("validity", "validity", UNKNOWN,
                      reason="the field declarations differ but no value accepted by only one version was found")


def _accepts(f: m.Field | None) -> tuple[object, ...] | None:
    """What decides which JSON values a field declaration accepts: an email field takes any
    string, like a text field; the order of `one of` values does not matter."""
    if f is None:
        return None
    return ("text" if f.kind == "email" else f.kind, f.optional, frozenset(f.choices), f.low, f.high)


def _base_lead(differ: _Differ) -> dict[str, Any] | None:
    """A lead valid under both versions (or, when there is none, under one of them)."""
    joint = differ.joint
    status, solution = joint.ask(z3.BoolVal(True))
    if status == "sat" and solution is not None:
        witness = joint.witness([], solution)
        if witness is not None:
            old, new = differ.evaluate(witness.lead)
            if "error" not in old and "error" not in new:
                return witness.lead
    for enc in (joint.old, joint.new):
        solver = _PREPROCESSED.solver()
        solver.set("timeout", joint.timeout_ms)
        solver.add(*enc.base, *enc.links)
        if solver.check() == z3.sat:
            try:
                return build_witness(enc, solver.model()).lead
            except NotDecimal:
                continue
    return None


_ABSENT = object()


def _field_candidates(f: m.Field | None, g: m.Field | None) -> list[Any]:
    """Values to try where two field declarations differ: absence, the values each mentions
    (choices, range ends and just past them) and one value of every JSON type."""
    out: list[Any] = [_ABSENT]
    for spec in (f, g):
        if spec is None:
            continue
        out.extend(spec.choices)
        for bound in (spec.low, spec.high):
            if bound is not None:
                for step in (Decimal(0), Decimal(1), Decimal(-1), Decimal("0.5"), Decimal("-0.5")):
                    value = bound + step
                    out.append(int(value) if value == value.to_integral_value() else value)
    out.extend(["other", 1, Decimal("1.5"), True, "2026-01-01", "2026-01-01T10:30:00Z", "pat@example.com", None])
    return out

"""The numbers of `leadrules report`: one evaluation of a leads file, counted.

Everything is counted from the output records `eval` writes (stage, reasons, blocked, scores,
bands, route, error), so every number can be recomputed from `eval` output. Where leads stall
is what the explain ledger (`eval --explain`) says of each lead whose ledger names a next stage:
which `and`-parts of that stage's criterion are not met and which scoped disqualifiers block
it. Explaining every lead costs several times an evaluation and only the Python engine keeps
a ledger, so the report evaluates a copy of the ruleset with one probe score per criterion
clause and per scoped disqualifier instead (`_Probes`): either engine then gives those truths
in its ordinary records, in one pass, and the probes are dropped before counting. The counts
equal the ledger's (tests/report checks them against `eval --explain`).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.io.leads import DEFAULT_CSV, CsvOptions, read_leads
from leadrules.values import json_number

__all__ = [
    "Report", "FunnelStep", "InvalidField", "InvalidExample", "ScoreHistogram", "BandBoundary", "BandTable",
    "HeldBack", "RouteLoad", "ReportTally", "compute_report", "EXAMPLES_PER_FIELD", "NO_FIELD", "NO_ROUTE",
    "NO_BAND", "StageComparison", "StageTransition", "compute_comparison",
]

EXAMPLES_PER_FIELD = 3  # invalid records shown per field
NO_FIELD = "(record)"  # an invalid record whose error names no field (not a JSON object, ...)
NO_ROUTE = "(no route)"
NO_BAND = "(none)"  # a band whose score falls in no entry

Counts = tuple[tuple[str, int], ...]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class InvalidExample:
    record: int  # position in the input, from 1
    id: Any  # the record's id as read (None when it has none)
    message: str


@dataclass(frozen=True)
class InvalidField:
    field: str
    count: int
    examples: tuple[InvalidExample, ...]  # the first EXAMPLES_PER_FIELD, in input order


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    count: int  # leads at exactly this stage
    reached: int  # leads at this stage or a later one (Disqualified not included)
    conversion: float | None  # reached / reached of the stage before; None for the first or a 0 base


@dataclass(frozen=True)
class BandBoundary:
    band: str
    label: str
    low: int | Decimal  # the entry starts here (scores >= low)


@dataclass(frozen=True)
class ScoreHistogram:
    score: str
    values: tuple[tuple[int | Decimal, int], ...]  # score value → leads, ascending
    boundaries: tuple[BandBoundary, ...]  # lower ends of the bands on this score


@dataclass(frozen=True)
class BandTable:
    band: str
    stages: tuple[str, ...]  # columns: the funnel, Disqualified last
    rows: tuple[tuple[str, tuple[int, ...]], ...]  # label (band order, NO_BAND last) → count per column


@dataclass(frozen=True)
class RouteLoad:
    stage: str
    routes: Counts  # route target (or NO_ROUTE) → leads, most first


@dataclass(frozen=True)
class HeldBack:
    stage: str  # the next stage the leads did not reach
    leads: int  # valid leads whose ledger names this stage as their next one
    clauses: Counts  # criterion clause → leads for which it is not met, most first
    blocked_by: Counts  # scoped disqualifier code → leads it blocks from this stage, most first


@dataclass(frozen=True)
class StageTransition:
    """A changed cell of the stage transition matrix."""

    stage: str  # under the report's ruleset
    other: str  # under the compared ruleset
    count: int
    samples: tuple[str | None, ...]  # the first ids (as text) in input order, at most diff's SAMPLES


@dataclass(frozen=True)
class StageComparison:
    """`report --compare OTHER`: the stage of each record under the report's ruleset against its
    stage under OTHER, counted by `leadrules diff`'s impact code."""

    ruleset: str  # OTHER's name and version
    version: str
    records: int
    compared: int  # valid under both rulesets: the records the matrix counts
    changed: int  # of those, the records whose stage differs
    became_invalid: int  # valid under the report's ruleset only
    became_valid: int  # valid under OTHER only
    invalid_both: int
    stages: tuple[str, ...]  # rows: the report's ruleset's funnel, Disqualified last
    other_stages: tuple[str, ...]  # columns: OTHER's funnel, Disqualified last
    matrix: tuple[tuple[str, tuple[int, ...]], ...]  # row stage → count per column
    transitions: tuple[StageTransition, ...]  # changed cells, most first

    def to_json(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset, "version": self.version, "records": self.records, "compared": self.compared,
            "changed": self.changed, "became_invalid": self.became_invalid, "became_valid": self.became_valid,
            "invalid_both": self.invalid_both, "stages": list(self.stages), "other_stages": list(self.other_stages),
            "matrix": {stage: list(row) for stage, row in self.matrix},
            "transitions": [{"from": t.stage, "to": t.other, "count": t.count, "samples": list(t.samples)}
                            for t in self.transitions],
        }


@dataclass(frozen=True)
class Report:
    ruleset: str
    version: str
    as_of: str | None  # None with as_of_field: each record has its own instant
    engine: str
    records: int
    valid: int
    invalid: int
    invalid_fields: tuple[InvalidField, ...]  # most first
    funnel: tuple[FunnelStep, ...]  # funnel order, Disqualified last (its reached is its count)
    reasons: Counts
    blocked: Counts
    routes: tuple[RouteLoad, ...]  # stages in funnel order, only those with a route
    scores: tuple[ScoreHistogram, ...]
    bands: tuple[BandTable, ...]
    held_back: tuple[HeldBack, ...]  # in funnel order
    as_of_field: str | None = None
    compare: StageComparison | None = None

    def to_json(self) -> dict[str, Any]:
        """The report as JSON values (`report --format json`)."""
        return {
            "ruleset": self.ruleset, "version": self.version, "as_of": self.as_of, "as_of_field": self.as_of_field,
            "engine": self.engine,
            "records": self.records, "valid": self.valid, "invalid": self.invalid,
            "invalid_fields": [
                {"field": f.field, "count": f.count,
                 "examples": [{"record": e.record, "id": e.id, "message": e.message} for e in f.examples]}
                for f in self.invalid_fields
            ],
            "funnel": [{"stage": s.stage, "count": s.count, "reached": s.reached, "conversion": s.conversion}
                       for s in self.funnel],
            "reasons": dict(self.reasons),
            "blocked": dict(self.blocked),
            "routes": {load.stage: dict(load.routes) for load in self.routes},
            "scores": [
                {"score": h.score, "values": [[value, count] for value, count in h.values],
                 "boundaries": [{"band": b.band, "label": b.label, "low": b.low} for b in h.boundaries]}
                for h in self.scores
            ],
            "bands": [{"band": t.band, "stages": list(t.stages), "rows": {label: list(row) for label, row in t.rows}}
                      for t in self.bands],
            "held_back": [{"stage": h.stage, "leads": h.leads, "clauses": dict(h.clauses),
                           "blocked_by": dict(h.blocked_by)} for h in self.held_back],
            "compare": None if self.compare is None else self.compare.to_json(),
        }


def _utc_text(instant: dt.datetime) -> str:
    return instant.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ranked(counts: Mapping[str, int]) -> Counts:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _exact(value: Any) -> int | Decimal:
    """A score from a record (int, Decimal, or a float read back from JSON) as an exact number."""
    if isinstance(value, bool):
        raise TypeError("a score is a number")
    if isinstance(value, float):
        value = Decimal(repr(value))
    return json_number(value if isinstance(value, (int, Decimal)) else Decimal(str(value)))


class ReportTally:
    """Counts output records and ledgers one by one; `result` freezes them into a Report."""

    def __init__(self, model: m.CheckedModel) -> None:
        self.model = model
        self.records = 0
        self.invalid = 0
        self.invalid_counts: Counter[str] = Counter()
        self.invalid_examples: dict[str, list[InvalidExample]] = defaultdict(list)
        self.stages: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.blocked: Counter[str] = Counter()
        self.routes: dict[str, Counter[str]] = defaultdict(Counter)
        self.scores: dict[str, Counter[int | Decimal]] = {name: Counter() for name in model.scores}
        self.bands: dict[str, Counter[tuple[str, str]]] = {name: Counter() for name in model.bands}
        self.held_leads: Counter[str] = Counter()
        self.held_clauses: dict[str, Counter[str]] = defaultdict(Counter)
        self.held_blocked: dict[str, Counter[str]] = defaultdict(Counter)

    def add_record(self, record: Mapping[str, Any], number: int) -> None:
        self.records += 1
        error = record.get("error")
        if error is not None:
            self.invalid += 1
            field_name = error.get("field") or NO_FIELD
            self.invalid_counts[field_name] += 1
            examples = self.invalid_examples[field_name]
            if len(examples) < EXAMPLES_PER_FIELD:
                examples.append(InvalidExample(int(error.get("record", number)), record.get("id"),
                                               str(error.get("message", ""))))
            return
        stage = record["stage"]
        self.stages[stage] += 1
        self.reasons.update(record["reasons"])
        self.blocked.update(record["blocked"])
        if stage in self.model.routes:
            route = record.get("route")
            self.routes[stage][NO_ROUTE if route is None else route] += 1
        for name, value in record["scores"].items():
            self.scores[name][_exact(value)] += 1
        for name, label in record["bands"].items():
            self.bands[name][(NO_BAND if label is None else label, stage)] += 1

    def add_next_stage(self, stage: str, lacking: Iterable[str], blocked_by: Iterable[str]) -> None:
        """One valid lead's ledger: its next stage, the clauses it does not meet, what blocks it."""
        self.held_leads[stage] += 1
        self.held_clauses[stage].update(lacking)
        self.held_blocked[stage].update(blocked_by)

    def result(self, as_of: dt.datetime, engine: str, as_of_field: str | None = None) -> Report:
        model = self.model
        funnel_names = [*model.stages, *sorted(set(self.stages) - {*model.stages, m.DISQUALIFIED})]
        funnel: list[FunnelStep] = []
        reached = 0
        reached_by_stage: dict[str, int] = {}
        for name in reversed(funnel_names):
            reached += self.stages.get(name, 0)
            reached_by_stage[name] = reached
        previous: int | None = None
        for name in funnel_names:
            here = reached_by_stage[name]
            conversion = None if not previous else round(here / previous, 4)
            funnel.append(FunnelStep(name, self.stages.get(name, 0), here, conversion))
            previous = here
        disqualified = self.stages.get(m.DISQUALIFIED, 0)
        funnel.append(FunnelStep(m.DISQUALIFIED, disqualified, disqualified, None))
        columns = tuple(step.stage for step in funnel)
        histograms = []
        for name in model.scores:
            boundaries = tuple(BandBoundary(band.name, entry.label, json_number(entry.low))
                               for band in model.bands.values() if band.score == name
                               for entry in band.entries if entry.low is not None)
            histograms.append(ScoreHistogram(name, tuple(sorted(self.scores[name].items())), boundaries))
        tables = []
        for name, band in model.bands.items():
            counts = self.bands[name]
            labels = [entry.label for entry in band.entries]
            labels += sorted({label for label, _ in counts} - {*labels, NO_BAND})
            if any(label == NO_BAND for label, _ in counts):
                labels.append(NO_BAND)
            rows = tuple((label, tuple(counts.get((label, stage), 0) for stage in columns)) for label in labels)
            tables.append(BandTable(name, columns, rows))
        held = tuple(HeldBack(stage, self.held_leads[stage], _ranked(self.held_clauses[stage]),
                              _ranked(self.held_blocked[stage]))
                     for stage in funnel_names if self.held_leads.get(stage))
        return Report(
            ruleset=model.name, version=model.version,
            as_of=None if as_of_field is not None else _utc_text(as_of), as_of_field=as_of_field, engine=engine,
            records=self.records, valid=self.records - self.invalid, invalid=self.invalid,
            invalid_fields=tuple(InvalidField(name, count, tuple(self.invalid_examples[name]))
                                 for name, count in _ranked(self.invalid_counts)),
            funnel=tuple(funnel), reasons=_ranked(self.reasons), blocked=_ranked(self.blocked),
            routes=tuple(RouteLoad(stage, _ranked(self.routes[stage])) for stage in funnel_names
                         if stage in model.routes),
            scores=tuple(histograms), bands=tuple(tables), held_back=held,
        )


@dataclass(frozen=True)
class _Probes:
    """The ruleset plus one probe score per criterion clause and per scoped disqualifier: `+1 if
    <clause>`. A probe is 1 exactly when its expression is true (false and unknown give 0, as
    the ledger's "not met"), so each engine's ordinary output records carry the truths the
    explain ledger would show, at the cost of a few more scores instead of an explain per lead."""

    model: m.CheckedModel
    clauses: dict[str, tuple[tuple[str, str], ...]]  # stage → (clause text as the ledger writes it, probe)
    disqualifiers: tuple[tuple[str, str, str], ...]  # (code, stage it applies at, probe), scoped only


def _probe_model(model: m.CheckedModel) -> _Probes:
    from leadrules.engine.python.explain import _clause_text, _clauses

    taken = {*model.scores, *model.fields, *model.conditions, *model.bands, *model.lists, *model.events}
    scores = dict(model.scores)
    order = list(model.order)
    uses = dict(model.uses)
    everything = frozenset(model.order)

    def probe(base: str, condition: m.Expr, span: Any) -> str:
        name = base
        while name in taken:
            name += "_"
        taken.add(name)
        scores[name] = m.Score(name, None, None, (m.IfRule(None, Decimal(1), condition, span),), span)
        order.append(("score", name))  # last: nothing uses a probe
        # a probe may read any condition, score or band (over-approximated: it comes after all)
        uses[("score", name)] = everything
        return name

    clauses = {
        stage: tuple((_clause_text(part, model), probe(f"lr_report_clause_{index}_{number}", part, criterion.span))
                     for number, part in enumerate(_clauses(criterion.condition)))
        for index, (stage, criterion) in enumerate(model.criteria.items())
    }
    disqualifiers = tuple((d.code, d.at, probe(f"lr_report_disqualifier_{number}", d.condition, d.span))
                          for number, d in enumerate(model.disqualifiers) if d.at is not None)
    probed = replace(model, scores=scores, order=tuple(order), uses=uses, tests=())
    return _Probes(probed, clauses, disqualifiers)


class _Counting:
    """Counts each output record of the probed ruleset: the report's numbers from its ordinary
    keys, where it stalls from its probes (the next stage is the ledger's: the first later
    stage with a criterion)."""

    def __init__(self, model: m.CheckedModel, probes: _Probes) -> None:
        self.tally = ReportTally(model)
        self.probes = probes
        self.positions = {stage: index for index, stage in enumerate(model.stages)}
        self.next_stage = {
            stage: next((s for s in model.stages[index + 1:] if s in model.criteria), None)
            for index, stage in enumerate(model.stages)
        }
        self.scores = tuple(model.scores)

    def add(self, record: dict[str, Any], number: int) -> None:
        if "error" in record:
            self.tally.add_record(record, number)
            return
        probed = record["scores"]
        self.tally.add_record({**record, "scores": {name: probed[name] for name in self.scores}}, number)
        target = self.next_stage.get(record["stage"])
        if target is None:
            return
        position = self.positions[target]
        lacking = [text for text, name in self.probes.clauses[target] if not probed[name]]
        blocked_by = [code for code, at, name in self.probes.disqualifiers
                      if probed[name] and self.positions[at] <= position]
        self.tally.add_next_stage(target, lacking, blocked_by)


def compute_report(model: m.CheckedModel, leads: str | None, events_path: str | None, as_of: dt.datetime,
                   engine: str, csv_reading: CsvOptions = DEFAULT_CSV,
                   progress: Progress | None = None, as_of_field: str | None = None) -> Report:
    """Evaluate `leads` with `engine` ("python" or "duckdb") and count the report's numbers.
    With `as_of_field` (Python engine only), each record is evaluated as of its own timestamp in
    that field, as `eval --as-of-field` does."""
    if as_of_field is not None and engine != "python":
        raise ValueError("as_of_field needs the Python engine")
    probes = _probe_model(model)
    counting = _Counting(model, probes)
    if engine == "python":
        from leadrules.engine.python import compile_model

        evaluator = compile_model(probes.model)
        with read_leads(leads, probes.model, events_path, progress, csv_reading) as records:
            for number, record in enumerate(evaluator.evaluate_many(records, as_of, as_of_field=as_of_field), 1):
                counting.add(record, number)
        return counting.tally.result(as_of, engine, as_of_field)
    from leadrules.batch import run

    with tempfile.TemporaryDirectory(prefix="leadrules-report-") as folder:
        results = os.path.join(folder, "results.jsonl")
        run(probes.model, leads or "-", events_path, as_of, "jsonl", results, csv_reading)
        _count_in_duckdb(results, counting)
    return counting.tally.result(as_of, engine)


# the output records' keys as DuckDB reads them back; scores and bands stay JSON so that every
# score keeps its exact text
_RESULT_COLUMNS = ("{'id': 'JSON', 'stage': 'VARCHAR', 'reasons': 'VARCHAR[]', 'blocked': 'VARCHAR[]', "
                   "'scores': 'JSON', 'bands': 'JSON', 'route': 'VARCHAR', 'error': 'JSON'}")


def _json_path(name: str) -> str:
    """A JSON path to the member `name` (rule-file names are identifiers; quoted all the same)."""
    return '$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _count_in_duckdb(results: str, counting: _Counting) -> None:
    """The counts `_Counting.add` makes record by record, grouped in DuckDB over the results
    file of the DuckDB engine (no record passes through Python). Names from the rule file enter
    the queries as parameters only."""
    import duckdb

    from leadrules.jsontext import loads

    tally, probes = counting.tally, counting.probes
    con = duckdb.connect(":memory:")
    try:
        con.execute("CREATE TABLE lr_results AS SELECT * FROM read_json(?, format = 'newline_delimited', "
                    f"columns = {_RESULT_COLUMNS})", [results])
        con.execute("CREATE VIEW lr_valid AS SELECT * FROM lr_results WHERE error IS NULL")

        def rows(query: str, *parameters: Any) -> list[tuple[Any, ...]]:
            return con.execute(query, list(parameters)).fetchall()

        [(total, invalid)] = rows("SELECT count(*), count(error) FROM lr_results")
        tally.records, tally.invalid = int(total), int(invalid)
        invalid_rows = rows(
            "SELECT field, record, CAST(id AS VARCHAR), message, total FROM ("
            " SELECT coalesce(error->>'field', ?) AS field, CAST(error->>'record' AS BIGINT) AS record, id,"
            " error->>'message' AS message, count(*) OVER (PARTITION BY field) AS total,"
            " row_number() OVER (PARTITION BY field ORDER BY record) AS place"
            " FROM lr_results WHERE error IS NOT NULL) WHERE place <= ? ORDER BY field, record",
            NO_FIELD, EXAMPLES_PER_FIELD)
        for field_name, record, lead_id, message, count in invalid_rows:
            tally.invalid_counts[field_name] = int(count)
            tally.invalid_examples[field_name].append(
                InvalidExample(int(record), None if lead_id is None else loads(lead_id), str(message or "")))
        for stage, count in rows("SELECT stage, count(*) FROM lr_valid GROUP BY stage"):
            tally.stages[stage] += int(count)
        for key, counter in (("reasons", tally.reasons), ("blocked", tally.blocked)):
            for code, count in rows(f"SELECT code, count(*) FROM (SELECT unnest({key}) AS code FROM lr_valid) "
                                    "GROUP BY code"):
                counter[code] += int(count)
        for stage, route, count in rows("SELECT stage, route, count(*) FROM lr_valid GROUP BY stage, route"):
            if stage in counting.tally.model.routes:
                tally.routes[stage][NO_ROUTE if route is None else route] += int(count)
        for name in counting.scores:
            for value, count in rows("SELECT CAST(json_extract(scores, ?) AS VARCHAR) AS value, count(*) "
                                     "FROM lr_valid GROUP BY value", _json_path(name)):
                tally.scores[name][_exact(loads(value))] += int(count)
        for name in tally.model.bands:
            for label, stage, count in rows("SELECT json_extract_string(bands, ?) AS label, stage, count(*) "
                                            "FROM lr_valid GROUP BY label, stage", _json_path(name)):
                tally.bands[name][(NO_BAND if label is None else label, stage)] += int(count)
        for target in dict.fromkeys(t for t in counting.next_stage.values() if t is not None):
            below = [stage for stage, t in counting.next_stage.items() if t == target]
            position = counting.positions[target]
            clauses = probes.clauses[target]
            blockers = [(code, name) for code, at, name in probes.disqualifiers if counting.positions[at] <= position]
            # a probe is 0 where its expression is not true (the ledger's "not met")
            sums = "".join(f", sum(CAST(CAST(json_extract(scores, ?) AS DOUBLE) {test} AS INTEGER))"
                           for test in ["= 0"] * len(clauses) + ["<> 0"] * len(blockers))
            [(leads, *counts)] = rows(f"SELECT count(*){sums} FROM lr_valid WHERE list_contains(?, stage)",
                                      *[_json_path(name) for _, name in [*clauses, *blockers]], below)
            if not leads:
                continue
            tally.held_leads[target] += int(leads)
            for (text, _), count in zip(clauses, counts[:len(clauses)], strict=True):
                if count:
                    tally.held_clauses[target][text] += int(count)
            for (code, _), count in zip(blockers, counts[len(clauses):], strict=True):
                if count:
                    tally.held_blocked[target][code] += int(count)
    finally:
        con.close()


def _funnel_names(model: m.CheckedModel, seen: Iterable[str]) -> tuple[str, ...]:
    """The funnel of `model`, then stages seen in records that it does not name, Disqualified last."""
    return (*model.stages, *sorted(set(seen) - {*model.stages, m.DISQUALIFIED}), m.DISQUALIFIED)


def compute_comparison(model: m.CheckedModel, other: m.CheckedModel, leads: str, events_path: str | None,
                       as_of: dt.datetime, engine: str, csv_reading: CsvOptions = DEFAULT_CSV) -> StageComparison:
    """The stage transition matrix of `model` (rows) against `other` (columns) over the same
    records, measured by `leadrules diff`'s impact code on `engine`. `leads` is a file: each
    ruleset reads it."""
    if engine == "python":
        from leadrules.diff.impact import measure_impact

        impact = measure_impact(model, other, leads, events_path, as_of, csv_reading)
    else:
        from leadrules.diff.impact_sql import measure_impact_duckdb

        impact = measure_impact_duckdb(model, other, leads, events_path, as_of, csv_reading)
    counts = impact.stage.counts
    rows = _funnel_names(model, (a for a, _ in counts))
    columns = _funnel_names(other, (b for _, b in counts))
    # ids as text: the DuckDB engine's results carry them so, the Python engine's as read
    transitions = tuple(
        StageTransition(a, b, n, tuple(None if i is None else str(i) for i in samples))
        for a, b, n, samples in impact.stage.cells() if a != b)
    return StageComparison(
        ruleset=other.name, version=other.version, records=impact.records, compared=sum(counts.values()),
        changed=impact.stage.changed, became_invalid=len(impact.became_invalid),
        became_valid=len(impact.became_valid), invalid_both=impact.invalid_both, stages=rows,
        other_stages=columns, matrix=tuple((a, tuple(counts.get((a, b), 0) for b in columns)) for a in rows),
        transitions=transitions)

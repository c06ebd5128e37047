"""The test runner: `test` blocks of rulesets (and `tests for` files) through the Python engine.

`run_paths` loads every file, runs its cases (those whose name contains `match`, when given)
and returns results; `coverage` lists the scoring rules, disqualifiers, stage criteria and route
entries that no test exercised (a rule that fired, a disqualifier or criterion that was true, a
route entry that gave the route) and `coverage_report` adds how many there are in all, for a
percentage. Rendering is left to the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from leadrules import model as m
from leadrules.diagnostics import Diagnostic, Severity
from leadrules.engine.python import Explanation, compile_model
from leadrules.source import SourceFile, Span
from leadrules.values import parse_timestamp
from leadrules.workspace import collect_rule_files, load_file

__all__ = [
    "Mismatch", "CaseResult", "FileResult", "Uncovered", "SuiteResult", "RulesetCoverage", "run_paths",
    "run_cases", "coverage", "coverage_report", "coverage_percent", "same_value", "junit_xml",
]


@dataclass(frozen=True)
class Mismatch:
    key: str
    expected: Any
    actual: Any


@dataclass(frozen=True)
class CaseResult:
    file: str
    case: m.TestCase
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None  # the lead is invalid: the error record's message
    explanation: Explanation | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.mismatches


@dataclass
class FileResult:
    path: str
    source: SourceFile
    diagnostics: list[Diagnostic]
    model: m.CheckedModel | None  # the ruleset the cases ran against
    cases: list[CaseResult] = field(default_factory=list)
    deselected: int = 0  # cases whose name does not contain the `match` pattern

    @property
    def has_errors(self) -> bool:
        return any(d.level is Severity.ERROR for d in self.diagnostics)


@dataclass(frozen=True)
class Uncovered:
    kind: str  # "rule" | "disqualifier" | "criterion" | "route"
    text: str
    span: Span


@dataclass(frozen=True)
class RulesetCoverage:
    """What the tests exercised in one ruleset: `total` items (scoring rules, disqualifiers,
    criteria, route entries), of which `missing` were not exercised."""

    path: str
    total: int
    missing: tuple[Uncovered, ...]

    @property
    def covered(self) -> int:
        return self.total - len(self.missing)

    @property
    def percent(self) -> Decimal:
        return coverage_percent(self.covered, self.total)


def coverage_percent(covered: int, total: int) -> Decimal:
    """`covered` of `total` as a percentage with one decimal, rounded down so that a figure shown
    as 80.0 is never below 80; nothing to cover is 100."""
    if total == 0:
        return Decimal("100.0")
    return (Decimal(100 * covered) / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)


@dataclass
class SuiteResult:
    files: list[FileResult]

    @property
    def deselected(self) -> int:
        return sum(f.deselected for f in self.files)

    @property
    def cases(self) -> list[CaseResult]:
        return [c for f in self.files for c in f.cases]

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def failed(self) -> int:
        return sum(not c.passed for c in self.cases)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not any(f.has_errors for f in self.files)


def same_value(actual: Any, expected: Any) -> bool:
    """Test equality: numbers by exact value, booleans only equal booleans, lists item by item."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, (int, Decimal)) and isinstance(expected, (int, Decimal)):
        return Decimal(actual) == Decimal(expected)
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(same_value(a, b) for a, b in zip(actual, expected, strict=True))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(same_value(actual[k], expected[k]) for k in actual)
    return bool(actual == expected) and type(actual) is type(expected)


def _actual(record: dict[str, Any], key: str) -> Any:
    if key in record:
        return record[key]
    if key in record.get("scores", {}):
        return record["scores"][key]
    return record.get("bands", {}).get(key)


def run_cases(model: m.CheckedModel, cases: Iterable[m.TestCase], file: str) -> list[CaseResult]:
    evaluator = compile_model(model)
    results = []
    for case in cases:
        as_of = parse_timestamp(case.as_of)
        if as_of is None:  # the checker rejects these; kept for `tests for` files built by hand
            results.append(CaseResult(file, case, error=f"as of: not a timestamp: {case.as_of!r}"))
            continue
        explanation = evaluator.explain(case.lead, as_of)
        record = explanation.record
        if "error" in record:
            results.append(CaseResult(file, case, error=record["error"]["message"], explanation=explanation))
            continue
        mismatches = tuple(
            Mismatch(key, expected, _actual(record, key))
            for key, expected, _ in case.expects
            if not same_value(_actual(record, key), expected)
        )
        results.append(CaseResult(file, case, mismatches, explanation=explanation))
    return results


def name_matches(name: str, pattern: str) -> bool:
    """`-k` selection: the pattern is a substring of the test name, ignoring case (as `pytest -k`)."""
    return pattern.casefold() in name.casefold()


def run_paths(paths: Sequence[str], match: str | None = None) -> SuiteResult:
    """Load and run every ruleset and `tests for` file under the paths (folders: *.rules);
    with `match`, only the cases whose name contains it."""
    files = []
    for path in collect_rule_files(paths):
        loaded = load_file(path)
        result = FileResult(str(path), loaded.source, loaded.diagnostics, loaded.tests_target)
        if loaded.tests_target is not None and not result.has_errors:
            selected = [c for c in loaded.tests if match is None or name_matches(c.name, match)]
            result.deselected = len(loaded.tests) - len(selected)
            result.cases = run_cases(loaded.tests_target, selected, str(path))
        files.append(result)
    return SuiteResult(files)


def coverage(result: SuiteResult) -> dict[str, list[Uncovered]]:
    """Per ruleset file: what no test exercised, in declaration order."""
    return {report.path: list(report.missing) for report in coverage_report(result)}


def coverage_report(result: SuiteResult) -> list[RulesetCoverage]:
    """Per ruleset file (in the order first met): how many items there are and which no test exercised."""
    by_ruleset: dict[str, tuple[m.CheckedModel, list[Explanation]]] = {}
    for file in result.files:
        if file.model is None:
            continue
        key = str(Path(file.model.path).resolve())
        entry = by_ruleset.setdefault(key, (file.model, []))
        entry[1].extend(c.explanation for c in file.cases if c.explanation is not None and c.explanation.valid)
    return [RulesetCoverage(model.path, _coverage_items(model), tuple(_uncovered(model, explanations)))
            for model, explanations in by_ruleset.values()]


def _coverage_items(model: m.CheckedModel) -> int:
    """How many items `_uncovered` can list: every scoring rule, disqualifier, criterion, route entry."""
    rules = sum(len(score.rules) for score in model.scores.values())
    routes = sum(len(route.entries) + (route.otherwise is not None) for route in model.routes.values())
    return rules + len(model.disqualifiers) + len(model.criteria) + routes


def _uncovered(model: m.CheckedModel, explanations: list[Explanation]) -> list[Uncovered]:
    from leadrules.model_text import describe, describe_rule

    fired_rules = {(r.score, r.index) for e in explanations for r in e.rules if r.fired}
    true_disqualifiers = {code for e in explanations for code, truth in e.disqualifiers if truth is True}
    true_criteria = {stage for e in explanations for stage, truth in e.criteria.items() if truth is True}
    taken_routes: set[tuple[str, int]] = set()  # (route stage, entry index; -1 for otherwise)
    for e in explanations:
        stage = e.record.get("stage")
        if stage in model.routes and e.record.get("route") is not None:
            truths = e.routes.get(stage, ())
            taken_routes.add((stage, next((i for i, t in enumerate(truths) if t is True), -1)))
    missing: list[Uncovered] = []
    for score in model.scores.values():
        for index, rule in enumerate(score.rules):
            if (score.name, index) not in fired_rules:
                missing.append(Uncovered("rule", f"score {score.name}: {describe_rule(rule, model)}", rule.span))
    for d in model.disqualifiers:
        if d.code not in true_disqualifiers:
            missing.append(Uncovered("disqualifier", f"disqualify {d.code}", d.span))
    for stage, criterion in model.criteria.items():
        if stage not in true_criteria:
            missing.append(Uncovered("criterion", f"stage {stage} if {describe(criterion.condition, model)}",
                                     criterion.span))
    for stage, route in model.routes.items():
        for index, entry in enumerate(route.entries):
            if (stage, index) not in taken_routes:
                assert entry.condition is not None
                missing.append(Uncovered("route", f'route {stage}: to "{entry.target}" if '
                                         f"{describe(entry.condition, model)}", entry.span))
        if route.otherwise is not None and (stage, -1) not in taken_routes:
            missing.append(Uncovered("route", f'route {stage}: otherwise to "{route.otherwise.target}"',
                                     route.otherwise.span))
    return missing


def junit_xml(result: SuiteResult, describe_failure: Any) -> str:
    """JUnit XML: one <testsuite> per file, one <testcase> per test; `describe_failure(case)`
    gives the failure text."""
    suites = ElementTree.Element("testsuites", tests=str(len(result.cases)), failures=str(result.failed))
    for file in result.files:
        suite = ElementTree.SubElement(
            suites, "testsuite", name=file.path, tests=str(len(file.cases)),
            failures=str(sum(not c.passed for c in file.cases)),
            errors="1" if file.has_errors else "0",
        )
        if file.has_errors:
            error = ElementTree.SubElement(suite, "error", message="the ruleset has errors")
            error.text = "\n".join(f"{d.span.line}:{d.span.column}: {d.code} {d.message}" for d in file.diagnostics)
        for case in file.cases:
            element = ElementTree.SubElement(suite, "testcase", classname=Path(file.path).name, name=case.case.name,
                                             file=file.path, line=str(case.case.span.line))
            if not case.passed:
                failure = ElementTree.SubElement(element, "failure",
                                                 message=case.error or f"{len(case.mismatches)} expectation(s) not met")
                failure.text = describe_failure(case)
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"

"""Diagnostics: the one record type every stage reports user-facing problems with."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from leadrules.source import Span

__all__ = ["CODES", "Diagnostic", "Severity", "Witness", "CodeInfo"]


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    name: str
    severity: Severity
    summary: str


def _code(code: str, name: str, severity: Severity, summary: str) -> tuple[str, CodeInfo]:
    return code, CodeInfo(code, name, severity, summary)


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# The single table of stable codes. Codes are never renumbered or reused.
CODES: dict[str, CodeInfo] = dict(
    [
        _code("LR001", "syntax-error", E, "syntax error"),
        _code("LR002", "unknown-name", E, "unknown name"),
        _code("LR003", "type-mismatch", E, "type mismatch"),
        _code("LR004", "value-not-in-choices", E, "value not among the field's `one of` values"),
        _code("LR005", "duplicate-or-cycle", E, "duplicate name, or a cycle between conditions"),
        _code("LR006", "invalid-stage-use", E, "invalid stage use"),
        _code("LR101", "unreachable-stage", E, "unreachable stage"),
        _code("LR102", "stage-skip", INFO, "a lead can reach a stage without meeting the previous stage's criterion"),
        _code("LR103", "stage-without-criterion", W, "stage in `stages` with no entry criterion"),
        _code("LR201", "unguarded-handoff", E, "handoff stage not guarded by any disqualifier"),
        _code("LR202", "missing-required-disqualifier", E, "a disqualifier required by configuration is missing"),
        _code("LR203", "disqualifier-never-fires", W, "disqualifier can never fire"),
        _code("LR204", "disqualifier-always-fires", E, "disqualifier fires for every valid lead"),
        _code("LR301", "overlapping-routes", W, "two route entries match the same lead"),
        _code("LR302", "dead-route", E, "route entry never selected"),
        _code("LR303", "unrouted-lead", W, "a lead can end in a routed stage and match no route entry"),
        _code("LR304", "band-overlap", E, "bands overlap"),
        _code("LR305", "band-gap", W, "a reachable score value falls in no band"),
        _code("LR401", "rule-never-fires", W, "scoring rule can never fire"),
        _code("LR402", "duplicate-scoring", W, "the same condition scored twice in one score"),
        _code("LR403", "constant-comparison", W, "comparison always true or always false"),
        _code("LR501", "unused-declaration", INFO, "unused field, event, list or condition"),
        _code("LR900", "analysis-incomplete", INFO, "analysis incomplete (solver budget ran out)"),
        _code("LR901", "internal-error", E, "internal error in the analysis"),
    ]
)


@dataclass(frozen=True, slots=True)
class Witness:
    """A complete, valid lead plus the as-of instant that shows a finding."""

    as_of: str
    lead: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "lead": self.lead}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    severity: Severity | None = None
    hint: str | None = None
    witness: Witness | None = None
    reading: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def level(self) -> Severity:
        return self.severity if self.severity is not None else CODES[self.code].severity

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "severity": self.level.value,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "message": self.message,
        }
        if self.hint:
            data["hint"] = self.hint
        if self.witness is not None:
            data["witness"] = self.witness.to_json()
        return data

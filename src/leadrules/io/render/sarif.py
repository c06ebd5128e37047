"""Diagnostics as SARIF 2.1.0, for code-scanning dashboards (GitHub, Azure DevOps, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from leadrules.diagnostics import CODES, Diagnostic, Severity
from leadrules.jsontext import dumps
from leadrules.source import SourceFile
from leadrules.version import __version__

__all__ = ["render", "sarif_log", "SARIF_SCHEMA", "DOCS_URL"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_URL = "https://github.com/leadrules/leadrules/blob/main/docs/rules/{code}.md"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> str:
    return PurePath(path).as_posix()


def sarif_log(diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    codes = sorted({d.code for d in diagnostics})
    rules = [
        {
            "id": code,
            "name": CODES[code].name,
            "shortDescription": {"text": CODES[code].summary},
            "helpUri": DOCS_URL.format(code=code),
            "defaultConfiguration": {"level": _LEVELS[CODES[code].severity]},
        }
        for code in codes
    ]
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for d in diagnostics:
        text = d.message + (f" ({d.reading})" if d.reading else "")
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _LEVELS[d.level],
            "message": {"text": text},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(d.span.file)},
                    "region": {
                        "startLine": d.span.line,
                        "startColumn": d.span.column,
                        "endLine": max(d.span.end_line, d.span.line),
                        "endColumn": max(d.span.end_column, 1),
                    },
                }
            }],
        }
        if d.witness is not None:
            result["properties"] = {"witness": d.witness.to_json()}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "leadrules",
                "version": __version__,
                "informationUri": "https://github.com/leadrules/leadrules",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile]) -> str:
    return dumps(sarif_log(diagnostics), separators=(",", ":")) + "\n"

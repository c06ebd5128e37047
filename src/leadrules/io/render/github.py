"""Diagnostics as GitHub Actions workflow commands (annotations on the pull request)."""

from __future__ import annotations

from collections.abc import Sequence

from leadrules.diagnostics import Diagnostic, Severity
from leadrules.source import SourceFile
from leadrules.textsafe import printable

__all__ = ["render"]

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    """Escape a message (the part after `::`): line breaks as the runner reads them (%0A, %0D);
    other control characters (from rule files and leads) as visible escapes, never raw to the log."""
    escaped = text.replace("%", "%25")
    return "%0A".join("%0D".join(printable(part) for part in line.split("\r")) for line in escaped.split("\n"))


def _property(text: str) -> str:
    """Escape a property value (file, title): also ':' and ','."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile]) -> str:
    lines = []
    for d in diagnostics:
        span = d.span
        props = f"file={_property(span.file)},line={span.line},col={span.column},title={_property(d.code)}"
        message = d.message + (f"\n{d.reading}" if d.reading else "")
        lines.append(f"::{_COMMANDS[d.level]} {props}::{_data(message)}")
    return "".join(line + "\n" for line in lines)

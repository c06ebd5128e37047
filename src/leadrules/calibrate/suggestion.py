"""`calibrate --write-suggestion NEW.rules`: the ruleset with the suggested thresholds.

Only the literals of the suggested thresholds change, each replaced at its exact source span;
every other character (comments, layout, the other thresholds) stays as written, so
`leadrules diff OLD NEW` shows exactly the suggested changes. The new text is checked before
it is written: a suggestion that would not check is refused, not written.
"""

from __future__ import annotations

from collections.abc import Iterable

from leadrules.calibrate.compute import ThresholdRow
from leadrules.errors import InputError
from leadrules.io.output import write_output_text
from leadrules.source import SourceFile
from leadrules.values import format_number
from leadrules.workspace import load_source

__all__ = ["suggested_text", "write_suggestion"]


def _offset(source: SourceFile, line: int, column: int) -> int:
    return source.line_starts[line - 1] + column - 1


def suggested_text(source: SourceFile, rows: Iterable[ThresholdRow]) -> tuple[str, int]:
    """The source with every suggested value in place of its threshold's literal, and how
    many literals changed (a suggestion equal to the written value changes nothing)."""
    edits = []
    for row in rows:
        t = row.threshold
        if row.suggested is None or row.suggested == t.value:
            continue
        span = t.constant.span
        edits.append((_offset(source, span.line, span.column), _offset(source, span.end_line, span.end_column),
                      format_number(row.suggested)))
    text = source.text
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, len(edits)


def write_suggestion(path: str, source: SourceFile, rows: Iterable[ThresholdRow]) -> int:
    """Write the suggested ruleset to `path` (replaced atomically); the number of changes."""
    text, changed = suggested_text(source, rows)
    loaded = load_source(SourceFile(path, text))
    if loaded.model is None:
        raise InputError(f"{path}: not written: the suggested ruleset does not check")
    write_output_text(path, text)
    return changed

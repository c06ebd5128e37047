"""`# noqa: LRxxx` at the end of a line silences those codes on that line."""

from __future__ import annotations

import re
from collections.abc import Sequence

from leadrules.diagnostics import Diagnostic
from leadrules.source import SourceFile

__all__ = ["suppressed_codes", "apply_noqa"]

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>LR\d+(?:\s*,\s*LR\d+)*))?\s*$", re.IGNORECASE)


def suppressed_codes(line: str) -> frozenset[str] | None:
    """The codes a line silences; an empty set means all codes (a bare `# noqa`); None
    means the line has no noqa comment."""
    found = _NOQA.search(line)
    if found is None:
        return None
    codes = found.group("codes")
    if codes is None:
        return frozenset()
    return frozenset(c.strip().upper() for c in codes.split(","))


def apply_noqa(diagnostics: Sequence[Diagnostic], source: SourceFile) -> list[Diagnostic]:
    """Drop findings whose line carries a matching noqa comment. Syntax and checker errors
    (LR001–LR006) are never silenced: the file does not mean what it says."""
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        codes = suppressed_codes(source.line_text(diagnostic.span.line))
        silenced = codes is not None and (not codes or diagnostic.code in codes)
        if silenced and diagnostic.code >= "LR100":
            continue
        kept.append(diagnostic)
    return kept

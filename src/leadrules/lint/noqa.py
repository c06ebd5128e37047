"""`# noqa: LRxxx` at the end of a line silences those codes on that line.

A directive is one comment segment: `# noqa` (every code) or `# noqa: LR102, LR301`, alone or
followed by another `#` comment. A line may hold several (`fmt` joins the trailing comments of a
statement written over several lines onto its one line), and their codes add up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from leadrules.diagnostics import Diagnostic
from leadrules.source import SourceFile
from leadrules.syntax.transform import comment_start

__all__ = ["NoqaDirective", "directives", "suppressed_codes", "apply_noqa", "noqa_warnings"]

_CODE = r"[A-Za-z]+[0-9]+"
_DIRECTIVE = re.compile(rf"#\s*noqa(?::\s*(?P<codes>{_CODE}(?:\s*,\s*{_CODE})*))?\s*(?=#|$)", re.IGNORECASE)


@dataclass(frozen=True)
class NoqaDirective:
    """One `# noqa` comment segment; `codes` empty means every code."""

    line: int
    column: int  # 1-based column of its '#'
    codes: tuple[str, ...]


def _line_directives(text: str, line: int) -> list[NoqaDirective]:
    start = comment_start(text)
    if start is None:
        return []
    found = []
    comment = text[start:]
    # every `#` of the comment may start a directive: a "why" comment may come first
    for offset in (i for i, char in enumerate(comment) if char == "#"):
        match = _DIRECTIVE.match(comment, offset)
        if match is None:
            continue
        raw = match.group("codes")
        codes = tuple(c.strip().upper() for c in raw.split(",")) if raw else ()
        found.append(NoqaDirective(line, start + offset + 1, codes))
    return found


def directives(source: SourceFile) -> list[NoqaDirective]:
    """Every noqa directive of a file, in line order."""
    return [d for n in range(1, len(source.line_starts) + 1) for d in _line_directives(source.line_text(n), n)]


def suppressed_codes(line: str) -> frozenset[str] | None:
    """The codes a line silences; an empty set means all codes (a bare `# noqa`); None
    means the line has no noqa comment."""
    found = _line_directives(line, 1)
    if not found:
        return None
    if any(not d.codes for d in found):
        return frozenset()
    return frozenset(code for d in found for code in d.codes)


def _silences(codes: frozenset[str] | None, diagnostic: Diagnostic) -> bool:
    # syntax and checker errors (LR001–LR006) are never silenced: the file does not mean what it says
    return codes is not None and (not codes or diagnostic.code in codes) and diagnostic.code >= "LR100"


def apply_noqa(diagnostics: Sequence[Diagnostic], source: SourceFile) -> list[Diagnostic]:
    """Drop findings whose line carries a matching noqa comment."""
    return [d for d in diagnostics if not _silences(suppressed_codes(source.line_text(d.span.line)), d)]


def noqa_warnings(
    diagnostics: Sequence[Diagnostic],
    source: SourceFile,
    known_codes: Collection[str],
    enabled: Callable[[str], bool] | None,
) -> list[tuple[NoqaDirective, str]]:
    """Directives that name a code leadrules does not have, or that silence nothing among
    `diagnostics` (the findings before noqa was applied). `enabled` says which codes ran on the
    file; None when the semantic codes did not run (the file has errors), so that only unknown
    codes are reported. Returns (directive, message) pairs."""
    on_line: dict[int, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        if diagnostic.span.file == source.path and diagnostic.code >= "LR100":
            on_line.setdefault(diagnostic.span.line, []).append(diagnostic)
    everything = enabled is not None and all(enabled(code) for code in known_codes if code >= "LR100")
    out: list[tuple[NoqaDirective, str]] = []
    for directive in directives(source):
        here = on_line.get(directive.line, [])
        unknown = [c for c in directive.codes if c not in known_codes]
        if unknown:
            out.append((directive, f"`# noqa` names unknown code{'s' if len(unknown) > 1 else ''} "
                        + ", ".join(unknown)))
        # syntax and checker errors are never silenced (apply_noqa): say so instead of ignoring it
        unsilenceable = [c for c in directive.codes if c in known_codes and c < "LR100"]
        if unsilenceable:
            out.append((directive, f"`# noqa: {', '.join(unsilenceable)}` cannot silence syntax and type errors "
                        "(LR001-LR006); fix the error"))
        if enabled is None:
            continue
        if not directive.codes:
            if not here and everything:
                out.append((directive, "`# noqa` silences nothing on this line"))
            continue
        # a code that did not run (deselected), or LR001-LR006 (never silenced), proves nothing
        unused = [c for c in directive.codes
                  if c in known_codes and c >= "LR100" and enabled(c) and all(d.code != c for d in here)]
        if unused:
            out.append((directive, f"`# noqa: {', '.join(unused)}` silences nothing on this line"))
    return out

"""Human-readable diagnostics, rustc/ruff style: header, source line, carets, help."""

from __future__ import annotations

from collections.abc import Sequence

from leadrules.diagnostics import Diagnostic
from leadrules.jsontext import dumps
from leadrules.source import SourceFile
from leadrules.textsafe import printable

__all__ = ["render", "render_one"]


def render_one(diagnostic: Diagnostic, source: SourceFile | None) -> str:
    # rule files and leads are untrusted: every piece of their text is shown through printable
    span = diagnostic.span
    lines = [f"{printable(span.file)}:{span.line}:{span.column}: {diagnostic.code} {diagnostic.level.value}: "
             f"{printable(diagnostic.message)}"]
    if source is not None:
        text = source.line_text(span.line)
        if text or span.line <= len(source.line_starts):
            gutter = str(span.line)
            pad = " " * len(gutter)
            end = span.end_column if span.end_line == span.line else len(text) + 1
            # carets under the escaped text: an escape is wider than the character it stands for
            before = len(printable(text[: span.column - 1]))
            width = max(1, len(printable(text[span.column - 1 : end - 1])))
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {printable(text)}")
            lines.append(f"{pad} | {' ' * before}{'^' * width}")
    pad = " " * (len(str(span.line)) if source is not None else 0)
    for note in diagnostic.notes:
        lines.append(f"{pad} = note: {printable(note)}")
    if diagnostic.hint:
        lines.append(f"{pad} = help: {printable(diagnostic.hint)}")
    if diagnostic.witness is not None:
        compact = dumps(diagnostic.witness.to_json(), separators=(",", ":"))
        lines.append(f"{pad} = witness: {printable(compact)}")
        if diagnostic.reading:
            lines.append(f"{pad} = reading: {printable(diagnostic.reading)}")
    return "\n".join(lines)


def render(diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile]) -> str:
    blocks = [render_one(d, sources.get(d.span.file)) for d in diagnostics]
    return "\n\n".join(blocks) + ("\n" if blocks else "")

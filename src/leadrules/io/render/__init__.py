"""Diagnostic renderers, one module per output format. Renderers do no analysis."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from leadrules.diagnostics import Diagnostic
from leadrules.source import SourceFile

__all__ = ["Renderer", "RENDERERS", "get_renderer"]

# A renderer takes the diagnostics and the sources they point into, returns the text to print.
Renderer = Callable[[Sequence[Diagnostic], dict[str, SourceFile]], str]


def get_renderer(name: str) -> Renderer:
    from leadrules.io.render import json as json_renderer
    from leadrules.io.render import text

    renderers: dict[str, Renderer] = {"text": text.render, "json": json_renderer.render}
    try:
        from leadrules.io.render import github, sarif

        renderers["github"] = github.render
        renderers["sarif"] = sarif.render
    except ImportError:  # pragma: no cover - formats added by the linter
        pass
    return renderers[name]


RENDERERS = ("text", "json", "sarif", "github")

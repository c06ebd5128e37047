"""`leadrules doc`: a checked ruleset in words for sales and marketing, as Markdown or HTML.

`document_for` gathers what the document says (`content.build_document`, with the same lint
findings `leadrules check` reports); `render_markdown` and `render_html` turn it into text. The
output depends on nothing but the rule file and its lint configuration: no dates, no ordering
from sets or hashes, so it can be committed and reviewed.
"""

from __future__ import annotations

from pathlib import Path

from leadrules import model as m
from leadrules.config import load_config
from leadrules.diagnostics import Diagnostic
from leadrules.doc.content import Document, build_document
from leadrules.doc.html import render_html
from leadrules.doc.markdown import render_markdown
from leadrules.source import SourceFile
from leadrules.syntax import ast

__all__ = ["FORMATS", "Document", "document_for", "lint_findings", "render", "render_html", "render_markdown"]

FORMATS = ("markdown", "html")


def lint_findings(model: m.CheckedModel, source: SourceFile) -> list[Diagnostic]:
    """The findings `leadrules check` reports for a checked ruleset: its configuration (the
    nearest leadrules.toml or pyproject.toml) and `# noqa` comments applied."""
    from leadrules.lint import lint
    from leadrules.lint.noqa import apply_noqa

    config = load_config(Path(source.path))
    return apply_noqa(lint(model, config), source)


def document_for(module: ast.Module, model: m.CheckedModel, source: SourceFile) -> Document:
    """The document of a checked ruleset, lint status and the result of each worked example
    (its `test` block run as `leadrules test` runs it) included."""
    from leadrules.suite import run_cases

    results = run_cases(model, model.tests, source.path)
    return build_document(module, model, Path(source.path).name, lint_findings(model, source), results)


def render(document: Document, output_format: str) -> str:
    """The document as `markdown` or `html` text."""
    if output_format == "html":
        return render_html(document)
    return render_markdown(document)

"""The document as one self-contained HTML page (a Jinja2 template with autoescape)."""

from __future__ import annotations

import functools

import jinja2

from leadrules.doc.content import Document

__all__ = ["render_html"]


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # the templates ship inside the package (leadrules/doc/templates) and are read from there
    return jinja2.Environment(
        loader=jinja2.PackageLoader("leadrules.doc", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(document: Document) -> str:
    """The page; every text from the rule file is HTML-escaped by the template engine."""
    return _environment().get_template("doc.html.j2").render(doc=document)

"""The document as one self-contained HTML page (a Jinja2 template with autoescape)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from leadrules.doc.content import Document
from leadrules.io.html import page_environment

if TYPE_CHECKING:
    import jinja2

__all__ = ["render_html"]


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # the templates ship inside the package (leadrules/doc/templates) and are read from there
    return page_environment("leadrules.doc", compact_blocks=True)


def render_html(document: Document) -> str:
    """The page; every text from the rule file is HTML-escaped by the template engine."""
    return _environment().get_template("doc.html.j2").render(doc=document)

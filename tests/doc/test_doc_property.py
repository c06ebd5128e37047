"""`leadrules doc` on random valid rulesets covering every construct (the engine campaign's
generator): it never raises, says every criterion in words, and both formats stay well formed
with the generator's tricky strings (quotes, backslashes, line breaks, tabs, SQL, emoji)."""

from __future__ import annotations

import sys
from pathlib import Path

import html5lib
from hypothesis import HealthCheck, given, settings
from markdown_it import MarkdownIt

from leadrules.doc.content import build_document
from leadrules.doc.html import render_html
from leadrules.doc.markdown import render_markdown
from leadrules.source import SourceFile
from leadrules.workspace import load_source

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "property"))
from ruleset_strategies import Generated, rulesets  # noqa: E402  (tests/property is not a package)

_MARKDOWN = MarkdownIt("commonmark").enable(["table"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets())
def test_random_rulesets_document_cleanly(generated: Generated) -> None:
    loaded = load_source(SourceFile("campaign.rules", generated.text))
    assert loaded.module is not None and loaded.model is not None, loaded.diagnostics
    document = build_document(loaded.module, loaded.model, "campaign.rules", [])
    for stage in document.stages[1:]:
        criterion = loaded.model.criteria.get(stage.name)
        assert (stage.criterion is not None) == (criterion is not None)
        if stage.criterion is not None:
            assert stage.criterion.startswith(f"A lead becomes a{'n' if stage.name[0] in 'AEIOUMS' else ''} ")
    assert all(row.when for row in document.disqualifiers)
    markdown = render_markdown(document)
    assert markdown == render_markdown(build_document(loaded.module, loaded.model, "campaign.rules", []))
    tokens = _MARKDOWN.parse(markdown)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert not kinds & {"html_inline", "html_block", "link_open", "em_open"}
    page = render_html(document)
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert tree.find(".//script") is None

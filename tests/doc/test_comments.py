"""Comments as prose: which statement a comment describes, and how its lines become paragraphs."""

from __future__ import annotations

from leadrules.doc.content import build_document, comment_paragraphs
from leadrules.source import SourceFile
from leadrules.syntax import ast, parse
from leadrules.workspace import load_source


def _comments(*lines: str) -> list[ast.Comment]:
    module, diagnostics = parse(SourceFile("c.rules", "\n".join(lines) + '\nruleset "c" version "1"\n'))
    assert module is not None, diagnostics
    return list(module.comments)


def test_paragraphs_split_on_blank_lines_and_list_items() -> None:
    comments = _comments(
        "# First line",
        "# continues here.",
        "#",
        "# Two ways:",
        "#   1. one, which",
        "#      wraps;",
        "#   2. two.",
        "# After the list.",
    )
    assert comment_paragraphs(comments) == (
        "First line continues here.",
        "Two ways:",
        "1. one, which wraps;",
        "2. two.",
        "After the list.",
    )


RULES = '''\
# About the file.
ruleset "c" version "1"
field a: integer  # the a field
# Why the score.
score s:
    # why +1
    +1 if a > 1
    +2 if a > 2  # two
    # trailing, indented: about the block
# Why MQL.
stages Lead -> MQL
stage MQL if s >= 1  # noqa: LR102
route MQL:
    otherwise to "x"
# said after everything
'''


def test_comments_attach_to_the_statement_or_entry_they_describe() -> None:
    source = SourceFile("c.rules", RULES)
    loaded = load_source(source)
    assert loaded.module is not None and loaded.model is not None, loaded.diagnostics
    doc = build_document(loaded.module, loaded.model, "c.rules", [])
    assert doc.intro == ("About the file.",)
    assert [f.note for f in doc.fields] == ["the a field"]
    (score,) = doc.scores
    assert score.notes == ("Why the score.", "Trailing, indented: about the block")
    assert [r.note for r in score.rows] == ["why +1", "two"]
    assert doc.stages_notes == ("Why MQL.",)
    assert [s.notes for s in doc.stages] == [(), ()]  # the noqa directive is not prose

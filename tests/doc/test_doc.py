"""`leadrules doc`: golden Markdown for the shipped rulesets, byte-equal reruns, HTML that parses
and loads nothing from the network, escaping of rule-file text, `-o`, and exit statuses.

Regenerate the golden files after a deliberate change with:
LEADRULES_UPDATE_GOLDEN=1 pytest tests/doc/test_doc.py (then read them: they must read well).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import html5lib
import pytest

from leadrules.cli import doc_cmd
from leadrules.doc import document_for, render
from leadrules.workspace import load_file

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
RULESETS = sorted((REPO / "rulesets").glob("*.rules"))
UPDATE = os.environ.get("LEADRULES_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda p: p.stem)
def test_golden_markdown(ruleset: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = run_cli("doc", f"rulesets/{ruleset.name}")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    golden = GOLDEN / f"{ruleset.stem}.md"
    if UPDATE:
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_golden_files_have_their_ruleset() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.md")) == sorted(p.stem for p in RULESETS)
    assert len(RULESETS) == 3


@pytest.mark.parametrize("output_format", ["markdown", "html"])
def test_two_runs_are_byte_equal(output_format: str, run_cli: Callable[..., Any]) -> None:
    path = str(REPO / "rulesets" / "product_led_trial.rules")
    first = run_cli("doc", path, "--format", output_format)
    second = run_cli("doc", path, "--format", output_format)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout.encode() == second.stdout.encode()


def test_markdown_says_the_criteria_in_words() -> None:
    text = (GOLDEN / "fit_engagement.md").read_text(encoding="utf-8")
    assert "A lead becomes an MQL when its fit grade is A or B and its engagement is at least 30." in text
    assert ("A lead becomes an SQL when its engagement level is hot, its fit is at least 50 and it has had a "
            "pricing_page_view in the last 30 days.") in text
    assert "```mermaid\nflowchart LR\n" in text
    assert '    s2 -->|"unless no_authority"| s3\n' in text
    # a comment above a statement is the prose beside it
    assert "| `no_authority` | No buying authority | blocks SQL | its role is individual | Individual contributors" in text
    assert "Fit: who they are. Clamped to 0..100 so penalties never push it below zero." in text
    # a noqa directive is lint configuration, not prose
    assert "noqa" not in (GOLDEN / "product_led_trial.md").read_text(encoding="utf-8")


def _html_tree(text: str) -> Any:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(text)


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda p: p.stem)
def test_html_parses_and_loads_nothing_from_outside(ruleset: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli("doc", str(ruleset), "--format", "html")
    assert result.exit_code == 0, result.stderr
    tree = _html_tree(result.stdout)  # strict: any parse error raises
    for element in tree.iter():
        for attribute in ("src", "href", "action", "srcset", "poster", "data"):
            value = element.get(attribute)
            assert value is None or not re.match(r"\s*(https?:)?//", value), (element.tag, value)
    assert tree.find(".//script") is None
    assert not re.search(r"url\(|@import|https?://", result.stdout)
    funnel = tree.find(".//div[@class='funnel']")
    assert funnel is not None
    assert [d.text for d in funnel.iter("div") if (d.get("class") or "").startswith("stage")][:1] != []


def test_html_funnel_shows_the_stages_in_order(run_cli: Callable[..., Any]) -> None:
    result = run_cli("doc", str(REPO / "rulesets" / "score_grade.rules"), "--format", "html")
    tree = _html_tree(result.stdout)
    stages = [d for d in tree.iter("div") if (d.get("class") or "").startswith("stage")]
    assert [d.text for d in stages] == ["Inquiry", "MQL", "SQL"]
    assert [d.get("class") for d in stages] == ["stage", "stage handoff", "stage"]


HOSTILE = r'''# A comment with <script>alert(1)</script> and | pipes | and *stars* and `ticks`.
ruleset "evil<script>alert('n')</script>|*x*" version "1`2`"
owner "<img src=x onerror=alert(1)>"
description "# heading? | cell | **bold** [link](http://evil.example)"

field role: one of ["a|b", "<b>", "*c*", "`d`"]
event visit

# <iframe src="http://evil.example"></iframe>
score fit (min 0, max 10):
    +5 if role == "a|b"  # note | with <script>x</script>
    +5 if role starts with "<b>"

band grade of fit:
    "<script>A</script>" from 5
    "B|*" to 5

disqualify bad "<script>alert('reason')</script> | *x*" if role == "`d`"

stages Lead -> MQL
stage MQL if grade == "<script>A</script>" or has visit

route MQL:
    to "<a href='http://evil.example'>x</a>" if role in ["*c*", "`d`"]
    otherwise to "q|`r`"

test "<script>t</script> | *t*":
    as of "2026-11-22T00:00:00Z"
    lead {"role": "<b>", "note": "```", "events": []}
    expect stage == "Lead"
    expect route == null
'''


def _outside_fences(markdown: str) -> str:
    lines, fence = [], None
    for line in markdown.split("\n"):
        match = re.match(r"(`{3,})", line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None and line.startswith(fence) and line.strip("`") == "":
            fence = None
            continue
        if fence is None:
            lines.append(line)
    assert fence is None, "an unclosed code fence"
    return "\n".join(lines)


def test_rule_file_text_cannot_inject_markup(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rules = tmp_path / "evil.rules"
    rules.write_text(HOSTILE, encoding="utf-8")
    markdown = run_cli("doc", str(rules))
    assert markdown.exit_code == 0, markdown.stderr
    text = markdown.stdout
    prose = _outside_fences(text)
    # no raw HTML tag, emphasis, link or table cell boundary from the rule file
    assert not re.search(r"(?<!\\)<[A-Za-z/!]", prose)
    # not even inside the JSON of a worked example: the same JSON value, with `<` as an escape
    assert '"role": "\\u003cb\\u003e"' in text
    assert not re.search(r"(?<!\\)\*[^\s*]", prose.replace("**", ""))
    assert not re.search(r"(?<!\\)\[", prose)
    assert r"\<script\>alert(1)\</script\>" in prose
    assert r'| 1 | +5 | when its role is "a\|b" | note \| with \<script\>x\</script\> |' in prose
    assert "# evil" in prose and "> \\# heading? \\| cell" in prose
    assert "Leads in Lead and Disqualified get no route." in prose
    # the lead's value "```" does not close the fence of its worked example
    assert "````json" in text

    page = run_cli("doc", str(rules), "--format", "html")
    assert page.exit_code == 0, page.stderr
    tree = _html_tree(page.stdout)
    assert tree.find(".//script") is None
    assert tree.find(".//img") is None
    assert tree.find(".//iframe") is None
    assert [a for a in tree.iter("a")] == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.stdout
    assert tree.find(".//h1").text == "evil<script>alert('n')</script>|*x*"


def test_table_rows_keep_their_cell_count(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rules = tmp_path / "evil.rules"
    rules.write_text(HOSTILE, encoding="utf-8")
    prose = _outside_fences(run_cli("doc", str(rules)).stdout)
    table: list[int] = []
    for line in prose.split("\n") + [""]:
        if line.startswith("|"):
            table.append(len(re.split(r"(?<!\\)\|", line)))
        elif table:
            assert len(set(table)) == 1, table
            table = []


def test_output_file_is_written_by_the_shared_writer(tmp_path: Path, run_cli: Callable[..., Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = doc_cmd.write_output_text

    def recording(path: str | Path, text: str) -> None:
        calls.append(str(path))
        real(path, text)

    monkeypatch.setattr(doc_cmd, "write_output_text", recording)
    target = tmp_path / "doc.html"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    ruleset = str(REPO / "rulesets" / "fit_engagement.rules")
    result = run_cli("doc", ruleset, "--format", "html", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert calls == [str(target)]
    assert target.read_text(encoding="utf-8") == run_cli("doc", ruleset, "--format", "html").stdout
    assert target.stat().st_mode & 0o777 == 0o640  # replaced in place, mode kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.html"]


def test_library_and_command_agree() -> None:
    loaded = load_file(REPO / "rulesets" / "score_grade.rules")
    assert loaded.module is not None and loaded.model is not None
    text = render(document_for(loaded.module, loaded.model, loaded.source), "markdown")
    assert text == (GOLDEN / "score_grade.md").read_text(encoding="utf-8")


def test_a_ruleset_with_errors_exits_1_with_diagnostics(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rules = tmp_path / "bad.rules"
    rules.write_text('ruleset "x" version "1"\nfield a: intger\n', encoding="utf-8")
    out = tmp_path / "doc.md"
    result = run_cli("doc", str(rules), "-o", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{rules}:2:10: LR002 error: unknown type 'intger' (did you mean 'integer'?)" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["doc", "missing.rules"], "leadrules: error: missing.rules: no such file\n"),
    (["doc", "RULES", "--format", "pdf"], "Invalid value for '--format'"),
    (["doc"], "Missing argument 'RULESET'"),
])
def test_usage_and_io_errors_exit_2(args: list[str], message: str, run_cli: Callable[..., Any]) -> None:
    args = [str(REPO / "rulesets" / "fit_engagement.rules") if a == "RULES" else a for a in args]
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_output_into_a_missing_folder_is_one_line_exit_2(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    target = tmp_path / "nowhere" / "doc.md"
    result = run_cli("doc", str(REPO / "rulesets" / "fit_engagement.rules"), "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"leadrules: error: {target}: cannot write (")
    assert result.stderr.count("\n") == 1


def test_a_tests_file_is_a_usage_error(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    tests_file = tmp_path / "t.rules"
    tests_file.write_text('tests for "x.rules"\n', encoding="utf-8")
    result = run_cli("doc", str(tests_file))
    assert result.exit_code == 2
    assert "a `tests for` file, not a ruleset" in result.stderr


def _section(markdown: str, title: str) -> str:
    start = markdown.index(f"## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:] if end < 0 else markdown[start:end + 1]


def test_a_ruleset_without_stages_or_routes_says_so(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rules = tmp_path / "tiny.rules"
    rules.write_text('ruleset "tiny" version "0"\nfield a: integer\nscore s:\n    +1 if a > 1\n', encoding="utf-8")
    text = run_cli("doc", str(rules)).stdout
    assert _section(text, "Funnel") == "## Funnel\n\nThis ruleset declares no stages.\n\n"
    assert "## Stages" not in text
    assert _section(text, "Routing") == "## Routing\n\nThis ruleset declares no routes.\n\n"
    assert _section(text, "Handoff") == "## Handoff\n\nThis ruleset has no stages, so no handoff.\n\n"
    # as `leadrules check tiny.rules`: 0 error(s), 0 warning(s), 0 info
    assert _section(text, "Lint status") == "## Lint status\n\n`leadrules check` reports no findings.\n"


def test_stage_without_criterion_and_scoped_disqualifier(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rules = tmp_path / "t2.rules"
    rules.write_text('ruleset "t2" version "0"\nfield a: integer\nstages A -> B -> C\nstage C if a > 1\n'
                     'disqualify x "X" at B if a < 0\nroute C:\n    otherwise to "q"  # everyone\n', encoding="utf-8")
    text = run_cli("doc", str(rules)).stdout
    assert _section(text, "Stages") == (
        "## Stages\n\n"
        "### 1. A\n\nEvery valid lead starts as A: the entry stage needs no criterion.\n\n"
        "### 2. B\n\nNo entry criterion is declared for this stage, so no lead reaches it.\n\n"
        "Blocked by: `x` (a lead that meets it stays below B).\n\n"
        "### 3. C\n\nA lead becomes a C when its a is more than 1.\n\n"
        "Blocked by: `x` (a lead that meets it stays below C).\n\n"
        "Marketing hands the lead to sales at this stage.\n\n"
    )
    assert '    s1 -->|"unless x"| s2\n    s2 --> s3\n```' in text  # no global disqualifier: no Disqualified node
    assert _section(text, "Routing") == (
        "## Routing\n\nFor the stage a lead ends in, the first entry that applies gives its route.\n\n"
        "### C\n\nEvery lead here goes to **q** (everyone).\n\n"
        "Leads in A and B get no route.\n\n"
    )
    # no disqualifier has a comment: the table has no Note column
    assert ("| Code | Reason | Applies | When |\n|---|---|---|---|\n| `x` | X | blocks B and later | its a is less than 0 |\n"
            in _section(text, "Disqualifiers"))
    assert "| 3:1 | `LR103` | warning | stage 'B' has no entry criterion, so no lead can reach it |" in text


@pytest.mark.slow
def test_the_template_ships_in_the_wheel(tmp_path: Path) -> None:
    import subprocess
    import sys
    import zipfile

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
                           capture_output=True, text=True, timeout=300, check=False)
    if built.returncode != 0 and "hatchling" in built.stderr:
        pytest.skip("the build backend cannot be fetched on this machine")
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("leadrules-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "leadrules/doc/templates/doc.html.j2" in names
    assert "Requires-Dist: jinja2>=3.1" in metadata


def test_markdown_renders_rule_file_text_literally(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    """Render the Markdown as GitHub does (CommonMark + tables, markdown-it, which rich brings
    along) and compare what a reader sees with what the rule file says."""
    from markdown_it import MarkdownIt

    rules = tmp_path / "evil.rules"
    rules.write_text(HOSTILE, encoding="utf-8")
    markdown = run_cli("doc", str(rules)).stdout
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = parser.parse(markdown)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert not kinds & {"html_inline", "html_block", "link_open", "image", "s_open", "em_open"}
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(parser.render(markdown))
    texts = lambda tag: ["".join(e.itertext()) for e in tree.iter(tag)]  # noqa: E731
    assert texts("h1") == ["evil<script>alert('n')</script>|*x*"]
    assert texts("blockquote") == ["\n# heading? | cell | **bold** [link](http://evil.example)\n"]
    assert texts("strong") == ["<a href='http://evil.example'>x</a>", "q|`r`", "MQL"]
    cells = texts("td")
    assert "<script>alert('reason')</script> | *x*" in cells
    assert "note | with <script>x</script>" in cells
    assert 'when its role is "a|b"' in cells
    assert '"a|b", "<b>", "*c*", "`d`"' in cells
    assert "B|*" in cells
    # every row of a table has as many cells as its header
    for table in tree.iter("table"):
        widths = {len(list(row)) for row in table.iter("tr")}
        assert len(widths) == 1, widths
    assert texts("h3")[-1] == "Example 1: <script>t</script> | *t*"


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda p: p.stem)
def test_golden_markdown_renders_cleanly(ruleset: Path) -> None:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable(["table"])
    markdown = (GOLDEN / f"{ruleset.stem}.md").read_text(encoding="utf-8")
    tokens = parser.parse(markdown)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert not kinds & {"html_inline", "html_block", "link_open", "em_open"}
    fences = [t.info for t in tokens if t.type == "fence"]
    assert fences[0] == "mermaid" and set(fences[1:]) == {"json"}
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(parser.render(markdown))
    for table in tree.iter("table"):
        assert len({len(list(row)) for row in table.iter("tr")}) == 1


def test_worked_examples_say_what_the_rules_give(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rules = tmp_path / "f.rules"
    rules.write_text(
        'ruleset "f" version "1"\nfield a: integer\nstages Lead -> MQL\nstage MQL if a > 1\n'
        'test "right":\n    as of "2026-11-22T00:00:00Z"\n    lead {"a": 1}\n    expect stage == "Lead"\n'
        'test "wrong":\n    as of "2026-11-22T00:00:00Z"\n    lead {"a": 5}\n    expect stage == "Lead"\n'
        'test "invalid":\n    as of "2026-11-22T00:00:00Z"\n    lead {"a": "x"}\n    expect stage == "Lead"\n',
        encoding="utf-8")
    result = run_cli("doc", str(rules))
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.split("\n") if line.startswith(("Evaluated", "The lead is"))]
    assert lines == [
        "Evaluated with these rules, the lead gives exactly these outcomes.",
        'Evaluated with these rules, the lead does not give these outcomes: stage is "MQL", not "Lead".',
        'The lead is invalid with these rules: a: expected an integer, found "x".',
    ]
    page = _html_tree(run_cli("doc", str(rules), "--format", "html").stdout)
    assert [p.get("class") for p in page.iter("p") if p.get("class") in ("passes", "fails")] == [
        "passes", "fails", "fails"]


def test_the_excerpt_in_the_docs_is_real_output() -> None:
    page = (REPO / "docs" / "doc.md").read_text(encoding="utf-8")
    excerpt = page.split("````markdown\n", 1)[1].split("````\n", 1)[0]
    assert excerpt in (GOLDEN / "fit_engagement.md").read_text(encoding="utf-8")


def test_dash_reads_the_rule_file_from_standard_input(run_cli: Callable[..., Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    data = (REPO / "rulesets" / "score_grade.rules").read_bytes()
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    result = run_cli("doc", "-")
    assert result.exit_code == 0, result.stderr
    expected = (GOLDEN / "score_grade.md").read_text(encoding="utf-8")
    assert result.stdout == expected.replace("source `score_grade.rules`", "source `<stdin>`", 1)

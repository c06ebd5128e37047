"""The document as Markdown (GitHub-flavoured: tables, a Mermaid diagram).

Every text that comes from the rule file passes through `escape` (inline text) or `code`
(identifiers in code spans), so a reason such as `<script>` or a label with `|` or `*` is shown
as written and never becomes markup, a table cell boundary or raw HTML.
"""

from __future__ import annotations

import re

from leadrules.doc.content import Document, ExampleDoc, StageDoc
from leadrules.model import DISQUALIFIED
from leadrules.textsafe import printable

__all__ = ["render_markdown", "escape", "code", "mermaid"]

# ASCII punctuation that can start or end Markdown or GFM markup anywhere in a line
_ALWAYS = re.compile(r"([\\`*\[\]<>|~&!{}])")
# `_` only matters where it can open or close emphasis: next to a non-word character
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# what makes a line a heading, quote, list item, rule or setext underline
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))")


def escape(text: str, *, line_start: bool = False) -> str:
    """Inline Markdown text that shows exactly `text`: markup characters backslash-escaped,
    line breaks and control characters as visible escapes (one line, fit for a table cell).
    With `line_start`, also what would make the line a heading, quote or list item."""
    shown = printable(text)
    shown = _ALWAYS.sub(r"\\\1", shown)
    shown = _UNDERSCORE.sub(r"\\_", shown)
    match = _LINE_START.match(shown) if line_start else None
    if match is not None:
        lead, mark = match.group(1), match.group(2)
        if mark.isdigit():
            # `1.` or `1)` starts an ordered list: escape the punctuation after the number
            shown = lead + mark + "\\" + shown[len(lead) + len(mark):]
        else:
            shown = lead + "\\" + shown[len(lead):]
    return shown


def code(text: str, *, in_table: bool = False) -> str:
    """A code span holding `text`; backticks inside get a longer fence. In a table cell a `|`
    is written `\\|`, which GFM reads as part of the span, not as a cell boundary."""
    shown = printable(text)
    if in_table:
        shown = shown.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def _fenced(text: str, language: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + language, text, fence]


def _paragraphs(paragraphs: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for paragraph in paragraphs:
        out += [escape(paragraph, line_start=True), ""]
    return out


def _cell(text: str | None) -> str:
    return escape(text) if text else ""


_OPTIONAL_COLUMNS = ("Label", "Cap", "Note")  # left out of a table where no row has one


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    kept = [i for i, name in enumerate(header) if name not in _OPTIONAL_COLUMNS or any(row[i] for row in rows)]
    header = [header[i] for i in kept]
    rows = [[row[i] for i in kept] for row in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def mermaid(doc: Document) -> list[str]:
    """The funnel as a Mermaid `flowchart LR`. Node ids are generated (`s1`, `s2`, `dq`) so a
    stage name can never be read as Mermaid syntax; labels are stage names, which are plain
    identifiers."""
    lines = ["flowchart LR"]
    for stage in doc.stages:
        label = stage.name + (" (handoff)" if stage.handoff else "")
        lines.append(f'    s{stage.position}["{label}"]')
    for before, after in zip(doc.stages, doc.stages[1:], strict=False):
        # a scoped disqualifier at a stage keeps leads from crossing into it; codes are identifiers
        newly_blocked = [c for c in after.blocked_by if c not in before.blocked_by]
        label = f'|"unless {", ".join(newly_blocked)}"|' if newly_blocked else ""
        lines.append(f"    s{before.position} -->{label} s{after.position}")
    if doc.has_global_disqualifiers and doc.stages:
        lines.append(f'    dq(["{DISQUALIFIED}"])')
        lines.append(f'    s{doc.stages[0].position} -.->|"global disqualifier, at any stage"| dq')
    return lines


def _stage(stage: StageDoc) -> list[str]:
    title = f"### {stage.position}. {escape(stage.name)}"
    out = [title, ""]
    if stage.entry:
        out += [f"Every valid lead starts as {escape(stage.name)}: the entry stage needs no criterion.", ""]
    elif stage.criterion is not None:
        out += [escape(stage.criterion, line_start=True), ""]
    else:
        out += ["No entry criterion is declared for this stage, so no lead reaches it.", ""]
    if stage.blocked_by:
        codes = ", ".join(code(c) for c in stage.blocked_by)
        which = "it" if len(stage.blocked_by) == 1 else "one of these"
        out += [f"Blocked by: {codes} (a lead that meets {which} stays below {escape(stage.name)}).", ""]
    if stage.handoff:
        out += ["Marketing hands the lead to sales at this stage.", ""]
    out += _paragraphs(stage.notes)
    return out


def _example(example: ExampleDoc) -> list[str]:
    out = [f"### Example {example.number}: {escape(example.name)}", ""]
    out += _paragraphs(example.notes)
    out += [f"As of {escape(example.as_of)}, this lead:", ""]
    out += _fenced(example.lead_json, "json") + [""]
    out += ["is expected to give:", ""]
    out += _table(["Outcome", "Expected"], [[code(key), code(value, in_table=True)] for key, value in example.expects])
    if example.result is not None:
        out += [escape(example.result, line_start=True), ""]
    return out


def render_markdown(doc: Document) -> str:
    """The whole document; the same Document always gives the same text."""
    out: list[str] = [f"# {escape(doc.name)}", ""]
    facts = [f"Version {escape(doc.version)}"]
    if doc.owner:
        facts.append(f"owner {escape(doc.owner)}")
    facts.append(f"source {code(doc.file_name)}")
    out += [" · ".join(facts) + ".", ""]
    if doc.description:
        out += [f"> {escape(doc.description, line_start=True)}", ""]
    out += _paragraphs(doc.intro)

    out += ["## Funnel", ""]
    if doc.stages:
        funnel = " → ".join(escape(s.name) for s in doc.stages)
        out += [f"Leads move through {funnel}. A lead's stage is the furthest stage whose criterion it meets "
                "and that no disqualifier blocks; a lead that meets a global disqualifier is "
                f"{DISQUALIFIED} instead.", ""]
        out += _fenced("\n".join(mermaid(doc)), "mermaid") + [""]
        out += _paragraphs(doc.stages_notes)
        out += ["## Stages", ""]
        for stage in doc.stages:
            out += _stage(stage)
    else:
        out += ["This ruleset declares no stages.", ""]

    out += ["## Scores", ""]
    if not doc.scores:
        out += ["This ruleset declares no scores.", ""]
    else:
        out += ["A score adds up the points of every rule that applies; where no rule applies it is 0.", ""]
    for score in doc.scores:
        out += [f"### {escape(score.name)}", ""]
        out += _paragraphs(score.notes)
        out += [score.bounds, ""]
        rows = [[str(r.number), code(r.label) if r.label else "", escape(r.points), escape(r.awarded), _cell(r.cap),
                 _cell(r.note)] for r in score.rows]
        out += _table(["#", "Label", "Points", "Awarded", "Cap", "Note"], rows)

    out += ["## Bands", ""]
    if not doc.bands:
        out += ["This ruleset declares no bands.", ""]
    for band in doc.bands:
        out += [f"### {escape(band.name)} (of {escape(band.score)})", ""]
        out += _paragraphs(band.notes)
        rows = [[escape(r.label), escape(r.range), escape(r.words), _cell(r.note)] for r in band.rows]
        out += _table(["Label", "Range", "In words", "Note"], rows)
        if band.gaps:
            out += [escape(band.gaps, line_start=True), ""]

    out += ["## Disqualifiers", ""]
    if not doc.disqualifiers:
        out += ["This ruleset declares no disqualifiers.", ""]
    else:
        out += ["A global disqualifier makes the lead Disqualified, with the codes of all that apply as its "
                "reasons. A disqualifier at a stage blocks that stage and every later one: the lead stays "
                "at the furthest stage before it.", ""]
        rows = [[code(d.code), escape(d.reason), escape(d.applies), escape(d.when), _cell(d.note)]
                for d in doc.disqualifiers]
        out += _table(["Code", "Reason", "Applies", "When", "Note"], rows)

    out += ["## Routing", ""]
    if not doc.routes:
        out += ["This ruleset declares no routes.", ""]
    else:
        out += ["For the stage a lead ends in, the first entry that applies gives its route.", ""]
    for route in doc.routes:
        out += [f"### {escape(route.stage)}", ""]
        out += _paragraphs(route.notes)
        if len(route.rows) == 1 and route.rows[0].when is None:
            row = route.rows[0]
            note = f" ({escape(row.note)})" if row.note else ""
            out += [f"Every lead here goes to **{escape(row.target)}**{note}.", ""]
            continue
        for index, row in enumerate(route.rows, start=1):
            note = f" ({escape(row.note)})" if row.note else ""
            if row.when is None:
                out.append(f"{index}. Otherwise to **{escape(row.target)}**{note}.")
            else:
                out.append(f"{index}. To **{escape(row.target)}** when {escape(row.when)}{note}.")
        out.append("")
        if route.fallback:
            out += [escape(route.fallback, line_start=True), ""]
    if doc.unrouted:
        shown = [escape(s) for s in doc.unrouted]
        names = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        out += [f"Leads in {names} get no route.", ""]

    if doc.crm:
        out += ["## CRM mapping", ""]
        out += ["`leadrules eval --crm NAME` adds to each result the CRM value of the stage it ends in.", ""]
    for mapping in doc.crm:
        out += [f"### {escape(mapping.name)}: {code(mapping.property)}", ""]
        out += _paragraphs(mapping.notes)
        out += _table(["Stage", "CRM value", "Note"],
                      [[escape(stage), code(value, in_table=True), _cell(note)] for stage, value, note in mapping.rows])

    out += ["## Handoff", ""]
    if doc.handoff is None:
        out += ["This ruleset has no stages, so no handoff.", ""]
    else:
        how = "declared with `handoff`" if doc.handoff_declared else "the last stage, as no `handoff` is declared"
        out += [f"Marketing hands leads to sales at **{escape(doc.handoff)}** ({how}).", ""]
        if doc.handoff_guards:
            guards = ", ".join(code(g) for g in doc.handoff_guards)
            out += [f"Disqualifiers that keep leads from reaching the handoff: {guards}.", ""]
        else:
            out += ["No disqualifier keeps leads from reaching the handoff.", ""]
        out += _paragraphs(doc.handoff_notes)

    if doc.conditions:
        out += ["## Conditions", ""]
        for condition in doc.conditions:
            out += [f"- {code(condition.name)}: {escape(condition.words)}."]
            out += [f"  {escape(note, line_start=True)}" for note in condition.notes]
        out.append("")
    if doc.lists:
        out += ["## Lists", ""]
        for named in doc.lists:
            out += [f"- {code(named.name)}: {escape(named.words)}."]
            out += [f"  {escape(note, line_start=True)}" for note in named.notes]
        out.append("")

    out += ["## Fields the ruleset reads", ""]
    if doc.fields:
        rows = [[code(f.name), escape(f.type), escape(f.required), escape(f.allowed), _cell(f.note)]
                for f in doc.fields]
        out += _table(["Field", "Type", "Required", "Allowed values", "Note"], rows)
        out += ["A record without a required field, or with a value outside what is allowed, is invalid and "
                "is not evaluated.", ""]
    else:
        out += ["This ruleset declares no fields.", ""]
    if doc.events:
        out += ["Events (each with a `type` and an `at` timestamp, in the lead's `events` list):", ""]
        for event in doc.events:
            note = f": {escape(' '.join(event.notes))}" if event.notes else ""
            out.append(f"- {code(event.name)}{note}")
        out.append("")

    out += ["## Worked examples", ""]
    if not doc.examples:
        out += ["This ruleset has no `test` blocks.", ""]
    else:
        out += ["The ruleset's own tests: each lead, the instant it is evaluated at, and the outcomes it must give "
                "(`leadrules test` checks them).", ""]
    for example in doc.examples:
        out += _example(example)

    out += ["## Lint status", ""]
    if not doc.findings:
        out += ["`leadrules check` reports no findings.", ""]
    else:
        out += [f"`leadrules check` reports {len(doc.findings)} finding(s):", ""]
        rows = [[f"{f.line}:{f.column}", code(f.code), escape(f.severity), escape(f.message)] for f in doc.findings]
        out += _table(["Line", "Code", "Severity", "Finding"], rows)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"

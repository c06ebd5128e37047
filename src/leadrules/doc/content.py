"""What `leadrules doc` says about a ruleset, as plain data both renderers read.

Every text here is plain (unescaped) text taken from or made of the rule file; the Markdown and
HTML renderers escape it. Order is the order of the rule file (or the funnel order for stages
and routes), never the order of a set, so the same file always gives the same document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from leadrules import model as m
from leadrules.diagnostics import Diagnostic
from leadrules.doc.words import Phrasing, article, condition_words, phrasing_of, rule_words, show_value
from leadrules.fieldkinds import KINDS
from leadrules.jsontext import dumps
from leadrules.suite import CaseResult
from leadrules.syntax import ast
from leadrules.values import format_number

__all__ = [
    "Document", "StageDoc", "ScoreDoc", "ScoreRow", "BandDoc", "BandRow", "DisqualifierRow", "RouteDoc",
    "RouteRow", "CrmDoc", "NamedDoc", "FieldRow", "ExampleDoc", "FindingRow", "build_document", "comment_paragraphs",
    "pretty_json",
]


@dataclass(frozen=True)
class StageDoc:
    name: str
    position: int  # 1-based in the funnel
    criterion: str | None  # the sentence, or None for the entry stage / a stage without criterion
    entry: bool
    handoff: bool
    blocked_by: tuple[str, ...]  # codes of the scoped disqualifiers that keep leads out of it
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ScoreRow:
    number: int
    label: str | None
    points: str
    awarded: str
    cap: str | None
    note: str | None


@dataclass(frozen=True)
class ScoreDoc:
    name: str
    bounds: str
    rows: tuple[ScoreRow, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class BandRow:
    label: str
    range: str
    words: str
    note: str | None


@dataclass(frozen=True)
class BandDoc:
    name: str
    score: str
    rows: tuple[BandRow, ...]
    gaps: str | None  # what happens to a score in no entry, when the entries leave gaps
    notes: tuple[str, ...]


@dataclass(frozen=True)
class DisqualifierRow:
    code: str
    reason: str
    applies: str
    when: str
    note: str | None


@dataclass(frozen=True)
class RouteRow:
    target: str
    when: str | None  # None: `otherwise`
    note: str | None


@dataclass(frozen=True)
class RouteDoc:
    stage: str
    rows: tuple[RouteRow, ...]
    fallback: str  # what a lead gets when no entry applies
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CrmDoc:
    """A `crm` block: the CRM property and its value for each stage, in the order written."""

    name: str
    property: str
    rows: tuple[tuple[str, str, str | None], ...]  # (stage, CRM value, the line's comment)
    notes: tuple[str, ...]


@dataclass(frozen=True)
class NamedDoc:
    """A condition, list or event: its name, what it is in words, the author's notes."""

    name: str
    words: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class FieldRow:
    name: str
    type: str
    required: str
    allowed: str
    note: str | None


@dataclass(frozen=True)
class ExampleDoc:
    number: int
    name: str
    as_of: str
    lead_json: str
    expects: tuple[tuple[str, str], ...]  # outcome key, expected value as JSON text
    notes: tuple[str, ...]
    result: str | None = None  # what evaluating the lead with these rules gives, when it was run
    passed: bool | None = None


@dataclass(frozen=True)
class FindingRow:
    line: int
    column: int
    code: str
    severity: str
    message: str


@dataclass(frozen=True)
class Document:
    file_name: str
    name: str
    version: str
    owner: str | None
    description: str | None
    intro: tuple[str, ...]
    stages: tuple[StageDoc, ...]
    stages_notes: tuple[str, ...]
    has_global_disqualifiers: bool
    handoff: str | None
    handoff_declared: bool
    handoff_guards: tuple[str, ...]
    handoff_notes: tuple[str, ...]
    scores: tuple[ScoreDoc, ...]
    bands: tuple[BandDoc, ...]
    disqualifiers: tuple[DisqualifierRow, ...]
    routes: tuple[RouteDoc, ...]
    unrouted: tuple[str, ...]
    conditions: tuple[NamedDoc, ...]
    lists: tuple[NamedDoc, ...]
    fields: tuple[FieldRow, ...]
    events: tuple[NamedDoc, ...]
    examples: tuple[ExampleDoc, ...]
    findings: tuple[FindingRow, ...]
    crm: tuple[CrmDoc, ...] = ()


# ---- comments --------------------------------------------------------------------------------

_NOQA = re.compile(r"#\s*noqa\b", re.IGNORECASE)
_LIST_ITEM = re.compile(r"(\d+[.)]|[-*•])\s")


class _Comments:
    """The comments of a file attached to what they describe: own-line comments to the statement
    or block entry below them, end-of-line comments to the statement or entry on their line, and
    indented comments after a block's last entry to that block. `# noqa` directives are lint
    configuration, not prose, and are left out."""

    def __init__(self, module: ast.Module) -> None:
        self.attached: dict[int, list[ast.Comment]] = {}
        statements = module.statements
        comments = sorted((c for c in module.comments if not _NOQA.match(c.text)),
                          key=lambda c: (c.span.line, c.span.column))
        position = 0
        for comment in comments:
            line = comment.span.line
            while position < len(statements) and statements[position].span.end_line < line:
                position += 1
            if position < len(statements) and statements[position].span.line <= line:
                self._inside(statements[position], comment)
                continue
            previous = statements[position - 1] if position > 0 else None
            if previous is not None and ast.block_entries(previous) and comment.span.column > 1:
                self._add(previous, comment)
            elif position < len(statements):
                self._add(statements[position], comment)
            # a comment after the last statement describes nothing in particular

    def _add(self, node: ast.Node, comment: ast.Comment) -> None:
        self.attached.setdefault(id(node), []).append(comment)

    def _inside(self, statement: ast.Statement, comment: ast.Comment) -> None:
        line = comment.span.line
        entries = ast.block_entries(statement)
        # the header line, or the continuation of a header written over several lines; an
        # own-line comment before the first entry is about that entry
        if not entries or line == statement.span.line or (not comment.own_line and line < entries[0].span.line):
            self._add(statement, comment)
            return
        for entry in entries:
            if entry.span.line <= line <= entry.span.end_line or entry.span.line > line:
                self._add(entry, comment)
                return
        self._add(statement, comment)

    def notes(self, node: ast.Node) -> tuple[str, ...]:
        """Paragraphs of prose; each starts with a capital letter, as a comment written as a
        short note may not."""
        paragraphs = comment_paragraphs(self.attached.get(id(node), ()))
        return tuple(text[:1].upper() + text[1:] for text in paragraphs)

    def note(self, node: ast.Node) -> str | None:
        """One line for a table cell or beside a list entry, as the author wrote it."""
        paragraphs = comment_paragraphs(self.attached.get(id(node), ()))
        return " ".join(paragraphs) if paragraphs else None


def comment_paragraphs(comments: Sequence[ast.Comment]) -> tuple[str, ...]:
    """Comment lines as paragraphs: an empty `#` line or a gap between comments ends a paragraph,
    a line that starts a numbered or bulleted item starts one, and so does a line no deeper than
    the item above it; other lines continue the paragraph they follow."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    item_indent: int | None = None  # the indentation of the list item being continued
    previous_line: int | None = None
    for comment in comments:
        if previous_line is not None and comment.span.line != previous_line + 1 and current:
            # comments apart from each other (above a block and after it) are separate paragraphs
            paragraphs.append(current)
            current = []
            item_indent = None
        previous_line = comment.span.line
        raw = comment.text.lstrip("#").rstrip()
        text = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        if not text:
            if current:
                paragraphs.append(current)
                current = []
            item_indent = None
            continue
        item = _LIST_ITEM.match(text) is not None
        # a line no deeper than the list item above it is not that item's continuation
        ends_item = item_indent is not None and indent <= item_indent
        if (item or ends_item) and current:
            paragraphs.append(current)
            current = []
        if item:
            item_indent = indent
        elif ends_item:
            item_indent = None
        current.append(text)
    if current:
        paragraphs.append(current)
    return tuple(" ".join(lines) for lines in paragraphs)


# ---- values ------------------------------------------------------------------------------------

_HTML_SIGNIFICANT = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def _json(value: Any) -> str:
    # the same JSON value, with no character that a Markdown or HTML reader could take for markup
    text = dumps(value)
    for char, escape in _HTML_SIGNIFICANT.items():
        text = text.replace(char, escape)
    return text


def pretty_json(value: Any, indent: str = "") -> str:
    """A lead as JSON: one key per line, a list of objects one object per line."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{_json(key)}: {pretty_json(item, inner).lstrip()}" for key, item in value.items()]
        return indent + "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value and any(isinstance(item, (dict, list)) for item in value):
        items = [inner + _json(item) for item in value]
        return indent + "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return indent + _json(value)


# ---- the document ------------------------------------------------------------------------------


def _bounds(score: m.Score) -> str:
    low, high = score.minimum, score.maximum
    if low is not None and high is not None:
        return f"The total is kept between {format_number(low)} and {format_number(high)}."
    if low is not None:
        return f"The total never goes below {format_number(low)}; it has no upper limit."
    if high is not None:
        return f"The total never goes above {format_number(high)}; it has no lower limit."
    return "The total is not limited."


def _points(value: Decimal) -> str:
    return ("-" if value.is_signed() else "+") + format_number(abs(value))


def _band_row(band: m.Band, entry: m.BandEntry, note: str | None) -> BandRow:
    score = band.score.replace("_", " ")
    low = None if entry.low is None else format_number(entry.low)
    high = None if entry.high is None else format_number(entry.high)
    if low is not None and high is not None:
        return BandRow(entry.label, f"{low} to {high}",
                       f"{score} is at least {low} and less than {high}", note)
    if low is not None:
        return BandRow(entry.label, f"{low} and above", f"{score} is at least {low}", note)
    if high is not None:
        return BandRow(entry.label, f"below {high}", f"{score} is less than {high}", note)
    return BandRow(entry.label, "any score", "every score", note)


def _band_gaps(band: m.Band) -> str | None:
    """None when the entries cover every score; otherwise what a score in a gap gets."""
    ordered = sorted(band.entries, key=lambda e: (e.low is not None, e.low or Decimal(0)))
    reach: Decimal | None = None  # covered up to here (exclusive); None before the first entry
    covered = bool(ordered) and ordered[0].low is None
    if covered:
        for entry in ordered:
            if entry.low is not None and reach is not None and entry.low > reach:
                covered = False
                break
            if entry.high is None:
                reach = None
                break
            reach = entry.high if reach is None else max(reach, entry.high)
        else:
            covered = False
    if covered:
        return None
    return f"A {band.score.replace('_', ' ')} score in none of these ranges has no {band.name.replace('_', ' ')}."


def _applies(disqualifier: m.Disqualifier, model: m.CheckedModel) -> str:
    if disqualifier.at is None:
        return "everywhere: the lead is Disqualified"
    index = model.stage_index(disqualifier.at)
    if index == len(model.stages) - 1:
        return f"blocks {disqualifier.at}"
    return f"blocks {disqualifier.at} and later"


def _blocked_by(stage: str, model: m.CheckedModel) -> tuple[str, ...]:
    index = model.stage_index(stage)
    return tuple(d.code for d in model.scoped_disqualifiers
                 if d.at is not None and model.stage_index(d.at) <= index)


def _guards(model: m.CheckedModel) -> tuple[str, ...]:
    if model.handoff is None:
        return ()
    index = model.stage_index(model.handoff)
    return tuple(d.code for d in model.disqualifiers if d.at is None or model.stage_index(d.at) <= index)


def _field_row(field: m.Field, note: str | None) -> FieldRow:
    required = "optional" if field.optional else "required"
    low = None if field.low is None else format_number(field.low)
    high = None if field.high is None else format_number(field.high)
    ranged = f"{low} to {high}" if low is not None and high is not None else None
    if field.kind == "choice":
        return FieldRow(field.name, "one of", required, ", ".join(show_value(c) for c in field.choices), note)
    record = KINDS.get(field.kind)
    kind, allowed = (field.kind, "") if record is None else (record.doc_name, record.doc_allowed)
    return FieldRow(field.name, kind, required, ranged or allowed, note)


def _lead_json(case: m.TestCase) -> str:
    return pretty_json(case.lead)


def _result(case: CaseResult) -> str:
    if case.error is not None:
        return f"The lead is invalid with these rules: {case.error}."
    if not case.mismatches:
        return "Evaluated with these rules, the lead gives exactly these outcomes."
    found = "; ".join(f"{mismatch.key} is {_json(mismatch.actual)}, not {_json(mismatch.expected)}"
                      for mismatch in case.mismatches)
    return f"Evaluated with these rules, the lead does not give these outcomes: {found}."


def build_document(module: ast.Module, model: m.CheckedModel, file_name: str,
                   findings: Sequence[Diagnostic], case_results: Sequence[CaseResult] = ()) -> Document:
    """The document of one checked ruleset; `findings` are its lint findings (after noqa) and
    `case_results` what running its tests gave (none: the examples carry no result)."""
    comments = _Comments(module)
    hints: Phrasing = phrasing_of(module)
    statements = module.statements
    by_kind: dict[type, list[Any]] = {}
    for statement in statements:
        by_kind.setdefault(type(statement), []).append(statement)

    def first(kind: type) -> Any:
        found = by_kind.get(kind, [])
        return found[0] if found else None

    header = first(ast.RulesetDecl)
    intro = comments.notes(header) if header is not None else ()
    for kind in (ast.Owner, ast.Description):
        node = first(kind)
        if node is not None:
            intro += comments.notes(node)

    criteria_nodes = {s.stage.name: s for s in by_kind.get(ast.StageCriterion, [])}
    stages = []
    for position, name in enumerate(model.stages, start=1):
        criterion = model.criteria.get(name)
        node = criteria_nodes.get(name)
        sentence = None
        if criterion is not None:
            sentence = (f"A lead becomes {article(name)} {name} when "
                        f"{condition_words(criterion.condition, hints)}.")
        stages.append(StageDoc(name, position, sentence, position == 1, name == model.handoff,
                               _blocked_by(name, model), comments.notes(node) if node is not None else ()))
    stages_decl = first(ast.StagesDecl)
    handoff_decl = first(ast.Handoff)

    score_nodes = {s.name.name: s for s in by_kind.get(ast.ScoreDecl, [])}
    scores = []
    for score in model.scores.values():
        node = score_nodes[score.name]
        score_rows: list[ScoreRow] = []
        for number, (rule, rule_node) in enumerate(zip(score.rules, node.rules, strict=True), start=1):
            cap = None
            if isinstance(rule, (m.PerEventRule, m.PerFieldRule)) and rule.cap is not None:
                cap = f"at most {format_number(rule.cap)} points"
            score_rows.append(ScoreRow(number, rule.label, _points(rule.points), rule_words(rule, hints), cap,
                                 comments.note(rule_node)))
        scores.append(ScoreDoc(score.name, _bounds(score), tuple(score_rows), comments.notes(node)))

    band_nodes = {b.name.name: b for b in by_kind.get(ast.BandDecl, [])}
    bands = []
    for band in model.bands.values():
        node = band_nodes[band.name]
        band_rows = [_band_row(band, entry, comments.note(entry_node))
                for entry, entry_node in zip(band.entries, node.entries, strict=True)]
        bands.append(BandDoc(band.name, band.score, tuple(band_rows), _band_gaps(band), comments.notes(node)))

    disqualify_nodes = by_kind.get(ast.Disqualify, [])
    disqualifiers = tuple(
        DisqualifierRow(d.code, d.reason, _applies(d, model), condition_words(d.condition, hints),
                        comments.note(node))
        for d, node in zip(model.disqualifiers, disqualify_nodes, strict=True)
    )

    route_nodes = {r.stage.name: r for r in by_kind.get(ast.RouteDecl, [])}
    routes = []
    for stage in (*model.stages, m.DISQUALIFIED):
        route = model.routes.get(stage)
        if route is None:
            continue
        node = route_nodes[stage]
        entry_nodes = list(node.entries)
        route_rows: list[RouteRow] = []
        for entry in route.entries:
            entry_node = next(n for n in entry_nodes if n.span == entry.span)
            route_rows.append(RouteRow(entry.target, condition_words(entry.condition, hints) if entry.condition else "",
                                 comments.note(entry_node)))
        if route.otherwise is not None:
            other_node = next(n for n in entry_nodes if n.span == route.otherwise.span)
            route_rows.append(RouteRow(route.otherwise.target, None, comments.note(other_node)))
            fallback = ""
        else:
            fallback = "A lead that matches no entry gets no route."
        routes.append(RouteDoc(stage, tuple(route_rows), fallback, comments.notes(node)))
    routed = {r.stage for r in routes}
    # Disqualified is a stage a lead can end in only when a global disqualifier exists
    endings = (*model.stages, m.DISQUALIFIED) if model.global_disqualifiers else model.stages
    unrouted = tuple(s for s in endings if s not in routed) if routes else ()

    crm_nodes = {c.name.name: c for c in by_kind.get(ast.CrmDecl, [])}
    crm = tuple(
        CrmDoc(mapping.name, mapping.property,
               tuple((e.stage.name, e.value.value, comments.note(e)) for e in crm_nodes[mapping.name].entries),
               comments.notes(crm_nodes[mapping.name]))
        for mapping in model.crm.values())

    condition_nodes = {c.name.name: c for c in by_kind.get(ast.ConditionDecl, [])}
    conditions = tuple(NamedDoc(c.name, condition_words(c.expr, hints), comments.notes(condition_nodes[c.name]))
                       for c in model.conditions.values())
    list_nodes = {n.name.name: n for n in by_kind.get(ast.ListDecl, [])}
    lists = tuple(NamedDoc(name, ", ".join(show_value(v) for v in values), comments.notes(list_nodes[name]))
                  for name, values in model.lists.items())
    field_nodes = {f.name.name: f for f in by_kind.get(ast.FieldDecl, [])}
    fields = tuple(_field_row(f, comments.note(field_nodes[f.name])) for f in model.fields.values())
    event_nodes = {e.name.name: e for e in by_kind.get(ast.EventDecl, [])}
    events = tuple(NamedDoc(name, "", comments.notes(event_nodes[name])) for name in model.events)

    test_nodes = {t.span: t for t in by_kind.get(ast.TestDecl, [])}
    examples = []
    for number, case in enumerate(model.tests, start=1):
        test_node = test_nodes.get(case.span)
        notes = comments.notes(test_node) if test_node is not None else ()
        expects = tuple((key, _json(value)) for key, value, _ in case.expects)
        ran = next((r for r in case_results if r.case is case), None)
        examples.append(ExampleDoc(number, case.name, case.as_of, _lead_json(case), expects, notes,
                                   _result(ran) if ran is not None else None,
                                   ran.passed if ran is not None else None))

    findings_rows = tuple(
        FindingRow(d.span.line, d.span.column, d.code, d.level.value, d.message)
        for d in sorted(findings, key=lambda d: (d.span.line, d.span.column, d.code, d.message))
    )
    return Document(
        file_name=file_name,
        name=model.name,
        version=model.version,
        owner=model.owner,
        description=model.description,
        intro=intro,
        stages=tuple(stages),
        stages_notes=comments.notes(stages_decl) if stages_decl is not None else (),
        has_global_disqualifiers=bool(model.global_disqualifiers),
        handoff=model.handoff,
        handoff_declared=model.handoff_span is not None,
        handoff_guards=_guards(model),
        handoff_notes=comments.notes(handoff_decl) if handoff_decl is not None else (),
        scores=tuple(scores),
        bands=tuple(bands),
        disqualifiers=disqualifiers,
        routes=tuple(routes),
        unrouted=unrouted,
        conditions=conditions,
        lists=lists,
        fields=fields,
        events=events,
        examples=tuple(examples),
        findings=findings_rows,
        crm=crm,
    )

"""The formatter: AST + comments → the one canonical layout of a rule file.

Layout decisions:
- 4-space indents inside score, band, route, crm and test blocks.
- Top-level statements fall into groups (header, fields, events, lists, conditions,
  disqualifiers, funnel); a blank line separates two groups and surrounds every block.
  A single blank line the author put between two statements of one group is kept.
- Expressions are printed with canonical spacing and only the parentheses that
  precedence needs (the AST keeps no parentheses of its own), plus parentheses
  around `and` inside `or`, which readers should not have to resolve.
- Own-line comments stay before the statement or block entry that follows them;
  trailing comments stay at the end of their statement's line. A statement that is
  joined onto one line keeps the trailing comments of all its lines at the end of that
  line, in source order (so a `# noqa` on the first line of a statement still applies
  to it), and moves its own-line comments above it.
- A `lead {...}` literal that does not fit in `MAX_WIDTH` columns is packed
  canonically: top-level pairs filled onto lines aligned after the brace, and a long
  array value with one item per line aligned after its bracket.

The result is idempotent: formatting formatted text changes nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from leadrules.source import SourceFile
from leadrules.syntax import ast

__all__ = ["format_module", "format_expr", "quote", "MAX_WIDTH", "INDENT"]

MAX_WIDTH = 88
INDENT = "    "

_ESCAPE_OUT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}


def quote(text: str) -> str:
    """A string literal for `text`, escaped so that the lexer reads back exactly `text`."""
    out: list[str] = []
    for char in text:
        if char in _ESCAPE_OUT:
            out.append(_ESCAPE_OUT[char])
        elif unicodedata.category(char) in ("Cc", "Cs") or char in ("\u2028", "\u2029", "\x85"):
            # control characters and lone surrogates are invisible or unencodable: spell them out
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _number(value: Decimal) -> str:
    return format(value, "f")


# ---- expressions -----------------------------------------------------------

# Binding strength, loosest first; an operand printed where a tighter form is required
# gets parentheses.
_OR, _AND, _NOT, _PREDICATE, _SUM, _PRODUCT, _UNARY, _PRIMARY = range(1, 9)


def _strength(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Or):
        return _OR
    if isinstance(expr, ast.And):
        return _AND
    if isinstance(expr, ast.Not):
        return _NOT
    if isinstance(expr, (ast.Compare, ast.Between, ast.InList, ast.TextTest, ast.Presence)):
        return _PREDICATE
    if isinstance(expr, ast.Sum):
        return _SUM
    if isinstance(expr, ast.Product):
        return _PRODUCT
    if isinstance(expr, ast.Negate):
        return _UNARY
    if isinstance(expr, ast.Number) and expr.value.is_signed():
        return _UNARY  # printed with a leading '-'
    return _PRIMARY


def _operand(expr: ast.Expr, at_least: int) -> str:
    text = format_expr(expr)
    return f"({text})" if _strength(expr) < at_least else text


def _window(window: ast.Duration | None) -> str:
    if window is None:
        return ""
    unit = window.unit[:-1] if window.amount == 1 else window.unit  # "1 day", "2 days"
    return f" in last {window.amount} {unit}"


def _list(items: ast.ListRef) -> str:
    if isinstance(items, ast.ListName):
        return items.name
    return "[" + ", ".join(_literal(item) for item in items.items) + "]"


def _literal(item: ast.Number | ast.String) -> str:
    return quote(item.value) if isinstance(item, ast.String) else _number(item.value)


def format_expr(expr: ast.Expr) -> str:
    """One expression on one line, with minimal parentheses."""
    if isinstance(expr, ast.Or):
        # `and` inside `or` keeps its parentheses: precedence makes them optional, but
        # ops readers should not have to know that `and` binds tighter.
        return " or ".join(_operand(op, _NOT) for op in expr.operands)
    if isinstance(expr, ast.And):
        return " and ".join(_operand(op, _NOT) for op in expr.operands)
    if isinstance(expr, ast.Not):
        return "not " + _operand(expr.operand, _NOT)
    if isinstance(expr, ast.Compare):
        return f"{_operand(expr.left, _SUM)} {expr.op} {_operand(expr.right, _SUM)}"
    if isinstance(expr, ast.Between):
        return (f"{_operand(expr.subject, _SUM)} between {_operand(expr.low, _SUM)}"
                f" and {_operand(expr.high, _SUM)}")
    if isinstance(expr, ast.InList):
        keyword = "not in" if expr.negated else "in"
        return f"{_operand(expr.subject, _SUM)} {keyword} {_list(expr.items)}"
    if isinstance(expr, ast.TextTest):
        return f"{_operand(expr.subject, _SUM)} {expr.op} {_operand(expr.pattern, _SUM)}"
    if isinstance(expr, ast.Presence):
        return f"{_operand(expr.subject, _SUM)} is {'present' if expr.present else 'missing'}"
    if isinstance(expr, ast.Sum):
        parts = [_operand(expr.terms[0], _PRODUCT)]
        for sign, term in zip(expr.signs[1:], expr.terms[1:], strict=True):
            parts.append("+" if sign > 0 else "-")
            parts.append(_operand(term, _PRODUCT))
        return " ".join(parts)
    if isinstance(expr, ast.Product):
        return " * ".join(_operand(factor, _UNARY) for factor in expr.factors)
    if isinstance(expr, ast.Negate):
        return "-" + _operand(expr.operand, _UNARY)
    if isinstance(expr, ast.Number):
        return _number(expr.value)
    if isinstance(expr, ast.String):
        return quote(expr.value)
    if isinstance(expr, ast.Bool):
        return "true" if expr.value else "false"
    if isinstance(expr, ast.NameRef):
        return expr.name
    if isinstance(expr, ast.Attribute):
        return f"{expr.base.name}.{expr.attribute.name}"
    if isinstance(expr, ast.HasEvent):
        return f"has {expr.event.name}{_window(expr.window)}"
    if isinstance(expr, ast.CountEvent):
        return f"count({expr.event.name}{_window(expr.window)})"
    raise TypeError(f"not an expression node: {type(expr).__name__}")  # pragma: no cover


# ---- JSON literals -----------------------------------------------------------


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{quote(k)}: {_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    raise TypeError(f"not JSON data: {type(value).__name__}")  # pragma: no cover


def _json_block(value: dict[str, Any], column: int) -> list[str]:
    """A JSON object that starts at 0-based `column`, wrapped canonically when too wide.

    The first line is returned without indentation, the others with their full indentation."""
    one_line = _json(value)
    if column + len(one_line) <= MAX_WIDTH or not value:
        return [one_line]
    inner = column + 1  # pairs line up after the opening brace
    pairs = list(value.items())
    pieces: list[list[str]] = []  # a piece's first line is relative to `inner`, the rest absolute
    for index, (key, item) in enumerate(pairs):
        close = "}" if index == len(pairs) - 1 else ","
        head = quote(key) + ": "
        text = head + _json(item) + close
        if inner + len(text) > MAX_WIDTH and isinstance(item, list) and len(item) > 1:
            rows = [_json(x) for x in item]
            item_pad = " " * (inner + len(head) + 1)
            lines = [head + "[" + rows[0] + ","]
            lines.extend(item_pad + row + "," for row in rows[1:-1])
            lines.append(item_pad + rows[-1] + "]" + close)
            pieces.append(lines)
        else:
            pieces.append([text])
    relative: list[tuple[str, bool]] = []  # (text, already indented)
    current = ""
    for piece in pieces:
        if len(piece) > 1:
            if current:
                relative.append((current, False))
                current = ""
            relative.append((piece[0], False))
            relative.extend((line, True) for line in piece[1:])
            continue
        if current and inner + len(current) + 1 + len(piece[0]) > MAX_WIDTH:
            relative.append((current, False))
            current = piece[0]
        else:
            current = f"{current} {piece[0]}" if current else piece[0]
    if current:
        relative.append((current, False))
    pad = " " * inner
    lines = ["{" + relative[0][0]]
    lines.extend(text if indented else pad + text for text, indented in relative[1:])
    return lines


# ---- statements --------------------------------------------------------------


def _points(value: Decimal) -> str:
    return ("-" if value.is_signed() else "+") + _number(abs(value))


def _label(label: ast.Ident | None) -> str:
    return "" if label is None else f"{label.name}: "


def _field_type(kind: ast.FieldType) -> str:
    if kind.kind == "choice":
        return "one of [" + ", ".join(quote(c.value) for c in kind.choices) + "]"
    text = kind.kind
    if kind.low is not None and kind.high is not None:
        text += f" in {_number(kind.low.value)}..{_number(kind.high.value)}"
    return text


def _score_options(score: ast.ScoreDecl) -> str:
    order = list(score.options_order) or ["min", "max"]
    values = {"min": score.minimum, "max": score.maximum}
    parts = []
    for key in order:
        bound = values[key]
        if bound is not None:
            parts.append(f"{key} {_number(bound.value)}")
    return f" ({', '.join(parts)})" if parts else ""


def _rule(rule: ast.IfRule | ast.PerRule) -> str:
    if isinstance(rule, ast.IfRule):
        return f"{_label(rule.label)}{_points(rule.points)} if {format_expr(rule.condition)}"
    cap = "" if rule.cap is None else f" (max {_number(rule.cap)})"
    return f"{_label(rule.label)}{_points(rule.points)} per {rule.source.name}{_window(rule.window)}{cap}"


def _band_entry(entry: ast.BandEntry) -> str:
    text = quote(entry.label.value)
    if entry.low is not None:
        text += f" from {_number(entry.low.value)}"
    if entry.high is not None:
        text += f" to {_number(entry.high.value)}"
    return text


def _route_entry(entry: ast.RouteEntry) -> str:
    if entry.condition is None:
        return f"otherwise to {quote(entry.target.value)}"
    return f"to {quote(entry.target.value)} if {format_expr(entry.condition)}"


def _crm_entry(entry: ast.CrmEntry) -> str:
    return f"{entry.stage.name} -> {quote(entry.value.value)}"


def _test_item(item: ast.AsOf | ast.LeadLiteral | ast.Expect) -> list[str]:
    if isinstance(item, ast.AsOf):
        return [f"as of {quote(item.value.value)}"]
    if isinstance(item, ast.Expect):
        return [f"expect {item.key.name} == {_json(item.value)}"]
    body = _json_block(item.value, len(INDENT) + len("lead "))
    return ["lead " + body[0], *body[1:]]


def _simple(statement: ast.Statement) -> str:
    if isinstance(statement, ast.RulesetDecl):
        return f"ruleset {quote(statement.name.value)} version {quote(statement.version.value)}"
    if isinstance(statement, ast.TestsFor):
        return f"tests for {quote(statement.path.value)}"
    if isinstance(statement, ast.Owner):
        return f"owner {quote(statement.value.value)}"
    if isinstance(statement, ast.Description):
        return f"description {quote(statement.value.value)}"
    if isinstance(statement, ast.FieldDecl):
        optional = " optional" if statement.optional else ""
        return f"field {statement.name.name}: {_field_type(statement.type)}{optional}"
    if isinstance(statement, ast.EventDecl):
        return f"event {statement.name.name}"
    if isinstance(statement, ast.ListDecl):
        return f"list {statement.name.name} = {_list(statement.items)}"
    if isinstance(statement, ast.ConditionDecl):
        return f"condition {statement.name.name} = {format_expr(statement.condition)}"
    if isinstance(statement, ast.Disqualify):
        reason = "" if statement.reason is None else " " + quote(statement.reason.value)
        at = "" if statement.at is None else f" at {statement.at.name}"
        return f"disqualify {statement.code.name}{reason}{at} if {format_expr(statement.condition)}"
    if isinstance(statement, ast.StagesDecl):
        return "stages " + " -> ".join(name.name for name in statement.names)
    if isinstance(statement, ast.Handoff):
        return f"handoff {statement.stage.name}"
    if isinstance(statement, ast.StageCriterion):
        return f"stage {statement.stage.name} if {format_expr(statement.condition)}"
    raise TypeError(f"not a simple statement: {type(statement).__name__}")  # pragma: no cover


def _header(statement: ast.ScoreDecl | ast.BandDecl | ast.RouteDecl | ast.CrmDecl | ast.TestDecl) -> str:
    if isinstance(statement, ast.ScoreDecl):
        return f"score {statement.name.name}{_score_options(statement)}:"
    if isinstance(statement, ast.BandDecl):
        return f"band {statement.name.name} of {statement.score.name}:"
    if isinstance(statement, ast.RouteDecl):
        return f"route {statement.stage.name}:"
    if isinstance(statement, ast.CrmDecl):
        return f"crm {statement.name.name} {quote(statement.property.value)}:"
    return f"test {quote(statement.name.value)}:"


_Block = (ast.ScoreDecl, ast.BandDecl, ast.RouteDecl, ast.CrmDecl, ast.TestDecl)

_GROUPS: dict[type, str] = {
    ast.RulesetDecl: "header", ast.TestsFor: "header", ast.Owner: "header", ast.Description: "header",
    ast.FieldDecl: "field", ast.EventDecl: "event", ast.ListDecl: "list", ast.ConditionDecl: "condition",
    ast.Disqualify: "disqualify", ast.StagesDecl: "funnel", ast.Handoff: "funnel", ast.StageCriterion: "funnel",
}


def _entry_lines(entry: ast.Node) -> list[str]:
    if isinstance(entry, (ast.IfRule, ast.PerRule)):
        return [_rule(entry)]
    if isinstance(entry, ast.BandEntry):
        return [_band_entry(entry)]
    if isinstance(entry, ast.RouteEntry):
        return [_route_entry(entry)]
    if isinstance(entry, ast.CrmEntry):
        return [_crm_entry(entry)]
    if isinstance(entry, (ast.AsOf, ast.LeadLiteral, ast.Expect)):
        return _test_item(entry)
    raise TypeError(f"not a block entry: {type(entry).__name__}")  # pragma: no cover


# ---- comments ----------------------------------------------------------------


@dataclass
class _Trivia:
    """Comments attached to one statement or entry."""

    leading: list[ast.Comment] = field(default_factory=list)
    trailing: list[ast.Comment] = field(default_factory=list)
    header_trailing: list[ast.Comment] = field(default_factory=list)  # blocks: on the header line
    tail: list[ast.Comment] = field(default_factory=list)  # blocks: indented, after the last entry


class _Layout:
    def __init__(self, module: ast.Module, source: SourceFile) -> None:
        self.module = module
        self.source = source
        self.trivia: dict[int, _Trivia] = {}
        self.end_comments: list[ast.Comment] = []
        self._attach(module.comments)

    def of(self, node: ast.Node) -> _Trivia:
        return self.trivia.setdefault(id(node), _Trivia())

    # -- attaching comments to nodes
    def _attach(self, comments: Sequence[ast.Comment]) -> None:
        statements = self.module.statements
        position = 0
        for comment in sorted(comments, key=lambda c: (c.span.line, c.span.column)):
            line = comment.span.line
            while position < len(statements) and statements[position].span.end_line < line:
                position += 1
            if position < len(statements) and statements[position].span.line <= line:
                self._attach_inside(statements[position], comment)
                continue
            previous = statements[position - 1] if position > 0 else None
            if (
                previous is not None
                and isinstance(previous, _Block)
                and comment.span.column > 1
                and self._only_indented_comments_between(previous, line)
            ):
                self.of(previous).tail.append(comment)
            elif position < len(statements):
                self.of(statements[position]).leading.append(comment)
            else:
                self.end_comments.append(comment)

    def _only_indented_comments_between(self, block: ast.Statement, line: int) -> bool:
        for comment in self.module.comments:
            if block.span.end_line < comment.span.line < line and comment.span.column == 1:
                return False
        return True

    def _attach_inside(self, statement: ast.Statement, comment: ast.Comment) -> None:
        line = comment.span.line
        entries = ast.block_entries(statement)
        if not entries:
            self._attach_to(statement, comment)
            return
        if line == statement.span.line or (not comment.own_line and line < entries[0].span.line):
            # the header line, or a continuation of a header written over several lines
            self.of(statement).header_trailing.append(comment)
            return
        for entry in entries:
            if entry.span.line <= line <= entry.span.end_line:
                self._attach_to(entry, comment)
                return
            if entry.span.line > line:
                self.of(entry).leading.append(comment)
                return
        self.of(statement).tail.append(comment)  # pragma: no cover - spans end at the last entry

    def _attach_to(self, node: ast.Node, comment: ast.Comment) -> None:
        # a comment after code on any line of the node stays trailing: the node's first line is
        # where findings (and the noqa comments silencing them) point, and joining lines must not move it away
        if not comment.own_line and node.span.line <= comment.span.line <= node.span.end_line:
            self.of(node).trailing.append(comment)
        else:
            self.of(node).leading.append(comment)

    # -- blank lines the author wrote
    def blank_between(self, after_line: int, before_line: int) -> bool:
        return any(not self.source.line_text(n).strip() for n in range(after_line + 1, before_line))

    # -- printing
    def render(self) -> str:
        out: list[str] = []
        previous: ast.Statement | None = None
        previous_end = 0
        for statement in self.module.statements:
            trivia = self.of(statement)
            needs_break = previous is not None and self._group_break(previous, statement)
            previous_end = self._emit_leading(out, trivia.leading, statement, "", previous_end, needs_break,
                                              allow_blank=True)
            if isinstance(statement, _Block):
                self._emit_block(out, statement)
                previous_end = max([statement.span.end_line] + [c.span.line for c in self.of(statement).tail])
            else:
                out.append(self._with_trailing(_simple(statement), trivia.trailing))
                previous_end = statement.span.end_line
            previous = statement
        for index, comment in enumerate(self.end_comments):
            after = previous_end if index == 0 else self.end_comments[index - 1].span.line
            if out and self.blank_between(after, comment.span.line):
                out.append("")
            out.append(comment.text)
        return "\n".join(out) + "\n" if out else ""

    @staticmethod
    def _group_break(previous: ast.Statement, statement: ast.Statement) -> bool:
        if isinstance(previous, _Block) or isinstance(statement, _Block):
            return True
        return _GROUPS[type(previous)] != _GROUPS[type(statement)]

    def _emit_leading(
        self,
        out: list[str],
        comments: list[ast.Comment],
        node: ast.Node,
        indent: str,
        previous_end: int,
        required_blank: bool,
        *,
        allow_blank: bool,
    ) -> int:
        """Emit own-line comments and the blank lines before `node`; returns the last source line used."""
        outside = [c for c in comments if c.span.line < node.span.line]
        inside = [c for c in comments if c.span.line >= node.span.line]
        first = True
        for comment in outside:
            blank = self.blank_between(previous_end, comment.span.line) or (first and required_blank)
            if blank and allow_blank and out:
                out.append("")
            out.append(indent + comment.text)
            previous_end = comment.span.line
            first = False
        blank = self.blank_between(previous_end, node.span.line) or (first and required_blank)
        if blank and allow_blank and out:
            out.append("")
        for comment in inside:
            out.append(indent + comment.text)
        return previous_end

    def _with_trailing(self, text: str, trailing: list[ast.Comment]) -> str:
        return text + "".join("  " + c.text for c in trailing)

    def _emit_block(self, out: list[str],
                    statement: ast.ScoreDecl | ast.BandDecl | ast.RouteDecl | ast.CrmDecl | ast.TestDecl) -> None:
        trivia = self.of(statement)
        out.append(self._with_trailing(_header(statement), trivia.header_trailing))
        previous_end = statement.span.line
        for index, entry in enumerate(ast.block_entries(statement)):
            entry_trivia = self.of(entry)
            self._emit_leading(out, entry_trivia.leading, entry, INDENT, previous_end, False, allow_blank=index > 0)
            lines = _entry_lines(entry)
            lines[-1] = self._with_trailing(lines[-1], entry_trivia.trailing)
            # the first line is relative to the block; wrapped continuation lines carry their own indent
            out.append(INDENT + lines[0])
            out.extend(lines[1:])
            previous_end = entry.span.end_line
        for comment in trivia.tail:
            if self.blank_between(previous_end, comment.span.line):
                out.append("")
            out.append(INDENT + comment.text)
            previous_end = comment.span.line


def format_module(module: ast.Module, source: SourceFile) -> str:
    """The canonical text of a parsed rule file, comments kept in place."""
    return _Layout(module, source).render()

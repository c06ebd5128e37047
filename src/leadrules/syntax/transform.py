"""Lark parse tree → AST. One method per grammar rule; spans from Lark's meta.

The walk over the parse tree is iterative, so long inputs never hit Python's
recursion limit here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from lark import Token, Tree

from leadrules.source import SourceFile, Span
from leadrules.syntax import ast

__all__ = ["AstBuilder", "SyntaxProblem", "unescape", "comment_start", "code_chars", "MAX_DECIMALS", "RESERVED_WORDS"]

MAX_DECIMALS = 6

# Words of the language; they cannot name a declaration (spec section 1: keywords are reserved).
RESERVED_WORDS = frozenset(
    """and as at band between condition contains count crm description disqualify ends event expect false
    field for from handoff has if in is last lead list max min missing not null of one optional or
    otherwise owner per present route ruleset score stage stages starts test tests to true version with
    """.split()
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


class SyntaxProblem(Exception):
    """A syntax error found while building the AST (bad escape, bad number, ...)."""

    def __init__(self, message: str, span: Span, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint


_NUL_HINT = "NUL cannot be carried into SQL text (PostgreSQL refuses it); remove it"


def _hex4(body: str, at: int) -> int | None:
    """The code of a `\\uXXXX` escape starting at `at`, else None."""
    digits = body[at + 2 : at + 6]
    if body[at : at + 2] != "\\u" or len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        return None
    return int(digits, 16)


def unescape(raw: str, span: Span) -> str:
    """The text of a string token. Rule strings end up in generated SQL and in UTF-8 output, so
    a lone surrogate escape and NUL are syntax errors (LR001) at their own position; a high and
    a low surrogate escape written together stand for one character, as in JSON."""
    body = raw[1:-1]
    out: list[str] = []

    def at(index: int, width: int) -> Span:
        # strings never span lines: the body starts one column after the opening quote
        column = span.column + 1 + index
        return Span(span.file, span.line, column, span.line, column + width)

    i = 0
    while i < len(body):
        char = body[i]
        if char == "\0":
            raise SyntaxProblem("NUL is not allowed in a string", at(i, 1), _NUL_HINT)
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        code = _hex4(body, i)
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif code is not None:
            low = _hex4(body, i + 6) if 0xD800 <= code <= 0xDBFF else None
            if low is not None and 0xDC00 <= low <= 0xDFFF:
                out.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
                i += 12
                continue
            if 0xD800 <= code <= 0xDFFF:
                raise SyntaxProblem(
                    f"'{body[i : i + 6]}' is a lone surrogate, not a character",
                    at(i, 6),
                    "write the character itself; one beyond U+FFFF may also be written as a pair "
                    "of escapes, high then low (\\ud83d\\ude00)",
                )
            if code == 0:
                raise SyntaxProblem("NUL is not allowed in a string", at(i, 6), _NUL_HINT)
            out.append(chr(code))
            i += 6
        else:
            raise SyntaxProblem(
                f"unknown escape '\\{nxt}' in string",
                span,
                'strings allow the escapes \\" \\\\ \\n \\t and \\uXXXX',
            )
    return "".join(out)


def code_chars(line: str) -> Iterator[tuple[int, str]]:
    """(index, character) of the characters of `line` outside string literals (quotes excluded);
    strings never span lines, so a line can be scanned on its own."""
    in_string = escaped = False
    for index, char in enumerate(line):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        else:
            yield index, char


def comment_start(line: str) -> int | None:
    """Index of the `#` that starts a comment on `line`, skipping `#` inside strings."""
    first = line.find("#")
    if first < 0 or '"' not in line[:first]:  # most lines: no `#`, or none after a quote
        return None if first < 0 else first
    return next((index for index, char in code_chars(line) if char == "#"), None)


def _number(text: str, span: Span, *, json: bool = False) -> Decimal:
    if not json and ("e" in text or "E" in text):
        raise SyntaxProblem(f"number '{text}' uses an exponent", span, "write the number in plain decimal notation")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the lexer only passes numerals
        raise SyntaxProblem(f"'{text}' is not a number", span) from exc
    if not json and "." in text and len(text.split(".")[1]) > MAX_DECIMALS:
        raise SyntaxProblem(
            f"number '{text}' has more than {MAX_DECIMALS} decimal places", span, f"round it to {MAX_DECIMALS} places"
        )
    return value


class AstBuilder:
    """Builds the AST bottom-up: each parse-tree rule `r` is handled by the method `r(meta, children)`.

    The walk is iterative (no recursion limit) and calls the methods directly, which is several
    times faster than Lark's generic transformers."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.path = source.path
        self._code_lines: dict[int, str] = {}

    def transform(self, tree: Tree[Token]) -> Any:
        # Nodes are built in the order of Lark's `iter_subtrees` (the breadth-first order
        # reversed: deepest level first), so the first SyntaxProblem raised stays the same one.
        # The breadth-first list puts each node's subtrees next to each other (right to left),
        # so a result is found by position, without a table keyed by id().
        order: list[Tree[Token]] = [tree]
        first_subtree: list[int] = []  # per node: the position of its rightmost subtree in `order`
        for node in order:  # `order` grows while it is read
            first_subtree.append(len(order))
            order += [child for child in reversed(node.children) if isinstance(child, Tree)]
        first_subtree.append(len(order))
        results: list[Any] = [None] * len(order)
        leaf = self._leaf
        handlers: dict[str, Any] = {}
        for position in range(len(order) - 1, -1, -1):
            node = order[position]
            start, end = first_subtree[position], first_subtree[position + 1]
            if end - start == len(node.children):  # only subtrees
                children = results[start:end]
                children.reverse()
            else:
                subtree = end - 1  # the leftmost subtree comes last
                children = []
                for child in node.children:
                    if isinstance(child, Tree):
                        children.append(results[subtree])
                        subtree -= 1
                    else:
                        children.append(leaf(child))
            handler = handlers.get(node.data)
            if handler is None:
                handler = handlers[node.data] = getattr(self, node.data)
            results[position] = handler(node.meta, children)
        return results[0]

    def _leaf(self, token: Token) -> Any:
        """Names and strings become AST leaves here (the grammar has no rule for them: a rule per
        name or string would double the parser's work); other tokens pass through."""
        if token.type == "NAME":
            return ast.Ident(self._tok_span(token), str(token))
        if token.type == "STRING":
            span = self._tok_span(token)
            return ast.String(span, unescape(str(token), span))
        return token

    # ---- helpers
    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.path, 1, 1, 1, 1)
        end_line, end_column = meta.end_line, meta.end_column
        if end_line is None:
            # ends on a synthetic layout token; block rules widen this from their last child
            end_line, end_column = meta.line, meta.column
        # a statement's tokens include its line break (and any comment before it); end the
        # span at its last code character instead
        end_line, end_column = self._code_end(meta.line, meta.column, end_line, end_column)
        return Span(self.path, meta.line, meta.column, end_line, end_column)

    def _code(self, line: int) -> str:
        """The text of `line` without its comment."""
        cached = self._code_lines.get(line)
        if cached is None:
            text = self.source.line_text(line)
            start = comment_start(text)
            cached = text if start is None else text[:start]
            self._code_lines[line] = cached
        return cached

    def _code_end(self, line: int, column: int, end_line: int, end_column: int) -> tuple[int, int]:
        if end_line == line:
            code = self._code(line)
            if 1 < end_column <= len(code) + 1 and not code[end_column - 2].isspace():
                return line, max(end_column, column)  # already ends on a code character
        while end_line > line:
            code = self._code(end_line)[: end_column - 1].rstrip()
            if code:
                return end_line, len(code) + 1
            end_line -= 1
            end_column = len(self._code(end_line)) + 1
        code = self._code(end_line)[: end_column - 1].rstrip()
        return end_line, max(len(code) + 1, column)

    def _block_span(self, meta: Any, last: ast.Node) -> Span:
        """A block runs from its header to the end of its last entry."""
        return Span(self.path, meta.line, meta.column, last.span.end_line, last.span.end_column)

    def _tok_span(self, token: Token) -> Span:
        return Span(self.path, token.line or 1, token.column or 1, token.end_line or 1, token.end_column or 1)

    @staticmethod
    def _declared(name: ast.Ident, what: str) -> ast.Ident:
        """A name being declared; reserved words are refused."""
        if name.name in RESERVED_WORDS:
            raise SyntaxProblem(
                f"'{name.name}' is a reserved word and cannot name {what}",
                name.span,
                "the words of the language are reserved; pick another name",
            )
        return name

    @staticmethod
    def _join(a: Span, b: Span) -> Span:
        return Span(a.file, a.line, a.column, b.end_line, b.end_column)

    # ---- leaves
    def signed_number(self, meta: Any, children: list[Token]) -> ast.Number:
        text = "".join(str(c) for c in children)
        span = self._span(meta)
        return ast.Number(span, _number(text, span))

    def number(self, meta: Any, children: list[Token]) -> ast.Number:
        span = self._tok_span(children[0])
        return ast.Number(span, _number(str(children[0]), span))

    def true(self, meta: Any, children: list[Any]) -> ast.Bool:
        return ast.Bool(self._span(meta), True)

    def false(self, meta: Any, children: list[Any]) -> ast.Bool:
        return ast.Bool(self._span(meta), False)

    # ---- header statements
    def start(self, meta: Any, children: list[Any]) -> list[Any]:
        return [c for c in children if isinstance(c, ast.Node)]

    def ruleset_decl(self, meta: Any, c: list[Any]) -> ast.RulesetDecl:
        return ast.RulesetDecl(self._span(meta), c[0], c[1])

    def tests_for_decl(self, meta: Any, c: list[Any]) -> ast.TestsFor:
        return ast.TestsFor(self._span(meta), c[0])

    def owner_decl(self, meta: Any, c: list[Any]) -> ast.Owner:
        return ast.Owner(self._span(meta), c[0])

    def description_decl(self, meta: Any, c: list[Any]) -> ast.Description:
        return ast.Description(self._span(meta), c[0])

    # ---- declarations
    def field_decl(self, meta: Any, c: list[Any]) -> ast.FieldDecl:
        return ast.FieldDecl(self._span(meta), self._declared(c[0], "a field"), c[1], bool(c[2]))

    def optional_flag(self, meta: Any, c: list[Any]) -> bool:
        return bool(c)

    def simple_type(self, meta: Any, c: list[Any]) -> ast.FieldType:
        name: ast.Ident = c[0]
        low = high = None
        if len(c) > 1 and c[1] is not None:
            low, high = c[1]
        return ast.FieldType(self._span(meta), name.name, (), low, high)

    def field_range(self, meta: Any, c: list[Any]) -> tuple[ast.Number, ast.Number]:
        return c[0], c[1]

    def choice_type(self, meta: Any, c: list[Any]) -> ast.FieldType:
        items: ast.ListLiteral = c[0]
        choices: list[ast.String] = []
        for item in items.items:
            if not isinstance(item, ast.String):
                raise SyntaxProblem("`one of` takes a list of strings", item.span, 'quote the value: ["a", "b"]')
            choices.append(item)
        return ast.FieldType(self._span(meta), "choice", tuple(choices))

    def event_decl(self, meta: Any, c: list[Any]) -> ast.EventDecl:
        return ast.EventDecl(self._span(meta), self._declared(c[0], "an event"))

    def list_decl(self, meta: Any, c: list[Any]) -> ast.ListDecl:
        return ast.ListDecl(self._span(meta), self._declared(c[0], "a list"), c[1])

    def condition_decl(self, meta: Any, c: list[Any]) -> ast.ConditionDecl:
        return ast.ConditionDecl(self._span(meta), self._declared(c[0], "a condition"), c[1])

    # ---- scores
    def score_decl(self, meta: Any, c: list[Any]) -> ast.ScoreDecl:
        name = self._declared(c[0], "a score")
        options: list[tuple[str, ast.Number]] = []
        rules: list[ast.IfRule | ast.PerRule] = []
        for item in c[1:]:
            if isinstance(item, list):
                options = item
            elif isinstance(item, (ast.IfRule, ast.PerRule)):
                rules.append(item)
        minimum = maximum = None
        order = []
        for key, value in options:
            if (key == "min" and minimum is not None) or (key == "max" and maximum is not None):
                raise SyntaxProblem(f"'{key}' given twice", value.span)
            order.append(key)
            if key == "min":
                minimum = value
            else:
                maximum = value
        return ast.ScoreDecl(self._block_span(meta, rules[-1]), name, minimum, maximum, tuple(rules), tuple(order))

    def score_options(self, meta: Any, c: list[Any]) -> list[tuple[str, ast.Number]]:
        return list(c)

    def score_option(self, meta: Any, c: list[Any]) -> tuple[str, ast.Number]:
        return str(c[0]), c[1]

    def rule_label(self, meta: Any, c: list[Any]) -> ast.Ident:
        label: ast.Ident = self._declared(c[0], "a rule label")
        return label

    def points(self, meta: Any, c: list[Token]) -> Decimal:
        text = str(c[0]) + str(c[1])
        return _number(text, self._span(meta))

    def cap(self, meta: Any, c: list[Token]) -> Decimal:
        return _number(str(c[0]), self._tok_span(c[0]))

    def if_rule(self, meta: Any, c: list[Any]) -> ast.IfRule:
        label = c[0] if isinstance(c[0], ast.Ident) else None
        rest = c[1:] if label is not None else c
        return ast.IfRule(self._span(meta), label, rest[0], rest[1])

    def per_rule(self, meta: Any, c: list[Any]) -> ast.PerRule:
        label = c[0] if isinstance(c[0], ast.Ident) else None
        rest = c[1:] if label is not None else c
        points, source = rest[0], rest[1]
        window = next((x for x in rest[2:] if isinstance(x, ast.Duration)), None)
        cap = next((x for x in rest[2:] if isinstance(x, Decimal)), None)
        return ast.PerRule(self._span(meta), label, points, source, window, cap)

    def window(self, meta: Any, c: list[Any]) -> ast.Duration:
        amount_token: Token = c[1]
        unit: ast.Ident = c[2]
        span = self._span(meta)
        if "." in str(amount_token) or "e" in str(amount_token).lower():
            raise SyntaxProblem("a duration takes a whole number", self._tok_span(amount_token))
        if unit.name not in ("days", "weeks", "hours", "day", "week", "hour"):
            raise SyntaxProblem(
                f"unknown duration unit '{unit.name}'", unit.span, "write `days`, `weeks` or `hours`"
            )
        name = unit.name if unit.name.endswith("s") else unit.name + "s"
        return ast.Duration(span, int(str(amount_token)), name)

    # ---- bands
    def band_decl(self, meta: Any, c: list[Any]) -> ast.BandDecl:
        entries = tuple(x for x in c[2:] if isinstance(x, ast.BandEntry))
        return ast.BandDecl(self._block_span(meta, entries[-1]), self._declared(c[0], "a band"), c[1], entries)

    def band_entry(self, meta: Any, c: list[Any]) -> ast.BandEntry:
        low = next((x[1] for x in c[1:] if isinstance(x, tuple) and x[0] == "from"), None)
        high = next((x[1] for x in c[1:] if isinstance(x, tuple) and x[0] == "to"), None)
        return ast.BandEntry(self._span(meta), c[0], low, high)

    def band_from(self, meta: Any, c: list[Any]) -> tuple[str, ast.Number]:
        return ("from", c[0])

    def band_to(self, meta: Any, c: list[Any]) -> tuple[str, ast.Number]:
        return ("to", c[0])

    # ---- disqualifiers, stages, routes
    def disqualify_decl(self, meta: Any, c: list[Any]) -> ast.Disqualify:
        code = self._declared(c[0], "a disqualifier code")
        reason = next((x for x in c[1:-1] if isinstance(x, ast.String)), None)
        at = next((x for x in c[1:-1] if isinstance(x, tuple)), None)
        return ast.Disqualify(self._span(meta), code, reason, at[1] if at else None, c[-1])

    def disqualify_at(self, meta: Any, c: list[Any]) -> tuple[str, ast.Ident]:
        return ("at", c[0])

    def stages_decl(self, meta: Any, c: list[Any]) -> ast.StagesDecl:
        return ast.StagesDecl(self._span(meta), tuple(self._declared(name, "a stage") for name in c))

    def handoff_decl(self, meta: Any, c: list[Any]) -> ast.Handoff:
        return ast.Handoff(self._span(meta), c[0])

    def stage_decl(self, meta: Any, c: list[Any]) -> ast.StageCriterion:
        return ast.StageCriterion(self._span(meta), c[0], c[1])

    def route_decl(self, meta: Any, c: list[Any]) -> ast.RouteDecl:
        entries = tuple(x for x in c[1:] if isinstance(x, ast.RouteEntry))
        return ast.RouteDecl(self._block_span(meta, entries[-1]), c[0], entries)

    def route_if(self, meta: Any, c: list[Any]) -> ast.RouteEntry:
        return ast.RouteEntry(self._span(meta), c[0], c[1])

    def route_otherwise(self, meta: Any, c: list[Any]) -> ast.RouteEntry:
        return ast.RouteEntry(self._span(meta), c[0], None)

    # ---- CRM stage mappings
    def crm_decl(self, meta: Any, c: list[Any]) -> ast.CrmDecl:
        entries = tuple(x for x in c[2:] if isinstance(x, ast.CrmEntry))
        return ast.CrmDecl(self._block_span(meta, entries[-1]), self._declared(c[0], "a CRM mapping"), c[1], entries)

    def crm_entry(self, meta: Any, c: list[Any]) -> ast.CrmEntry:
        return ast.CrmEntry(self._span(meta), c[0], c[1])

    # ---- tests
    def test_decl(self, meta: Any, c: list[Any]) -> ast.TestDecl:
        items = tuple(x for x in c[1:] if isinstance(x, (ast.AsOf, ast.LeadLiteral, ast.Expect)))
        return ast.TestDecl(self._block_span(meta, items[-1]), c[0], items)

    def as_of_item(self, meta: Any, c: list[Any]) -> ast.AsOf:
        return ast.AsOf(self._span(meta), c[0])

    def lead_item(self, meta: Any, c: list[Any]) -> ast.LeadLiteral:
        return ast.LeadLiteral(self._span(meta), c[0][1])

    def expect_item(self, meta: Any, c: list[Any]) -> ast.Expect:
        if str(c[1]) != "==":
            raise SyntaxProblem(
                f"expect takes '==', found '{c[1]}'", self._tok_span(c[1]), "write `expect KEY == VALUE`"
            )
        return ast.Expect(self._span(meta), c[0], _json_plain(c[2]))

    # ---- JSON (as ("json", python value) pairs so strings and bools are plain data)
    def json_object(self, meta: Any, c: list[Any]) -> tuple[str, dict[str, Any]]:
        obj: dict[str, Any] = {}
        for pair in c:
            if pair is None:
                continue
            key, value = pair
            obj[key] = value
        return ("json", obj)

    def json_pair(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        key: ast.String = c[0]
        return key.value, _json_plain(c[1])

    def json_array(self, meta: Any, c: list[Any]) -> tuple[str, list[Any]]:
        return ("json", [_json_plain(x) for x in c if x is not None])

    def json_number(self, meta: Any, c: list[Token]) -> tuple[str, Any]:
        text = "".join(str(x) for x in c)
        value = _number(text, self._span(meta), json=True)
        if re.fullmatch(r"-?[0-9]+", text):
            return ("json", int(text))
        return ("json", value)

    def null(self, meta: Any, c: list[Any]) -> tuple[str, None]:
        return ("json", None)

    # ---- expressions
    def or_expr(self, meta: Any, c: list[Any]) -> ast.Or:
        return ast.Or(self._span(meta), tuple(c))

    def and_expr(self, meta: Any, c: list[Any]) -> ast.And:
        return ast.And(self._span(meta), tuple(c))

    def not_op(self, meta: Any, c: list[Any]) -> ast.Not:
        return ast.Not(self._span(meta), c[0])

    def compare(self, meta: Any, c: list[Any]) -> ast.Compare:
        return ast.Compare(self._span(meta), str(c[1]), c[0], c[2])

    def between(self, meta: Any, c: list[Any]) -> ast.Between:
        return ast.Between(self._span(meta), c[0], c[1], c[2])

    def in_list(self, meta: Any, c: list[Any]) -> ast.InList:
        return ast.InList(self._span(meta), c[0], c[1], False)

    def not_in_list(self, meta: Any, c: list[Any]) -> ast.InList:
        return ast.InList(self._span(meta), c[0], c[1], True)

    def text_test(self, meta: Any, c: list[Any]) -> ast.TextTest:
        op = " ".join(str(c[1]).split())
        return ast.TextTest(self._span(meta), op, c[0], c[2])

    def is_missing(self, meta: Any, c: list[Any]) -> ast.Presence:
        return ast.Presence(self._span(meta), c[0], False)

    def is_present(self, meta: Any, c: list[Any]) -> ast.Presence:
        return ast.Presence(self._span(meta), c[0], True)

    def sum(self, meta: Any, c: list[Any]) -> ast.Sum:
        terms = [c[0]]
        signs = [1]
        for i in range(1, len(c), 2):
            signs.append(1 if str(c[i]) == "+" else -1)
            terms.append(c[i + 1])
        return ast.Sum(self._span(meta), tuple(terms), tuple(signs))

    def product(self, meta: Any, c: list[Any]) -> ast.Product:
        return ast.Product(self._span(meta), tuple(c))

    def negate(self, meta: Any, c: list[Any]) -> ast.Expr:
        operand = c[1]
        if str(c[0]) == "+":
            return operand  # type: ignore[no-any-return]
        if isinstance(operand, ast.Number):
            return ast.Number(self._span(meta), -operand.value)
        return ast.Negate(self._span(meta), operand)

    def name_ref(self, meta: Any, c: list[Any]) -> ast.NameRef:
        ident: ast.Ident = c[0]
        return ast.NameRef(ident.span, ident.name)

    def attribute(self, meta: Any, c: list[Any]) -> ast.Attribute:
        base: ast.Ident = c[0]
        return ast.Attribute(self._span(meta), ast.NameRef(base.span, base.name), c[1])

    def has_event(self, meta: Any, c: list[Any]) -> ast.HasEvent:
        return ast.HasEvent(self._span(meta), c[0], c[1] if len(c) > 1 else None)

    def count_event(self, meta: Any, c: list[Any]) -> ast.CountEvent:
        return ast.CountEvent(self._span(meta), c[0], c[1] if len(c) > 1 else None)

    def list_name(self, meta: Any, c: list[Any]) -> ast.ListName:
        ident: ast.Ident = c[0]
        return ast.ListName(ident.span, ident.name)

    def literal_list(self, meta: Any, c: list[Any]) -> ast.ListLiteral:
        return ast.ListLiteral(self._span(meta), tuple(x for x in c if x is not None))


def _json_plain(value: Any) -> Any:
    """Turn AST literal nodes that appear in JSON position into plain JSON data."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "json":
        return value[1]
    if isinstance(value, ast.String):
        return value.value
    if isinstance(value, ast.Bool):
        return value.value
    return value

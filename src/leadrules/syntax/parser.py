"""The cached LALR parser: text → AST, or LR001 diagnostics with readable expectations."""

from __future__ import annotations

import functools
from pathlib import Path

from lark import Lark, Token, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from leadrules.diagnostics import Diagnostic
from leadrules.source import SourceFile, Span
from leadrules.syntax import ast, parser_tables
from leadrules.syntax.gc_pause import gc_paused
from leadrules.syntax.postlex import IndentPostLexer, LayoutError
from leadrules.syntax.transform import AstBuilder, SyntaxProblem, code_chars, comment_start

__all__ = ["parse", "grammar_text"]

_STATEMENT_KINDS = {
    "ruleset": "ruleset header",
    "tests": "`tests for` header",
    "owner": "owner statement",
    "description": "description statement",
    "field": "field declaration",
    "event": "event declaration",
    "list": "list declaration",
    "condition": "condition",
    "score": "score header",
    "band": "band header",
    "disqualify": "disqualifier",
    "stages": "stages statement",
    "handoff": "handoff statement",
    "stage": "stage criterion",
    "route": "route header",
    "crm": "crm header",
    "test": "test header",
    "to": "route entry",
    "otherwise": "route entry",
    "as": "`as of` line",
    "lead": "lead literal",
    "expect": "expect line",
}

_NAMED_TERMINALS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "_NL": "end of line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "$END": "end of file",
    "COMPARE": "a comparison (==, !=, <, <=, >, >=)",
    "SIGN": "'+' or '-'",
    "IN_LAST": "'in last'",
    "STARTS_WITH": "'starts with'",
    "ENDS_WITH": "'ends with'",
    "SCORE_BOUND": "'min' or 'max'",
    "COMMENT": "a comment",
}


def grammar_text() -> str:
    """The grammar shipped in the wheel, or the repository copy in a source checkout."""
    here = Path(__file__).resolve()
    # the installed package's folder, then a source checkout: plain files, found without
    # importlib.resources (whose import costs a tenth of the parser's start-up)
    for candidate in (here.parents[1] / "grammar" / "leadrules.lark", here.parents[3] / "grammar" / "leadrules.lark"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    from importlib import resources  # a package imported from a zip file

    return resources.files("leadrules").joinpath("grammar/leadrules.lark").read_text(encoding="utf-8")


def build_parser(grammar: str) -> Lark:
    """The LALR parser built from the grammar text (the tables computed anew)."""
    return Lark(grammar, parser="lalr", postlex=IndentPostLexer(), propagate_positions=True, maybe_placeholders=False)


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = grammar_text()
    # the shipped tables when they were built from this grammar (a tenth of the time)
    loaded = parser_tables.load(grammar, postlex=IndentPostLexer(), propagate_positions=True)
    return loaded if loaded is not None else build_parser(grammar)


def _readable(name: str, lark: Lark) -> str:
    if name in _NAMED_TERMINALS:
        return _NAMED_TERMINALS[name]
    try:
        pattern = lark.get_terminal(name).pattern
    except KeyError:
        return name.lower()
    if isinstance(pattern, PatternStr):
        return f"'{pattern.value}'"
    return name.lower()


# Tokens that can start a value or condition; when the parser wants any of them, say so in one word.
_VALUE_STARTERS = {"NAME", "NUMBER", "STRING", "LPAR", "SIGN", "COUNT", "HAS", "TRUE", "FALSE", "NOT"}


# Tokens that continue an expression after a value.
_OPERATORS = {"COMPARE", "SIGN", "STAR", "AND", "OR", "BETWEEN", "IN", "NOT", "IS", "TEXT_TEST", "STARTS_WITH",
              "ENDS_WITH"}
# Tokens that start a top-level statement.
_STATEMENT_STARTERS = {"RULESET", "TESTS", "OWNER", "DESCRIPTION", "FIELD", "EVENT", "LIST", "CONDITION", "SCORE",
                       "BAND", "DISQUALIFY", "STAGES", "HANDOFF", "STAGE", "ROUTE", "TEST"}


def _expected_words(expected: set[str], lark: Lark) -> str:
    names = {name for name in expected if name != "COMMENT"}
    lead: list[str] = []
    if {"NAME", "NUMBER", "STRING"} <= names:
        # in value position a line break is never what is missing
        names -= _VALUE_STARTERS | {"_NL"}
        lead.append("a value")
    if {"AND", "OR"} <= names:
        names -= _OPERATORS
        lead.append("an operator")
    if {"FIELD", "EVENT", "SCORE"} <= names:
        names -= _STATEMENT_STARTERS
        lead.append("the start of a statement")
    words = lead + sorted({_readable(name, lark) for name in names})
    if len(words) > 8:
        words = words[:8] + ["..."]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _statement_kind(source: SourceFile, line: int) -> str | None:
    """The kind of statement on `line` (or the nearest line above that starts one)."""
    for candidate in range(line, 0, -1):
        text = source.line_text(candidate).strip()
        if not text or text.startswith("#"):
            continue
        first = text.split()[0].rstrip(":")
        if first in _STATEMENT_KINDS:
            return _STATEMENT_KINDS[first]
        if text[0] in "+-" or ":" in first:
            return "scoring rule"
        if candidate != line and not source.line_text(candidate).startswith(" "):
            return None
    return None


_ENTRY_WORDS = {"EXPECT": "test", "AS": "test", "LEAD": "test", "TO": "route", "OTHERWISE": "route",
                "SIGN": "score"}


_CLOSERS = {"RPAR": "(", "RSQB": "[", "RBRACE": "{"}


def _open_brackets(source: SourceFile, line: int, column: int) -> str:
    """The brackets still open at (line, column), outside strings and comments."""
    stack: list[str] = []
    for number in range(1, line + 1):
        text = source.line_text(number)
        if number == line:
            text = text[: column - 1]
        for _, char in code_chars(text):
            if char == "#":
                break
            if char in "([{":
                stack.append(char)
            elif char in ")]}" and stack:
                stack.pop()
    return "".join(stack)


def _describe_token(token: Token) -> str:
    if token.type == "_NL":
        return "end of line"
    if token.type == "_INDENT":
        return "an indented line"
    if token.type == "_DEDENT":
        return "the end of the block"
    if token.type == "$END":
        return "end of file"
    return f"'{token}'"


# operators of other languages → the leadrules word
_FOREIGN_OPERATORS = {"&&": "and", "||": "or", "&": "and", "|": "or"}


def _common_mistake(error: UnexpectedInput, source: SourceFile, line: int, column: int) -> Diagnostic | None:
    """Mistakes people bring from SQL, Python or spreadsheets, named in words: `=` for `==`,
    `&&`/`||` or `AND`/`OR` for `and`/`or`, single-quoted strings."""
    text = source.line_text(line)
    rest = text[column - 1:]
    if isinstance(error, UnexpectedCharacters):
        for operator, word in _FOREIGN_OPERATORS.items():
            if rest.startswith(operator):
                span = Span(source.path, line, column, line, column + len(operator))
                return Diagnostic("LR001", f"'{operator}' is not an operator; use `{word}`", span,
                                  hint="conditions combine with `and`, `or` and `not`")
        if rest.startswith("'"):
            close = rest.find("'", 1)
            length = close + 1 if close > 0 else 1
            span = Span(source.path, line, column, line, column + length)
            hint = 'write strings in double quotes: "like this"'
            inner = rest[1:close] if close > 0 else ""
            if close > 0 and inner.isprintable() and '"' not in inner and "\\" not in inner:
                hint = f'write "{inner}"'
            return Diagnostic("LR001", "single-quoted string; use double quotes", span, hint=hint)
        return None
    if not isinstance(error, UnexpectedToken):
        return None
    token = error.token
    expected = set(error.accepts or error.expected or ())
    value = str(token)
    span = Span(source.path, line, column, line, column + max(1, len(value)))
    if value == "=" and "COMPARE" in expected:
        return Diagnostic("LR001", "'=' is not a comparison (did you mean `==`?)", span,
                          hint="compare with `==`; a single `=` only follows the name in `condition NAME =` "
                               "and `list NAME =`")
    if token.type == "NAME" and value.lower() in ("and", "or") and value != value.lower() \
            and {"AND", "OR"} & expected:
        word = value.lower()
        return Diagnostic("LR001", f"'{value}' is not an operator; use `{word}`", span,
                          hint="keywords are lower-case: `and`, `or`, `not`")
    return None


def _syntax_diagnostic(error: UnexpectedInput, source: SourceFile) -> Diagnostic:
    lark = _parser()
    line = getattr(error, "line", 1) or 1
    column = getattr(error, "column", 1) or 1
    mistake = _common_mistake(error, source, line, column)
    if mistake is not None:
        return mistake
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream or 0
        char = source.text[position] if position < len(source.text) else ""
        span = Span(source.path, line, column, line, column + 1)
        if char == "\t":
            return Diagnostic("LR001", "tab character", span, hint="indent and separate with spaces only")
        if char == '"':
            return Diagnostic("LR001", "unterminated string", span, hint='close the string with " on the same line')
        allowed = set(error.allowed or ())
        message = f"unexpected character '{char}'"
        if allowed:
            message += f"; expected {_expected_words(allowed, lark)}"
        return Diagnostic("LR001", message, span, hint="check for a typo or a missing quote")
    if isinstance(error, UnexpectedToken):
        token = error.token
        # `accepts` tries each terminal in the parser state: exact, unlike the merged LALR lookahead
        expected = set(error.accepts or error.expected or ())
        if token.type in ("_NL", "$END", "_DEDENT") and token.line is not None:
            line, column = token.line, token.column or 1
        kind = _statement_kind(source, line)
        where = f" the {kind}" if kind else " this statement"
        # LALR lookahead sets are merged across states: only offer a closing bracket that is open
        open_brackets = _open_brackets(source, line, column)
        expected = {name for name in expected if _CLOSERS.get(name, "") in ("", *open_brackets)}
        if open_brackets:
            expected.discard("_NL")  # line breaks inside brackets are not tokens
        wanted = _expected_words(expected, lark)
        if token.type in ("_NL", "$END"):
            message = f"expected {wanted} at the end of{where}"
            length = 1
        elif {"FIELD", "EVENT", "SCORE"} <= expected:
            message = f"{_describe_token(token)} cannot start a statement"
            length = max(1, len(str(token)))
        else:
            message = f"expected {wanted} in{where}, found {_describe_token(token)}"
            length = max(1, len(str(token)))
        hint = None
        if token.type in _ENTRY_WORDS and {"FIELD", "EVENT", "SCORE"} <= expected:
            what = "scoring rules" if token.type == "SIGN" else f"`{token}` lines"
            hint = f"{what} belong inside an indented {_ENTRY_WORDS[token.type]} block"
        elif token.type == "_INDENT":
            hint = "only score, band, route, crm and test blocks take indented lines"
        elif "COLON" in expected and token.type == "_NL" and kind is not None and kind.endswith("header"):
            hint = "a block header ends with ':'"
        span = Span(source.path, line, column, line, column + length)
        return Diagnostic("LR001", message, span, hint=hint)
    if isinstance(error, UnexpectedEOF):
        last = max(1, len(source.line_starts))
        span = Span(source.path, last, 1, last, 1)
        return Diagnostic("LR001", "unexpected end of file", span)
    span = Span(source.path, line, column, line, column + 1)  # pragma: no cover
    return Diagnostic("LR001", str(error).splitlines()[0], span)  # pragma: no cover


def _comments(source: SourceFile) -> tuple[ast.Comment, ...]:
    """Comments are `#` outside strings; strings never span lines, so scan line by line."""
    found: list[ast.Comment] = []
    for index, line in enumerate(source.text.split("\n"), start=1):
        col = comment_start(line)
        if col is not None:
            text = line[col:].rstrip("\r").rstrip()
            span = Span(source.path, index, col + 1, index, col + 1 + len(text))
            found.append(ast.Comment(span, text, own_line=not line[:col].strip()))
    return tuple(found)


def _parse_once(source: SourceFile) -> tuple[ast.Module | None, Diagnostic | None]:
    try:
        tree = _parser().parse(source.text)
        statements = AstBuilder(source).transform(tree)
    except LayoutError as problem:
        span = Span(source.path, problem.line, problem.column, problem.line, problem.column + 1)
        return None, Diagnostic("LR001", problem.message, span, hint=problem.hint)
    except UnexpectedInput as error:
        if isinstance(getattr(error, "__context__", None), LayoutError):  # pragma: no cover
            raise
        return None, _syntax_diagnostic(error, source)
    except SyntaxProblem as problem:
        return None, Diagnostic("LR001", problem.message, problem.span, hint=problem.hint)
    except RecursionError:
        span = Span(source.path, 1, 1, 1, 1)
        return None, Diagnostic("LR001", "the file is nested too deeply to read", span)
    last_line = max(1, len(source.line_starts))
    module_span = Span(source.path, 1, 1, last_line, len(source.line_text(last_line)) + 1)
    return ast.Module(module_span, tuple(statements), _comments(source)), None


# words that start a top-level statement: where parsing resumes after a syntax error
_TOP_LEVEL_WORDS = frozenset({
    "ruleset", "tests", "owner", "description", "field", "event", "list", "condition", "score",
    "band", "disqualify", "stages", "handoff", "stage", "route", "crm", "test",
})
MAX_SYNTAX_ERRORS = 10


def _next_statement_line(source: SourceFile, after: int) -> int | None:
    """The first line after `after` that starts a top-level statement outside any bracket."""
    for number in range(after + 1, len(source.line_starts) + 1):
        text = source.line_text(number)
        word = text.split(maxsplit=1)[0] if text[:1].isalpha() else ""
        if word.rstrip(":") in _TOP_LEVEL_WORDS and not _open_brackets(source, number, 1):
            return number
    return None


def parse(source: SourceFile) -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse one rule file. Returns the module, or None and LR001 diagnostics.

    After a syntax error, parsing resumes at the next top-level statement, so independent
    errors in one file are all reported (at most MAX_SYNTAX_ERRORS)."""
    with gc_paused():  # the collector's passes over the growing tree made parsing superlinear
        return _parse_with_recovery(source)


def _parse_with_recovery(source: SourceFile) -> tuple[ast.Module | None, list[Diagnostic]]:
    module, problem = _parse_once(source)
    if problem is None:
        return module, []
    diagnostics = [problem]
    while len(diagnostics) < MAX_SYNTAX_ERRORS:
        resume = _next_statement_line(source, max(d.span.line for d in diagnostics))
        if resume is None:
            break
        # blank lines in place of what was read keep lines and columns of the rest unchanged
        rest = "\n" * (resume - 1) + source.text[source.line_starts[resume - 1]:]
        _, problem = _parse_once(SourceFile(source.path, rest))
        if problem is None:
            break
        if problem.span.line < resume:  # pragma: no cover - the rest starts with a valid statement
            break
        diagnostics.append(problem)
    return None, diagnostics

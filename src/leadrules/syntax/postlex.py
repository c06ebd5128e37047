"""Indentation post-lexer: turns line breaks into _NL/_INDENT/_DEDENT tokens.

Newlines inside ( ), [ ] and { } are dropped so a statement can span lines
there. Tabs in indentation are rejected (the language is spaces-only), and
bracket nesting is bounded so that a pathological file yields a diagnostic
instead of exhausting the stack in later passes.

Layout tokens are emitted as soon as the line break is read (as Lark's own
Indenter does), because the contextual lexer lexes the next token in the
parser state those tokens lead to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lark import Token

__all__ = ["LayoutError", "IndentPostLexer", "MAX_NESTING"]

MAX_NESTING = 64
_OPEN = {"LPAR", "LSQB", "LBRACE"}
_CLOSE = {"RPAR", "RSQB", "RBRACE"}


@dataclass
class LayoutError(Exception):
    message: str
    line: int
    column: int
    hint: str | None = None


class IndentPostLexer:
    """Keeps no state between calls: every `process` call starts from column 1."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        indents = [0]
        depth = 0
        prefix_run = 0
        after_newline = True  # at file start, leading blank and comment lines are skipped
        last: Token | None = None
        for token in stream:
            if token.type == "_NL":
                if depth > 0 or after_newline:
                    if after_newline and last is None:
                        continue
                    if depth > 0:
                        continue
                    # blank line after a statement's break: the break was already handled
                    continue
                after_newline = True
                yield token
                text = str(token)
                tail = text[text.rfind("\n") + 1 :] if "\n" in text else "#"
                if "#" in tail:
                    continue  # a comment with no line after it: end of file follows
                yield from self._layout(token, tail, indents)
                continue
            after_newline = False
            if token.type in _OPEN:
                depth += 1
                if depth > MAX_NESTING:
                    raise LayoutError(
                        f"brackets nested more than {MAX_NESTING} deep",
                        token.line or 1,
                        token.column or 1,
                        "split the condition into named `condition` statements",
                    )
            elif token.type in _CLOSE:
                depth = max(0, depth - 1)
            if token.type in ("NOT", "SIGN"):
                prefix_run += 1
                if prefix_run > MAX_NESTING:
                    raise LayoutError(
                        f"more than {MAX_NESTING} prefix operators in a row",
                        token.line or 1,
                        token.column or 1,
                        "simplify the expression",
                    )
            else:
                prefix_run = 0
            last = token
            yield token
        if last is not None:
            if not after_newline:
                yield Token("_NL", "\n", line=last.end_line, column=last.end_column)
            while len(indents) > 1:
                indents.pop()
                yield Token("_DEDENT", "", line=last.end_line, column=last.end_column)

    def _layout(self, newline: Token, indentation: str, indents: list[int]) -> Iterator[Token]:
        line = (newline.end_line or 1)
        if "\t" in indentation:
            raise LayoutError("tab in indentation", line, indentation.index("\t") + 1, "indent with spaces only")
        width = len(indentation)
        if width > indents[-1]:
            indents.append(width)
            yield Token("_INDENT", "", line=line, column=width + 1)
            return
        closed = indents[-1]
        while width < indents[-1]:
            closed = indents.pop()
            yield Token("_DEDENT", "", line=line, column=width + 1)
        if width != indents[-1]:
            raise LayoutError(
                "this line's indentation matches no enclosing block",
                line,
                1,
                f"indent by exactly {closed} spaces to stay in the block, or {indents[-1]} to close it",
            )

"""JSON text with exact numbers: Decimal values print in plain notation, never as floats.

The standard `json` module cannot emit a Decimal as a number without passing
through binary floating point, so records are serialised here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from leadrules.values import format_number

__all__ = ["dumps", "loads", "escape_line_breaks", "LINE_BREAK_ESCAPES"]

_encode_string = json.encoder.encode_basestring_ascii

# Characters that JSON lets stand unescaped in a string but that line-splitting readers
# (`str.splitlines`, JavaScript before ES2019, some log shippers) take as the end of a line: a
# JSON Lines record holding one would be cut in two. They are always written as escapes.
LINE_BREAK_ESCAPES = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}
_LINE_BREAK_TABLE = str.maketrans(LINE_BREAK_ESCAPES)


def escape_line_breaks(text: str) -> str:
    """JSON text with U+2028, U+2029 and U+0085 written as `\\u` escapes (they only ever
    occur inside strings, so the text stays the same JSON value)."""
    if text.isascii() or not ("\u2028" in text or "\u2029" in text or "\x85" in text):
        return text
    return text.translate(_LINE_BREAK_TABLE)


def _encode_text(text: str) -> str:
    return escape_line_breaks(json.encoder.encode_basestring(text))


def dumps(value: Any, *, separators: tuple[str, str] = (", ", ": "), ensure_ascii: bool = False) -> str:
    """JSON text of `value`; strings keep their characters (`ensure_ascii` false) except control
    characters and the three line-break characters of `LINE_BREAK_ESCAPES`, which are escaped."""
    item_sep, key_sep = separators
    encode_string = _encode_string if ensure_ascii else _encode_text
    parts: list[str] = []
    # iterative to stay safe on deeply nested input
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Text):
            parts.append(item.text)
        elif item is None:
            parts.append("null")
        elif item is True:
            parts.append("true")
        elif item is False:
            parts.append("false")
        elif isinstance(item, str):
            parts.append(encode_string(item))
        elif isinstance(item, int):
            parts.append(str(item))
        elif isinstance(item, Decimal):
            parts.append(format_number(item))
        elif isinstance(item, float):
            parts.append(format_number(Decimal(repr(item))))
        elif isinstance(item, dict):
            pending: list[Any] = [_Text("{")]
            for index, (key, inner) in enumerate(item.items()):
                if index:
                    pending.append(_Text(item_sep))
                pending.append(_Text(encode_string(str(key)) + key_sep))
                pending.append(inner)
            pending.append(_Text("}"))
            stack.extend(reversed(pending))
        elif isinstance(item, (list, tuple)):
            pending = [_Text("[")]
            for index, inner in enumerate(item):
                if index:
                    pending.append(_Text(item_sep))
                pending.append(inner)
            pending.append(_Text("]"))
            stack.extend(reversed(pending))
        else:
            parts.append(encode_string(str(item)))
    return "".join(parts)


class _Text:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def loads(text: str) -> Any:
    """Parse JSON keeping numbers exact: integers as int, other numbers as Decimal."""
    return json.loads(text, parse_float=Decimal)

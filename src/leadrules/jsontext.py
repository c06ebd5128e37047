"""JSON text with exact numbers: Decimal values print in plain notation, never as floats.

The standard `json` module cannot emit a Decimal as a number without passing
through binary floating point, so records are serialised here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from leadrules.values import format_number

__all__ = ["dumps", "loads"]

_encode_string = json.encoder.encode_basestring_ascii


def dumps(value: Any, *, separators: tuple[str, str] = (", ", ": "), ensure_ascii: bool = False) -> str:
    item_sep, key_sep = separators
    encode_string = _encode_string if ensure_ascii else json.encoder.encode_basestring
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

"""Text from rule files and lead data, made safe to show on a terminal.

A lead id such as `"\\u001b[2J"` would clear the screen of whoever runs `explain`, and a
right-to-left override in a rule string makes the line read differently from what it is. Every
human-readable output (explain, the text and GitHub renderers of diagnostics, `test` output,
error messages on standard error) passes such text through `printable`, which writes each
terminal control character as a visible escape:

* C0 controls U+0000-U+001F, DEL U+007F and C1 controls U+0080-U+009F: `\\n`, `\\r`, `\\t`,
  otherwise `\\xHH` (so ESC is `\\x1b`);
* bidirectional embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069, and lone
  surrogates (which no terminal encoding can write): `\\uHHHH`.

Everything else, other scripts and emoji included, is kept as it is.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every terminal control character written as a visible escape."""
    return _UNSAFE.sub(_escape, text)

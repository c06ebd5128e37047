"""Raw records as the readers yield them, before validation: a leaf module, so that `io`
(which reads them) and `engine.validate` (which turns them into typed values or error
records) share these types without importing each other."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Unparsable", "UnreadableRow", "TypedIdRecord", "CheckedCsvRecord"]


class Unparsable(NamedTuple):
    """An input record that is not JSON at all; readers yield it so it gets its error record."""

    problem: str  # a short parser message


class UnreadableRow(NamedTuple):
    """An input row that could not be read as a record (bytes not in the file's encoding, a
    quote never closed); readers yield it so it gets its error record (field null) in place."""

    message: str


class TypedIdRecord(dict[str, Any]):
    """A CSV record whose declared `id` field holds its typed value (`7` for the cell `007`):
    the output id is `shown_id`, the cell as written."""

    __slots__ = ("shown_id",)

    def __init__(self, values: dict[str, Any], shown_id: str) -> None:
        super().__init__(values)
        self.shown_id = shown_id


class CheckedCsvRecord(dict[str, Any]):
    """A CSV record (its non-empty cells by column, as converted) whose declared fields the
    reader found valid, by the checks validation makes: `field_values` holds what validation
    gives for them (declaration order, None = missing), valid for the model `checked_for`
    only. It has no `events`, and its `id` is text or absent. For any other model, the
    record is validated as any other dict."""

    __slots__ = ("checked_for", "field_values")

    checked_for: Any
    field_values: tuple[Any, ...]

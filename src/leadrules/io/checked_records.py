"""A raw record type that `io` (the CSV reader builds it) and `engine.validate` (which takes
its values as they are) share: a leaf module, so neither imports the other."""

from __future__ import annotations

from typing import Any

__all__ = ["CheckedCsvRecord"]


class CheckedCsvRecord(dict[str, Any]):
    """A CSV record (its non-empty cells by column, as converted) whose declared fields the
    reader found valid, by the checks validation makes: `field_values` holds what validation
    gives for them (declaration order, None = missing), valid for the model `checked_for`
    only. It has no `events`, and its `id` is text or absent. For any other model, the
    record is validated as any other dict."""

    __slots__ = ("checked_for", "field_values")

    checked_for: Any
    field_values: tuple[Any, ...]

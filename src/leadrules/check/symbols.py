"""The one namespace of a ruleset: declarations by name, duplicates (LR005), did-you-mean."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from leadrules.diagnostics import Diagnostic
from leadrules.source import Span
from leadrules.syntax import ast

__all__ = ["Symbol", "SymbolTable", "did_you_mean", "edit_distance", "KIND_WORDS"]

KIND_WORDS = {
    "field": "a field",
    "event": "an event",
    "list": "a list",
    "condition": "a condition",
    "score": "a score",
    "band": "a band",
    "disqualifier": "a disqualifier",
    "stage": "a stage",
}


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
    substitutions and swaps of two neighbouring characters each cost 1, so `SLA` is one
    edit from `SAL`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def did_you_mean(name: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """The closest candidate, or None when none is close. Case is ignored when measuring (`sal`
    finds `SAL`); an exact match but for case wins, then the fewest edits, then the spelling
    difflib finds most alike, then alphabetical order."""
    folded = name.casefold()
    limit = len(name) // 3  # one edit in three characters; none for one- and two-letter names
    best: tuple[int, float, str] | None = None
    for candidate in sorted(set(candidates)):
        if candidate == name:
            continue
        distance = edit_distance(folded, candidate.casefold())
        ratio = difflib.SequenceMatcher(None, folded, candidate.casefold()).ratio()
        if distance > limit and ratio < 0.6:
            continue
        key = (distance, -ratio, candidate)
        if best is None or key < best:
            best = key
    return best[2] if best is not None else None


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    kind: str
    span: Span
    node: ast.Node


@dataclass
class SymbolTable:
    symbols: dict[str, Symbol] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def declare(self, name: ast.Ident, kind: str, node: ast.Node) -> None:
        existing = self.symbols.get(name.name)
        if existing is not None:
            self.diagnostics.append(
                Diagnostic(
                    "LR005",
                    f"duplicate name '{name.name}': already declared as {KIND_WORDS[existing.kind]} "
                    f"on line {existing.span.line}",
                    name.span,
                    hint="every field, event, list, condition, score, band, disqualifier and stage "
                    "shares one namespace; rename one of them",
                )
            )
            return
        self.symbols[name.name] = Symbol(name.name, kind, name.span, node)

    def get(self, name: str) -> Symbol | None:
        return self.symbols.get(name)

    def names_of(self, *kinds: str) -> list[str]:
        return [s.name for s in self.symbols.values() if not kinds or s.kind in kinds]

    def unknown(self, name: str, span: Span, *kinds: str, what: str = "name") -> Diagnostic:
        suggestion = did_you_mean(name, self.names_of(*kinds))
        message = f"unknown {what} '{name}'"
        if suggestion:
            message += f" (did you mean '{suggestion}'?)"
        hint = None if suggestion else f"declare it, e.g. `{_example_for(what, name)}`"
        return Diagnostic("LR002", message, span, hint=hint)


def _example_for(what: str, name: str) -> str:
    if what == "event":
        return f"event {name}"
    if what == "stage":
        return f"stages Lead -> {name}"
    if what == "score":
        return f"score {name}:"
    if what == "list":
        return f'list {name} = ["..."]'
    return f"field {name}: text"

"""The summary `eval -o FILE` prints on stderr: how many records, how many per stage (in funnel
order, Disqualified last), why leads were disqualified or blocked, where they were routed, and
the first invalid records. Both engines count the same output records, so their summaries are
the same text.

Every name in it (stage, code, route target) comes from the rule file and every id or message
from the lead data, so all of them are printed with control and line-break characters escaped.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from leadrules import model as m

__all__ = ["ResultTally", "TallyCounter", "render_summary", "terminal_safe"]

FIRST_INVALID = 3  # invalid records whose messages are shown
TOP_ENTRIES = 8  # reasons, blocked codes and routes shown, most frequent first
NO_ROUTE = "(no route)"
# categories printed as escapes: controls, format characters (bidi overrides), line and
# paragraph separators, surrogates, private use and unassigned code points
_UNSAFE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))


def terminal_safe(text: str) -> str:
    """`text` with every character that could move the cursor, recolour or reorder a terminal
    line written as an escape (`\\n`, `\\x1b`, `\\u202e`)."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for char in text:
        if char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif unicodedata.category(char) in _UNSAFE:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


@dataclass(frozen=True)
class ResultTally:
    """Counts over one run's output records."""

    records: int
    invalid: int
    stages: tuple[tuple[str, int], ...]  # every stage of the funnel, in order, Disqualified last
    reasons: tuple[tuple[str, int], ...]  # most frequent first
    blocked: tuple[tuple[str, int], ...]
    routes: tuple[tuple[str, int], ...]
    first_invalid: tuple[str, ...]  # "record 8 (id "L8"): role: ..." of the first invalid records


class TallyCounter:
    """Accumulates counts record by record (the Python engine, records SQL did not accept) or
    from grouped counts (the DuckDB engine's accepted records)."""

    def __init__(self) -> None:
        self.records = 0
        self.invalid = 0
        self.stages: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.blocked: Counter[str] = Counter()
        self.routes: Counter[str] = Counter()
        self.first_invalid: list[tuple[int, str]] = []

    def add(self, record: Mapping[str, Any], number: int | None = None) -> None:
        """One output record; `number` its position when records do not come in order."""
        self.records += 1
        error = record.get("error")
        if error is not None:
            self.invalid += 1
            position = error.get("record", number or self.records)
            self.first_invalid.append((position, _invalid_line(record, error)))
            self.first_invalid.sort()
            del self.first_invalid[FIRST_INVALID:]
            return
        self.stages[record["stage"]] += 1
        self.reasons.update(record["reasons"])
        self.blocked.update(record["blocked"])
        route = record.get("route")
        self.routes[NO_ROUTE if route is None else route] += 1

    def add_counts(self, records: int, stages: Iterable[tuple[str, int]], reasons: Iterable[tuple[str, int]],
                   blocked: Iterable[tuple[str, int]], routes: Iterable[tuple[str | None, int]]) -> None:
        """Grouped counts of valid records (stage, reason, blocked code, route → how many)."""
        self.records += records
        for name, count in stages:
            self.stages[name] += count
        for name, count in reasons:
            self.reasons[name] += count
        for name, count in blocked:
            self.blocked[name] += count
        for target, count in routes:
            self.routes[NO_ROUTE if target is None else target] += count

    def result(self, model: m.CheckedModel) -> ResultTally:
        funnel = [*model.stages, m.DISQUALIFIED]
        extra = sorted(set(self.stages) - set(funnel))  # none expected; shown rather than dropped
        return ResultTally(
            records=self.records,
            invalid=self.invalid,
            stages=tuple((name, self.stages.get(name, 0)) for name in [*funnel[:-1], *extra, funnel[-1]]),
            reasons=_ranked(self.reasons),
            blocked=_ranked(self.blocked),
            routes=_ranked(self.routes),
            first_invalid=tuple(line for _, line in self.first_invalid),
        )


def _ranked(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _invalid_line(record: Mapping[str, Any], error: Mapping[str, Any]) -> str:
    from leadrules.jsontext import dumps

    lead_id = record.get("id")
    where = f"record {error.get('record')}" + ("" if lead_id is None else f" (id {dumps(lead_id)})")
    return f"{where}: {error.get('message', '')}"  # the message names its field


def _block(title: str, entries: tuple[tuple[str, int], ...], width: int) -> list[str]:
    if not entries:
        return []
    lines = [title]
    lines += [f"  {count:>{width}}  {terminal_safe(name)}" for name, count in entries[:TOP_ENTRIES]]
    if len(entries) > TOP_ENTRIES:
        rest = sum(count for _, count in entries[TOP_ENTRIES:])
        lines.append(f"  {rest:>{width}}  ({len(entries) - TOP_ENTRIES} more)")
    return lines


def render_summary(tally: ResultTally, destination: str | None) -> str:
    """The summary text (ending in a line break) for results written to the file `destination`
    (None: standard output)."""
    width = len(str(tally.records))
    where = "on standard output" if destination is None else f"in {terminal_safe(destination)}"
    head = f"{tally.records} record(s) evaluated, {tally.invalid} invalid; results {where}"
    lines = [head]
    lines += _block("stages:", tally.stages, width)
    lines += _block("disqualified by:", tally.reasons, width)
    lines += _block("blocked by:", tally.blocked, width)
    lines += _block("routes:", tally.routes, width)
    if tally.invalid:
        lines.append(f"invalid records: {tally.invalid}" + (", the first:" if tally.first_invalid else ""))
        lines += [f"  {terminal_safe(line)}" for line in tally.first_invalid]
    return "\n".join(lines) + "\n"

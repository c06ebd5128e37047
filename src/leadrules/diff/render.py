"""`leadrules diff` reports: JSON (the shape of section 11 of the spec), text for a person,
markdown for a pull-request comment, GitHub annotations and SARIF. Every renderer reads the
same `DiffReport` and does no analysis."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from leadrules.diff.impact import Impact, Transitions
from leadrules.diff.semantic import (
    CHANGED,
    EQUIVALENT,
    INCOMPARABLE,
    LOOSER,
    STRICTER,
    UNKNOWN,
    Evidence,
    KeyVerdict,
    SemanticDiff,
    StageSet,
)
from leadrules.jsontext import dumps
from leadrules.textsafe import printable
from leadrules.values import format_timestamp
from leadrules.version import __version__

__all__ = ["DiffReport", "to_json", "RENDERERS", "NO_COMMON_LEAD"]

NO_COMMON_LEAD = ("no lead is valid under both versions, so the other keys are equivalent only "
                  "because there is no lead to compare them on")


@dataclass(frozen=True)
class DiffReport:
    old: str  # how OLD and NEW were named on the command line
    new: str
    new_file: str  # the file NEW's line numbers refer to (github, sarif)
    semantic: SemanticDiff
    impact: Impact | None = None


# ---- JSON ------------------------------------------------------------------------------------


def _witness(evidence: Evidence | None) -> dict[str, Any] | None:
    return None if evidence is None else evidence.witness.to_json()


def _key_json(k: KeyVerdict) -> dict[str, Any]:
    out: dict[str, Any] = {"verdict": k.verdict, "witness": _witness(k.evidence),
                           "old": k.evidence.old if k.evidence else None,
                           "new": k.evidence.new if k.evidence else None}
    if k.evidence is not None and k.evidence.detail is not None:
        out["detail"] = k.evidence.detail
    if k.reason is not None:
        out["reason"] = k.reason
    return out


def _set_json(s: StageSet) -> dict[str, Any]:
    out: dict[str, Any] = {"verdict": s.verdict, "only_old": _witness(s.only_old), "only_new": _witness(s.only_new)}
    # the stages each witness ends in under OLD and NEW, beside the witness
    if s.only_old is not None:
        out["only_old_stages"] = {"old": s.only_old.old, "new": s.only_old.new}
    if s.only_new is not None:
        out["only_new_stages"] = {"old": s.only_new.old, "new": s.only_new.new}
    if s.reason is not None:
        out["reason"] = s.reason
    return out


def _matrix_json(t: Transitions) -> dict[str, Any]:
    return {"changed": t.changed,
            "cells": [{"old": a, "new": b, "count": n, "samples": samples} for a, b, n, samples in t.cells()]}


def _impact_json(impact: Impact) -> dict[str, Any]:
    scores = {}
    for name, change in impact.scores.items():
        largest = None
        if change.largest is not None:
            record_id, old, new = change.largest
            largest = {"id": record_id, "old": old, "new": new, "change": new - old}
        scores[name] = {"changed": change.changed, "largest_change": largest}
    return {
        "as_of": format_timestamp(impact.as_of),
        "records": impact.records,
        "stage": _matrix_json(impact.stage),
        "route": _matrix_json(impact.route),
        "reasons": {"gained": impact.reasons_gained, "lost": impact.reasons_lost},
        "blocked": {"gained": impact.blocked_gained, "lost": impact.blocked_lost},
        "scores": scores,
        "bands": {name: _matrix_json(t) for name, t in impact.bands.items()},
        "validity": {
            "became_invalid": len(impact.became_invalid),
            "became_valid": len(impact.became_valid),
            "invalid_in_both": impact.invalid_both,
            "samples_became_invalid": [{"id": i, "error": e} for i, e in impact.became_invalid[:5]],
            "samples_became_valid": [{"id": i, "error": e} for i, e in impact.became_valid[:5]],
        },
    }


def to_json(report: DiffReport) -> dict[str, Any]:
    semantic: dict[str, Any] = {k.key: _key_json(k) for k in report.semantic.keys}
    if report.semantic.no_common_lead:
        semantic["validity"]["note"] = NO_COMMON_LEAD
    semantic["stage_sets"] = {s.stage: _set_json(s) for s in report.semantic.stage_sets}
    semantic["added"] = list(report.semantic.added)
    semantic["removed"] = list(report.semantic.removed)
    out: dict[str, Any] = {"old": report.old, "new": report.new, "semantic": semantic}
    if report.impact is not None:
        out["impact"] = _impact_json(report.impact)
    return out


def render_json(report: DiffReport) -> str:
    return dumps(to_json(report)) + "\n"


# ---- words -----------------------------------------------------------------------------------


def show(value: Any) -> str:
    """A value as a rule file writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return dumps(value)
    return str(value)


def describe(lead: dict[str, Any]) -> str:
    """'a lead with role "manager", employees 120 and 2 webinar events'."""
    parts = [f"{name} {show(value)}" for name, value in lead.items() if name != "events"]
    counts: dict[str, int] = {}
    for event in lead.get("events", []) if isinstance(lead.get("events"), list) else []:
        kind = str(event.get("type")) if isinstance(event, dict) else "?"
        counts[kind] = counts.get(kind, 0) + 1
    parts.extend(f"{n} {kind} event{'s' if n != 1 else ''}" for kind, n in counts.items())
    if not parts:
        return "a lead with no fields and no events"
    if len(parts) == 1:
        return "a lead with " + parts[0]
    return "a lead with " + ", ".join(parts[:-1]) + " and " + parts[-1]


def _validity_word(valid: Any) -> str:
    return "valid" if valid else "invalid"


def key_sentence(k: KeyVerdict) -> str:
    """One sentence per key, for a person."""
    name = _key_name(k)
    if k.verdict == EQUIVALENT:
        return f"{name} is equivalent."
    if k.verdict == UNKNOWN:
        return f"{name} could not be decided: {k.reason or 'the solver gave up'}."
    e = k.evidence
    assert e is not None
    lead = describe(e.witness.lead)
    if k.kind == "validity":
        text = f"Validity changed: {lead} is {_validity_word(e.old)} under OLD and {_validity_word(e.new)} under NEW"
        return text + (f" ({e.detail})." if e.detail else ".")
    if k.kind == "score":
        return f"Score {k.key} changed: {lead} scores {show(e.new)} (was {show(e.old)})."
    if k.kind == "band":
        return f"Band {k.key} changed: {lead} is now {show(e.new)} (was {show(e.old)})."
    if k.key == "disqualified":
        return f"Disqualification changed: {lead} is {'now' if e.new else 'no longer'} disqualified."
    if k.key == "stage":
        return f"The stage changed: {lead} is now {e.new} (was {e.old})."
    return f"{name} changed: {lead} now gets {show(e.new)} (was {show(e.old)})."


def _key_name(k: KeyVerdict) -> str:
    if k.kind == "score":
        return f"Score {k.key}"
    if k.kind == "band":
        return f"Band {k.key}"
    return {"validity": "Validity", "stage": "The stage", "disqualified": "Disqualified", "reasons": "Reasons",
            "blocked": "Blocked", "route": "The route"}.get(k.key, k.key)


def set_sentences(s: StageSet) -> list[str]:
    """'Stage MQL got looser: a lead with ... is now MQL (was Lead).'"""
    title = "Disqualified" if s.stage == "Disqualified" else f"Stage {s.stage}"
    if s.verdict == UNKNOWN:
        return [f"{title}: could not be decided: {s.reason or 'the solver gave up'}."]
    word = {STRICTER: "got stricter", LOOSER: "got looser", INCOMPARABLE: "changed both ways"}.get(s.verdict)
    if word is None:
        return []
    out = []
    if s.only_new is not None:
        out.append(f"{title} {word}: {describe(s.only_new.witness.lead)} is now {s.only_new.new} "
                   f"(was {s.only_new.old}).")
    if s.only_old is not None:
        out.append(f"{title} {word}: {describe(s.only_old.witness.lead)} is no longer {s.only_old.old} "
                   f"(now {s.only_old.new}).")
    return out


def set_items(s: StageSet) -> list[tuple[str, Evidence | None]]:
    """The sentences of a stage set with the witness each one describes."""
    evidence: list[Evidence | None] = [e for e in (s.only_new, s.only_old) if e is not None]
    sentences = set_sentences(s)
    if not evidence:
        return [(sentence, None) for sentence in sentences]
    return list(zip(sentences, evidence, strict=True))


def verdict_line(report: DiffReport) -> str:
    semantic = report.semantic
    changed = [k.key for k in semantic.keys if k.verdict == CHANGED]
    unknown = [k.key for k in semantic.keys if k.verdict == UNKNOWN]
    if not changed and not unknown:
        line = "No change: every outcome key is equivalent (proved for every lead and as-of instant)."
    elif changed:
        line = f"{len(changed)} outcome key{'s' if len(changed) != 1 else ''} changed: {', '.join(changed)}."
    else:
        line = "No change found."
    if unknown:
        line += f" Undecided: {', '.join(unknown)}."
    if semantic.no_common_lead:
        line += f" Note: {NO_COMMON_LEAD}."
    if semantic.added:
        line += f" Added: {', '.join(semantic.added)}."
    if semantic.removed:
        line += f" Removed: {', '.join(semantic.removed)}."
    return line


def _witness_line(evidence: Evidence) -> str:
    return f"    witness: {dumps(evidence.witness.to_json(), separators=(',', ':'))}"


def render_text(report: DiffReport) -> str:
    semantic = report.semantic
    lines = [f"leadrules diff {report.old} -> {report.new}", "", verdict_line(report), ""]
    for s in semantic.stage_sets:
        for sentence, evidence in set_items(s):
            lines.append(sentence)
            if evidence is not None:
                lines.append(_witness_line(evidence))
    for k in semantic.keys:
        if k.verdict == EQUIVALENT or k.key == "stage":
            if k.key == "stage" and k.verdict == UNKNOWN:
                lines.append(key_sentence(k))
            continue
        lines.append(key_sentence(k))
        if k.evidence is not None:
            lines.append(_witness_line(k.evidence))
    equivalent = [k.key for k in semantic.keys if k.verdict == EQUIVALENT]
    if equivalent and len(equivalent) != len(semantic.keys):
        lines.append(f"Equivalent: {', '.join(equivalent)}.")
    if report.impact is not None:
        lines.append("")
        lines.extend(_impact_text(report.impact))
    return "\n".join(printable(line) for line in lines).rstrip("\n") + "\n"


def _impact_text(impact: Impact) -> list[str]:
    lines = [f"Impact on {impact.records} lead record{'s' if impact.records != 1 else ''} "
             f"(as of {format_timestamp(impact.as_of)}):"]
    for title, t in (("stage", impact.stage), ("route", impact.route)):
        lines.append(f"  {title}: {t.changed} changed")
        for a, b, n, samples in t.cells():
            if a != b:
                lines.append(f"    {show(a)} -> {show(b)}: {n} (e.g. {', '.join(show(i) for i in samples)})")
    for title, codes in (("reasons gained", impact.reasons_gained), ("reasons lost", impact.reasons_lost),
                         ("blocked gained", impact.blocked_gained), ("blocked lost", impact.blocked_lost)):
        if codes:
            lines.append(f"  {title}: " + ", ".join(f"{c} {n}" for c, n in codes.items()))
    for name, change in impact.scores.items():
        if change.largest is None:
            lines.append(f"  score {name}: unchanged")
        else:
            record_id, old, new = change.largest
            lines.append(f"  score {name}: {change.changed} changed; largest change {show(new - old)} "
                         f"({show(old)} -> {show(new)}, id {show(record_id)})")
    for name, t in impact.bands.items():
        lines.append(f"  band {name}: {t.changed} changed")
        for a, b, n, samples in t.cells():
            if a != b:
                lines.append(f"    {show(a)} -> {show(b)}: {n} (e.g. {', '.join(show(i) for i in samples)})")
    if impact.became_invalid or impact.became_valid:
        lines.append(f"  validity: {len(impact.became_invalid)} became invalid, {len(impact.became_valid)} became valid")
        for record_id, error in impact.became_invalid[:5]:
            lines.append(f"    {show(record_id)} now invalid: {error}")
        for record_id, error in impact.became_valid[:5]:
            lines.append(f"    {show(record_id)} now valid (was: {error})")
    return lines


# ---- markdown --------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Text for a markdown table cell or line: no raw HTML, pipes or line breaks."""
    escaped = printable(text)
    for char in ("\\", "`", "*", "_", "|", "<", ">", "[", "]", "#"):
        escaped = escaped.replace(char, "\\" + char)
    return escaped


def render_markdown(report: DiffReport) -> str:
    semantic = report.semantic
    changed = any(k.verdict != EQUIVALENT for k in semantic.keys)
    icon = "⚠️" if changed else "✅"
    lines = [f"### {icon} leadrules diff: {_md(report.old)} → {_md(report.new)}", "", f"**{_md(verdict_line(report))}**", ""]
    sentences = [item for s in semantic.stage_sets for item in set_items(s)]
    sentences += [(key_sentence(k), k.evidence) for k in semantic.keys
                  if k.verdict != EQUIVALENT and (k.key != "stage" or k.verdict == UNKNOWN)]
    for sentence, evidence in sentences:
        lines.append(f"- {_md(sentence)}")
        if evidence is not None:
            # JSON text cannot hold a raw backquote once escaped, so the code block cannot be closed early
            shown = printable(dumps(evidence.witness.to_json())).replace("`", "\\u0060")
            lines.append(f"  <details><summary>witness</summary>\n\n  ```json\n  {shown}\n  ```\n  </details>")
    lines.append("")
    lines.append("| key | verdict |")
    lines.append("|---|---|")
    for k in semantic.keys:
        lines.append(f"| {_md(k.key)} | {k.verdict} |")
    for s in semantic.stage_sets:
        lines.append(f"| stage {_md(s.stage)} | {s.verdict} |")
    if report.impact is not None:
        lines.append("")
        lines.extend(_impact_markdown(report.impact))
    return "\n".join(lines) + "\n"


def _name(value: Any) -> str:
    """A stage, route or band label as a table heading: no route or band is `(none)`."""
    return "(none)" if value is None else str(value)


def _matrix_markdown(t: Transitions, title: str) -> list[str]:
    olds = list(dict.fromkeys(a for a, _, _, _ in sorted(t.cells(), key=lambda c: str(c[0]))))
    news = list(dict.fromkeys(b for _, b, _, _ in sorted(t.cells(), key=lambda c: str(c[1]))))
    lines = [f"| {title}: old ↓ new → | " + " | ".join(_md(_name(b)) for b in news) + " |",
             "|---|" + "---|" * len(news)]
    for a in olds:
        row = []
        for b in news:
            n = t.counts.get((a, b), 0)
            row.append(("**" + str(n) + "**" if a != b and n else str(n)) if n else "")
        lines.append(f"| {_md(_name(a))} | " + " | ".join(row) + " |")
    return lines


def _impact_markdown(impact: Impact) -> list[str]:
    lines = [f"#### Impact on {impact.records} lead records (as of {format_timestamp(impact.as_of)})", ""]
    lines.extend(_matrix_markdown(impact.stage, "stage"))
    lines.append("")
    if impact.route.changed:
        lines.extend(_matrix_markdown(impact.route, "route"))
        lines.append("")
    for line in _impact_text(impact)[1:]:
        lines.append(_md(line.strip()) if not line.startswith("    ") else "  - " + _md(line.strip()))
    return [line if line.startswith(("|", "#", "  -")) or not line else "- " + line for line in lines]


# ---- GitHub annotations and SARIF ------------------------------------------------------------


def _findings(report: DiffReport) -> list[tuple[str, str, int, int]]:
    """(rule id, message, line, column) of each change, at the line of NEW that causes it (the
    file's first line when none can be named)."""
    out = []
    for k in report.semantic.keys:
        if k.verdict == EQUIVALENT or k.key == "stage":
            continue
        line, column = (k.span.line, k.span.column) if k.span is not None else (1, 1)
        out.append((f"diff/{k.key}", key_sentence(k), line, column))
    for s in report.semantic.stage_sets:
        line, column = (s.span.line, s.span.column) if s.span is not None else (1, 1)
        for sentence in set_sentences(s):
            out.append((f"diff/stage/{s.stage}", sentence, line, column))
    return out


def _gh_data(text: str) -> str:
    escaped = text.replace("%", "%25")
    return "%0A".join(printable(part) for part in escaped.split("\n"))


def render_github(report: DiffReport) -> str:
    path = _gh_data(report.new_file).replace(":", "%3A").replace(",", "%2C")
    lines = []
    for rule, message, line, column in _findings(report):
        title = _gh_data(rule).replace(":", "%3A").replace(",", "%2C")
        lines.append(f"::warning file={path},line={line},col={column},title={title}::{_gh_data(message)}")
    lines.append(f"::notice::{_gh_data(verdict_line(report))}")
    return "".join(line + "\n" for line in lines)


def render_sarif(report: DiffReport) -> str:
    findings = _findings(report)
    rule_ids = sorted({rule for rule, _, _, _ in findings})
    results = [{
        "ruleId": rule,
        "ruleIndex": rule_ids.index(rule),
        "level": "warning",
        "message": {"text": message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": PurePath(report.new_file).as_posix()},
            "region": {"startLine": line, "startColumn": column},
        }}],
    } for rule, message, line, column in findings]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "leadrules diff", "version": __version__,
                                "informationUri": "https://github.com/leadrules/leadrules",
                                "rules": [{"id": r, "shortDescription": {"text": f"{r[5:]} changed"}}
                                          for r in rule_ids]}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return dumps(log, separators=(",", ":")) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown,
             "github": render_github, "sarif": render_sarif}

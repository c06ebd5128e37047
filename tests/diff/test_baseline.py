"""`leadrules test --write-baseline FILE --leads LEADS` records decisions; `--baseline FILE`
replays them against a later version and lists every flip (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .helpers import BASE, edit, write

AS_OF = "2026-11-22T00:00:00Z"
WEBINARS = [{"type": "webinar", "at": "2026-11-20T10:00:00Z"}] * 2
LEADS = [
    {"id": "a", "email": "a@b.com", "role": "director", "employees": 150, "events": WEBINARS},
    {"id": "b", "email": "b@b.com", "role": "student", "employees": 150},
    {"id": "c", "email": "c@b.com", "role": "engineer", "employees": 3},
]
# MQL from 2 webinars, students disqualified, engineers no longer a valid role
NEW = edit('"student", "engineer", "manager"', '"student", "manager"',
           edit("engagement >= 30", "engagement >= 20",
                edit("disqualify small", 'disqualify students "Students" if role == "student"\ndisqualify small')))


def _setup(tmp_path: Path) -> tuple[str, str, str]:
    leads = tmp_path / "leads.jsonl"
    leads.write_text("".join(json.dumps(lead) + "\n" for lead in LEADS), encoding="utf-8")
    return write(tmp_path, "old.rules", BASE), write(tmp_path, "new.rules", NEW), str(leads)


def test_write_then_replay_unchanged(run_cli: Any, tmp_path: Path) -> None:
    old, _, leads = _setup(tmp_path)
    baseline = str(tmp_path / "decisions.jsonl")
    written = run_cli("test", old, "--write-baseline", baseline, "--leads", leads, "--as-of", AS_OF)
    assert written.exit_code == 0, written.stderr
    assert written.stdout.splitlines()[-1] == f"baseline {baseline}: 3 lead record(s) recorded (as of {AS_OF})"
    header, first = Path(baseline).read_text(encoding="utf-8").splitlines()[:2]
    assert json.loads(header) == {"leadrules_baseline": 1, "ruleset": "acme", "version": "1", "as_of": AS_OF}
    assert json.loads(first) == {"id": "a", "lead": LEADS[0], "decision": {
        "validity": "valid", "stage": "Lead", "disqualified": False, "reasons": [], "blocked": [], "route": None,
        "fit": 50, "engagement": 20, "grade": "A"}}
    replayed = run_cli("test", old, "--baseline", baseline)
    assert replayed.exit_code == 0
    assert replayed.stdout.splitlines()[-1] == (
        f"baseline {baseline}: 3 lead record(s) replayed as of {AS_OF}, 0 with a changed decision")


def test_replay_lists_every_flip(run_cli: Any, tmp_path: Path) -> None:
    old, new, leads = _setup(tmp_path)
    baseline = str(tmp_path / "decisions.jsonl")
    assert run_cli("test", old, "--write-baseline", baseline, "--leads", leads, "--as-of", AS_OF).exit_code == 0
    replayed = run_cli("test", new, "--baseline", baseline)
    assert replayed.exit_code == 1
    assert replayed.stdout.splitlines()[1:] == [
        f'FLIP "a": stage "Lead" -> "MQL" ({baseline}:2)',
        f'FLIP "b": stage "Lead" -> "Disqualified" ({baseline}:3)',
        f'FLIP "b": disqualified false -> true ({baseline}:3)',
        f'FLIP "b": reasons [] -> ["students"] ({baseline}:3)',
        f'FLIP "c": validity "valid" -> "role: expected one of \\"student\\", \\"manager\\", \\"director\\", '
        f'found \\"engineer\\"" ({baseline}:4)',
        f"baseline {baseline}: 3 lead record(s) replayed as of {AS_OF}, 3 with a changed decision",
    ]
    as_json = json.loads(run_cli("test", new, "--baseline", baseline, "--format", "json").stdout)
    assert as_json["baseline"]["flips"][0] == {"id": "a", "line": 2, "key": "stage", "old": "Lead", "new": "MQL"}


def test_baseline_errors(run_cli: Any, tmp_path: Path) -> None:
    old, new, leads = _setup(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    result = run_cli("test", old, "--baseline", str(bad))
    assert (result.exit_code, result.stderr) == (
        2, f"leadrules: error: {bad}:1: not a leadrules baseline (written by `leadrules test --write-baseline`)\n")
    missing = run_cli("test", old, "--write-baseline", str(tmp_path / "x.jsonl"))
    assert missing.exit_code == 2 and "--write-baseline needs --leads FILE" in missing.stderr
    two = run_cli("test", old, new, "--baseline", str(bad))
    assert two.exit_code == 2 and "take one ruleset" in two.stderr
    stray = run_cli("test", old, "--leads", leads)
    assert stray.exit_code == 2 and "--leads, --events and --as-of go with --write-baseline" in stray.stderr

"""`leadrules diff` on the command line: the JSON shape, exit statuses with --fail-on, git
revisions, errors in one line, and impact numbers equal to two `eval` runs."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from .helpers import BASE, edit, write

LOOSER_MQL = edit("engagement >= 30", "engagement >= 20")


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    return write(tmp_path, "old.rules", BASE), write(tmp_path, "new.rules", LOOSER_MQL)


def test_json_shape(run_cli: Any, pair: tuple[str, str]) -> None:
    old, new = pair
    result = run_cli("diff", old, new, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report) == ["old", "new", "semantic"]
    assert (report["old"], report["new"]) == (old, new)
    semantic = report["semantic"]
    assert list(semantic) == ["validity", "stage", "disqualified", "reasons", "blocked", "route", "fit",
                              "engagement", "grade", "stage_sets", "added", "removed"]
    assert semantic["fit"] == {"verdict": "equivalent", "witness": None, "old": None, "new": None}
    stage = semantic["stage"]
    assert stage["verdict"] == "changed"
    assert list(stage["witness"]) == ["as_of", "lead"]
    assert stage["witness"]["as_of"] == "2026-11-22T00:00:00Z"
    assert (stage["old"], stage["new"]) == ("Lead", "MQL")
    mql = semantic["stage_sets"]["MQL"]
    assert mql["verdict"] == "looser"
    assert mql["only_old"] is None
    assert mql["only_new_stages"] == {"old": "Lead", "new": "MQL"}
    assert semantic["stage_sets"]["SQL"] == {"verdict": "equal", "only_old": None, "only_new": None}
    assert (semantic["added"], semantic["removed"]) == ([], [])


def test_text_says_what_got_looser(run_cli: Any, pair: tuple[str, str]) -> None:
    result = run_cli("diff", *pair)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[2] == "1 outcome key changed: stage."
    looser = [line for line in lines if line.startswith("Stage MQL got looser: a lead with ")]
    assert len(looser) == 1 and looser[0].endswith(" is now MQL (was Lead).")
    assert lines[-1] == "Equivalent: validity, disqualified, reasons, blocked, route, fit, engagement, grade."


@pytest.mark.parametrize(("fail_on", "status"), [
    ("", 0), ("stage", 1), ("route", 0), ("route,stage", 1), ("any", 1), ("fit,grade", 0)])
def test_fail_on_exit_status(run_cli: Any, pair: tuple[str, str], fail_on: str, status: int) -> None:
    args = ["--fail-on", fail_on] if fail_on else []
    assert run_cli("diff", *pair, *args, "--format", "json").exit_code == status


def test_fail_on_any_passes_when_equivalent(run_cli: Any, tmp_path: Path) -> None:
    old = write(tmp_path, "old.rules", BASE)
    new = write(tmp_path, "new.rules", edit("fit >= 40 and engagement >= 30", "engagement >= 30 and fit >= 40"))
    result = run_cli("diff", old, new, "--fail-on", "any")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2] == (
        "No change: every outcome key is equivalent (proved for every lead and as-of instant).")


def test_fail_on_unknown_key_is_usage_error(run_cli: Any, pair: tuple[str, str]) -> None:
    result = run_cli("diff", *pair, "--fail-on", "stages")
    assert result.exit_code == 2
    assert "unknown key 'stages'" in result.stderr


def test_version_that_does_not_check_is_exit_2(run_cli: Any, tmp_path: Path) -> None:
    old = write(tmp_path, "old.rules", BASE)
    new = write(tmp_path, "new.rules", edit("engagement >= 30", "engagment >= 30"))
    result = run_cli("diff", old, new)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "LR002" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"leadrules: error: {new}: the new version does not check (the errors are above)")


def test_missing_file_is_one_line(run_cli: Any, tmp_path: Path) -> None:
    old = write(tmp_path, "old.rules", BASE)
    result = run_cli("diff", old, str(tmp_path / "nope.rules"))
    assert result.exit_code == 2
    assert result.stderr == f"leadrules: error: {tmp_path / 'nope.rules'}: no such file\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    folder = tmp_path / "repo"
    (folder / "rules").mkdir(parents=True)
    write(folder / "rules", "acme.rules", BASE)
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run(["git", "-C", str(folder), "add", "rules/acme.rules"], check=True)
    subprocess.run(["git", "-C", str(folder), *env, "commit", "-q", "-m", "rules"], check=True)
    write(folder / "rules", "acme.rules", LOOSER_MQL)
    monkeypatch.chdir(folder)
    return folder


def test_base_revision_against_working_tree(run_cli: Any, repo: Path) -> None:
    result = run_cli("diff", "--base", "HEAD", "rules/acme.rules", "--format", "json", "--fail-on", "stage")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert (report["old"], report["new"]) == ("HEAD:./rules/acme.rules", "rules/acme.rules")
    assert report["semantic"]["stage_sets"]["MQL"]["verdict"] == "looser"


def test_rev_path_arguments(run_cli: Any, repo: Path) -> None:
    result = run_cli("diff", "HEAD:rules/acme.rules", "rules/acme.rules", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["semantic"]["stage"]["verdict"] == "changed"


def test_bad_revision_is_one_line_error(run_cli: Any, repo: Path) -> None:
    result = run_cli("diff", "nosuchrev:rules/acme.rules", "rules/acme.rules")
    assert result.exit_code == 2
    assert result.stderr.startswith("leadrules: error: nosuchrev:rules/acme.rules: ")
    assert len(result.stderr.splitlines()) == 1


def test_revision_that_looks_like_an_option_is_refused(run_cli: Any, repo: Path) -> None:
    result = run_cli("diff", "--output=x:rules/acme.rules", "rules/acme.rules")
    assert result.exit_code == 2
    assert not (repo / "x").exists()


# ---- impact --------------------------------------------------------------------------------------

IMPACT_NEW = edit('"student", "engineer", "manager"', '"student", "manager"',
                  edit("engagement >= 30", "engagement >= 20",
                       edit('    to "emea" if country in ["GB", "DE"]\n    to "na" if country in ["US"]',
                            '    to "na" if country in ["US", "GB"]\n    to "emea" if country in ["GB", "DE"]',
                            edit("+20 if employees >= 100", "+25 if employees >= 200",
                                 edit('disqualify small', 'disqualify students "Students" if role == "student"\n'
                                                          'disqualify small')))))


def _leads(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        lead: dict[str, Any] = {
            "id": f"L{i}", "email": rng.choice(["a@bigco.com", "b@rival.io", "c@x.org"]),
            "role": rng.choice(["student", "engineer", "manager", "director"]),
            "employees": rng.choice([5, 50, 150, 250, 5000]),
            "events": [{"type": "webinar", "at": f"2026-11-{rng.randint(1, 21):02d}T10:00:00Z"}
                       for _ in range(rng.randint(0, 5))]}
        if rng.random() < 0.7:
            lead["country"] = rng.choice(["GB", "DE", "US", "FR"])
        out.append(lead)
    return out


def _eval(run_cli: Any, rules: str, leads: str, out: Path) -> list[dict[str, Any]]:
    result = run_cli("eval", rules, leads, "--as-of", "2026-11-22T00:00:00Z", "--engine", "python", "-o", str(out), "-q")
    assert result.exit_code in (0, 3), result.stderr
    return [json.loads(line, parse_float=Decimal) for line in out.read_text(encoding="utf-8").splitlines()]


def _matrix(pairs: list[tuple[Any, Any, Any]]) -> list[tuple[Any, Any, int, list[Any]]]:
    counts = Counter((a, b) for a, b, _ in pairs)
    samples: dict[tuple[Any, Any], list[Any]] = {}
    for a, b, record_id in pairs:
        if a != b and len(samples.setdefault((a, b), [])) < 5:
            samples[(a, b)].append(record_id)
    return sorted(((a, b, n, samples.get((a, b), [])) for (a, b), n in counts.items()), key=repr)


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_impact_equals_two_eval_runs(run_cli: Any, tmp_path: Path, engine: str) -> None:
    old = write(tmp_path, "old.rules", BASE)
    new = write(tmp_path, "new.rules", IMPACT_NEW)
    leads_path = tmp_path / "leads.jsonl"
    leads_path.write_text("".join(json.dumps(lead) + "\n" for lead in _leads(300)), encoding="utf-8")
    before = _eval(run_cli, old, str(leads_path), tmp_path / "old.jsonl")
    after = _eval(run_cli, new, str(leads_path), tmp_path / "new.jsonl")
    result = run_cli("diff", old, new, "--leads", str(leads_path), "--as-of", "2026-11-22T00:00:00Z",
                     "--format", "json", "--engine", engine)
    assert result.exit_code == 0, result.stderr
    impact = json.loads(result.stdout, parse_float=Decimal)["impact"]

    both = [(a, b) for a, b in zip(before, after, strict=True) if "error" not in a and "error" not in b]
    assert impact["records"] == 300
    assert impact["validity"]["became_invalid"] == sum("error" not in a and "error" in b
                                                       for a, b in zip(before, after, strict=True))
    assert impact["validity"]["became_invalid"] > 0
    assert impact["validity"]["became_valid"] == 0
    for key in ("stage", "route"):
        got = sorted(((c["old"], c["new"], c["count"], c["samples"]) for c in impact[key]["cells"]), key=repr)
        assert got == _matrix([(a[key], b[key], a["id"]) for a, b in both])
        assert impact[key]["changed"] == sum(a[key] != b[key] for a, b in both)
    assert impact["stage"]["changed"] > 0 and impact["route"]["changed"] > 0
    gained = Counter(c for a, b in both for c in b["reasons"] if c not in a["reasons"])
    lost = Counter(c for a, b in both for c in a["reasons"] if c not in b["reasons"])
    assert impact["reasons"] == {"gained": dict(gained), "lost": dict(lost)}
    assert list(impact["reasons"]["gained"]) == list(gained)
    assert gained["students"] > 0
    for score in ("fit", "engagement"):
        deltas = [(b["scores"][score] - a["scores"][score], a["id"]) for a, b in both
                  if a["scores"][score] != b["scores"][score]]
        assert impact["scores"][score]["changed"] == len(deltas)
        if deltas:
            largest = max(abs(d) for d, _ in deltas)
            assert abs(impact["scores"][score]["largest_change"]["change"]) == largest
            first = next(i for d, i in deltas if abs(d) == largest)
            assert impact["scores"][score]["largest_change"]["id"] == first
        else:
            assert impact["scores"][score]["largest_change"] is None
    got = sorted(((c["old"], c["new"], c["count"], c["samples"]) for c in impact["bands"]["grade"]["cells"]),
                 key=repr)
    assert got == _matrix([(a["bands"]["grade"], b["bands"]["grade"], a["id"]) for a, b in both])


def test_events_need_leads(run_cli: Any, pair: tuple[str, str], tmp_path: Path) -> None:
    result = run_cli("diff", *pair, "--events", str(tmp_path / "e.csv"))
    assert result.exit_code == 2
    assert "--events needs --leads" in result.stderr


def test_base_with_an_absolute_path(run_cli: Any, repo: Path) -> None:
    result = run_cli("diff", "--base", "HEAD", str(repo / "rules" / "acme.rules"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["old"] == "HEAD:./rules/acme.rules"


def test_no_lead_valid_under_both_versions_is_said(run_cli: Any, tmp_path: Path) -> None:
    text = edit("field employees: integer in 1..100000", "field employees: text")
    text = edit("+20 if employees >= 100", '+20 if employees == "big"', text)
    text = edit("at SQL if employees < 10", 'at SQL if employees == "small"', text)
    old, new = write(tmp_path, "old.rules", BASE), write(tmp_path, "new.rules", text)
    result = run_cli("diff", old, new, "--format", "json")
    validity = json.loads(result.stdout)["semantic"]["validity"]
    assert validity["verdict"] == "changed"
    assert validity["note"] == ("no lead is valid under both versions, so the other keys are equivalent only "
                                "because there is no lead to compare them on")
    text_lines = run_cli("diff", old, new).stdout.splitlines()
    assert text_lines[2] == ("1 outcome key changed: validity. Note: no lead is valid under both versions, so the "
                             "other keys are equivalent only because there is no lead to compare them on.")
    assert json.loads(run_cli("diff", old, old, "--format", "json").stdout)["semantic"]["validity"] == {
        "verdict": "equivalent", "witness": None, "old": None, "new": None}

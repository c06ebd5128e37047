"""`eval -o FILE` prints a summary on stderr when stderr is a terminal or with --summary; both
engines give the same text; anything from the lead data or rule file is printed escaped."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from leadrules.io.summary import ResultTally, TallyCounter, render_summary, terminal_safe
from leadrules.workspace import load_file

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "tests" / "fixtures" / "spec_examples"
RULES = EXAMPLES / "projectflow.rules"
LEADS = EXAMPLES / "projectflow.leads.jsonl"
AS_OF = "2026-11-22T00:00:00Z"

PROJECTFLOW_SUMMARY = """\
10 record(s) evaluated, 2 invalid; results in {out}
stages:
   1  Lead
   3  MQL
   2  SQL
   2  Disqualified
disqualified by:
   1  competitor
   1  student
   1  unsubscribed
routes:
   3  (no route)
   3  nurture
   2  sdr-team
invalid records: 2, the first:
  record 8 (id "L8"): role: expected one of "student", "individual", "manager", "director", "vp", "cxo", found "ceo"
  record 9 (id "L9"): employees: required, found nothing
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadrules", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("engine", "fmt"), [("python", "jsonl"), ("python", "csv"), ("duckdb", "jsonl"),
                                             ("duckdb", "csv"), ("duckdb", "parquet")])
def test_summary_of_the_spec_example(tmp_path: Path, engine: str, fmt: str) -> None:
    out = tmp_path / f"results.{fmt}"
    result = run("eval", str(RULES), str(LEADS), "--as-of", AS_OF, "--engine", engine, "--format", fmt,
                 "-o", str(out), "--summary")
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == PROJECTFLOW_SUMMARY.format(out=out)


def test_no_summary_when_stderr_is_not_a_terminal_or_quiet(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    for extra in ([], ["--quiet"]):
        result = run("eval", str(RULES), str(LEADS), "--as-of", AS_OF, "-o", str(out), *extra)
        assert (result.returncode, result.stdout, result.stderr) == (3, "", "")


def test_quiet_and_summary_together_is_a_usage_error(tmp_path: Path) -> None:
    result = run("eval", str(RULES), str(LEADS), "-o", str(tmp_path / "x.jsonl"), "--quiet", "--summary")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "Error: --quiet and --summary exclude each other"


def test_summary_on_a_terminal_without_asking(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    leader, follower = pty.openpty()
    try:
        process = subprocess.run([sys.executable, "-m", "leadrules", "eval", str(RULES), str(LEADS), "--as-of", AS_OF,
                                  "-o", str(out)], stdout=subprocess.PIPE, stderr=follower, timeout=120)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other side is closed: all was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert process.returncode == 3
    assert b"".join(chunks).decode().replace("\r\n", "\n") == PROJECTFLOW_SUMMARY.format(out=out)


def test_both_engines_same_summary_with_blocked_codes(tmp_path: Path) -> None:
    leads = tmp_path / "leads.jsonl"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "gen_leads.py"), "600", str(leads), "--seed", "7"],
                   check=True, capture_output=True)
    summaries = []
    for engine in ("python", "duckdb"):
        result = run("eval", str(REPO / "rulesets" / "fit_engagement.rules"), str(leads), "--as-of", AS_OF,
                     "--engine", engine, "-o", str(tmp_path / "out.jsonl"), "--summary")
        assert result.returncode == 3
        summaries.append(result.stderr)
    assert summaries[0] == summaries[1]
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    blocked = sum(len(r.get("blocked", [])) for r in records)
    assert blocked > 0
    assert "\nblocked by:\n" in summaries[0]
    invalid = sum("error" in r for r in records)
    assert summaries[0].splitlines()[0] == f"600 record(s) evaluated, {invalid} invalid; results in {tmp_path / 'out.jsonl'}"


def test_lead_data_is_escaped_in_the_summary(tmp_path: Path) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_text(json.dumps({"id": "\x1b[31mred\u202e", "role": "\x1b]0;title\x07"}) + "\n")
    result = run("eval", str(RULES), str(leads), "--as-of", AS_OF, "-o", str(tmp_path / "o.jsonl"), "--summary")
    assert result.returncode == 3
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr and "\x07" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        '  record 1 (id "\\u001b[31mred\\u202e"): email: required, found nothing')


def test_counter_and_renderer() -> None:
    model = load_file(RULES).model
    assert model is not None
    counter = TallyCounter()
    counter.add_counts(5, [("MQL", 3), ("Disqualified", 2)], [("student", 2)], [("no_budget", 4)],
                       [(None, 2), ("nurture", 3)])
    counter.add({"id": "x", "stage": "SQL", "reasons": [], "blocked": ["no_budget"], "route": "sdr\nteam"}, 9)
    counter.add({"id": 7, "error": {"record": 4, "field": "role", "message": "role: bad \x1b"}}, 4)
    tally = counter.result(model)
    assert tally == ResultTally(
        records=7, invalid=1, stages=(("Lead", 0), ("MQL", 3), ("SQL", 1), ("Disqualified", 2)),
        reasons=(("student", 2),), blocked=(("no_budget", 5),),
        routes=(("nurture", 3), ("(no route)", 2), ("sdr\nteam", 1)),
        first_invalid=('record 4 (id 7): role: bad \x1b',),
    )
    assert render_summary(tally, "out\x1b.jsonl") == """\
7 record(s) evaluated, 1 invalid; results in out\\x1b.jsonl
stages:
  0  Lead
  3  MQL
  1  SQL
  2  Disqualified
disqualified by:
  2  student
blocked by:
  5  no_budget
routes:
  3  nurture
  2  (no route)
  1  sdr\\nteam
invalid records: 1, the first:
  record 4 (id 7): role: bad \\x1b
"""


def test_long_lists_are_cut_to_one_screen() -> None:
    model = load_file(RULES).model
    assert model is not None
    counter = TallyCounter()
    counter.add_counts(20, [("Lead", 20)], [], [], [(f"r{n:02}", 2 if n < 3 else 1) for n in range(12)])
    text = render_summary(counter.result(model), "o")
    assert text.splitlines()[-10:] == [
        "routes:", "   2  r00", "   2  r01", "   2  r02", "   1  r03", "   1  r04", "   1  r05", "   1  r06",
        "   1  r07", "   4  (4 more)",
    ]


def test_terminal_safe() -> None:
    assert terminal_safe("plain é") == "plain é"
    assert terminal_safe("a\x1bb\nc\u2028d\x85e\U000e0001") == "a\\x1bb\\nc\\u2028d\\x85e\\U000e0001"


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_summary_with_results_on_standard_output(engine: str) -> None:
    result = run("eval", str(RULES), str(LEADS), "--as-of", AS_OF, "--engine", engine, "--summary")
    assert result.returncode == 3
    assert len(result.stdout.splitlines()) == 10
    expected = PROJECTFLOW_SUMMARY.format(out="").replace("; results in \n", "; results on standard output\n")
    assert result.stderr == expected

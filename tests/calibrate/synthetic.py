"""A synthetic sales history with known rule effects, for the calibrate tests and benchmark.

- `icp` (+30 if industry == "saas") doubles the chance of a positive outcome: real lift 2.
- `big` (+20 if employees >= 200) has no effect on the outcome: lift 1.
- The outcome is likely at engagement 40 or more and unlikely below: the SQL threshold written
  as `engagement >= 30` has its best F1 at 40.
- Every lead has demo requests after its `signed_at` too: evaluated without per-lead as-of,
  they would leak into engagement.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path

RULES = """\
ruleset "calibration-demo" version "1"

field signed_at: timestamp
field industry: one of ["saas", "retail", "other"]
field employees: integer optional
field email: email
field country: text optional

event demo_request

list competitors = ["rival.io"]

score fit (min 0, max 100):
    icp: +30 if industry == "saas"
    big: +20 if employees >= 200

score engagement (max 100):
    demo: +10 per demo_request (max 60)

band grade of fit:
    "A" from 40
    "B" to 40

disqualify competitor "Works for a competitor" if email.domain in competitors

stages Lead -> MQL -> SQL
stage MQL if fit >= 20
stage SQL if engagement >= 30

route SQL:
    to "sdr-emea" if country in ["GB", "DE"]
    otherwise to "sdr-global"
"""

START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
WEEKS = 20
HOLDOUT_AFTER = START + dt.timedelta(weeks=14)
REASONS = ("no budget", "bad timing", "wrong contact")


def stamp(instant: dt.datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class History:
    leads: list[dict[str, object]]
    outcomes: list[dict[str, object]]


def generate(count: int, seed: int = 7, *, open_share: float = 0.05, missing_share: float = 0.03,
             unknown_ids: int = 3) -> History:
    rng = random.Random(seed)
    leads: list[dict[str, object]] = []
    outcomes: list[dict[str, object]] = []
    for number in range(1, count + 1):
        signed = START + dt.timedelta(seconds=rng.randrange(WEEKS * 7 * 24 * 3600))
        industry = rng.choice(["saas", "retail", "other"])
        employees = rng.choice([None, 20, 80, 150, 250, 900])
        demos = rng.randrange(7)
        domain = "rival.io" if rng.random() < 0.005 else rng.choice(["acme.com", "bigco.com"])
        events = [{"type": "demo_request", "at": stamp(signed - dt.timedelta(hours=rng.randrange(1, 24 * 30)))}
                  for _ in range(demos)]
        events += [{"type": "demo_request", "at": stamp(signed + dt.timedelta(hours=rng.randrange(1, 24 * 30)))}
                   for _ in range(rng.randrange(1, 4))]
        lead_id = f"L-{number}"
        lead: dict[str, object] = {"id": lead_id, "signed_at": stamp(signed), "industry": industry,
                                   "email": f"p{number}@{domain}", "country": rng.choice(["GB", "US", "DE", None]),
                                   "events": events}
        if employees is not None:
            lead["employees"] = employees
        leads.append(lead)
        roll = rng.random()
        if roll < missing_share:
            continue
        decided = signed + dt.timedelta(days=3)
        if roll < missing_share + open_share:
            outcomes.append({"id": lead_id, "outcome": "working", "decided_at": stamp(decided)})
            continue
        chance = (0.4 if demos >= 4 else 0.04) * (2 if industry == "saas" else 1)
        positive = rng.random() < chance
        row: dict[str, object] = {"id": lead_id, "outcome": rng.choice(["accepted", "won"]) if positive else
                                  rng.choice(["rejected", "lost"]), "decided_at": stamp(decided)}
        if not positive:
            row["reason"] = rng.choice(REASONS)
        outcomes.append(row)
    for extra in range(unknown_ids):
        outcomes.append({"id": f"X-{extra}", "outcome": "won"})
    return History(leads, outcomes)


def write_history(folder: Path, history: History) -> tuple[Path, Path, Path]:
    rules = folder / "demo.rules"
    rules.write_text(RULES)
    leads = folder / "leads.jsonl"
    with leads.open("w") as out:
        for lead in history.leads:
            out.write(json.dumps(lead) + "\n")
    outcomes = folder / "outcomes.jsonl"
    with outcomes.open("w") as out:
        for row in history.outcomes:
            out.write(json.dumps(row) + "\n")
    return rules, leads, outcomes

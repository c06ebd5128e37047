#!/usr/bin/env python3
"""Deterministic sample leads for `benchmarks/eval_bench.rules` (and `make demo`).

    python benchmarks/gen_leads.py N OUT.jsonl [--seed S]

Every lead has the fields of the ruleset and 0-12 events spread over the 120 days before
2026-11-22; about 1 % of the records are invalid on purpose (a bad value or a missing field)
so the error path is measured too. Same N and seed, same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
ROLES = ["student", "individual", "manager", "director", "vp", "cxo"]
INDUSTRIES = ["software", "fintech", "agency", "consulting", "retail", "education", "logistics"]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "NL", "ES", "BR", "IN", "JP"]
DOMAINS = ["acme.com", "bigco.io", "gmail.com", "yahoo.com", "rival.io", "buildco.de", "shop.fr", "uni.edu"]
EVENTS = ["ebook_download", "webinar_attended", "pricing_page_view", "demo_request", "trial_signup", "page_view"]
EVENT_WEIGHTS = [30, 15, 25, 5, 5, 20]


def lead(rng: random.Random, number: int) -> dict[str, object]:
    record: dict[str, object] = {
        "id": f"L{number}",
        "email": f"user{number}@{rng.choice(DOMAINS)}",
        "role": rng.choice(ROLES),
        "industry": rng.choice(INDUSTRIES),
        "employees": rng.choice([3, 12, 45, 80, 250, 900, 1500, 4000, 12000]),
        "country": rng.choice(COUNTRIES),
        "unsubscribed": rng.random() < 0.05,
    }
    if rng.random() < 0.7:
        record["annual_revenue"] = rng.choice([50000, 250000, 2500000, 12500000.5, 80000000])
    if rng.random() < 0.6:
        record["email_clicks_30d"] = rng.randint(0, 9)
    events = []
    for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12])):
        at = AS_OF - dt.timedelta(seconds=rng.randint(-86400, 120 * 86400))
        events.append({"type": rng.choices(EVENTS, EVENT_WEIGHTS)[0], "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    record["events"] = events
    roll = rng.random()
    if roll < 0.005:
        record["employees"] = "many"
    elif roll < 0.01:
        del record["role"]
    return record


def generate(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for number in range(1, count + 1):
            out.write(json.dumps(lead(rng, number)) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.count, args.seed)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Deterministic leads for `benchmarks/peer.rules` (CRM counters, no events).

    python benchmarks/baselines/gen_peer.py N OUT.csv|OUT.jsonl|OUT.parquet [--seed S]

Every lead is valid (the hand-written baselines do not validate), and the values reach every
rule: free-mail and competitor domains in mixed case, addresses without `@` (no domain), an
empty `timeline_months` on about a third of the leads (three-valued logic), revenues with a
fractional part. Same N and seed, same bytes; the format follows the suffix of OUT.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

FIELDS = [
    "lead_id", "email", "industry", "employees", "annual_revenue", "country", "role", "pricing_page_visits",
    "demo_requested", "webinar_attended", "ebook_downloads", "email_clicks_30d", "trial_active",
    "key_feature_activations", "budget_confirmed", "authority", "timeline_months", "is_customer", "unsubscribed",
]
ROLES = ["student", "engineer", "analyst", "manager", "director", "vp", "cxo"]
INDUSTRIES = ["software", "fintech", "healthcare", "manufacturing", "retail", "education", "agency", "logistics"]
COUNTRIES = ["US", "CA", "GB", "IE", "DE", "FR", "NL", "SE", "CH", "AU", "ES", "BR", "IN", "JP", "MX"]
DOMAINS = ["acme.com", "bigco.io", "buildco.de", "shop.fr", "uni.edu", "Gmail.com", "gmail.com", "yahoo.com",
           "outlook.com", "proton.me", "GMX.DE", "rivalcrm.com", "LeadForge.io", "pipelinepro.com", "initech.net"]
EMPLOYEES = [1, 3, 8, 9, 10, 45, 50, 120, 900, 4000, 5000, 5001, 20000, 50000]
REVENUES = [0, 50000, 250000, 2500000, 9999999.99, 10000000, 12500000.5, 80000000]


def lead(rng: random.Random, number: int) -> dict[str, object]:
    domain = rng.choice(DOMAINS)
    email = f"user{number}@{domain}" if rng.random() < 0.98 else f"user{number}"
    return {
        "lead_id": number,
        "email": email,
        "industry": rng.choice(INDUSTRIES),
        "employees": rng.choice(EMPLOYEES),
        "annual_revenue": rng.choice(REVENUES),
        "country": rng.choice(COUNTRIES),
        "role": rng.choice(ROLES),
        "pricing_page_visits": rng.choice([0, 0, 0, 1, 1, 2, 3, 4, 10]),
        "demo_requested": rng.random() < 0.15,
        "webinar_attended": rng.random() < 0.3,
        "ebook_downloads": rng.randint(0, 5),
        "email_clicks_30d": rng.randint(0, 40),
        "trial_active": rng.random() < 0.2,
        "key_feature_activations": rng.randint(0, 12),
        "budget_confirmed": rng.random() < 0.4,
        "authority": rng.random() < 0.5,
        "timeline_months": None if rng.random() < 0.33 else rng.choice([0, 1, 2, 3, 4, 6, 12, 24]),
        "is_customer": rng.random() < 0.05,
        "unsubscribed": rng.random() < 0.04,
    }


def leads(count: int, seed: int = 7) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    for number in range(1, count + 1):
        yield lead(rng, number)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(path: Path, count: int, seed: int = 7) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for record in leads(count, seed):
            writer.writerow([_cell(record[name]) for name in FIELDS])


def write_jsonl(path: Path, count: int, seed: int = 7) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for record in leads(count, seed):
            out.write(json.dumps(record) + "\n")


# Typed Parquet columns, as a warehouse export would have them (revenue as an exact DECIMAL; a
# DOUBLE column is not exact, so the DuckDB engine sends every such record to the Python engine).
PARQUET_TYPES = {
    "lead_id": "BIGINT", "email": "VARCHAR", "industry": "VARCHAR", "employees": "BIGINT",
    "annual_revenue": "DECIMAL(18, 2)", "country": "VARCHAR", "role": "VARCHAR", "pricing_page_visits": "BIGINT",
    "demo_requested": "BOOLEAN", "webinar_attended": "BOOLEAN", "ebook_downloads": "BIGINT",
    "email_clicks_30d": "BIGINT", "trial_active": "BOOLEAN", "key_feature_activations": "BIGINT",
    "budget_confirmed": "BOOLEAN", "authority": "BOOLEAN", "timeline_months": "BIGINT", "is_customer": "BOOLEAN",
    "unsubscribed": "BOOLEAN",
}


def write_parquet(path: Path, count: int, seed: int = 7) -> None:
    import duckdb

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "leads.csv"
        write_csv(source, count, seed)
        columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in PARQUET_TYPES.items()) + "}"
        con = duckdb.connect()
        con.execute(
            f"COPY (SELECT * FROM read_csv(?, header = true, columns = {columns})) TO '{path}' (FORMAT PARQUET)",
            [str(source)],
        )
        con.close()


def generate(path: Path, count: int, seed: int = 7) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(path, count, seed)
    elif suffix == ".jsonl":
        write_jsonl(path, count, seed)
    elif suffix == ".parquet":
        write_parquet(path, count, seed)
    else:
        raise SystemExit(f"error: {path}: the name must end in .csv, .jsonl or .parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.count, args.seed)


if __name__ == "__main__":
    main()

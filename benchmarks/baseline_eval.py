#!/usr/bin/env python3
"""`benchmarks/eval_bench.rules` written by hand: the yardstick for the compiled evaluator.

`evaluate(lead, as_of)` is what a careful developer would write for this one ruleset (same
validation, exact numbers, same output record); running this file is the matching hand-written
JSONL→JSONL script:

    python benchmarks/baseline_eval.py LEADS.jsonl OUT.jsonl --as-of 2026-11-22T00:00:00Z
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal
from typing import Any

UTC = dt.timezone.utc
ROLES = {"student", "individual", "manager", "director", "vp", "cxo"}
DECISION = {"director", "vp", "cxo"}
COMPETITORS = {"rival.io", "othercrm.com", "compete.example"}
FREE_MAIL = {"gmail.com", "yahoo.com", "outlook.com", "hotmail.com"}
TARGET = {"software", "fintech", "agency", "consulting"}
EMEA = {"GB", "DE", "FR", "NL", "ES"}
NA = {"US", "CA"}
DAY = dt.timedelta(days=1)


class Invalid(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _timestamp(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _validate(lead: Any) -> tuple[dict[str, Any], list[tuple[str, dt.datetime]]]:
    if not isinstance(lead, dict):
        raise Invalid(None, "expected a JSON object")
    for name in ("email", "role", "industry", "employees", "country", "unsubscribed"):
        if lead.get(name) is None:
            raise Invalid(name, f"{name}: required, found nothing")
        value = lead[name]
        if name in ("email", "industry", "country") and not isinstance(value, str):
            raise Invalid(name, f"{name}: expected text")
        if name == "role" and value not in ROLES:
            raise Invalid(name, "role: expected one of the roles")
        if name == "employees" and not (_number(value) and value == int(value) and 1 <= value <= 1000000):
            raise Invalid(name, "employees: expected an integer in 1..1000000")
        if name == "unsubscribed" and not isinstance(value, bool):
            raise Invalid(name, "unsubscribed: expected true or false")
    revenue = lead.get("annual_revenue")
    if revenue is not None and not _number(revenue):
        raise Invalid("annual_revenue", "annual_revenue: expected a number")
    clicks = lead.get("email_clicks_30d")
    if clicks is not None and not (_number(clicks) and clicks == int(clicks)):
        raise Invalid("email_clicks_30d", "email_clicks_30d: expected an integer")
    events = []
    raw_events = lead.get("events") or []
    if not isinstance(raw_events, list):
        raise Invalid("events", "events: expected a list")
    for index, event in enumerate(raw_events):
        if not isinstance(event, dict):
            raise Invalid("events", "events: expected a list of objects")
        kind = event.get("type")
        if kind not in ("ebook_download", "webinar_attended", "pricing_page_view", "demo_request", "trial_signup"):
            continue
        at = _timestamp(event.get("at"))
        if at is None:
            raise Invalid("events", f"events[{index}].at: expected a timestamp")
        events.append((kind, at))
    return lead, events


def evaluate(lead: Any, as_of: dt.datetime, record: int = 1) -> dict[str, Any]:
    try:
        values, events = _validate(lead)
    except Invalid as exc:
        lead_id = lead.get("id") if isinstance(lead, dict) and lead.get("id") is not None else record
        return {"id": lead_id, "error": {"record": record, "field": exc.field, "message": exc.message}}
    role, employees, country = values["role"], values["employees"], values["country"]
    revenue, clicks, unsubscribed = values.get("annual_revenue"), values.get("email_clicks_30d"), values["unsubscribed"]
    email = values["email"]
    domain = email.rpartition("@")[2].lower() if "@" in email else None

    ebooks = webinars_90 = webinars = pricing = pricing_30 = pricing_7 = demos_14 = trials = 0
    cut_90, cut_30, cut_14, cut_7 = as_of - 90 * DAY, as_of - 30 * DAY, as_of - 14 * DAY, as_of - 7 * DAY
    for kind, at in events:
        if at > as_of:
            continue
        if kind == "ebook_download":
            ebooks += 1
        elif kind == "webinar_attended":
            webinars += 1
            if at > cut_90:
                webinars_90 += 1
        elif kind == "pricing_page_view":
            pricing += 1
            if at > cut_30:
                pricing_30 += 1
            if at > cut_7:
                pricing_7 += 1
        elif kind == "demo_request":
            if at > cut_14:
                demos_14 += 1
        else:
            trials += 1

    decision_maker = role in DECISION
    fit = 0
    if 50 <= employees <= 5000:
        fit += 30
    if employees > 5000:
        fit += 10
    if decision_maker:
        fit += 25
    if role == "manager":
        fit += 10
    if values["industry"] in TARGET:
        fit += 20
    if revenue is not None and revenue >= 10000000:
        fit += 15
    if domain is not None and domain in FREE_MAIL:
        fit -= 30
    fit = min(max(fit, 0), 100)

    engagement = min(10 * ebooks, 30)
    if webinars_90:
        engagement += 15
    engagement += min(5 * pricing_30, 25)
    if demos_14:
        engagement += 30
    if trials:
        engagement += 20
    if clicks is not None:
        engagement += max(min(2 * clicks, 10), -10)
    if ebooks == 0 and webinars == 0:
        engagement -= 10
    if pricing_7:
        engagement += 5
    engagement = min(engagement, 100)

    grade = "A" if fit >= 70 else "B" if fit >= 40 else "C"
    reasons = []
    if domain is not None and domain in COMPETITORS:
        reasons.append("competitor")
    if role == "student":
        reasons.append("student")
    if unsubscribed:
        reasons.append("unsubscribed")
    blocked = []
    if employees < 5:
        blocked.append("tiny")
    if revenue is not None and revenue < 100000:
        blocked.append("no_budget")

    if reasons:
        stage, route = "Disqualified", "suppression" if unsubscribed else "archive"
    elif not blocked and engagement > 60 and pricing and (decision_maker or fit >= 80):
        stage = "SQL"
        route = ("ae-enterprise" if employees >= 1000 else "sdr-emea" if country in EMEA
                 else "sdr-na" if country in NA else "sdr-global")
    elif engagement >= 30 and grade in ("A", "B"):
        stage, route = "MQL", "nurture-emea" if country in EMEA else "nurture"
    else:
        stage, route = "Lead", None
    return {"id": values.get("id", record), "stage": stage, "disqualified": bool(reasons), "reasons": reasons,
            "blocked": blocked, "scores": {"fit": fit, "engagement": engagement}, "bands": {"grade": grade},
            "route": route}


def main() -> None:
    parser = argparse.ArgumentParser(description="hand-written JSONL→JSONL evaluation of eval_bench.rules")
    parser.add_argument("leads")
    parser.add_argument("out")
    parser.add_argument("--as-of", required=True)
    args = parser.parse_args()
    as_of = _timestamp(args.as_of)
    assert as_of is not None
    with open(args.leads, "rb") as source, open(args.out, "w", encoding="utf-8") as out:
        record = 0
        for line in source:
            if not line.strip():
                continue
            record += 1
            try:
                lead = json.loads(line, parse_float=Decimal)
            except ValueError:
                lead = None
            out.write(json.dumps(evaluate(lead, as_of, record), ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())

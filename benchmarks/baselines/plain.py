"""`benchmarks/peer.rules` written by hand as a plain Python function over the dicts that
`json.loads` gives (ints and floats, `None` for an empty `timeline_months`): what a user writes
without leadrules. It does not validate; it takes the valid leads of `gen_peer.py`."""

from __future__ import annotations

from typing import Any

FREE_MAIL = frozenset(["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com", "proton.me",
                       "gmx.de"])
COMPETITORS = frozenset(["rivalcrm.com", "leadforge.io", "pipelinepro.com"])
FIT_INDUSTRIES = frozenset(["software", "fintech", "healthcare", "manufacturing"])
FIT_COUNTRIES = frozenset(["US", "CA", "GB", "IE", "DE", "FR", "NL", "SE", "CH", "AU"])
SENIOR_ROLES = frozenset(["director", "vp", "cxo"])


def qualify(lead: dict[str, Any]) -> dict[str, Any]:
    """{"stage", "reasons", "scores": {"engagement", "fit"}} of one lead."""
    email = lead["email"]
    at = email.rfind("@")
    domain = email[at + 1:].lower() if at >= 0 else None  # no `@`: no domain, no domain rule fires
    free_mail = domain in FREE_MAIL
    role = lead["role"]
    employees = lead["employees"]

    engagement = min(10 * lead["ebook_downloads"], 30)
    if lead["webinar_attended"]:
        engagement += 20
    engagement += min(15 * lead["pricing_page_visits"], 45)
    if lead["demo_requested"]:
        engagement += 40
    engagement += min(5 * lead["email_clicks_30d"], 25)
    if lead["trial_active"] and lead["key_feature_activations"] >= 3:
        engagement += 25
    timeline = lead["timeline_months"]
    if timeline is not None and timeline <= 3:
        engagement += 15
    if role == "student":
        engagement -= 50
    if free_mail:
        engagement -= 10

    fit = 0
    if lead["industry"] in FIT_INDUSTRIES:
        fit += 20
    if 50 <= employees <= 5000:
        fit += 15
    if lead["country"] in FIT_COUNTRIES:
        fit += 10
    if lead["annual_revenue"] >= 10000000:
        fit += 10
    if role in SENIOR_ROLES:
        fit += 15
    elif role == "manager":
        fit += 5

    reasons = []
    if domain in COMPETITORS:
        reasons.append("COMPETITOR")
    if role == "student":
        reasons.append("STUDENT")
    if lead["unsubscribed"]:
        reasons.append("UNSUBSCRIBED")
    if lead["is_customer"]:
        reasons.append("CUSTOMER")
    if free_mail and employees < 10:
        reasons.append("FREEMAIL_SMALL")

    total = engagement + fit
    if reasons:
        stage = "Disqualified"
    elif (total >= 80 and (lead["demo_requested"] or lead["pricing_page_visits"] >= 2) and lead["authority"]
          and lead["budget_confirmed"]):
        stage = "SQL"
    elif total >= 40 and fit >= 20:
        stage = "MQL"
    else:
        stage = "LEAD"
    return {"stage": stage, "reasons": reasons, "scores": {"engagement": engagement, "fit": fit}}

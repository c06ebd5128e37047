#!/usr/bin/env python3
"""`benchmarks/peer.rules` written by hand as Polars expressions, CSV in, CSV out: what a user
writes without leadrules.

    python benchmarks/baselines/polars_batch.py LEADS.csv OUT.csv

Output columns: id (the lead_id), stage, disqualified, reasons (`;`-joined), score.engagement,
score.fit. It does not validate; it takes the valid leads of `gen_peer.py`.
"""

from __future__ import annotations

import sys

import polars as pl

FREE_MAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com", "proton.me", "gmx.de"]
COMPETITORS = ["rivalcrm.com", "leadforge.io", "pipelinepro.com"]
SCHEMA = {
    "lead_id": pl.Int64, "email": pl.String, "industry": pl.String, "employees": pl.Int64,
    "annual_revenue": pl.Float64, "country": pl.String, "role": pl.String, "pricing_page_visits": pl.Int64,
    "demo_requested": pl.Boolean, "webinar_attended": pl.Boolean, "ebook_downloads": pl.Int64,
    "email_clicks_30d": pl.Int64, "trial_active": pl.Boolean, "key_feature_activations": pl.Int64,
    "budget_confirmed": pl.Boolean, "authority": pl.Boolean, "timeline_months": pl.Int64, "is_customer": pl.Boolean,
    "unsubscribed": pl.Boolean,
}


def points(condition: pl.Expr, value: int) -> pl.Expr:
    # a null condition (missing timeline) gives no points, as in SQL
    return pl.when(condition).then(value).otherwise(0)


def qualified(leads: pl.LazyFrame) -> pl.LazyFrame:
    c = pl.col
    domain = pl.when(c("email").str.contains("@", literal=True)).then(
        c("email").str.extract(r"@([^@]*)$", 1).str.to_lowercase())
    free_mail = domain.is_in(FREE_MAIL).fill_null(False)
    engagement = (
        pl.min_horizontal(c("ebook_downloads") * 10, 30)
        + points(c("webinar_attended"), 20)
        + pl.min_horizontal(c("pricing_page_visits") * 15, 45)
        + points(c("demo_requested"), 40)
        + pl.min_horizontal(c("email_clicks_30d") * 5, 25)
        + points(c("trial_active") & (c("key_feature_activations") >= 3), 25)
        + points(c("timeline_months") <= 3, 15)
        - points(c("role") == "student", 50)
        - points(free_mail, 10)
    )
    fit = (
        points(c("industry").is_in(["software", "fintech", "healthcare", "manufacturing"]), 20)
        + points(c("employees").is_between(50, 5000), 15)
        + points(c("country").is_in(["US", "CA", "GB", "IE", "DE", "FR", "NL", "SE", "CH", "AU"]), 10)
        + points(c("annual_revenue") >= 10000000, 10)
        + points(c("role").is_in(["director", "vp", "cxo"]), 15)
        + points(c("role") == "manager", 5)
    )
    reasons = pl.concat_list(
        pl.when(domain.is_in(COMPETITORS).fill_null(False)).then(pl.lit(["COMPETITOR"])).otherwise(pl.lit([], pl.List(pl.String))),
        pl.when(c("role") == "student").then(pl.lit(["STUDENT"])).otherwise(pl.lit([], pl.List(pl.String))),
        pl.when(c("unsubscribed")).then(pl.lit(["UNSUBSCRIBED"])).otherwise(pl.lit([], pl.List(pl.String))),
        pl.when(c("is_customer")).then(pl.lit(["CUSTOMER"])).otherwise(pl.lit([], pl.List(pl.String))),
        pl.when(free_mail & (c("employees") < 10)).then(pl.lit(["FREEMAIL_SMALL"])).otherwise(
            pl.lit([], pl.List(pl.String))),
    )
    scored = leads.select(c("lead_id").alias("id"), engagement.alias("engagement"), fit.alias("fit"),
                          reasons.alias("reasons"), "demo_requested", "pricing_page_visits", "authority",
                          "budget_confirmed")
    total = c("engagement") + c("fit")
    stage = (
        pl.when(c("reasons").list.len() > 0).then(pl.lit("Disqualified"))
        .when((total >= 80) & (c("demo_requested") | (c("pricing_page_visits") >= 2)) & c("authority")
              & c("budget_confirmed")).then(pl.lit("SQL"))
        .when((total >= 40) & (c("fit") >= 20)).then(pl.lit("MQL"))
        .otherwise(pl.lit("LEAD"))
    )
    return scored.select(
        "id", stage.alias("stage"), (c("reasons").list.len() > 0).alias("disqualified"),
        c("reasons").list.join(";").alias("reasons"), c("engagement").alias("score.engagement"),
        c("fit").alias("score.fit"),
    )


def run(leads_csv: str, out_csv: str) -> None:
    qualified(pl.scan_csv(leads_csv, schema=SCHEMA)).sink_csv(out_csv)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2])

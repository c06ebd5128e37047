#!/usr/bin/env python3
"""`benchmarks/peer.rules` written by hand as one DuckDB SQL query, CSV in, CSV out: what a user
writes without leadrules (not leadrules' generated SQL).

    python benchmarks/baselines/duckdb_batch.py LEADS.csv OUT.csv

Output columns as `polars_batch.py`. It does not validate; it takes the valid leads of
`gen_peer.py`.
"""

from __future__ import annotations

import sys

import duckdb

QUERY = """
COPY (
WITH leads AS (
    SELECT *,
           CASE WHEN contains(email, '@') THEN lower(regexp_extract(email, '@([^@]*)$', 1)) END AS domain
    FROM read_csv($leads, header = true, columns = {
        'lead_id': 'BIGINT', 'email': 'VARCHAR', 'industry': 'VARCHAR', 'employees': 'INTEGER',
        'annual_revenue': 'DOUBLE', 'country': 'VARCHAR', 'role': 'VARCHAR', 'pricing_page_visits': 'INTEGER',
        'demo_requested': 'BOOLEAN', 'webinar_attended': 'BOOLEAN', 'ebook_downloads': 'INTEGER',
        'email_clicks_30d': 'INTEGER', 'trial_active': 'BOOLEAN', 'key_feature_activations': 'INTEGER',
        'budget_confirmed': 'BOOLEAN', 'authority': 'BOOLEAN', 'timeline_months': 'INTEGER',
        'is_customer': 'BOOLEAN', 'unsubscribed': 'BOOLEAN'})
), flagged AS (
    SELECT *,
           coalesce(domain IN ('gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'aol.com', 'icloud.com',
                               'proton.me', 'gmx.de'), false) AS free_mail
    FROM leads
), scored AS (
    SELECT lead_id, demo_requested, pricing_page_visits, authority, budget_confirmed,
        least(10 * ebook_downloads, 30)
          + CASE WHEN webinar_attended THEN 20 ELSE 0 END
          + least(15 * pricing_page_visits, 45)
          + CASE WHEN demo_requested THEN 40 ELSE 0 END
          + least(5 * email_clicks_30d, 25)
          + CASE WHEN trial_active AND key_feature_activations >= 3 THEN 25 ELSE 0 END
          + CASE WHEN timeline_months <= 3 THEN 15 ELSE 0 END
          - CASE WHEN role = 'student' THEN 50 ELSE 0 END
          - CASE WHEN free_mail THEN 10 ELSE 0 END AS engagement,
        CASE WHEN industry IN ('software', 'fintech', 'healthcare', 'manufacturing') THEN 20 ELSE 0 END
          + CASE WHEN employees BETWEEN 50 AND 5000 THEN 15 ELSE 0 END
          + CASE WHEN country IN ('US', 'CA', 'GB', 'IE', 'DE', 'FR', 'NL', 'SE', 'CH', 'AU') THEN 10 ELSE 0 END
          + CASE WHEN annual_revenue >= 10000000 THEN 10 ELSE 0 END
          + CASE WHEN role IN ('director', 'vp', 'cxo') THEN 15 ELSE 0 END
          + CASE WHEN role = 'manager' THEN 5 ELSE 0 END AS fit,
        concat_ws(';',
          CASE WHEN domain IN ('rivalcrm.com', 'leadforge.io', 'pipelinepro.com') THEN 'COMPETITOR' END,
          CASE WHEN role = 'student' THEN 'STUDENT' END,
          CASE WHEN unsubscribed THEN 'UNSUBSCRIBED' END,
          CASE WHEN is_customer THEN 'CUSTOMER' END,
          CASE WHEN free_mail AND employees < 10 THEN 'FREEMAIL_SMALL' END) AS reasons
    FROM flagged
)
SELECT lead_id AS id,
       CASE WHEN reasons <> '' THEN 'Disqualified'
            WHEN engagement + fit >= 80 AND (demo_requested OR pricing_page_visits >= 2) AND authority
                 AND budget_confirmed THEN 'SQL'
            WHEN engagement + fit >= 40 AND fit >= 20 THEN 'MQL'
            ELSE 'LEAD' END AS stage,
       reasons <> '' AS disqualified,
       reasons,
       engagement AS "score.engagement",
       fit AS "score.fit"
FROM scored
) TO $out (FORMAT CSV, HEADER true)
"""


def run(leads_csv: str, out_csv: str) -> None:
    con = duckdb.connect()
    con.execute(QUERY, {"leads": leads_csv, "out": out_csv})
    con.close()


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2])

-- Hand-written DuckDB query for the worked example (spec/examples/projectflow.rules), the
-- yardstick for the compiled SQL in bench_engines.py. Same inputs (typed tables `leads` and
-- `events`), same output columns, written the way an analyst would write it by hand.
WITH counts AS (
    SELECT lead_id,
           count(*) FILTER (WHERE type = 'ebook_download') AS ebooks,
           count(*) FILTER (WHERE type = 'webinar_attended') AS webinars,
           count(*) FILTER (WHERE type = 'pricing_page_view') AS pricing_all,
           count(*) FILTER (WHERE type = 'pricing_page_view' AND "at" > $as_of - INTERVAL 30 DAY) AS pricing_30d,
           count(*) FILTER (WHERE type = 'demo_request') AS demos
    FROM events
    WHERE "at" <= $as_of
    GROUP BY lead_id
), scored AS (
    SELECT l.*,
           coalesce(c.pricing_all, 0) AS pricing_all,
           CAST(least(10 * coalesce(c.ebooks, 0), 20)
                + CASE WHEN coalesce(c.webinars, 0) > 0 THEN 20 ELSE 0 END
                + least(5 * coalesce(c.pricing_30d, 0), 15)
                + CASE WHEN coalesce(c.demos, 0) > 0 THEN 20 ELSE 0 END AS DECIMAL(38, 6)) AS engagement,
           CAST(greatest(least(
                  CASE WHEN l.employees BETWEEN 20 AND 2000 THEN 40 ELSE 0 END
                + CASE WHEN l.role IN ('manager', 'director', 'vp', 'cxo') THEN 30 ELSE 0 END
                + CASE WHEN l.industry IN ('software', 'agency', 'consulting') THEN 30 ELSE 0 END
                + CASE WHEN lower(string_split(l.email, '@')[-1]) IN ('gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com')
                            AND contains(l.email, '@') THEN -30 ELSE 0 END, 100), 0) AS DECIMAL(38, 6)) AS fit,
           contains(l.email, '@') AND lower(string_split(l.email, '@')[-1]) IN ('asana.com', 'monday.com', 'clickup.com') AS competitor
    FROM leads l LEFT JOIN counts c ON c.lead_id = l.id
), decided AS (
    SELECT *,
           CASE WHEN fit >= 70 THEN 'A' WHEN fit >= 40 THEN 'B' ELSE 'C' END AS grade,
           coalesce(competitor, false) OR role = 'student' OR unsubscribed AS disqualified
    FROM scored
)
SELECT id,
       CASE WHEN disqualified THEN 'Disqualified'
            WHEN engagement > 50 AND pricing_all > 0 THEN 'SQL'
            WHEN engagement >= 30 AND grade IN ('A', 'B') THEN 'MQL'
            ELSE 'Lead' END AS stage,
       disqualified,
       list_filter([CASE WHEN coalesce(competitor, false) THEN 'competitor' END,
                    CASE WHEN role = 'student' THEN 'student' END,
                    CASE WHEN unsubscribed THEN 'unsubscribed' END], lambda x: x IS NOT NULL) AS reasons,
       CAST([] AS VARCHAR[]) AS blocked,
       CASE WHEN disqualified THEN NULL
            WHEN engagement > 50 AND pricing_all > 0 THEN CASE WHEN employees >= 500 THEN 'ae-enterprise' ELSE 'sdr-team' END
            WHEN engagement >= 30 AND grade IN ('A', 'B') THEN 'nurture' END AS route,
       engagement, fit, grade
FROM decided

-- The audit trail by month and district (issue 13, item 6).
--
-- audit.validation_run.audit_page_url: the audit site's page about the run's submission
-- (ingest/serve/audit_site.py), beside the Data Docs page of the run (data_docs_url).
ALTER TABLE audit.validation_run ADD COLUMN IF NOT EXISTS audit_page_url text;

-- audit.live_coverage(month, provinces, deadline_day): who was expected to submit for a month and
-- what they did, read from the live audit tables (`ntm status`, the detail of a pipeline run),
-- not from marts.mart_submission_coverage, which only moves at the next dbt build. Same rules as
-- the mart, in short:
--   provinces   NULL = the provinces that sent a readable file (any month); '{all}' = the whole
--               country; else GSO codes. A legacy code also means its 2025 successor from
--               2025-07 (and, for senders, a 2025 province its legacy predecessors before).
--   expected    up to 2025-06, their districts with at least one xã in force at the end of the
--               month; from 2025-07, the province itself.
--   a file      counts for the unit and month it declares, else those its name names.
--   status      accepted (on time: the first accepted version received, in Vietnam time, by day
--               `deadline_day` of the next month; a backfill by the date it declared), late,
--               rejected (only rejected / stale files), pending (received, undecided), missing.
CREATE OR REPLACE FUNCTION audit.live_coverage(p_month date, p_provinces text[] DEFAULT NULL,
                                               p_deadline_day integer DEFAULT 5)
RETURNS TABLE (province_code text, province_name text, district_code text, district_name text,
               status text, latest_version integer, version_in_force integer, files integer,
               files_rejected integer, received_at timestamptz, submitted_on date, is_backfill boolean,
               deadline date)
LANGUAGE sql STABLE AS $$
WITH m AS (
    SELECT date_trunc('month', p_month)::date AS month,
           (date_trunc('month', p_month) + interval '1 month' - interval '1 day')::date AS month_end,
           (date_trunc('month', p_month) + interval '1 month' + (p_deadline_day - 1) * interval '1 day')::date
               AS deadline
),
files AS (
    SELECT s.*, coalesce(s.submitting_unit_code, s.file_unit_hint) AS unit_code
    FROM audit.submission AS s, m
    WHERE coalesce(s.period, CASE WHEN s.file_period_hint ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                                  THEN to_date(s.file_period_hint || '-01', 'YYYY-MM-DD') END) = m.month
),
units AS (
    SELECT u.* FROM ref.admin_unit AS u, m
    WHERE u.valid_from <= m.month_end AND (u.valid_to IS NULL OR u.valid_to >= m.month_end)
),
era AS (
    SELECT CASE WHEN m.month < date '2025-07-01' THEN 'legacy' ELSE '2025' END AS era FROM m
),
named AS (
    -- the provinces asked for, per era; NULL: those that sent a readable file (in any month)
    SELECT code, e.era FROM unnest(p_provinces) AS code, (VALUES ('legacy'), ('2025')) AS e (era)
    WHERE p_provinces IS NOT NULL AND p_provinces <> '{all}'
    UNION
    SELECT DISTINCT s.province_code,
           CASE WHEN s.period < date '2025-07-01' THEN 'legacy' ELSE '2025' END
    FROM audit.submission AS s
    WHERE p_provinces IS NULL AND s.submitting_unit_code IS NOT NULL AND s.province_code IS NOT NULL
      AND s.period IS NOT NULL
),
legacy_province AS (
    SELECT u.unit_code, u.successor_code FROM ref.admin_unit AS u
    WHERE u.unit_level = 'province' AND u.valid_from <= date '2025-06-30'
      AND (u.valid_to IS NULL OR u.valid_to >= date '2025-06-30')
),
wanted_codes AS (
    SELECT code, era FROM named
    UNION   -- a legacy province's 2025 successor
    SELECT l.successor_code, '2025' FROM named AS n JOIN legacy_province AS l ON l.unit_code = n.code
    WHERE n.era = 'legacy' AND l.successor_code IS NOT NULL
    UNION   -- a 2025 province that sent: its legacy predecessors
    SELECT l.unit_code, 'legacy' FROM named AS n JOIN legacy_province AS l ON l.successor_code = n.code
    WHERE n.era = '2025' AND p_provinces IS NULL
),
wanted AS (
    SELECT p.unit_code FROM units AS p, era
    WHERE p.unit_level = 'province'
      AND (p_provinces = '{all}'
           OR EXISTS (SELECT 1 FROM wanted_codes AS w WHERE w.code = p.unit_code AND w.era = era.era))
),
expected AS (
    SELECT d.province_code, d.unit_code FROM units AS d, m
    WHERE m.month < date '2025-07-01' AND d.unit_level = 'district'
      AND d.province_code IN (SELECT unit_code FROM wanted)
      AND EXISTS (SELECT 1 FROM units AS x WHERE x.unit_level = 'commune' AND x.parent_code = d.unit_code
                                              AND lower(x.unit_type) IN ('xã', 'xa'))
    UNION
    SELECT p.unit_code, p.unit_code FROM units AS p, m
    WHERE m.month >= date '2025-07-01' AND p.unit_level = 'province' AND p.unit_code IN (SELECT unit_code FROM wanted)
      AND EXISTS (SELECT 1 FROM units AS x WHERE x.unit_level = 'commune' AND x.province_code = p.unit_code
                                              AND lower(x.unit_type) IN ('xã', 'xa'))
),
per_unit AS (
    SELECT f.unit_code, max(f.version) AS latest_version,
           max(f.version) FILTER (WHERE f.status = 'accepted') AS version_in_force,
           bool_or(f.status = 'accepted') AS has_accepted, bool_or(f.status = 'received') AS has_pending,
           count(*)::integer AS files,
           count(*) FILTER (WHERE f.status IN ('rejected', 'stale'))::integer AS files_rejected,
           max(f.received_at) AS last_received_at
    FROM files AS f GROUP BY f.unit_code
),
first_loaded AS (
    SELECT DISTINCT ON (f.unit_code) f.unit_code, f.received_at, f.is_backfill,
           CASE WHEN f.is_backfill THEN f.submitted_on
                ELSE (f.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date END AS judged_on
    FROM files AS f WHERE f.status IN ('accepted', 'superseded')
    ORDER BY f.unit_code, f.received_at, f.submission_id
),
latest AS (
    SELECT DISTINCT ON (f.unit_code) f.unit_code, f.submitted_on, f.is_backfill
    FROM files AS f ORDER BY f.unit_code, (f.status = 'accepted') DESC, f.received_at DESC, f.submission_id DESC
)
SELECT e.province_code, pn.unit_name, e.unit_code, dn.unit_name,
       CASE WHEN p.unit_code IS NULL THEN 'missing'
            WHEN p.has_accepted AND fl.judged_on > m.deadline THEN 'late'
            WHEN p.has_accepted THEN 'accepted'
            WHEN p.has_pending THEN 'pending'
            ELSE 'rejected' END,
       p.latest_version, p.version_in_force, coalesce(p.files, 0), coalesce(p.files_rejected, 0),
       coalesce(fl.received_at, p.last_received_at), l.submitted_on,
       coalesce(fl.is_backfill, l.is_backfill, false), m.deadline
FROM expected AS e
CROSS JOIN m
LEFT JOIN per_unit AS p ON p.unit_code = e.unit_code
LEFT JOIN first_loaded AS fl ON fl.unit_code = e.unit_code
LEFT JOIN latest AS l ON l.unit_code = e.unit_code
LEFT JOIN units AS pn ON pn.unit_code = e.province_code AND pn.unit_level = 'province'
LEFT JOIN units AS dn ON dn.unit_code = e.unit_code AND dn.unit_level IN ('district', 'province')
                     AND dn.unit_level = CASE WHEN e.unit_code = e.province_code THEN 'province' ELSE 'district' END
ORDER BY e.province_code, e.unit_code
$$;

GRANT EXECUTE ON FUNCTION audit.live_coverage(date, text[], integer) TO ntm_loader, ntm_auditor;

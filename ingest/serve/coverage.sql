-- One month's submission coverage, a row per unit expected to report (ingest.serve.coverage).
-- Parameter: %(month)s, the first day of the month.
SELECT province_code, district_code, submitted, latest_version, version_in_force, status,
       received_at, submitted_on, is_backfill, deadline
FROM marts.mart_submission_coverage
WHERE month = %(month)s
ORDER BY province_code, district_code

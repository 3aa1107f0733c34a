-- Coverage that tells the truth (marts.md, "Timeliness"):
--   is_backfill     the file was loaded as history from archives (`ntm ingest --backfill`, a DAG run
--                   with conf {"backfill": true}, an Airflow backfill, `ntm run --backfill`): its
--                   timeliness is judged by the date the unit declared, not by when it arrived.
--   submitted_on    the date the unit declared in thong_tin (Ngày báo cáo), recorded when the file
--                   is read, for accepted and rejected files alike.
--   file_unit_hint  the submitting unit named by the file name (`<YYYY-MM>_<unit>_v<N>.xlsx`), so
--                   that a file rejected before its unit could be read counts for that unit.
ALTER TABLE audit.submission ADD COLUMN is_backfill boolean NOT NULL DEFAULT false;
ALTER TABLE audit.submission ADD COLUMN submitted_on date;
ALTER TABLE audit.submission ADD COLUMN file_unit_hint text;

-- Files received before this migration: the declared date of the loaded ones, the unit of the names.
UPDATE audit.submission AS s SET submitted_on = t.submitted_on
FROM raw.thong_tin AS t
WHERE t.submission_id = s.submission_id AND s.submitted_on IS NULL;

UPDATE audit.submission
SET file_unit_hint = substring(file_name FROM '(?:^|[^0-9])[0-9]{4}-[0-9]{2}_([0-9]{2,3})(?:[^0-9]|$)')
WHERE file_unit_hint IS NULL;

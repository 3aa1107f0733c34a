-- When each month was last closed (ingest.pipeline.corrections): the start of the latest finished
-- pipeline run that asked about the month. A file that appears in the month's inbox folder after
-- that, and whose bytes were never received, is a correction waiting to be picked up.
SELECT to_char(logical_month, 'YYYY-MM') AS month, max(started_at) AS closed_at
FROM audit.pipeline_run
WHERE logical_month IS NOT NULL AND state IN ('success', 'failed')
GROUP BY logical_month

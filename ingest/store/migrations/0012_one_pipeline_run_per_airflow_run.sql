-- One audit.pipeline_run per Airflow run: retries and clears of a DAG run reuse its row, keyed on
-- (dag_id, airflow_run_id). Rows opened twice for one Airflow run before this migration keep their
-- history: all but the latest get a suffixed airflow_run_id (`<run_id>#<pipeline run_id>`).
UPDATE audit.pipeline_run AS p
   SET airflow_run_id = p.airflow_run_id || '#' || p.run_id
 WHERE p.airflow_run_id IS NOT NULL
   AND p.run_id < (SELECT max(q.run_id) FROM audit.pipeline_run AS q
                   WHERE q.dag_id = p.dag_id AND q.airflow_run_id = p.airflow_run_id);

CREATE UNIQUE INDEX pipeline_run_airflow_run_idx
    ON audit.pipeline_run (dag_id, airflow_run_id) WHERE airflow_run_id IS NOT NULL;

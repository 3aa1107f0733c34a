-- Pipeline runs (Airflow DAG runs and CLI runs): the months that runs asked about.
select
    run_id,
    dag_id,
    airflow_run_id,
    logical_month,
    started_at,
    finished_at,
    state
from {{ source('audit', 'pipeline_run') }}

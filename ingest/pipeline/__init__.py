"""The monthly pipeline: receive → validate → load (`submissions`), then close the month —
dbt build, reconciliation against the build, publish, coverage, notify (`closing`).

Each step is idempotent and keyed by what it works on, so a re-run or a backfill repeats nothing
that is done. `ntm` and the Airflow DAGs call these same functions.
"""

from ingest.pipeline.closing import (
    Closing,
    close_months,
    finish_run,
    late_loaded_months,
    outcome_counts,
    run_month,
    start_run,
    transform,
)
from ingest.pipeline.files import discover, expand_paths, is_backfill_run, month_folder, month_of, name_hints
from ingest.pipeline.submissions import Outcome, ingest_paths, load, outcomes, receive, validate

__all__ = [
    "Closing", "Outcome", "close_months", "discover", "expand_paths", "finish_run", "ingest_paths",
    "is_backfill_run", "late_loaded_months", "load", "month_folder", "month_of", "name_hints", "outcome_counts", "outcomes",
    "receive", "run_month", "start_run", "transform", "validate",
]

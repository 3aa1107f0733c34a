"""Recording validation runs: one `audit.validation_run` per run, its findings into `audit.finding`."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg.types.json import Jsonb

from ingest.quality.validate import ValidationRun


def record_runs(conn: psycopg.Connection, runs: list[ValidationRun], submission_id: int | None,
                pipeline_run_id: int | None = None) -> list[int]:
    """Insert one audit.validation_run per run and its findings (COPY) into audit.finding."""
    run_ids: list[int] = []
    with conn.transaction():
        for run in runs:
            run_id = conn.execute(
                """INSERT INTO audit.validation_run (submission_id, suite, started_at, finished_at, success,
                       evaluated, failed, gx_result, data_docs_url, period, pipeline_run_id)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING run_id""",
                (submission_id, run.suite, run.started_at, run.finished_at, run.success, run.evaluated,
                 run.failed, Jsonb(run.gx_result, dumps=_dumps), run.data_docs_url, run.period, pipeline_run_id),
            ).fetchone()[0]
            run_ids.append(run_id)
            if run.findings:
                with conn.cursor().copy(
                    "COPY audit.finding (run_id, submission_id, severity, check_name, sheet, excel_row, column_name,"
                    " value, message_vi, message_en) FROM STDIN"
                ) as copy:
                    for f in run.findings:
                        copy.write_row((run_id, submission_id, f.severity, f.check_name, f.sheet, f.excel_row,
                                        f.column_name, None if f.value is None else str(f.value)[:2000],
                                        f.message_vi, f.message_en))
    return run_ids


def _dumps(obj: Any) -> str:
    return json.dumps(obj, default=_json_default, allow_nan=False)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, date | datetime | pd.Timestamp):
        return o.isoformat()
    return str(o)


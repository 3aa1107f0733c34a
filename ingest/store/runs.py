"""Recording validation runs: one `audit.validation_run` per run, its findings into `audit.finding`."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from ingest.quality.validate import ValidationRun


def record_runs(conn: psycopg.Connection, runs: list[ValidationRun], submission_id: int | None,
                pipeline_run_id: int | None = None) -> list[int]:
    """Insert one audit.validation_run per run (one pipelined statement for all) and their findings
    (one COPY) into audit.finding."""
    if not runs:
        return []
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO audit.validation_run (submission_id, suite, started_at, finished_at, success,
                   evaluated, failed, gx_result, data_docs_url, period, pipeline_run_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s) RETURNING run_id""",
            [(submission_id, run.suite, run.started_at, run.finished_at, run.success, run.evaluated,
              run.failed, _gx_json(run.gx_result), run.data_docs_url, run.period, pipeline_run_id) for run in runs],
            returning=True)
        run_ids = []
        while True:
            run_ids.append(cur.fetchone()[0])
            if not cur.nextset():
                break
        findings = [(run_id, f) for run_id, run in zip(run_ids, runs, strict=True) for f in run.findings]
        if findings:
            with cur.copy(
                "COPY audit.finding (run_id, submission_id, severity, check_name, sheet, excel_row, column_name,"
                " value, message_vi, message_en) FROM STDIN"
            ) as copy:
                for run_id, f in findings:
                    copy.write_row((run_id, submission_id, f.severity, f.check_name, f.sheet, f.excel_row,
                                    f.column_name, None if f.value is None else str(f.value)[:2000],
                                    f.message_vi, f.message_en))
    return run_ids


# A suite's result is one object shared by every submission of its batch (the GX run is batch-wide):
# it is written as JSON once, not once per submission (~7,000 times for a national month).
_written: dict[int, tuple[dict, str]] = {}


def _gx_json(result: dict | None) -> str | None:
    if result is None:
        return None
    seen = _written.get(id(result))
    if seen is not None and seen[0] is result:
        return seen[1]
    if len(_written) > 64:
        _written.clear()
    text = _dumps(result)
    _written[id(result)] = (result, text)
    return text


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


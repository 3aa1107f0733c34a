"""Reconciliation after dbt: what `raw` holds for accepted submissions against what the marts show.

Each check is one SQL file in `mart_checks/` (next to this module) returning, per key, `month`,
`unit_code`, `submission_id`, `raw_value` and `mart_value` (a full outer join, so a key missing on
either side shows up). The files name the marts schema `{marts}`: the pipeline checks the build
copy (`marts_build`) before publishing it. The rows of every check are validated together by the GX suite
`mart_reconciliation` (expectations/gx): nothing missing in the marts, nothing in the marts
without raw behind it, and values equal within 0.001. Each failed row becomes a finding whose
check name is the SQL file's name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from psycopg.rows import dict_row

from ingest.config import Settings, load_settings
from ingest.findings import Finding
from ingest.quality.data_docs import render_validation_page
from ingest.quality.suites import MART
from ingest.quality.validate import ValidationRun, slim_result, validate_frame


@dataclass(frozen=True)
class MartCheck:
    name: str          # the SQL file's stem; the findings' check name
    relation: str      # the mart relation compared
    column: str        # the mart column (or measure) compared
    sql: str


# check name → (relation, compared measure)
CHECKS: dict[str, tuple[str, str]] = {
    "funding_by_unit": ("marts.fct_funding", "amount_ytd_mvnd"),
    "funding_by_province": ("marts.mart_funding", "total_ytd_mvnd"),
    "communes_by_submission": ("marts.fct_commune_status", "count(commune_code)"),
    "products_by_submission": ("marts.fct_ocop_product", "count(product_key)"),
}


@functools.cache
def load_checks(folder: str) -> tuple[MartCheck, ...]:
    return tuple(MartCheck(name, relation, column, (Path(folder) / f"{name}.sql").read_text(encoding="utf-8"))
                 for name, (relation, column) in CHECKS.items())


def checks_dir() -> Path:
    return Path(__file__).with_name("mart_checks")


def reconciliation_frame(conn: psycopg.Connection, checks: tuple[MartCheck, ...], month: date | None,
                         schema: str = "marts") -> pd.DataFrame:
    """Every check's comparison rows (marts read from `schema`), in the shape the
    `mart_reconciliation` suite validates."""
    from psycopg import sql

    parts = []
    for check in checks:
        query = sql.SQL(check.sql).format(marts=sql.Identifier(schema))  # type: ignore[arg-type]
        rows = conn.cursor(row_factory=dict_row).execute(query, {"month": month}).fetchall()
        frame = pd.DataFrame(rows, columns=["month", "unit_code", "submission_id", "raw_value", "mart_value"])
        parts.append(frame.assign(check=check.name, relation=check.relation, column_name=check.column))
    out = pd.concat(parts, ignore_index=True)
    out["raw_value"] = pd.to_numeric(out["raw_value"]).astype("float64")
    out["mart_value"] = pd.to_numeric(out["mart_value"]).astype("float64")
    out["difference"] = (out["mart_value"] - out["raw_value"]).round(6)
    out["submission_id"] = pd.to_numeric(out["submission_id"]).astype("Int64")
    out["submission_key"] = 0
    out["sheet"] = out["relation"]
    out["excel_row"] = pd.array([None] * len(out), dtype="Int64")
    out["_rid"] = np.arange(len(out), dtype="int64")
    return out


def check_marts(url: str, month: date | None = None, build_docs: bool = True,
                settings: Settings | None = None, schema: str = "marts") -> ValidationRun:
    """Run the reconciliation suite for one month (or every month) → one ValidationRun (suite
    `mart_reconciliation`, no submission). `schema`: the marts to check (`marts_build` before a
    publish). Marts that cannot be read are an error finding."""
    settings = settings or load_settings()
    started = datetime.now(UTC)
    try:
        with psycopg.connect(url) as conn:
            frame = reconciliation_frame(conn, load_checks(str(checks_dir())), month, schema)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0][:300]
        finding = Finding("error", "marts_unreadable",
                          f"Không đọc được marts để đối chiếu: {reason}. Hãy chạy lại `ntm transform`.",
                          f"The marts could not be read for reconciliation: {reason}. Run `ntm transform` again.")
        return ValidationRun(MART, started, datetime.now(UTC), False, 0, 1, {"error": reason}, None, [finding],
                             period=month)
    result, found = validate_frame(MART, frame, 1, settings)
    findings = [f for _, f in found]
    docs_url = render_validation_page(
        result, MART, settings, f"raw vs marts, {month:%Y-%m}" if month else "raw vs marts") if build_docs else None
    gx_result = slim_result(result.to_json_dict())
    gx_result["rows_compared"] = {name: int((frame["check"] == name).sum()) for name in CHECKS}
    return ValidationRun(
        suite=MART, started_at=started, finished_at=datetime.now(UTC),
        success=not any(f.severity == "error" for f in findings), evaluated=len(result.results),
        failed=len({f.check_name for f in findings}), gx_result=gx_result, data_docs_url=docs_url,
        findings=findings, period=month)

"""Running the Great Expectations suites over a batch of submissions → `ValidationRun`s with findings.

1. `frames.prepare()` builds one frame per suite for the whole batch (every row tagged with
   `submission_key` and a positional `_rid`, derived columns added).
2. Each suite is validated once over its whole frame (`batch.validate`, result format COMPLETE
   with `unexpected_index_column_names=["excel_row", "_rid"]`).
3. Unexpected rows are mapped back through `_rid` to submission, sheet, Excel row, column and
   value → `Finding`s; one `ValidationRun` per suite and submission. `ingest.store.runs` records
   them in `audit`; `data_docs` renders a page per suite run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ingest.config import Settings, load_settings
from ingest.findings import Finding
from ingest.quality.context import context_root, suite_and_batch
from ingest.quality.data_docs import render_validation_page, write_index
from ingest.quality.frames import BatchItem, prepare
from ingest.quality.suites import CROSS, MART, SUITES

__all__ = ["BatchItem", "ValidationRun", "slim_result", "validate_batch", "validate_frame", "validate_submission"]

ROW_COLUMN_SUITES = (CROSS, MART)  # frames whose rows name the column a finding points at
INDEX_COLUMNS = ["excel_row", "_rid"]
_RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS,
                  "return_unexpected_index_query": False, "partial_unexpected_count": 20}


@dataclass
class ValidationRun:
    suite: str
    started_at: datetime
    finished_at: datetime
    success: bool
    evaluated: int
    failed: int
    gx_result: dict | None  # None for the reader's own run
    data_docs_url: str | None
    findings: list[Finding] = field(default_factory=list)
    period: date | None = None  # for mart checks (audit.validation_run.period)
    gx_text: str | None = field(default=None, repr=False)  # gx_result as JSON, when a batch shares it

    def gx_json(self) -> str | None:
        """gx_result as JSON text for audit.validation_run.gx_result. A batch's runs of a suite share
        one result, serialised once by `validate_batch` (not ~7,000 times for a national month)."""
        if self.gx_text is not None or self.gx_result is None:
            return self.gx_text
        return result_json(self.gx_result)


def result_json(result: dict) -> str:
    """A GX result as JSON (numpy numbers as numbers, non-finite as null, dates as ISO text)."""
    return json.dumps(result, default=_json_default, allow_nan=False)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, date | datetime | pd.Timestamp):
        return o.isoformat()
    return str(o)


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float | np.floating):
        return f"{float(value):g}" if abs(value) < 1e15 else str(float(value))
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _findings_of(result: Any, suite: str, frame: pd.DataFrame, keys: list[Any]) -> list[tuple[int, Finding]]:
    """(submission index, finding) for every unexpected row of one failed expectation."""
    cfg = result.expectation_config
    meta = cfg.meta or {}
    severity = "warning" if str(getattr(cfg.severity, "value", cfg.severity)) == "warning" else "error"
    check = meta.get("check", cfg.type)
    check_column = meta.get("check_column")  # the check's name is in the row (mart reconciliation)
    column = cfg.kwargs.get("column") or cfg.kwargs.get("column_A") or (cfg.kwargs.get("column_list") or [None, None])[1]
    out: list[tuple[int, Finding]] = []
    index_list = (result.result or {}).get("unexpected_index_list")
    if index_list:
        records = frame.iloc[[int(e["_rid"]) for e in index_list]].to_dict("records")
        for entry, row in zip(index_list, records, strict=True):
            value = entry.get(column) if column in entry else row.get(column)
            if meta.get("value_column"):
                value = row.get(meta["value_column"])
            fields = _Fields({k: _text(v) or "—" for k, v in row.items()})
            fields["value"] = _text(value) or "—"
            sheet = meta.get("sheet") or row.get("sheet") or suite
            col = meta.get("report_column") or (row.get("column_name") if suite in ROW_COLUMN_SUITES else column)
            out.append((int(row["submission_key"]), Finding(
                severity, str(row[check_column]) if check_column else check, meta.get("message_vi", check).format_map(fields),
                meta.get("message_en", check).format_map(fields), sheet=sheet,
                excel_row=None if pd.isna(row.get("excel_row")) else int(row["excel_row"]),
                column_name=col, value=None if check in ("required_column", "column_type") else _text(value))))
        return out
    # table-level failure or an exception: attributed to every submission of the batch
    reason = ""
    if result.exception_info and result.exception_info.get("raised_exception", True):
        reason = f" ({str(result.exception_info.get('exception_message', ''))[:200]})"
    for k in keys:
        out.append((k, Finding(severity, check, f"Kiểm tra {check} không đạt{reason}.", f"Check {check} failed{reason}.",
                               sheet=suite if suite != CROSS else None, column_name=column)))
    return out


def slim_result(result_dict: dict) -> dict:
    """The GX result without the (batch-wide) unexpected row lists: what audit.validation_run keeps."""
    keep = ("element_count", "unexpected_count", "unexpected_percent", "missing_count", "observed_value")
    return {
        "success": result_dict.get("success"),
        "statistics": result_dict.get("statistics"),
        "suite_name": result_dict.get("suite_name"),
        "results": [{"type": r["expectation_config"]["type"], "kwargs": {k: v for k, v in r["expectation_config"]["kwargs"].items()
                                                                         if k != "batch_id"},
                     "check": (r["expectation_config"].get("meta") or {}).get("check"),
                     "severity": r["expectation_config"].get("severity"), "success": r["success"],
                     "result": {k: v for k, v in (r.get("result") or {}).items() if k in keep}}
                    for r in result_dict.get("results", [])],
    }


def validate_frame(suite_name: str, frame: pd.DataFrame, keys: int = 1,
                   settings: Settings | None = None) -> tuple[Any, list[tuple[int, Finding]]]:
    """Validate one prepared frame (with `submission_key`, `_rid`, `excel_row`) against a suite of
    the context; returns the GX result and (submission_key, finding) pairs."""
    suite, batch_definition = suite_and_batch(str(context_root(settings)), suite_name)
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format=_RESULT_FORMAT)
    found = [kf for r in result.results if not r.success for kf in _findings_of(r, suite_name, frame, list(range(keys)))]
    return result, found


def validate_batch(items: Sequence[BatchItem | tuple], build_docs: bool = True,
                   settings: Settings | None = None) -> dict[Any, list[ValidationRun]]:
    """Validate many submissions in one GX run per suite; returns the runs of each item's key.

    `items` are `BatchItem`s or tuples (key, frames, received_on, previous_funding[, previous_titles])."""
    settings = settings or load_settings()
    batch = [i if isinstance(i, BatchItem) else BatchItem(*i) for i in items]
    if not batch:
        return {}
    frames, missing = prepare(batch)
    per_item: dict[int, list[ValidationRun]] = {i: [] for i in range(len(batch))}
    for suite_name in SUITES:
        started = datetime.now(UTC)
        result, found = validate_frame(suite_name, frames[suite_name], len(batch), settings)
        findings: dict[int, list[Finding]] = {i: [] for i in range(len(batch))}
        for k, f in found:
            if f.check_name != "required_column" and (f.sheet, f.column_name) in missing[k]:
                continue  # the missing column is reported once, by the cross-sheet suite
            findings[k].append(f)
        finished = datetime.now(UTC)
        result_dict = result.to_json_dict()
        docs_url = render_validation_page(result, suite_name, settings, _asset_label(suite_name, batch),
                                          _per_submission(batch, findings, settings)) if build_docs else None
        slim = slim_result(result_dict)
        slim["batch_size"] = len(batch)
        slim_text = result_json(slim)
        for i in range(len(batch)):
            fs = findings[i]
            failed_checks = {f.check_name for f in fs}
            per_item[i].append(ValidationRun(
                suite=suite_name, started_at=started, finished_at=finished,
                success=not any(f.severity == "error" for f in fs),
                evaluated=len(result.results), failed=len(failed_checks), gx_result=slim,
                gx_text=slim_text, data_docs_url=docs_url, findings=fs))
    if build_docs:
        write_index(settings.data_docs_dir)
    return {item.key: per_item[i] for i, item in enumerate(batch)}


def _per_submission(batch: Sequence[BatchItem], findings: dict[int, list[Finding]],
                    settings: Settings) -> list[tuple[str, str | None, list[Finding]]]:
    """For a batch page: each submission's label, its audit site page (keys that are submission
    ids), and its findings of the suite."""
    if len(batch) < 2:
        return []
    out = []
    for i, item in enumerate(batch):
        link = (settings.audit_site_dir / "submission" / f"{item.key}.html").as_uri() \
            if isinstance(item.key, int) else None
        out.append((f"#{item.key} {_asset_label('', [item]).removeprefix(': ')}", link, findings[i]))
    return out


def _asset_label(suite: str, batch: Sequence[BatchItem]) -> str:
    """What a Data Docs page validated: `<unit> <YYYY-MM>` of the first submissions and their count."""
    def name(item: BatchItem) -> str:
        tt = item.frames.get("thong_tin")
        if tt is None or tt.empty or "submitting_unit_code" not in tt.columns or "period" not in tt.columns:
            return str(item.key)
        period = tt["period"].iloc[0]
        return f"{tt['submitting_unit_code'].iloc[0]} {period:%Y-%m}" if isinstance(period, date) else str(item.key)

    names = ", ".join(name(b) for b in batch[:3])
    return f"{suite}: {names}" + (f" … ({len(batch)} submissions)" if len(batch) > 3 else "")


def validate_submission(frames: dict[str, pd.DataFrame], received_on: date,
                        previous_funding: pd.DataFrame | None = None, build_docs: bool = True,
                        previous_titles: pd.DataFrame | None = None) -> list[ValidationRun]:
    """Validate one submission's normalised frames: one ValidationRun per suite."""
    item = BatchItem(0, frames, received_on, previous_funding, previous_titles)
    return validate_batch([item], build_docs=build_docs)[0]


"""Great Expectations validation of the normalised frames (docs/architecture.md) → findings.

The suites live in a file Data Context in `expectations/gx/` (one JSON file per suite, written
from `build_suites()` below by `python -m ingest.quality.validate write-context`; a test keeps the two
equal). Every expectation carries in its `meta` the check name and the message shown to the
sender (Vietnamese and English); its GX `severity` is `critical` (→ finding `error`, blocks the
load) or `warning` (loads, flagged).

How a validation runs (the fast path of docs/../stack-facts.md):
1. `prepare()` concatenates the frames of one or many submissions sheet by sheet, tags every
   row with `submission_key` and a positional `_rid`, and adds derived columns computed with set
   based pandas (criteria counted from the marks, the sum of sources under a `tong` row, the
   previous month's figure, months between dates ...). Cross-row rules thus become plain column
   expectations that GX evaluates and renders.
2. Each suite is validated once over its whole frame (`batch.validate`, result format COMPLETE
   with `unexpected_index_column_names=["excel_row", "_rid"]`).
3. Unexpected rows are mapped back through `_rid` to submission, sheet, Excel row, column and
   value → `Finding`s; one `ValidationRun` per suite and submission.

Interpretation of "advanced / model titles only on NTM communes": the normalised `ntm_title` is
the highest title, and an advanced or model commune holds the NTM title by construction. The rule
is therefore checked against the previous month: when the previous month's titles are given
(`previous_titles`: commune_code, ntm_title, e.g. from the accepted submission of the month
before), a commune titled advanced or model must have held a title then (`title_requires_ntm`,
an error; a commune with no previous record is not judged); under the 2021-2025 criteria a model
commune must have been advanced or model then (`model_requires_advanced`, domain.md: titles build
on each other). A titled commune (any level) that
no longer meets all 19 criteria is the warning `title_at_risk` (the "maintenance" problem; it
loads), as marts.fct_commune_status.title_at_risk counts it.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import psycopg
from psycopg.types.json import Jsonb

from ingest.config import Settings, load_settings
from ingest.findings import Finding

if TYPE_CHECKING:  # GX costs 3-4 s to import: only at first use
    import great_expectations as gx

log = logging.getLogger(__name__)

SHEETS = ("thong_tin", "tieu_chi_xa", "tieu_chi_xa_mark", "tieu_chi_huyen", "nguon_von", "ocop", "ho_tro")
CROSS = "cross_sheet"
SUITES = (*SHEETS, CROSS)
MART = "mart_reconciliation"   # ingest/warehouse/reconcile.py
ROW_COLUMN_SUITES = (CROSS, MART)  # frames whose rows name the column a finding points at
DATASOURCE = "ntm_frames"
BATCH_DEFINITION = "whole_frame"
INDEX_COLUMNS = ["excel_row", "_rid"]

CRITERIA = tuple(f"tc{i:02d}" for i in range(1, 20))
TITLES = ("none", "ntm", "advanced", "model")
SOURCES = ("ns_tw", "ns_tinh", "ns_huyen", "ns_xa", "ns_huyen_xa", "long_ghep", "tin_dung", "doanh_nghiep",
           "nhan_dan", "khac", "tong")
STATUSES = ("preparing", "rated", "re_rated", "expired")
CATALOGUES = ("148", "1048")  # OCOP catalogues: Decision 148/QĐ-TTg (2023), 1048/QĐ-TTg (2019)
MAX_AMOUNT = 1e12  # million VND; anything above (or ±inf) is not a real figure
TOTAL_TOLERANCE = 0.5
VALIDITY_MONTHS = 36
VALIDITY_SLACK_DAYS = 31

# Required columns and the Python types their non-null values must have.
_STR, _DATE, _INT, _FLOAT, _BOOL = "str", "date", "int", "float", "bool"
REQUIRED: dict[str, dict[str, str]] = {
    "thong_tin": {"province_code": _STR, "submitting_unit_code": _STR, "period": _DATE, "version": _INT,
                  "criteria_set": _STR},
    "tieu_chi_xa": {"excel_row": _INT, "commune_code": _STR, "criteria_met_reported": _INT, "ntm_title": _STR},
    "tieu_chi_xa_mark": {"excel_row": _INT, "commune_code": _STR, "criterion_code": _STR, "is_met": _BOOL},
    "tieu_chi_huyen": {"excel_row": _INT, "criterion_no": _INT, "is_met": _BOOL},
    "nguon_von": {"excel_row": _INT, "unit_code": _STR, "source_code": _STR, "capital_type": _STR,
                  "amount_mvnd": _FLOAT, "is_estimate": _BOOL},
    "ocop": {"excel_row": _INT, "product_name": _STR, "commune_code": _STR, "product_group": _STR,
             "stars": _INT, "status": _STR, "decision_date": _DATE, "valid_until": _DATE, "catalogue": _STR},
    "ho_tro": {"excel_row": _INT, "commune_code": _STR, "supporting_agency": _STR, "value_mvnd": _FLOAT},
}
OPTIONAL_SHEETS = {"tieu_chi_huyen", "ocop", "ho_tro"}
# Optional columns the rules read: added empty when a frame lacks them (no finding).
OPTIONAL_COLUMNS = {"tieu_chi_xa": ["hardship"], "tieu_chi_huyen": ["district_title"],
                    "ocop": ["entity_type", "entity_name", "product_code"]}


# ---------------------------------------------------------------------------------------------
# results


@dataclass
class ValidationRun:
    suite: str
    started_at: datetime
    finished_at: datetime
    success: bool
    evaluated: int
    failed: int
    gx_result: dict
    data_docs_url: str | None
    findings: list[Finding] = field(default_factory=list)
    period: date | None = None  # for mart checks (audit.validation_run.period)


@dataclass(frozen=True)
class BatchItem:
    """One submission of a batch: a key of the caller's choosing and its inputs."""
    key: Any
    frames: dict[str, pd.DataFrame]
    received_on: date
    previous_funding: pd.DataFrame | None = None
    previous_titles: pd.DataFrame | None = None


# ---------------------------------------------------------------------------------------------
# the suites, as code


def _rule(cls_name: str, check: str, vi: str, en: str, severity: str = "critical", report: str | None = None,
          value: str | None = None, sheet: str | None = None, check_column: str | None = None, **kwargs: Any):
    """One expectation with its check name and messages. `{value}` and any column of the
    prepared frame (e.g. `{prev_amount_mvnd}`) may be used in the messages. When the expectation
    runs on a derived column, `report` / `value` name the submitted column a finding points at
    and whose value it shows, `sheet` the sheet when it is not the suite's."""
    import great_expectations.expectations as gxe

    meta = {"check": check, "message_vi": vi, "message_en": en}
    meta.update({k: v for k, v in (("report_column", report), ("value_column", value), ("sheet", sheet),
                                   ("check_column", check_column)) if v})
    return getattr(gxe, cls_name)(meta=meta, severity=severity, **kwargs)


def _code_rule(column: str, digits: str, check: str = "code_format") -> Any:
    return _rule("ExpectColumnValuesToMatchRegex", check,
                 f"Mã '{{value}}' ở cột {column} không hợp lệ (cần mã GSO {digits} chữ số).",
                 f"Code '{{value}}' in column {column} is malformed (expected a {digits}-digit GSO code).",
                 column=column, regex=rf"^\d{{{digits}}}$" if digits.isdigit() else digits_regex(digits))


def _col(name: str) -> Any:
    from great_expectations.expectations.row_conditions import Column

    return Column(name)


def digits_regex(digits: str) -> str:
    return "^(?:" + "|".join(rf"\d{{{d}}}" for d in digits.split("/")) + ")$"


def _not_null(column: str, check: str = "required_value") -> Any:
    return _rule("ExpectColumnValuesToNotBeNull", check,
                 f"Thiếu giá trị bắt buộc ở cột {column}.", f"A required value is missing in column {column}.",
                 column=column)


def _in_set(column: str, values: Sequence[Any], check: str, **kw: Any) -> Any:
    allowed = ", ".join(map(str, values))
    return _rule("ExpectColumnValuesToBeInSet", check,
                 f"Giá trị '{{value}}' ở cột {column} không thuộc danh mục ({allowed}).",
                 f"Value '{{value}}' in column {column} is not one of: {allowed}.",
                 column=column, value_set=list(values), **kw)


def _unique(columns: list[str], check: str, what_vi: str, what_en: str) -> Any:
    return _rule("ExpectCompoundColumnsToBeUnique", check,
                 f"{what_vi} bị trùng lặp ({', '.join(columns)}).", f"Duplicate {what_en} ({', '.join(columns)}).",
                 column_list=["submission_key", *columns])


def _amount(column: str) -> list[Any]:
    return [
        _not_null(column),
        _rule("ExpectColumnValuesToBeBetween", "amount_not_negative" if column != "value_mvnd" else "value_not_negative",
              f"Số tiền {{value}} ở cột {column} phải là số hữu hạn, không âm (triệu đồng).",
              f"Amount {{value}} in column {column} must be finite and not negative (million VND).",
              column=column, min_value=0, max_value=MAX_AMOUNT),
    ]


def build_suites() -> dict[str, list[Any]]:
    """Every rule of every suite. The JSON in expectations/gx/expectations is written from this."""
    return {
        "thong_tin": [
            _code_rule("province_code", "2"),
            _code_rule("submitting_unit_code", "2/3/5"),
            _not_null("period"),
            _rule("ExpectColumnValuesToBeBetween", "version_positive",
                  "Lần gửi phải là số nguyên ≥ 1 (tìm thấy {value}).", "The version must be an integer ≥ 1 (found {value}).",
                  column="version", min_value=1),
            _in_set("criteria_set", ["2021-2025", "2016-2020"], "criteria_set_known"),
            _rule("ExpectColumnValuesToBeBetween", "future_period",
                  "Kỳ báo cáo {period} muộn hơn tháng nhận tệp ({received_on}).",
                  "The reporting period {period} is later than the month the file was received ({received_on}).",
                  report="period", value="period", column="months_after_received", max_value=0),
            _rule("ExpectColumnValuesToBeBetween", "district_criteria_missing",
                  "Báo cáo tháng 12 của huyện phải có trang tieu_chi_huyen đủ 9 tiêu chí (có {value}).",
                  "A district's December submission must carry tieu_chi_huyen with all 9 criteria (found {value}).",
                  sheet="tieu_chi_huyen", column="district_criteria_rows", min_value=9, max_value=9,
                  row_condition=_col("december_district") == True),  # noqa: E712 - builds a Condition
        ],
        "tieu_chi_xa": [
            _not_null("commune_code"),
            _code_rule("commune_code", "5"),
            _unique(["commune_code"], "duplicate_commune", "Xã", "commune"),
            _in_set("ntm_title", TITLES, "title_known"),
            _not_null("ntm_title"),
            _in_set("hardship", ["kk", "dbkk"], "hardship_known"),
            _rule("ExpectColumnValuesToBeBetween", "criteria_met_range",
                  "Số tiêu chí đạt {value} phải từ 0 đến 19.", "Criteria met {value} must be between 0 and 19.",
                  column="criteria_met_reported", min_value=0, max_value=19),
        ],
        "tieu_chi_xa_mark": [
            _code_rule("commune_code", "5"),
            _in_set("criterion_code", CRITERIA, "criterion_known"),
            _not_null("is_met", "mark_present"),
            _unique(["commune_code", "criterion_code"], "duplicate_mark", "Đánh giá tiêu chí của xã", "criterion mark"),
        ],
        "tieu_chi_huyen": [
            _rule("ExpectColumnValuesToBeBetween", "district_criterion_known",
                  "Tiêu chí huyện {value} phải từ 1 đến 9.", "District criterion {value} must be between 1 and 9.",
                  column="criterion_no", min_value=1, max_value=9),
            _not_null("criterion_no"),
            _not_null("is_met", "mark_present"),
            _in_set("district_title", TITLES[1:], "title_known"),
            _unique(["criterion_no"], "duplicate_district_criterion", "Tiêu chí huyện", "district criterion"),
        ],
        "nguon_von": [
            _not_null("unit_code"),
            _code_rule("unit_code", "2/3/5"),
            _in_set("source_code", SOURCES, "source_known"),
            _in_set("capital_type", ["dtpt", "sn", "all"], "capital_type_known"),
            _not_null("capital_type"),
            *_amount("amount_mvnd"),
            _unique(["unit_code", "source_code", "capital_type"], "duplicate_funding", "Dòng nguồn vốn", "funding row"),
            _rule("ExpectColumnValuesToBeBetween", "total_mismatch",
                  "Dòng tổng của đơn vị {unit_code} ghi {amount_mvnd} nhưng tổng các nguồn là {sources_sum} "
                  "(lệch quá 0,5 triệu đồng).",
                  "The total row of unit {unit_code} says {amount_mvnd} but its sources add up to {sources_sum} "
                  "(more than 0.5 million VND apart).",
                  report="amount_mvnd", value="amount_mvnd", column="total_difference", min_value=-TOTAL_TOLERANCE, max_value=TOTAL_TOLERANCE),
            _rule("ExpectColumnValuesToBeBetween", "funding_decreased",
                  "Vốn lũy kế của {unit_code} / {source_code} / {capital_type} giảm từ {prev_amount_mvnd} "
                  "(tháng trước) xuống {amount_mvnd} triệu đồng.",
                  "Cumulative funding of {unit_code} / {source_code} / {capital_type} fell from {prev_amount_mvnd} "
                  "(previous month) to {amount_mvnd} million VND.",
                  severity="warning", report="amount_mvnd", value="amount_mvnd", column="change_from_previous_mvnd", min_value=0),
        ],
        "ocop": [
            _not_null("product_name"),
            _code_rule("commune_code", "5"),
            _in_set("product_group", [f"g{i}" for i in range(1, 7)], "product_group_known"),
            _in_set("catalogue", CATALOGUES, "ocop_catalogue_known"),
            _not_null("catalogue"),
            _in_set("status", STATUSES, "ocop_status_known"),
            _not_null("status"),
            _in_set("entity_type", ["htx", "dn", "tht", "ho"], "entity_type_known"),
            _unique(["product_key"], "duplicate_product", "Sản phẩm OCOP", "OCOP product"),
            _in_set("stars", [3, 4, 5], "stars_out_of_range",
                    row_condition=_col("status") != "preparing"),
            _rule("ExpectColumnValuesToNotBeNull", "stars_missing",
                  "Sản phẩm đã công nhận phải có số sao (3, 4 hoặc 5).", "A rated product must have 3, 4 or 5 stars.",
                  column="stars", row_condition=_col("status").is_in(["rated", "re_rated"])),
            _rule("ExpectColumnValuesToBeNull", "stars_while_preparing",
                  "Sản phẩm đang hoàn thiện hồ sơ không được có số sao (tìm thấy {value}).",
                  "A product still being prepared must have no stars (found {value}).",
                  column="stars", row_condition=_col("status") == "preparing"),
            _rule("ExpectColumnValuesToBeBetween", "validity_not_36_months",
                  "Hiệu lực đến {valid_until} không khớp 36 tháng kể từ ngày quyết định {decision_date}.",
                  "Valid until {valid_until} is not about 36 months after the decision date {decision_date}.",
                  severity="warning", report="valid_until", value="valid_until", column="validity_offset_days",
                  min_value=-VALIDITY_SLACK_DAYS, max_value=VALIDITY_SLACK_DAYS),
            _rule("ExpectColumnValuesToBeBetween", "expired_still_valid",
                  "Sản phẩm ghi hết hạn nhưng còn hiệu lực đến {valid_until}, sau cuối kỳ {period_end}.",
                  "The product is marked expired but is valid until {valid_until}, after the period end {period_end}.",
                  report="valid_until", value="valid_until", column="expired_days_after_period_end", max_value=0),
        ],
        "ho_tro": [
            _code_rule("commune_code", "5"),
            _not_null("supporting_agency"),
            *_amount("value_mvnd"),
        ],
        CROSS: [
            _rule("ExpectColumnValuesToBeInSet", "required_column",
                  "Trang {sheet} thiếu cột bắt buộc {column_name}.", "Sheet {sheet} lacks the required column {column_name}.",
                  column="column_present", value_set=[True], row_condition=_col("kind") == "column"),
            _rule("ExpectColumnValuesToBeInSet", "column_type",
                  "Cột {column_name} của trang {sheet} có giá trị sai kiểu (cần {expected_type}).",
                  "Column {column_name} of sheet {sheet} holds values of the wrong type (expected {expected_type}).",
                  column="column_typed", value_set=[True], row_condition=_col("kind") == "column"),
            _rule("ExpectColumnValuesToBeBetween", "criteria_marks_missing",
                  "Xã {commune_code} chỉ có {value}/19 tiêu chí được đánh giá.",
                  "Commune {commune_code} has marks for only {value} of the 19 criteria.",
                  report="tc01..tc19", column="marks_count", min_value=19, max_value=19, row_condition=_col("kind") == "commune"),
            _rule("ExpectColumnPairValuesToBeEqual", "criteria_met_mismatch",
                  "Xã {commune_code} ghi {criteria_met_reported} tiêu chí đạt nhưng đếm được {criteria_met_counted}.",
                  "Commune {commune_code} reports {criteria_met_reported} criteria met but {criteria_met_counted} are marked met.",
                  report="criteria_met_reported", value="criteria_met_reported", column_A="criteria_met_reported", column_B="criteria_met_counted",
                  ignore_row_if="either_value_is_missing"),
            _rule("ExpectColumnValuesToBeBetween", "title_at_risk",
                  "Xã {commune_code} có danh hiệu {ntm_title} nhưng chỉ đạt {criteria_met_counted}/19 tiêu chí "
                  "(nguy cơ không duy trì danh hiệu).",
                  "Commune {commune_code} holds the title {ntm_title} but meets only {criteria_met_counted} of 19 "
                  "criteria (title at risk).",
                  severity="warning", report="ntm_title", value="ntm_title", column="criteria_met_counted",
                  min_value=19,
                  row_condition=(_col("kind") == "commune") & _col("ntm_title").is_in(["ntm", "advanced", "model"])),
            _rule("ExpectColumnValuesToBeInSet", "title_requires_ntm",
                  "Xã {commune_code} có danh hiệu {ntm_title} nhưng tháng trước chưa có danh hiệu NTM "
                  "(NTM nâng cao/kiểu mẫu đòi hỏi đã đạt chuẩn NTM).",
                  "Commune {commune_code} is titled {ntm_title} but held no NTM title the month before "
                  "(advanced and model titles require the NTM title).",
                  report="ntm_title", value="ntm_title", column="previous_title", value_set=["ntm", "advanced", "model"],
                  row_condition=(_col("kind") == "commune") & _col("ntm_title").is_in(["advanced", "model"])),
            _rule("ExpectColumnValuesToBeInSet", "model_requires_advanced",
                  "Xã {commune_code} có danh hiệu {ntm_title} nhưng tháng trước chưa đạt NTM nâng cao "
                  "(theo bộ tiêu chí 2021-2025, xã NTM kiểu mẫu phải là xã NTM nâng cao).",
                  "Commune {commune_code} is titled {ntm_title} but was not an advanced NTM commune the month "
                  "before (under the 2021-2025 criteria a model commune must be advanced first).",
                  report="ntm_title", value="ntm_title", column="previous_title", value_set=["advanced", "model"],
                  row_condition=(_col("kind") == "commune") & (_col("ntm_title") == "model")
                  & (_col("criteria_set") == "2021-2025")),
            _rule("ExpectColumnValuesToBeInSet", "unknown_commune_reference",
                  "Mã {value} ở trang {sheet} không thuộc danh sách xã của trang tieu_chi_xa.",
                  "Code {value} on sheet {sheet} is not one of the communes listed on tieu_chi_xa.",
                  value="reference", column="listed", value_set=[True], row_condition=_col("kind") == "reference"),
        ],
        MART: [
            _rule("ExpectColumnValuesToNotBeNull", "missing_in_marts",
                  "{relation}: tháng {month}, đơn vị {unit_code} (báo cáo {submission_id}) có trong raw ({raw_value}) "
                  "nhưng không có trong marts.",
                  "{relation}: month {month}, unit {unit_code} (submission {submission_id}) is in raw ({raw_value}) "
                  "but missing from the marts.",
                  check_column="check", value="raw_value", column="mart_value"),
            _rule("ExpectColumnValuesToNotBeNull", "missing_in_raw",
                  "{relation}: tháng {month}, đơn vị {unit_code} có trong marts ({mart_value}) nhưng không có báo cáo "
                  "được chấp nhận nào trong raw.",
                  "{relation}: month {month}, unit {unit_code} is in the marts ({mart_value}) but no accepted "
                  "submission in raw has it.",
                  check_column="check", value="mart_value", column="raw_value"),
            _rule("ExpectColumnValuesToBeBetween", "raw_marts_differ",
                  "{relation}: tháng {month}, đơn vị {unit_code} (báo cáo {submission_id}): raw {raw_value} khác "
                  "marts {mart_value}.",
                  "{relation}: month {month}, unit {unit_code} (submission {submission_id}): raw {raw_value} but "
                  "marts {mart_value}.",
                  check_column="check", value="mart_value", column="difference", min_value=-0.001, max_value=0.001),
        ],
    }


# ---------------------------------------------------------------------------------------------
# the Data Context (file mode, in expectations/gx), built once per process


@functools.cache
def _gx() -> Any:
    import great_expectations as gx  # noqa: F811 - lazy

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx


def context_root(settings: Settings | None = None) -> Path:
    return (settings or load_settings()).expectations_dir


@functools.cache
def _context(root: str) -> gx.data_context.AbstractDataContext:
    return _gx().get_context(mode="file", project_root_dir=root)


@functools.cache
def _suite_and_batch(root: str, suite: str) -> tuple[Any, Any]:
    ctx = _context(root)
    batch_definition = ctx.data_sources.get(DATASOURCE).get_asset(suite).get_batch_definition(BATCH_DEFINITION)
    return ctx.suites.get(suite), batch_definition


def write_context(root: Path | None = None) -> Path:
    """(Re)write the file Data Context from `build_suites()`: suites, one pandas asset with a
    whole-frame batch definition per suite, and one validation definition per suite. Run it after
    changing a rule: `python -m ingest.quality.validate write-context`."""
    gx = _gx()
    root = root or context_root()
    ctx = gx.get_context(mode="file", project_root_dir=str(root))
    ctx.variables.progress_bars = {"globally": False}
    ctx.variables.analytics_enabled = False
    ctx.variables.save()
    ds = ctx.data_sources.add_or_update_pandas(DATASOURCE)
    for name, rules in build_suites().items():
        asset = ds.get_asset(name) if name in ds.get_asset_names() else ds.add_dataframe_asset(name)
        if BATCH_DEFINITION not in [b.name for b in asset.batch_definitions]:
            asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
        suite = gx.ExpectationSuite(name=name, expectations=rules,
                                    meta={"description": f"NTM submission rules, {name} (ingest/quality/validate.py)"})
        if name in [s.name for s in ctx.suites.all()]:
            ctx.suites.delete(name)
        suite = ctx.suites.add(suite)
        vd_name = f"validate_{name}"
        try:
            ctx.validation_definitions.delete(vd_name)
        except Exception:  # noqa: BLE001 - absent on first write
            pass
        ctx.validation_definitions.add(gx.ValidationDefinition(
            name=vd_name, data=asset.get_batch_definition(BATCH_DEFINITION), suite=suite))
    _context.cache_clear()
    _suite_and_batch.cache_clear()
    return root / "gx"


# ---------------------------------------------------------------------------------------------
# preparing the frames (set-based pandas)


def _type_ok(series: pd.Series, kind: str) -> np.ndarray:
    """Per value: is it of the column's contract type (nulls pass)?"""
    if kind == _FLOAT and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return np.ones(len(series), dtype=bool)
    if kind == _INT and pd.api.types.is_integer_dtype(series):
        return np.ones(len(series), dtype=bool)
    if kind == _BOOL and pd.api.types.is_bool_dtype(series):
        return np.ones(len(series), dtype=bool)
    if kind == _INT and pd.api.types.is_float_dtype(series):
        return (series.isna() | (series == series.round())).to_numpy(dtype=bool)
    accept = {
        _STR: lambda v: isinstance(v, str),
        _DATE: lambda v: isinstance(v, date) and not isinstance(v, datetime),
        _INT: lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_),
        _FLOAT: lambda v: isinstance(v, float | int | np.integer | np.floating) and not isinstance(v, bool | np.bool_),
        _BOOL: lambda v: isinstance(v, bool | np.bool_),
    }[kind]
    values = series.astype(object).to_numpy()
    isna = pd.isna(values)
    return np.fromiter((n or accept(v) for v, n in zip(values, isna, strict=True)), dtype=bool, count=len(values))


def _months(d: pd.Series) -> pd.Series:
    d = pd.to_datetime(d, errors="coerce")
    return d.dt.year * 12 + d.dt.month


def _add_months(d: pd.Series, months: int) -> pd.Series:
    return pd.to_datetime(d, errors="coerce") + pd.DateOffset(months=months)


def _with_rid(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame["_rid"] = np.arange(len(frame), dtype="int64")
    return frame


def _stack(items: Sequence[BatchItem], sheet: str) -> tuple[pd.DataFrame, list[set[str]]]:
    """One sheet of every submission, concatenated and tagged with `submission_key` (the item's
    position); every required column exists (empty where a submission lacks it). Also returns,
    per submission, the required columns its frame lacks."""
    frames = [item.frames.get(sheet) for item in items]
    lengths = [0 if f is None else len(f) for f in frames]
    missing = []
    for f in frames:
        if f is None:
            missing.append(set() if sheet in OPTIONAL_SHEETS else set(REQUIRED[sheet]))
        elif f.empty and sheet in OPTIONAL_SHEETS:
            missing.append(set())
        else:
            missing.append(set(REQUIRED[sheet]) - set(f.columns))
    present = [f for f in frames if f is not None and len(f)]
    out = pd.concat(present, ignore_index=True, sort=False) if present else pd.DataFrame()
    out["submission_key"] = np.repeat(np.arange(len(items)), lengths)
    for col in [*REQUIRED[sheet], *OPTIONAL_COLUMNS.get(sheet, [])]:
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), dtype=object)
    out["sheet"] = sheet
    return out, missing


def prepare(items: Sequence[BatchItem]) -> tuple[dict[str, pd.DataFrame], dict[Any, set[tuple[str, str]]]]:
    """The frame each suite validates (all submissions of the batch concatenated, with derived
    columns), and per submission the (sheet, column) pairs missing from its frames."""
    n = len(items)
    frames: dict[str, pd.DataFrame] = {}
    missing: dict[Any, set[tuple[str, str]]] = {i: set() for i in range(n)}
    column_parts = []
    for sheet in SHEETS:
        stacked, absent = _stack(items, sheet)
        frames[sheet] = _with_rid(stacked)
        keys = stacked["submission_key"].to_numpy()
        for col, kind in REQUIRED[sheet].items():
            ok = pd.Series(_type_ok(stacked[col], kind)).groupby(keys).all() if len(stacked) else pd.Series(dtype=bool)
            typed = ok.reindex(range(n), fill_value=True).to_numpy(dtype=bool)
            here = np.array([col not in a for a in absent], dtype=bool)
            column_parts.append(pd.DataFrame({
                "submission_key": np.arange(n), "kind": "column", "sheet": sheet, "column_name": col,
                "expected_type": kind, "column_present": here, "column_typed": typed | ~here}))
        for i, a in enumerate(absent):
            missing[i].update((sheet, c) for c in a)
    meta_rows = []
    prev_funding, prev_titles = [], []
    for i, item in enumerate(items):
        tt = item.frames.get("thong_tin")
        first = tt.iloc[0].to_dict() if tt is not None and len(tt) else {}
        meta_rows.append({"submission_key": i, "received_on": item.received_on, "period": first.get("period"),
                          "submitting_unit_code": first.get("submitting_unit_code")})
        if item.previous_funding is not None and len(item.previous_funding):
            prev_funding.append(item.previous_funding.assign(submission_key=i))
        if item.previous_titles is not None and len(item.previous_titles):
            prev_titles.append(item.previous_titles.assign(submission_key=i))
    column_rows = pd.concat(column_parts, ignore_index=True)

    meta = pd.DataFrame(meta_rows)
    meta["period_end"] = (_add_months(meta["period"], 1) - pd.Timedelta(days=1)).dt.date

    # thong_tin: months after the received month; December district submissions need tieu_chi_huyen
    tt = frames["thong_tin"].merge(meta[["submission_key", "received_on"]], on="submission_key", how="left")
    tt["months_after_received"] = (_months(tt["period"]) - _months(tt["received_on"])).astype("Int64")
    huyen_rows = frames["tieu_chi_huyen"].groupby("submission_key").size()
    tt["district_criteria_rows"] = tt["submission_key"].map(huyen_rows).fillna(0).astype("int64")
    unit = tt["submitting_unit_code"].astype("string")
    tt["december_district"] = ((pd.to_datetime(tt["period"], errors="coerce").dt.month == 12)
                               & unit.str.fullmatch(r"\d{3}").fillna(False).astype(bool))
    if "excel_row" not in tt.columns:
        tt["excel_row"] = pd.array([None] * len(tt), dtype="Int64")
    frames["thong_tin"] = tt

    # nguon_von: sum of sources under each `tong` row; change from the previous month
    nv = frames["nguon_von"]
    nv["amount_mvnd"] = pd.to_numeric(nv["amount_mvnd"], errors="coerce").astype("float64")
    is_total = nv["source_code"] == "tong"
    sources = nv[~is_total]
    by_unit = sources.groupby(["submission_key", "unit_code"])["amount_mvnd"].sum()
    by_type = sources.groupby(["submission_key", "unit_code", "capital_type"])["amount_mvnd"].sum()
    keys_unit = pd.MultiIndex.from_frame(nv[["submission_key", "unit_code"]])
    keys_type = pd.MultiIndex.from_frame(nv[["submission_key", "unit_code", "capital_type"]])
    sums = np.where(nv["capital_type"] == "all", by_unit.reindex(keys_unit).to_numpy(),
                    by_type.reindex(keys_type).to_numpy())
    nv["sources_sum"] = np.where(is_total, np.nan_to_num(sums.astype("float64")), np.nan).round(3)
    nv["total_difference"] = (nv["amount_mvnd"] - nv["sources_sum"]).round(3)
    fkey = ["submission_key", "unit_code", "source_code", "capital_type"]
    if prev_funding:
        prev = pd.concat(prev_funding, ignore_index=True)[[*fkey, "amount_mvnd"]]
        prev = prev.rename(columns={"amount_mvnd": "prev_amount_mvnd"}).drop_duplicates(fkey)
        nv = nv.merge(prev, on=fkey, how="left")
    else:
        nv["prev_amount_mvnd"] = np.nan
    nv["prev_amount_mvnd"] = nv["prev_amount_mvnd"].astype("float64")
    nv["change_from_previous_mvnd"] = (nv["amount_mvnd"] - nv["prev_amount_mvnd"]).round(3)
    frames["nguon_von"] = nv

    # ocop: stable product key, validity and expiry against the period end
    oc = frames["ocop"].merge(meta[["submission_key", "period_end"]], on="submission_key", how="left")
    name = oc["product_name"].astype("string").str.casefold().str.split().str.join(" ")
    entity = oc["entity_name"].astype("string").str.casefold().str.split().str.join(" ") \
        if "entity_name" in oc.columns else ""
    derived = oc["commune_code"].astype("string") + "|" + name + "|" + (entity if isinstance(entity, str)
                                                                       else entity.fillna(""))
    oc["product_key"] = oc.get("product_code", pd.Series(index=oc.index, dtype=object)).astype("string") \
        .fillna(derived).astype(object)
    oc["stars"] = pd.to_numeric(oc["stars"], errors="coerce").astype("Int64")
    anniversary = _add_months(oc["decision_date"], VALIDITY_MONTHS)
    oc["validity_offset_days"] = (pd.to_datetime(oc["valid_until"], errors="coerce") - anniversary).dt.days.astype("Int64")
    after_end = (pd.to_datetime(oc["valid_until"], errors="coerce")
                 - pd.to_datetime(oc["period_end"], errors="coerce")).dt.days.astype("Int64")
    oc["expired_days_after_period_end"] = after_end.where(oc["status"] == "expired")
    frames["ocop"] = oc

    frames["thong_tin"], frames["nguon_von"], frames["ocop"] = (
        _with_rid(frames[s].sort_values("_rid", kind="stable")) for s in ("thong_tin", "nguon_von", "ocop"))
    frames[CROSS] = _cross(frames, column_rows, meta, prev_titles)
    return frames, missing


def _cross(frames: dict[str, pd.DataFrame], column_rows: list[dict[str, Any]], meta: pd.DataFrame,
           prev_titles: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of three kinds: `column` (schema of each sheet), `commune` (tieu_chi_xa with what the
    marks say) and `reference` (a commune code on another sheet)."""
    xa, marks = frames["tieu_chi_xa"], frames["tieu_chi_xa_mark"]
    met = marks.assign(is_met=marks["is_met"].fillna(False).astype(bool)) \
        .groupby(["submission_key", "commune_code"]).agg(marks_count=("criterion_code", "nunique"),
                                                         criteria_met_counted=("is_met", "sum"))
    communes = xa[["submission_key", "excel_row", "commune_code", "criteria_met_reported", "ntm_title"]] \
        .merge(met.reset_index(), on=["submission_key", "commune_code"], how="left")
    communes["marks_count"] = communes["marks_count"].fillna(0).astype("int64")
    communes["criteria_met_counted"] = communes["criteria_met_counted"].fillna(0).astype("int64")
    communes["criteria_met_reported"] = pd.to_numeric(communes["criteria_met_reported"], errors="coerce").astype("Int64")
    if prev_titles:
        prev = pd.concat(prev_titles, ignore_index=True)[["submission_key", "commune_code", "ntm_title"]]
        prev = prev.rename(columns={"ntm_title": "previous_title"}).drop_duplicates(["submission_key", "commune_code"])
        communes = communes.merge(prev, on=["submission_key", "commune_code"], how="left")
    else:
        communes["previous_title"] = None
    sets = frames["thong_tin"][["submission_key", "criteria_set"]].drop_duplicates("submission_key")
    communes = communes.merge(sets, on="submission_key", how="left")
    communes = communes.assign(kind="commune", sheet="tieu_chi_xa", column_name="ntm_title")

    listed = xa[["submission_key", "commune_code"]].dropna().drop_duplicates().assign(listed=True)
    own = meta[["submission_key", "submitting_unit_code"]].rename(columns={"submitting_unit_code": "code"})
    refs = []
    for sheet, col in (("tieu_chi_xa_mark", "commune_code"), ("ocop", "commune_code"), ("ho_tro", "commune_code"),
                       ("nguon_von", "unit_code")):
        f = frames[sheet]
        if f.empty:
            continue
        f = f[f["source_code"] != "tong"] if sheet == "nguon_von" else f
        ref = f[["submission_key", "excel_row", col]].rename(columns={col: "reference"})
        ref = ref.merge(listed.rename(columns={"commune_code": "reference"}), on=["submission_key", "reference"],
                        how="left")
        ok = ref["listed"].fillna(False).astype(bool) | ref["reference"].isna()
        if sheet == "nguon_von":
            mine = ref.merge(own, on="submission_key", how="left")["code"]
            ok |= (ref["reference"].to_numpy() == mine.to_numpy())
        refs.append(ref.assign(listed=ok.to_numpy(), sheet=sheet, column_name=col, kind="reference"))
    parts = [column_rows, communes, *refs]
    out = _with_rid(pd.concat([p for p in parts if len(p)], ignore_index=True, sort=False))
    for c in ("column_present", "column_typed", "listed"):
        if c not in out.columns:
            out[c] = None
        out[c] = out[c].astype(object)
    out["excel_row"] = pd.to_numeric(out["excel_row"], errors="coerce").astype("Int64")
    return out


# ---------------------------------------------------------------------------------------------
# running the suites and mapping the results back to findings


_RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS,
                  "return_unexpected_index_query": False, "partial_unexpected_count": 20}


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


def _slim(result_dict: dict) -> dict:
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
    suite, batch_definition = _suite_and_batch(str(context_root(settings)), suite_name)
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
        docs_url = render_validation_page(result, suite_name, settings, _asset_label(suite_name, batch)) \
            if build_docs else None
        slim = _slim(result_dict)
        slim["batch_size"] = len(batch)
        for i in range(len(batch)):
            fs = findings[i]
            failed_checks = {f.check_name for f in fs}
            per_item[i].append(ValidationRun(
                suite=suite_name, started_at=started, finished_at=finished,
                success=not any(f.severity == "error" for f in fs),
                evaluated=len(result.results), failed=len(failed_checks), gx_result=slim,
                data_docs_url=docs_url, findings=fs))
    if build_docs:
        write_index(settings.data_docs_dir)
    return {item.key: per_item[i] for i, item in enumerate(batch)}


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


# ---------------------------------------------------------------------------------------------
# recording


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


# ---------------------------------------------------------------------------------------------
# Data Docs: GX's renderers, written into Settings.data_docs_dir, with local copies of the
# browser libraries (npm, expectations/node_modules) instead of CDN links


# CDN address (prefix) → file under expectations/node_modules, copied to <site>/vendor/<same path>
VENDOR: dict[str, str] = {
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/dist/bootstrap-table.min.css",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "@fortawesome/fontawesome-free/css/all.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/dist/umd/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js",
}
VENDOR_DIRS = ("@fortawesome/fontawesome-free/webfonts",)  # fonts the Font Awesome CSS loads relatively
GX_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
_GX_IMAGES = {"logo-long.png", "logo-long-vector.svg", "short-logo.png", "short-logo-vector.svg", "favicon.ico"}
_URL_ATTR = re.compile(r'(src|href)="(https?://[^"]+)"')
_CSS_URL = re.compile(r"""url\(['"]?(https://great-expectations-web-assets[^'")]+)['"]?\)""")
_HOME = re.compile(r'href="(?:\.\./)*index\.html"')
_STATIC = re.compile(r'(src|href)="(?:\.\./|\./)*static/')
_SUITE_LINK = re.compile(r'href="(?:\.\./)+expectations/')
_INTEGRITY = re.compile(r'\s+(integrity="[^"]*"|crossorigin="[^"]*")')


def node_modules(settings: Settings | None = None) -> Path:
    return (settings or load_settings()).expectations_dir / "node_modules"


@functools.cache
def _install_site_assets(site: str, modules: str) -> bool:
    """Copy the vendored libraries and GX's images into the site (once per process)."""
    site_dir, mod_dir = Path(site), Path(modules)
    ok = True
    for rel in [*VENDOR.values(), *VENDOR_DIRS]:
        src, dst = mod_dir / rel, site_dir / "vendor" / rel
        if not src.exists():
            ok = False
            continue
        if dst.exists() and (dst.is_dir() or dst.stat().st_size == src.stat().st_size):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
    images = Path(sys.modules[_gx().__name__].__file__).parent / "render" / "view" / "static" / "images"
    shutil.copytree(images, site_dir / "static" / "images", dirs_exist_ok=True)
    if not ok:
        log.warning("Data Docs: browser libraries missing under %s: run `npm ci --prefix expectations`", modules)
    return ok


def localise_html(page: str, depth: int) -> str:
    """Point CDN links of a GX page at the site's local copies; drop SRI attributes (local files)."""
    up = "../" * depth

    def swap(m: re.Match) -> str:
        attr, url = m.group(1), m.group(2)
        if url in VENDOR:
            return f'{attr}="{up}vendor/{VENDOR[url]}"'
        if url.startswith(GX_ASSETS):
            return f'{attr}="{up}static/images/{image(url)}"'
        return m.group(0)

    def image(url: str) -> str:
        name = url[len(GX_ASSETS):].split("?")[0]
        return name if name in _GX_IMAGES else "logo-long.png"

    page = _URL_ATTR.sub(swap, page)
    page = _CSS_URL.sub(lambda m: f"url('{up}static/images/{image(m.group(1))}')", page)
    page = _HOME.sub(f'href="{up}index.html"', page)
    page = _STATIC.sub(lambda m: f'{m.group(1)}="{up}static/', page)
    page = _SUITE_LINK.sub(f'href="{up}expectations/', page)
    return _INTEGRITY.sub("", page)


def _write_atomic(path: Path, text: str) -> Path:
    """Write then rename: readers and parallel (Airflow) writers never see half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _write_page(site: Path, rel: str, page: str) -> Path:
    return _write_atomic(site / rel, localise_html(page, rel.count("/")))


def render_validation_page(result: Any, suite: str, settings: Settings | None = None,
                           asset: str | None = None) -> str:
    """Render one validation result (and, once per process, the suite pages and the index) into
    the site; returns the page's file:// URL. `asset` names what was validated on the page."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    settings = settings or load_settings()
    site = settings.data_docs_dir
    _install_site_assets(str(site), str(node_modules(settings)))
    _render_suite_pages(str(site), str(context_root(settings)))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    run_name = f"{stamp}-{uuid.uuid4().hex[:8]}"
    rel = f"validations/{suite}/{run_name}.html"
    result.meta["run_id"] = {"run_name": run_name, "run_time": datetime.now(UTC).isoformat()}
    result.meta["batch_kwargs"] = {"data_asset_name": asset or suite}
    document = ValidationResultsPageRenderer().render(result)
    path = _write_page(site, rel, DefaultJinjaPageView().render(document))
    return path.as_uri()


@functools.cache
def _render_suite_pages(site: str, root: str) -> None:
    from great_expectations.render.renderer import ExpectationSuitePageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    site_dir = Path(site)
    ctx = _context(root)
    for name in (*SUITES, MART):
        document = ExpectationSuitePageRenderer().render(ctx.suites.get(name))
        _write_page(site_dir, f"expectations/{name}.html", DefaultJinjaPageView().render(document))


def write_index(site: Path) -> Path:
    """A small index of the suites and of the latest validation pages (local styles only)."""
    latest = sorted(site.glob("validations/*/*.html"), key=lambda p: p.name, reverse=True)[:200]
    suites = "".join(f'<li><a href="expectations/{s}.html">{s}</a></li>' for s in (*SUITES, MART))
    runs = "".join(f'<li><a href="{html.escape(p.relative_to(site).as_posix())}">{html.escape(p.parent.name)} · '
                   f'{html.escape(p.stem)}</a></li>' for p in latest)
    page = (f'<!DOCTYPE html><html><head><meta charset="UTF-8"><title>NTM Data Docs</title>'
            f'<link rel="stylesheet" href="vendor/{VENDOR["https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"]}">'
            f'</head><body class="container"><h1>NTM — kiểm tra dữ liệu / data quality</h1>'
            f'<h2>Bộ quy tắc / Expectation suites</h2><ul>{suites}</ul>'
            f'<h2>Lần kiểm tra gần nhất / Latest validations</h2><ul>{runs}</ul></body></html>')
    return _write_atomic(site / "index.html", page)


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["write-context"]:
        t0 = time.perf_counter()
        print(f"wrote {write_context()} in {time.perf_counter() - t0:.1f} s")
        return 0
    print("usage: python -m ingest.quality.validate write-context", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

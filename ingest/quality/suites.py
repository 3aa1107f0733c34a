"""The Great Expectations rules, as code, and the file Data Context written from them.

The suites live in a file Data Context in `expectations/gx/` (one JSON file per suite, written
from `build_suites()` below by `python -m ingest.quality.suites write-context`; a test keeps the
two equal). Every expectation carries in its `meta` the check name and the message shown to the
sender (Vietnamese and English); its GX `severity` is `critical` (→ finding `error`, blocks the
load) or `warning` (loads, flagged). The code lists come from `ingest.contract`.

Interpretation of "advanced / model titles only on NTM communes": the normalised `ntm_title` is
the highest title, and an advanced or model commune holds the NTM title by construction. The rule
is therefore checked against the previous month: when the previous month's titles are given
(`previous_titles`: commune_code, ntm_title, e.g. from the accepted submission of the month
before), a commune titled advanced or model must have held a title then (`title_requires_ntm`,
an error; a commune with no previous record is not judged); under the 2021-2025 criteria a model
commune must have been advanced or model then (`model_requires_advanced`, domain.md: titles build
on each other). A titled commune (any level) that no longer meets all 19 criteria is the warning
`title_at_risk` (the "maintenance" problem; it loads), as marts.fct_commune_status.title_at_risk
counts it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ingest import contract
from ingest.quality.context import BATCH_DEFINITION, DATASOURCE, context_root, forget, gx_module

SHEETS = ("thong_tin", "tieu_chi_xa", "tieu_chi_xa_mark", "tieu_chi_huyen", "nguon_von", "ocop", "ho_tro",
          "kieu_mau", "ke_hoach")
CROSS = "cross_sheet"
SUITES = (*SHEETS, CROSS)
MART = "mart_reconciliation"   # ingest/warehouse/reconcile.py

# The code lists, from the contract ("none" is the normalised absence of a title).
CRITERIA = tuple(contract.CRITERIA)
TITLES = ("none", *contract.TITLES)
SOURCES = tuple(contract.SOURCES)              # the funding sources and the `tong` (total) row
STATUSES = tuple(contract.STATUSES)
CATALOGUES = tuple(contract.CATALOGUES)        # OCOP: Decision 148/QĐ-TTg (2023), 1048/QĐ-TTg (2019)
PRODUCT_GROUPS = tuple(dict.fromkeys(g for groups in contract.CATALOGUES.values() for g in groups))
CAPITAL_TYPES = (*contract.CAPITAL_TYPES, "all")
CRITERIA_SETS = tuple(contract.CRITERIA_SETS)
MAX_AMOUNT = 1e12  # million VND; anything above (or ±inf) is not a real figure
TOTAL_TOLERANCE = 0.5
VALIDITY_SLACK_DAYS = 31
INDICATORS = tuple(contract.INDICATORS)         # ke_hoach: targets and registrations
REGISTRATIONS = tuple(contract.PLAN_REGISTRATIONS)
MODEL_COUNTS = ("model_villages", "model_villages_registered", "model_roads")  # kieu_mau, whole numbers ≥ 0
MAX_COUNT = 1e9

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
        "thong_tin": _thong_tin_rules(),
        "tieu_chi_xa": _tieu_chi_xa_rules(),
        "tieu_chi_xa_mark": _tieu_chi_xa_mark_rules(),
        "tieu_chi_huyen": _tieu_chi_huyen_rules(),
        "nguon_von": _nguon_von_rules(),
        "ocop": _ocop_rules(),
        "ho_tro": _ho_tro_rules(),
        "kieu_mau": _kieu_mau_rules(),
        "ke_hoach": _ke_hoach_rules(),
        CROSS: _cross_sheet_rules(),
        MART: _mart_rules(),
    }


def _thong_tin_rules() -> list[Any]:
    return [
        _code_rule("province_code", "2"),
        _code_rule("submitting_unit_code", "2/3/5"),
        _not_null("period"),
        _rule("ExpectColumnValuesToBeBetween", "version_positive",
              "Lần gửi phải là số nguyên ≥ 1 (tìm thấy {value}).", "The version must be an integer ≥ 1 (found {value}).",
              column="version", min_value=1),
        _in_set("criteria_set", CRITERIA_SETS, "criteria_set_known"),
        _rule("ExpectColumnValuesToBeBetween", "future_period",
              "Kỳ báo cáo {period} muộn hơn tháng nhận tệp ({received_on}).",
              "The reporting period {period} is later than the month the file was received ({received_on}).",
              report="period", value="period", column="months_after_received", max_value=0),
        _rule("ExpectColumnValuesToBeBetween", "district_criteria_missing",
              "Báo cáo tháng 12 của huyện phải có trang tieu_chi_huyen đủ 9 tiêu chí (có {value}).",
              "A district's December submission must carry tieu_chi_huyen with all 9 criteria (found {value}).",
              sheet="tieu_chi_huyen", column="district_criteria_rows", min_value=9, max_value=9,
              row_condition=_col("december_district") == True),  # noqa: E712 - builds a Condition
    ]


def _tieu_chi_xa_rules() -> list[Any]:
    return [
        _not_null("commune_code"),
        _code_rule("commune_code", "5"),
        _unique(["commune_code"], "duplicate_commune", "Xã", "commune"),
        _in_set("ntm_title", TITLES, "title_known"),
        _not_null("ntm_title"),
        _in_set("hardship", tuple(contract.HARDSHIP), "hardship_known"),
        _rule("ExpectColumnValuesToBeBetween", "criteria_met_range",
              "Số tiêu chí đạt {value} phải từ 0 đến 19.", "Criteria met {value} must be between 0 and 19.",
              column="criteria_met_reported", min_value=0, max_value=19),
    ]


def _tieu_chi_xa_mark_rules() -> list[Any]:
    return [
        _code_rule("commune_code", "5"),
        _in_set("criterion_code", CRITERIA, "criterion_known"),
        _not_null("is_met", "mark_present"),
        _unique(["commune_code", "criterion_code"], "duplicate_mark", "Đánh giá tiêu chí của xã", "criterion mark"),
    ]


def _tieu_chi_huyen_rules() -> list[Any]:
    return [
        _rule("ExpectColumnValuesToBeBetween", "district_criterion_known",
              "Tiêu chí huyện {value} phải từ 1 đến 9.", "District criterion {value} must be between 1 and 9.",
              column="criterion_no", min_value=1, max_value=9),
        _not_null("criterion_no"),
        _not_null("is_met", "mark_present"),
        _in_set("district_title", tuple(contract.TITLES), "title_known"),
        _unique(["criterion_no"], "duplicate_district_criterion", "Tiêu chí huyện", "district criterion"),
    ]


def _nguon_von_rules() -> list[Any]:
    return [
        _not_null("unit_code"),
        _code_rule("unit_code", "2/3/5"),
        _in_set("source_code", SOURCES, "source_known"),
        _in_set("capital_type", CAPITAL_TYPES, "capital_type_known"),
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
    ]


def _ocop_rules() -> list[Any]:
    return [
        _not_null("product_name"),
        _code_rule("commune_code", "5"),
        _in_set("product_group", PRODUCT_GROUPS, "product_group_known"),
        _in_set("catalogue", CATALOGUES, "ocop_catalogue_known"),
        _not_null("catalogue"),
        _in_set("status", STATUSES, "ocop_status_known"),
        _not_null("status"),
        _in_set("entity_type", tuple(contract.ENTITY_TYPES), "entity_type_known"),
        _unique(["product_key"], "duplicate_product", "Sản phẩm OCOP", "OCOP product"),
        _in_set("stars", contract.STARS, "stars_out_of_range",
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
    ]


def _ho_tro_rules() -> list[Any]:
    return [
        _code_rule("commune_code", "5"),
        _not_null("supporting_agency"),
        *_amount("value_mvnd"),
    ]


def _count(column: str, what_vi: str) -> list[Any]:
    """A count: ≥ 0 and whole (the frame's `<column>_fraction` is its part after the point)."""
    return [
        _rule("ExpectColumnValuesToBeBetween", "count_negative",
              f"{what_vi} {{value}} ở cột {column} không được âm.",
              f"The count {{value}} in column {column} must not be negative.",
              column=column, min_value=0, max_value=MAX_COUNT),
        _rule("ExpectColumnValuesToBeBetween", "count_not_whole",
              f"{what_vi} {{value}} ở cột {column} phải là số nguyên.",
              f"The count {{value}} in column {column} must be a whole number.",
              report=column, value=column, column=f"{column}_fraction", min_value=0, max_value=0),
    ]


def _kieu_mau_rules() -> list[Any]:
    """Model villages and roads (submission-format.md, `kieu_mau`): whole counts ≥ 0; a road length
    needs its count of roads (error); a cumulative count that falls from the previous month's
    accepted submission is a warning (a recognition withdrawn, or a typing slip)."""
    return [
        _not_null("commune_code"),
        _code_rule("commune_code", "5"),
        _unique(["commune_code"], "duplicate_commune", "Xã", "commune"),
        *_count("model_villages", "Số thôn kiểu mẫu"),
        *_count("model_villages_registered", "Số thôn đăng ký kiểu mẫu"),
        *_count("model_roads", "Số tuyến đường kiểu mẫu"),
        _rule("ExpectColumnValuesToBeBetween", "road_length_negative",
              "Chiều dài {value} km ở cột model_roads_km không được âm.",
              "The length {value} km in column model_roads_km must not be negative.",
              column="model_roads_km", min_value=0, max_value=MAX_COUNT),
        _rule("ExpectColumnValuesToBeInSet", "road_length_without_count",
              "Xã {commune_code} ghi {model_roads_km} km đường kiểu mẫu nhưng không ghi số tuyến đường kiểu mẫu.",
              "Commune {commune_code} gives {model_roads_km} km of model roads but no count of model roads.",
              report="model_roads_km", value="model_roads_km", column="road_length_without_count", value_set=[False]),
        _rule("ExpectColumnValuesToBeBetween", "model_count_decreased",
              "Số thôn kiểu mẫu (lũy kế) của xã {commune_code} giảm từ {prev_model_villages} (tháng trước) "
              "xuống {model_villages}.",
              "The cumulative count of model villages of commune {commune_code} fell from {prev_model_villages} "
              "(previous month) to {model_villages}.",
              severity="warning", report="model_villages", value="model_villages",
              column="model_villages_change", min_value=0),
        _rule("ExpectColumnValuesToBeBetween", "model_count_decreased",
              "Số tuyến đường kiểu mẫu (lũy kế) của xã {commune_code} giảm từ {prev_model_roads} (tháng trước) "
              "xuống {model_roads}.",
              "The cumulative count of model roads of commune {commune_code} fell from {prev_model_roads} "
              "(previous month) to {model_roads}.",
              severity="warning", report="model_roads", value="model_roads",
              column="model_roads_change", min_value=0),
    ]


def _ke_hoach_rules() -> list[Any]:
    """The year's plan (submission-format.md, `ke_hoach`): the plan's year is the period's year,
    targets are whole numbers ≥ 0, a registration's target is 1, one row per (unit, indicator)."""
    return [
        _not_null("year"),
        _rule("ExpectColumnValuesToBeBetween", "plan_year_mismatch",
              "Kế hoạch năm {value} nhưng kỳ báo cáo là {period}: kế hoạch phải là của năm kỳ báo cáo.",
              "The plan is for {value} but the reporting period is {period}: the plan must be for the period's year.",
              report="year", value="year", column="years_after_period", min_value=0, max_value=0),
        _code_rule("unit_code", "2/3/5"),
        _in_set("indicator", INDICATORS, "indicator_known"),
        _not_null("indicator"),
        _not_null("target"),
        *_count("target", "Chỉ tiêu kế hoạch"),
        _rule("ExpectColumnValuesToBeInSet", "registration_target",
              "Dòng đăng ký {indicator} của xã {unit_code} phải ghi kế hoạch 1 (tìm thấy {value}).",
              "The registration {indicator} of commune {unit_code} must have target 1 (found {value}).",
              column="target", value_set=[1, 1.0], row_condition=_col("indicator").is_in(list(REGISTRATIONS))),
        _unique(["year", "unit_code", "indicator"], "duplicate_plan_row", "Dòng kế hoạch", "plan row"),
    ]


def _cross_sheet_rules() -> list[Any]:
    return [
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
              row_condition=(_col("kind") == "commune") & _col("ntm_title").is_in(list(contract.TITLES))),
        _rule("ExpectColumnValuesToBeInSet", "title_requires_ntm",
              "Xã {commune_code} có danh hiệu {ntm_title} nhưng tháng trước chưa có danh hiệu NTM "
              "(NTM nâng cao/kiểu mẫu đòi hỏi đã đạt chuẩn NTM).",
              "Commune {commune_code} is titled {ntm_title} but held no NTM title the month before "
              "(advanced and model titles require the NTM title).",
              report="ntm_title", value="ntm_title", column="previous_title", value_set=list(contract.TITLES),
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
    ]


def _mart_rules() -> list[Any]:
    return [
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
    ]


def write_context(root: Path | None = None) -> Path:
    """(Re)write the file Data Context from `build_suites()`: suites, one pandas asset with a
    whole-frame batch definition per suite, and one validation definition per suite. Run it after
    changing a rule: `python -m ingest.quality.suites write-context`."""
    gx = gx_module()
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
                                    meta={"description": f"NTM submission rules, {name} (ingest/quality/suites.py)"})
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
    forget()
    return root / "gx"


def main(argv: Iterable[str] | None = None) -> int:
    """`python -m ingest.quality.suites write-context`: rewrite expectations/gx from the code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["write-context"]:
        t0 = time.perf_counter()
        print(f"wrote {write_context()} in {time.perf_counter() - t0:.1f} s")
        return 0
    print("usage: python -m ingest.quality.suites write-context", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

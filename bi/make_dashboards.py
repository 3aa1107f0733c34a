"""Write the dashboards as code (bi/dashboards/, Superset's export format) from the short
description below and the marts' dbt YAML (column names and types).

The YAML under bi/dashboards/ is what Superset imports (ingest.devtools.superset_local) and what
is reviewed; this script only saves writing hundreds of lines by hand. After changing it, run
`.venv/bin/python bi/make_dashboards.py` and commit both. Datasets are the marts themselves
(physical tables of schema `marts`, no SQL); every dashboard has the month and province filters.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "dashboards"
NS = uuid.UUID("6f1d7a52-3c1e-4b8e-9a51-0d2c6b1e7a16")
DATABASE = "Kho dữ liệu NTM (marts)"
MARTS = ("mart_progress", "mart_funding", "mart_ocop", "mart_submission_coverage", "mart_plan", "fct_commune_status",
         "fct_commune_criteria", "fct_ocop_product")


def uid(*parts: str) -> str:
    return str(uuid.uuid5(NS, "/".join(parts)))


def _columns() -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list[tuple[str, str, str]]] = {}
    for f in sorted((ROOT / "dbt_project" / "models" / "marts").rglob("_*.yml")):
        for m in yaml.safe_load(f.read_text(encoding="utf-8")).get("models") or []:
            if m["name"] in MARTS:
                out[m["name"]] = [(c["name"], str(c.get("data_type") or "text"), c.get("description") or "")
                                  for c in m.get("columns", [])]
    return out


def metric(col: str, label: str, agg: str = "SUM") -> dict[str, Any]:
    return {"expressionType": "SIMPLE", "column": {"column_name": col}, "aggregate": agg, "label": label,
            "hasCustomLabel": True, "optionName": f"metric_{col}_{agg.lower()}"}


def where(col: str, op: str, value: Any = None) -> dict[str, Any]:
    f = {"clause": "WHERE", "expressionType": "SIMPLE", "subject": col, "operator": op}
    if value is not None:
        f["comparator"] = value
    return f


PROVINCE = where("unit_level", "==", "province")
DISTRICT = where("unit_level", "==", "district")

# dashboard slug → (title, description, [chart: (key, title, dataset, viz_type, params, width[, description])])
DASHBOARDS: dict[str, tuple[str, str, list[tuple[Any, ...]]]] = {
    "tien-do-ntm": ("Tiến độ NTM", "Xã đạt chuẩn nông thôn mới theo tỉnh, huyện và tháng.", [
        ("xa_dat_chuan", "Số xã đạt chuẩn NTM (toàn tỉnh)", "mart_progress", "big_number_total",
         {"metric": metric("communes_ntm", "Xã đạt chuẩn NTM"), "adhoc_filters": [PROVINCE],
          "subheader": "xã (tháng đã chọn; nhiều tháng thì cộng dồn)"}, 4),
        ("tb_tieu_chi", "Số tiêu chí đạt bình quân/xã", "mart_progress", "big_number_total",
         {"metric": metric("avg_criteria_per_commune", "Tiêu chí đạt bình quân", "AVG"),
          "adhoc_filters": [PROVINCE], "y_axis_format": ",.1f"}, 4),
        ("nguy_co", "Xã đã có danh hiệu nhưng chưa đạt đủ tiêu chí", "mart_progress", "big_number_total",
         {"metric": metric("titles_at_risk", "Danh hiệu có nguy cơ"), "adhoc_filters": [PROVINCE]}, 4),
        ("theo_thang", "Xã đạt chuẩn theo huyện, từng tháng", "mart_progress", "echarts_timeseries_line",
         {"x_axis": "month", "time_grain_sqla": "P1M", "metrics": [metric("communes_ntm", "Xã đạt chuẩn NTM")],
          "groupby": ["unit_code"], "adhoc_filters": [DISTRICT], "x_axis_title": "Tháng",
          "y_axis_title": "Số xã"}, 6),
        ("theo_cap", "Danh hiệu theo cấp: NTM, nâng cao, kiểu mẫu", "mart_progress", "echarts_timeseries_bar",
         {"x_axis": "month", "time_grain_sqla": "P1M", "adhoc_filters": [PROVINCE], "stack": "Stack",
          "metrics": [metric("communes_ntm", "NTM (mọi cấp)"), metric("communes_advanced", "NTM nâng cao"),
                      metric("communes_model", "NTM kiểu mẫu")]}, 6),
        ("nhom_tieu_chi", "Xã theo số tiêu chí đạt", "mart_progress", "echarts_timeseries_bar",
         {"x_axis": "month", "time_grain_sqla": "P1M", "adhoc_filters": [PROVINCE], "stack": "Stack",
          "metrics": [metric("communes_19", "19 tiêu chí"), metric("communes_15_18", "15–18"),
                      metric("communes_10_14", "10–14"), metric("communes_5_9", "5–9"),
                      metric("communes_lt5", "dưới 5")]}, 6),
        ("it_dat_nhat", "Tiêu chí ít xã đạt nhất (số lượt xã chưa đạt)", "fct_commune_criteria",
         "echarts_timeseries_bar",
         {"x_axis": "criterion_code", "metrics": [metric("commune_code", "Lượt xã chưa đạt", "COUNT")],
          "adhoc_filters": [where("is_met", "IS FALSE")], "x_axis_sort": "Lượt xã chưa đạt",
          "x_axis_sort_asc": False, "row_limit": 10}, 6),
        ("ds_nguy_co", "Xã có danh hiệu nhưng chưa đạt đủ tiêu chí", "fct_commune_status", "table",
         {"query_mode": "raw", "all_columns": ["month", "district_code", "commune_code", "commune_name",
                                               "ntm_title", "criteria_met", "criteria_total"],
          "adhoc_filters": [where("title_at_risk", "IS TRUE")], "row_limit": 1000}, 12),
    ]),
    "huy-dong-nguon-luc": ("Huy động nguồn lực", "Vốn huy động theo nguồn: lũy kế năm, lũy kế giai đoạn, "
                           "tỷ lệ đóng góp của cộng đồng.", [
        ("tong_nam", "Tổng vốn lũy kế năm (triệu đồng)", "mart_funding", "big_number_total",
         {"metric": metric("total_ytd_mvnd", "Tổng vốn lũy kế năm"), "adhoc_filters": [PROVINCE],
          "y_axis_format": ",.0f"}, 4),
        ("tong_giai_doan", "Tổng vốn lũy kế giai đoạn (triệu đồng)", "mart_funding", "big_number_total",
         {"metric": metric("total_phase_mvnd", "Tổng vốn lũy kế giai đoạn"), "adhoc_filters": [PROVINCE],
          "y_axis_format": ",.0f"}, 4),
        ("cong_dong", "Tỷ lệ vốn cộng đồng (bình quân các huyện)", "mart_funding", "big_number_total",
         {"metric": metric("community_share", "Tỷ lệ cộng đồng", "AVG"), "adhoc_filters": [DISTRICT],
          "y_axis_format": ".1%"}, 4),
        ("theo_nguon", "Vốn lũy kế năm theo nguồn", "mart_funding", "echarts_timeseries_bar",
         {"x_axis": "month", "time_grain_sqla": "P1M", "adhoc_filters": [PROVINCE], "stack": "Stack",
          "metrics": [metric("ns_tw_ytd_mvnd", "NS trung ương"), metric("ns_tinh_ytd_mvnd", "NS tỉnh"),
                      metric("ns_huyen_xa_ytd_mvnd", "NS huyện, xã"), metric("long_ghep_ytd_mvnd", "Lồng ghép"),
                      metric("tin_dung_ytd_mvnd", "Tín dụng"), metric("doanh_nghiep_ytd_mvnd", "Doanh nghiệp"),
                      metric("nhan_dan_ytd_mvnd", "Nhân dân"), metric("khac_ytd_mvnd", "Khác")]}, 12),
        ("theo_huyen", "Vốn theo huyện", "mart_funding", "table",
         {"query_mode": "aggregate", "groupby": ["month", "unit_code", "phase"], "adhoc_filters": [DISTRICT],
          "metrics": [metric("total_ytd_mvnd", "Lũy kế năm (tr.đ)"), metric("total_phase_mvnd",
                      "Lũy kế giai đoạn (tr.đ)"), metric("community_share", "Tỷ lệ cộng đồng", "AVG"),
                      metric("state_budget_share", "Tỷ lệ ngân sách", "AVG")], "row_limit": 1000}, 12),
    ]),
    "ocop": ("OCOP", "Sản phẩm OCOP theo số sao, nhóm và trạng thái; sản phẩm sắp hết hạn.", [
        ("da_danh_gia", "Sản phẩm OCOP đã được công nhận", "mart_ocop", "big_number_total",
         {"metric": metric("products_rated", "Sản phẩm đã công nhận"), "adhoc_filters": [PROVINCE]}, 4),
        ("sap_het_han", "Sản phẩm hết hạn trong 6 tháng tới", "mart_ocop", "big_number_total",
         {"metric": metric("expiring_within_6_months", "Sắp hết hạn"), "adhoc_filters": [PROVINCE]}, 4),
        ("dang_chuan_bi", "Sản phẩm đang chờ đánh giá", "mart_ocop", "big_number_total",
         {"metric": metric("products_preparing", "Chờ đánh giá"), "adhoc_filters": [PROVINCE]}, 4),
        ("theo_sao", "Sản phẩm theo số sao", "mart_ocop", "echarts_timeseries_bar",
         {"x_axis": "month", "time_grain_sqla": "P1M", "adhoc_filters": [PROVINCE], "stack": "Stack",
          "metrics": [metric("products_3_star", "3 sao"), metric("products_4_star", "4 sao"),
                      metric("products_5_star", "5 sao")]}, 6),
        ("theo_nhom", "Sản phẩm theo nhóm (Quyết định 148)", "mart_ocop", "echarts_timeseries_bar",
         {"x_axis": "month", "time_grain_sqla": "P1M", "adhoc_filters": [PROVINCE], "stack": "Stack",
          "metrics": [metric(f"products_g{g}", f"Nhóm {g}") for g in range(1, 7)]}, 6),
        ("trang_thai", "Sản phẩm theo trạng thái", "fct_ocop_product", "pie",
         {"groupby": ["status"], "metric": metric("product_key", "Số sản phẩm", "COUNT")}, 6),
        ("ds_sap_het_han", "Sản phẩm sắp hết hạn công nhận", "fct_ocop_product", "table",
         {"query_mode": "raw", "all_columns": ["month", "district_code", "product_name", "entity_name", "stars",
                                               "valid_until"],
          "adhoc_filters": [where("expires_within_6_months", "IS TRUE")], "row_limit": 1000}, 6),
    ]),
    "nop-bao-cao": ("Tình hình nộp báo cáo", "Huyện nộp báo cáo đúng hạn, muộn, thiếu hoặc bị từ chối, "
                    "theo tháng và tỉnh.", [
        ("da_nop", "Báo cáo đã nộp", "mart_submission_coverage", "big_number_total",
         {"metric": metric("district_code", "Đã nộp", "COUNT"), "adhoc_filters": [where("submitted", "IS TRUE")]},
         6),
        ("thieu", "Báo cáo còn thiếu", "mart_submission_coverage", "big_number_total",
         {"metric": metric("district_code", "Còn thiếu", "COUNT"),
          "adhoc_filters": [where("status", "==", "missing")]}, 6),
        ("theo_trang_thai", "Báo cáo theo tình trạng, từng tháng", "mart_submission_coverage",
         "echarts_timeseries_bar",
         {"x_axis": "month", "time_grain_sqla": "P1M", "groupby": ["status"], "stack": "Stack",
          "metrics": [metric("district_code", "Số huyện", "COUNT")]}, 12),
        ("ds_huyen", "Tình trạng từng huyện", "mart_submission_coverage", "table",
         {"query_mode": "raw", "all_columns": ["month", "province_code", "district_code", "status",
                                               "version_in_force", "received_at", "submitted_on"],
          "row_limit": 1000}, 12),
    ]),
    "ke-hoach-ket-qua": ("Kế hoạch và kết quả", "Chỉ tiêu kế hoạch năm và kết quả thực hiện đến cuối tháng, "
                         "tỷ lệ so với kế hoạch và tiến độ, theo chỉ tiêu, huyện và tỉnh.", [
        ("dung_tien_do", "Chỉ tiêu đúng tiến độ (toàn tỉnh)", "mart_plan", "big_number_total",
         {"metric": metric("indicator", "Chỉ tiêu đúng tiến độ", "COUNT"),
          "adhoc_filters": [PROVINCE, where("on_track", "IS TRUE")],
          "subheader": "chỉ tiêu (tháng đã chọn; nhiều tháng thì cộng dồn)"}, 4),
        ("cham_tien_do", "Chỉ tiêu chậm tiến độ (toàn tỉnh)", "mart_plan", "big_number_total",
         {"metric": metric("indicator", "Chỉ tiêu chậm tiến độ", "COUNT"),
          "adhoc_filters": [PROVINCE, where("on_track", "IS FALSE")],
          "subheader": "chỉ tiêu chưa đạt phần kế hoạch của các tháng đã qua"}, 4),
        ("ty_le_bq", "Tỷ lệ thực hiện so với kế hoạch năm, bình quân các chỉ tiêu (toàn tỉnh)", "mart_plan",
         "big_number_total",
         {"metric": metric("pct_of_target", "Tỷ lệ so kế hoạch (%)", "AVG"), "adhoc_filters": [PROVINCE],
          "y_axis_format": ",.1f", "subheader": "% kế hoạch năm"}, 4),
        ("theo_chi_tieu", "Kế hoạch năm và thực hiện, theo chỉ tiêu (toàn tỉnh)", "mart_plan",
         "echarts_timeseries_bar",
         {"x_axis": "indicator_name", "groupby": ["unit_code"], "adhoc_filters": [PROVINCE],
          "metrics": [metric("target", "Kế hoạch năm", "MAX"), metric("actual", "Thực hiện đến cuối tháng", "MAX")],
          "y_axis_title": "Số lượng", "xAxisLabelRotation": 45}, 6,
         "Mỗi tỉnh một cặp cột. Chọn một tháng ở bộ lọc Tháng; khi nhiều tháng, cột là số lớn nhất của các "
         "tháng đã chọn."),
        ("ty_le_theo_thang", "Tỷ lệ thực hiện so với kế hoạch năm (%), từng tháng", "mart_plan",
         "echarts_timeseries_line",
         {"x_axis": "month", "time_grain_sqla": "P1M", "groupby": ["indicator_name"], "adhoc_filters": [PROVINCE],
          "metrics": [metric("pct_of_target", "Tỷ lệ so kế hoạch (%)", "AVG")], "x_axis_title": "Tháng",
          "y_axis_title": "% kế hoạch năm"}, 6,
         "Khi chọn nhiều tỉnh: bình quân của các tỉnh."),
        ("huyen_cham", "Chỉ tiêu của huyện đang chậm tiến độ", "mart_plan", "table",
         {"query_mode": "raw", "all_columns": ["month", "unit_code", "indicator_name", "target", "actual",
                                               "pct_of_target"],
          "adhoc_filters": [DISTRICT, where("on_track", "IS FALSE")], "row_limit": 1000,
          "order_by_cols": ['["month", false]', '["unit_code", true]'], "table_timestamp_format": "%m/%Y",
          "column_config": {"pct_of_target": {"d3NumberFormat": ",.1f"}}}, 12),
        ("bang", "Kế hoạch và kết quả từng chỉ tiêu, từng đơn vị", "mart_plan", "table",
         {"query_mode": "raw", "all_columns": ["month", "unit_level", "unit_code", "indicator_name", "target", "actual",
                                               "pct_of_target", "on_track", "units_planned"],
          "row_limit": 1000, "order_by_cols": ['["month", false]', '["unit_level", false]', '["unit_code", true]'],
          "table_timestamp_format": "%m/%Y", "column_config": {"pct_of_target": {"d3NumberFormat": ",.1f"}}}, 12),
    ]),
}
COLUMN_LABELS = {"month": "Tháng", "province_code": "Mã tỉnh", "district_code": "Mã huyện", "unit_code": "Mã đơn vị",
                 "commune_code": "Mã xã", "commune_name": "Tên xã", "status": "Tình trạng",
                 "ntm_title": "Danh hiệu", "criteria_met": "Tiêu chí đạt", "criterion_code": "Tiêu chí",
                 "product_name": "Sản phẩm", "entity_name": "Chủ thể", "stars": "Số sao",
                 "valid_until": "Hiệu lực đến", "phase": "Giai đoạn", "unit_level": "Cấp",
                 "indicator": "Mã chỉ tiêu", "indicator_name": "Chỉ tiêu", "target": "Kế hoạch năm",
                 "actual": "Thực hiện đến cuối tháng", "pct_of_target": "Tỷ lệ so kế hoạch (%)",
                 "on_track": "Đúng tiến độ", "units_planned": "Số đơn vị có kế hoạch"}


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")


def _database() -> dict[str, Any]:
    return {"database_name": DATABASE,
            # the launcher replaces the masked password with the reader login's (never in the repository)
            "sqlalchemy_uri": "postgresql+psycopg2://bi_superset:XXXXXXXXXX@localhost:5432/ntm",
            "cache_timeout": None, "expose_in_sqllab": True, "allow_run_async": False, "allow_ctas": False,
            "allow_cvas": False, "allow_dml": False, "allow_file_upload": False,
            "extra": {"allows_virtual_table_explore": True, "schema_options": {"expose_in_sqllab": True}},
            "uuid": uid("database"), "version": "1.0.0"}


def _dataset(name: str, cols: list[tuple[str, str, str]]) -> dict[str, Any]:
    columns = [{"column_name": c, "verbose_name": COLUMN_LABELS.get(c), "is_dttm": t.startswith("date"),
                "is_active": True, "type": t.upper(), "advanced_data_type": None, "groupby": True,
                "filterable": True, "expression": None, "description": d or None, "python_date_format": None,
                "extra": None} for c, t, d in cols]
    return {"table_name": name, "main_dttm_col": "month", "description": f"marts.{name}",
            "default_endpoint": None, "offset": 0, "cache_timeout": None, "catalog": None, "schema": "marts",
            "sql": None, "params": None, "template_params": None, "filter_select_enabled": True,
            "fetch_values_predicate": None, "extra": None, "normalize_columns": False,
            "always_filter_main_dttm": False, "uuid": uid("dataset", name),
            "metrics": [{"metric_name": "count", "verbose_name": "Số dòng", "metric_type": "count",
                         "expression": "COUNT(*)", "description": None, "d3format": None, "currency": None,
                         "extra": None, "warning_text": None}],
            "columns": columns, "version": "1.0.0", "database_uuid": uid("database")}


def _chart(slug: str, key: str, title: str, dataset: str, viz: str, params: dict[str, Any],
           description: str | None = None) -> dict[str, Any]:
    p = {"viz_type": viz, "adhoc_filters": [], "row_limit": 10000, **params}
    if viz == "big_number_total":
        p.setdefault("header_font_size", 0.4)
        p.setdefault("subheader_font_size", 0.15)
        p.setdefault("y_axis_format", ",d")
    if viz.startswith("echarts_timeseries"):
        p.setdefault("groupby", [])
        p.setdefault("show_legend", True)
        p.setdefault("rich_tooltip", True)
        p.setdefault("y_axis_format", "SMART_NUMBER")
        p.setdefault("truncate_metric", True)
        if p.get("x_axis") == "month":
            p.setdefault("x_axis_time_format", "%m/%Y")
    return {"slice_name": title, "description": description, "certified_by": None, "certification_details": None,
            "viz_type": viz, "params": p, "query_context": None, "cache_timeout": None,
            "uuid": uid("chart", slug, key), "version": "1.0.0", "dataset_uuid": uid("dataset", dataset)}


def _native_filter(slug: str, name: str, column: str, dataset: str) -> dict[str, Any]:
    return {"id": f"NATIVE_FILTER-{slug}-{column}", "name": name, "filterType": "filter_select",
            "targets": [{"datasetUuid": uid("dataset", dataset), "column": {"name": column}}],
            "controlValues": {"enableEmptyFilter": False, "defaultToFirstItem": False, "multiSelect": True,
                              "searchAllOptions": False, "inverseSelection": False},
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
            "cascadeParentIds": [], "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
            "type": "NATIVE_FILTER", "description": "", "chartsInScope": [], "tabsInScope": []}


def _dashboard(slug: str, title: str, description: str, charts: list) -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": title}},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    row: list[str] = []
    width = 0
    rows: list[list[str]] = []
    for key, chart_title, _ds, _viz, _p, w, *_description in charts:
        if width + w > 12:
            rows.append(row)
            row, width = [], 0
        cid = f"CHART-{key}"
        row.append(cid)
        width += w
        position[cid] = {"type": "CHART", "id": cid, "children": [], "meta": {
            "width": w, "height": 50 if w < 12 or _viz != "table" else 70, "chartId": 0,
            "uuid": uid("chart", slug, key), "sliceName": chart_title}}
    rows.append(row)
    for i, members in enumerate(rows, 1):
        rid = f"ROW-{i}"
        position["GRID_ID"]["children"].append(rid)
        position[rid] = {"type": "ROW", "id": rid, "children": members, "parents": ["ROOT_ID", "GRID_ID"],
                         "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for cid in members:
            position[cid]["parents"] = ["ROOT_ID", "GRID_ID", rid]
    first = charts[0][2]
    return {"dashboard_title": title, "description": description, "css": "", "slug": slug,
            "certified_by": "", "certification_details": "", "published": True,
            "uuid": uid("dashboard", slug), "position": position,
            "metadata": {"native_filter_configuration": [_native_filter(slug, "Tháng", "month", first),
                                                          _native_filter(slug, "Tỉnh", "province_code", first)],
                         "timed_refresh_immune_slices": [], "expanded_slices": {}, "refresh_frequency": 0,
                         "default_filters": "{}", "color_scheme": "supersetColors", "cross_filters_enabled": False,
                         "shared_label_colors": [], "color_scheme_domain": []},
            "version": "1.0.0"}


def main() -> None:
    cols = _columns()
    missing = [m for m in MARTS if m not in cols]
    if missing:
        raise SystemExit(f"no dbt YAML for {missing}")
    for old in OUT.rglob("*.yaml"):
        old.unlink()
    _dump(OUT / "databases" / "ntm_marts.yaml", _database())
    for name in MARTS:
        _dump(OUT / "datasets" / "ntm_marts" / f"{name}.yaml", _dataset(name, cols[name]))
    for slug, (title, description, charts) in DASHBOARDS.items():
        for key, chart_title, dataset, viz, params, _w, *chart_description in charts:
            _dump(OUT / "charts" / f"{slug}__{key}.yaml",
                  _chart(slug, key, chart_title, dataset, viz, params, *chart_description))
        _dump(OUT / "dashboards" / f"{slug}.yaml", _dashboard(slug, title, description, charts))
    (OUT / "README.md").write_text(
        "Generated by `bi/make_dashboards.py` (Superset's export format); imported by `make bi`.\n",
        encoding="utf-8")
    print(json.dumps({"dashboards": list(DASHBOARDS), "files": len(list(OUT.rglob('*.yaml')))}))


if __name__ == "__main__":
    main()

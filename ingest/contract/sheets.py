"""The sheets of a submission, their columns with Vietnamese labels, and the frames the reader
makes of them (the columns and dtypes of the `raw` tables, ingest/store/migrations/0003_raw.sql).
"""

from __future__ import annotations

from ingest.contract.criteria import CRITERIA

# key -> Vietnamese label, per sheet, in the template's column order.
THONG_TIN: dict[str, str] = {
    "province_code": "Mã tỉnh",
    "submitting_unit_code": "Mã đơn vị báo cáo",
    "period": "Kỳ báo cáo",
    "version": "Lần gửi",
    "submitted_on": "Ngày gửi",
    "prepared_by": "Người lập",
    "criteria_set": "Bộ tiêu chí",
}
THONG_TIN_HEADER = {"key": "Nội dung", "value": "Giá trị"}

TIEU_CHI_XA: dict[str, str] = {
    "commune_code": "Mã xã",
    "commune_name": "Tên xã",
    **{key: f"TC{i}" for i, key in enumerate(CRITERIA, start=1)},
    "criteria_met": "Số tiêu chí đạt",
    "ntm_title": "Danh hiệu",
    "title_decision": "Số quyết định công nhận",
    "title_date": "Ngày công nhận",
    "hardship": "Xã khó khăn",
}
TIEU_CHI_HUYEN: dict[str, str] = {
    "criterion": "Tiêu chí",
    "met": "Đạt",
    "district_title": "Danh hiệu huyện",
    "title_decision": "Số quyết định công nhận",
    "title_date": "Ngày công nhận",
}
NGUON_VON: dict[str, str] = {
    "unit_code": "Mã đơn vị",
    "source": "Nguồn vốn",
    "capital_type": "Loại vốn",
    "amount_mvnd": "Số tiền (triệu đồng)",
    "is_estimate": "Ước",
}
OCOP: dict[str, str] = {
    "product_code": "Mã sản phẩm",
    "product_name": "Tên sản phẩm",
    "commune_code": "Mã xã",
    "entity_name": "Chủ thể",
    "entity_type": "Loại hình chủ thể",
    "product_group": "Nhóm sản phẩm",
    "stars": "Số sao",
    "status": "Trạng thái",
    "decision_no": "Số quyết định",
    "decision_date": "Ngày quyết định",
    "valid_until": "Hiệu lực đến",
}
HO_TRO: dict[str, str] = {
    "commune_code": "Mã xã",
    "supporting_agency": "Cơ quan hỗ trợ",
    "description": "Nội dung hỗ trợ",
    "value_mvnd": "Giá trị hỗ trợ (triệu đồng)",
}
KIEU_MAU: dict[str, str] = {
    "commune_code": "Mã xã",
    "commune_name": "Tên xã",  # beyond the contract: hand-made sheets name the xã (and write "Tổng cộng" here)
    "model_villages": "Số thôn kiểu mẫu",
    "model_villages_registered": "Số thôn đăng ký kiểu mẫu",
    "model_roads": "Số tuyến đường kiểu mẫu",
    "model_roads_km": "Chiều dài tuyến đường kiểu mẫu (km)",
}
KE_HOACH: dict[str, str] = {
    "year": "Năm",
    "unit_code": "Mã đơn vị",
    "indicator": "Chỉ tiêu",
    "target": "Kế hoạch",
    "note": "Ghi chú",
}

# Each sheet's header row: key -> label (thong_tin is key/value rows under a two-column header).
SHEETS: dict[str, dict[str, str]] = {
    "thong_tin": THONG_TIN_HEADER,
    "tieu_chi_xa": TIEU_CHI_XA,
    "tieu_chi_huyen": TIEU_CHI_HUYEN,
    "nguon_von": NGUON_VON,
    "ocop": OCOP,
    "ho_tro": HO_TRO,
    "kieu_mau": KIEU_MAU,
    "ke_hoach": KE_HOACH,
}
SHEET_NAMES = tuple(SHEETS)
REQUIRED_SHEETS = ("thong_tin", "tieu_chi_xa", "nguon_von")
IGNORED_SHEETS = frozenset({"danh_muc"})  # the template's hidden dropdown lists

# The frames of a read submission = the raw tables without submission_id, in load order, with each
# column's dtype: "str" (object, None for missing), "date" (object), "Int64", "float", "bool",
# "extra" (dict or None). tieu_chi_xa_mark is tieu_chi_xa's marks, one row per commune and criterion.
FRAME_COLUMNS: dict[str, dict[str, str]] = {
    "thong_tin": {"province_code": "str", "submitting_unit_code": "str", "period": "date",
                  "version": "Int64", "submitted_on": "date", "prepared_by": "str",
                  "criteria_set": "str", "extra": "extra"},
    "tieu_chi_xa": {"excel_row": "Int64", "commune_code": "str", "commune_name": "str",
                    "criteria_met_reported": "Int64", "ntm_title": "str", "title_decision": "str",
                    "title_date": "date", "hardship": "str", "extra": "extra"},
    "tieu_chi_xa_mark": {"excel_row": "Int64", "commune_code": "str", "criterion_code": "str",
                         "is_met": "bool"},
    "tieu_chi_huyen": {"excel_row": "Int64", "criterion_no": "Int64", "is_met": "bool",
                       "district_title": "str", "title_decision": "str", "title_date": "date",
                       "extra": "extra"},
    "nguon_von": {"excel_row": "Int64", "unit_code": "str", "source_code": "str",
                  "capital_type": "str", "amount_mvnd": "float", "is_estimate": "bool",
                  "extra": "extra"},
    "ocop": {"excel_row": "Int64", "product_code": "str", "product_name": "str",
             "commune_code": "str", "entity_name": "str", "entity_type": "str",
             "product_group": "str", "stars": "Int64", "status": "str", "decision_no": "str",
             "decision_date": "date", "valid_until": "date", "extra": "extra", "catalogue": "str"},
    "ho_tro": {"excel_row": "Int64", "commune_code": "str", "supporting_agency": "str",
               "description": "str", "value_mvnd": "float", "extra": "extra"},
    # counts as floats: a fraction (2.5 villages) reaches GX, which names it (counts_whole)
    "kieu_mau": {"excel_row": "Int64", "commune_code": "str", "commune_name": "str", "model_villages": "float",
                 "model_villages_registered": "float", "model_roads": "float", "model_roads_km": "float",
                 "extra": "extra"},
    "ke_hoach": {"excel_row": "Int64", "year": "Int64", "unit_code": "str", "indicator": "str",
                 "target": "float", "note": "str", "extra": "extra"},
}
# The raw tables (the loader's COPY targets, the DAGs' raw Assets) and their columns in load order.
RAW_TABLES: tuple[str, ...] = tuple(FRAME_COLUMNS)
RAW_COLUMNS: dict[str, list[str]] = {table: list(columns) for table, columns in FRAME_COLUMNS.items()}

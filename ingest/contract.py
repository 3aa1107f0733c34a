"""The submission contract (../shared/spec/submission-format.md) as code: sheets, columns with
their Vietnamese labels, and the code lists (criteria, funding sources, titles, OCOP groups and
statuses, criteria sets). Every layer derives from these: the reader, the Great Expectations
rules, the loader, the template, the generator, the bulletin and the DAGs' Assets.
"""

from __future__ import annotations

CRITERIA = [f"tc{i:02d}" for i in range(1, 20)]
CRITERIA_NAMES_2021 = [
    "Quy hoạch", "Giao thông", "Thủy lợi và phòng, chống thiên tai", "Điện", "Trường học",
    "Cơ sở vật chất văn hóa", "Cơ sở hạ tầng thương mại nông thôn", "Thông tin và Truyền thông",
    "Nhà ở dân cư", "Thu nhập", "Nghèo đa chiều", "Lao động",
    "Tổ chức sản xuất và phát triển kinh tế nông thôn", "Giáo dục và Đào tạo", "Y tế", "Văn hóa",
    "Môi trường và an toàn thực phẩm", "Hệ thống chính trị và tiếp cận pháp luật", "Quốc phòng và An ninh",
]

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

SHEETS: dict[str, dict[str, str]] = {
    "thong_tin": THONG_TIN_HEADER,
    "tieu_chi_xa": TIEU_CHI_XA,
    "tieu_chi_huyen": TIEU_CHI_HUYEN,
    "nguon_von": NGUON_VON,
    "ocop": OCOP,
    "ho_tro": HO_TRO,
}

SOURCES: dict[str, str] = {
    "ns_tw": "Ngân sách Trung ương",
    "ns_tinh": "Ngân sách tỉnh",
    "ns_huyen": "Ngân sách huyện",
    "ns_xa": "Ngân sách xã",
    "ns_huyen_xa": "Ngân sách huyện, xã",
    "long_ghep": "Vốn lồng ghép",
    "tin_dung": "Vốn tín dụng",
    "doanh_nghiep": "Doanh nghiệp, hợp tác xã",
    "nhan_dan": "Nhân dân đóng góp",
    "khac": "Nguồn khác",
    "tong": "Tổng",
}
CAPITAL_TYPES: dict[str, str] = {"dtpt": "Đầu tư phát triển", "sn": "Sự nghiệp"}
GROUPS_148: dict[str, str] = {
    "g1": "Thực phẩm",
    "g2": "Đồ uống",
    "g3": "Dược liệu và sản phẩm từ dược liệu",
    "g4": "Hàng thủ công mỹ nghệ",
    "g5": "Sinh vật cảnh",
    "g6": "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
}
GROUPS_1048: dict[str, str] = {
    "g1": "Thực phẩm",
    "g2": "Đồ uống",
    "g3": "Thảo dược",
    "g4": "Vải và may mặc",
    "g5": "Lưu niệm - nội thất - trang trí",
    "g6": "Dịch vụ du lịch cộng đồng và điểm du lịch",
}
STATUSES: dict[str, str] = {
    "preparing": "Hồ sơ đang hoàn thiện",
    "rated": "Đã công nhận",
    "re_rated": "Công nhận lại",
    "expired": "Hết hạn",
}
ENTITY_TYPES: dict[str, str] = {"htx": "Hợp tác xã", "dn": "Doanh nghiệp", "tht": "Tổ hợp tác",
                                "ho": "Hộ kinh doanh"}
TITLES: dict[str, str] = {"ntm": "NTM", "advanced": "NTM nâng cao", "model": "NTM kiểu mẫu"}
HARDSHIP: dict[str, str] = {"kk": "Khó khăn", "dbkk": "Đặc biệt khó khăn"}
MARK_MET, MARK_NOT_MET = "Đ", "CĐ"
STARS = (3, 4, 5)
CRITERIA_SETS = ("2021-2025", "2016-2020")
# OCOP catalogues: Decision 148/QĐ-TTg (2023) and Decision 1048/QĐ-TTg (2019), each with its groups.
CATALOGUES: dict[str, dict[str, str]] = {"148": GROUPS_148, "1048": GROUPS_1048}

"""Hand-built normalised frames of one valid district submission (docs/architecture.md), for the
validation tests. Each test breaks one rule on purpose."""

from __future__ import annotations

from datetime import date

import pandas as pd

PERIOD = date(2023, 5, 1)
RECEIVED = date(2023, 6, 5)
UNIT = "395"
COMMUNES = ["15901", "15904", "15907"]
CRITERIA = [f"tc{i:02d}" for i in range(1, 20)]
# commune → criteria met (first n criteria), title
STATE = {"15901": (19, "ntm"), "15904": (15, "none"), "15907": (19, "advanced")}
SOURCES = {"ns_tw": 100.0, "ns_tinh": 50.5, "nhan_dan": 300.25}


def good_frames() -> dict[str, pd.DataFrame]:
    thong_tin = pd.DataFrame([{
        "province_code": "38", "submitting_unit_code": UNIT, "period": PERIOD, "version": 1,
        "submitted_on": date(2023, 6, 3), "prepared_by": "Nguyễn Văn A", "criteria_set": "2021-2025", "extra": None,
    }]).astype({"version": "Int64"})
    xa_rows, mark_rows = [], []
    for i, code in enumerate(COMMUNES):
        met, title = STATE[code]
        row = 5 + i
        xa_rows.append({"excel_row": row, "commune_code": code, "commune_name": f"Xã {i}",
                        "criteria_met_reported": met, "ntm_title": title,
                        "title_decision": None if title == "none" else "12/QĐ-UBND",
                        "title_date": None if title == "none" else date(2021, 3, 1),
                        "hardship": "kk" if i == 1 else None, "extra": None})
        for j, crit in enumerate(CRITERIA):
            mark_rows.append({"excel_row": row, "commune_code": code, "criterion_code": crit, "is_met": j < met})
    tieu_chi_xa = pd.DataFrame(xa_rows).astype({"excel_row": "Int64", "criteria_met_reported": "Int64"})
    marks = pd.DataFrame(mark_rows).astype({"excel_row": "Int64", "is_met": bool})
    funding_rows = []
    row = 4
    for unit in [UNIT, COMMUNES[0]]:
        for source, amount in SOURCES.items():
            funding_rows.append({"excel_row": row, "unit_code": unit, "source_code": source, "capital_type": "all",
                                 "amount_mvnd": amount, "is_estimate": False, "extra": None})
            row += 1
        funding_rows.append({"excel_row": row, "unit_code": unit, "source_code": "tong", "capital_type": "all",
                             "amount_mvnd": sum(SOURCES.values()) + 0.3, "is_estimate": False, "extra": None})
        row += 1
    nguon_von = pd.DataFrame(funding_rows).astype({"excel_row": "Int64", "amount_mvnd": "float64"})
    ocop = pd.DataFrame([
        {"excel_row": 4, "product_code": "TH-001", "product_name": "Mật ong rừng", "commune_code": COMMUNES[0],
         "entity_name": "HTX Ong Vàng", "entity_type": "htx", "product_group": "g1", "stars": 3, "status": "rated",
         "decision_no": "1/QĐ", "decision_date": date(2022, 4, 10), "valid_until": date(2025, 4, 10), "extra": None,
         "catalogue": "1048"},
        {"excel_row": 5, "product_code": None, "product_name": "Chè xanh", "commune_code": COMMUNES[1],
         "entity_name": "Hộ Lê Văn B", "entity_type": "ho", "product_group": "g2", "stars": None, "status": "preparing",
         "decision_no": None, "decision_date": None, "valid_until": None, "extra": None, "catalogue": "148"},
        {"excel_row": 6, "product_code": "TH-002", "product_name": "Nón lá", "commune_code": COMMUNES[2],
         "entity_name": "THT Nón", "entity_type": "tht", "product_group": "g4", "stars": 4, "status": "expired",
         "decision_no": "2/QĐ", "decision_date": date(2020, 3, 1), "valid_until": date(2023, 3, 1), "extra": None,
         "catalogue": "1048"},
    ]).astype({"excel_row": "Int64", "stars": "Int64"})
    ho_tro = pd.DataFrame([{"excel_row": 4, "commune_code": COMMUNES[1], "supporting_agency": "Sở Nông nghiệp",
                            "description": "Giống cây", "value_mvnd": 120.0, "extra": None}]).astype({"excel_row": "Int64"})
    tieu_chi_huyen = pd.DataFrame(columns=["excel_row", "criterion_no", "is_met", "district_title", "title_decision",
                                           "title_date", "extra"])
    return {"thong_tin": thong_tin, "tieu_chi_xa": tieu_chi_xa, "tieu_chi_xa_mark": marks,
            "tieu_chi_huyen": tieu_chi_huyen, "nguon_von": nguon_von, "ocop": ocop, "ho_tro": ho_tro}


def previous_funding(scale: float = 0.9) -> pd.DataFrame:
    """The previous month's funding rows, as store.previous_funding returns them."""
    rows = [{"unit_code": unit, "source_code": s, "capital_type": "all", "amount_mvnd": round(a * scale, 3)}
            for unit in [UNIT, COMMUNES[0]] for s, a in SOURCES.items()]
    return pd.DataFrame(rows)

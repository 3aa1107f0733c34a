"""The synthetic-submission generator: layout, determinism, realism, messy rendering, bad variants."""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from collections import defaultdict
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ingest.devtools.bad_variants import write_bad_variants
from ingest.devtools.generate import build_submission, generate
from ingest.devtools.rendering import vn_number
from ingest.devtools.synthetic import add_months, month_end
from ingest.devtools.xlsx import xlsx_bytes
from ingest.intake.admin_units import AdminUnits
from ingest.intake.rules import is_rural_commune, rural_communes

PROVINCE = "38"  # Thanh Hóa: 26 districts
DISTRICT = "395"  # Huyện Thọ Xuân
MONTH = date(2023, 5, 1)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_one_workbook_per_district_and_month(tmp_path: Path, admin: AdminUnits) -> None:
    months = [date(2023, 5, 1), date(2023, 6, 1)]
    paths = generate(PROVINCE, months, tmp_path, seed=3)
    districts = [d.code for d in admin.districts_of(PROVINCE, MONTH)]
    assert len(paths) == 2 * len(districts)
    assert paths[0] == tmp_path / "2023-05" / f"2023-05_{districts[0]}_v1.xlsx"
    assert {p.name for p in (tmp_path / "2023-06").iterdir()} == {f"2023-06_{d}_v1.xlsx" for d in districts}
    info = pd.read_excel(paths[-1], sheet_name="thong_tin", engine="calamine", dtype=str)
    values = dict(zip(info["key"], info["value"], strict=True))
    assert values["province_code"] == PROVINCE and values["period"] == "2023-06"
    assert values["submitting_unit_code"] == districts[-1] and values["version"] == "1"
    assert values["criteria_set"] == "2021-2025"


def test_from_july_2025_the_province_submits_for_its_communes(tmp_path: Path, admin: AdminUnits) -> None:
    [path] = generate(PROVINCE, [date(2025, 7, 1)], tmp_path, seed=3)
    assert path.name == "2025-07_38_v1.xlsx"
    frames = pd.read_excel(path, sheet_name=None, engine="calamine", dtype=str)
    info = dict(zip(frames["thong_tin"]["key"], frames["thong_tin"]["value"], strict=True))
    assert info["submitting_unit_code"] == "38"
    communes = {u.code for u in rural_communes(admin, "38", date(2025, 7, 1))}  # xã only
    assert set(frames["tieu_chi_xa"]["commune_code"]) == communes
    units = set(frames["nguon_von"]["unit_code"])
    assert units == communes | {"38"}
    assert "ns_huyen" not in set(frames["nguon_von"]["source"])  # no districts any more
    assert "tieu_chi_huyen" not in frames
    # OCOP products continue under the successor communes
    assert set(frames["ocop"]["commune_code"]) <= communes


def test_only_xa_take_part(tmp_path: Path, admin: AdminUnits) -> None:
    """Bắc Ninh (27), May 2023: its two cities (256 Bắc Ninh, 261 Từ Sơn) have only wards and send
    nothing; every other district reports its xã only (Quế Võ: 9 xã of its 20 units), and every
    commune named on any sheet is a xã."""
    paths = generate("27", [MONTH], tmp_path, seed=3)
    assert [p.name for p in paths] == [f"2023-05_{d}_v1.xlsx" for d in ("258", "259", "260", "262", "263", "264")]
    for path in paths:
        unit = path.stem.split("_")[1]
        sheets = pd.read_excel(path, sheet_name=None, engine="calamine", dtype=str)
        xa = set(sheets["tieu_chi_xa"]["commune_code"])
        assert xa == {u.code for u in rural_communes(admin, unit, MONTH)}
        assert set(sheets["nguon_von"]["unit_code"]) == xa | {unit}
        for sheet in ("ocop", "ho_tro"):
            if sheet in sheets:
                assert set(sheets[sheet]["commune_code"]) <= xa, (path.name, sheet)
    que_vo = pd.read_excel(paths[1], sheet_name="tieu_chi_xa", engine="calamine", dtype=str)
    assert len(que_vo) == 9 and len(admin.communes_of("259", MONTH)) == 20
    # Phủ Lý (347): 4 xã and 10 wards
    [phu_ly] = [p for p in generate("35", [MONTH], tmp_path / "35", seed=3) if "_347_" in p.name]
    rows = pd.read_excel(phu_ly, sheet_name="tieu_chi_xa", engine="calamine", dtype=str)
    assert rows["commune_code"].tolist() == ["13306", "13426", "13507", "13513"]


def test_after_the_reform_every_row_names_a_xa(admin: AdminUnits) -> None:
    """Bắc Ninh (24) from July 2025: products of legacy xã that became part of a ward are not
    reported (a ward takes no part); the others continue under their 2025 xã."""
    on = date(2025, 8, 1)
    sub = build_submission(admin, admin.unit("24", on), on, seed=3)
    for sheet, column in (("tieu_chi_xa", "commune_code"), ("ocop", "commune_code"), ("ho_tro", "commune_code")):
        for row in sub.tables[sheet].rows if sheet in sub.tables else []:
            assert is_rural_commune(admin.unit(row[column], on)), (sheet, row[column])
    assert len(sub.tables["ocop"].rows) > 0


def test_unknown_province_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no province"):
        generate("99", [MONTH], tmp_path)
    with pytest.raises(ValueError, match="no province"):
        generate("395", [MONTH], tmp_path)  # a district, not a province


@pytest.mark.parametrize("messy, fmt", [(False, "xlsx"), (True, "xlsx"), (False, "zip")])
def test_same_seed_same_bytes(tmp_path: Path, messy: bool, fmt: str) -> None:
    a = generate(PROVINCE, [MONTH], tmp_path / "a", seed=5, messy=messy, fmt=fmt)
    b = generate(PROVINCE, [MONTH], tmp_path / "b", seed=5, messy=messy, fmt=fmt)
    assert [sha(p) for p in a] == [sha(p) for p in b]
    c = generate(PROVINCE, [MONTH], tmp_path / "c", seed=6, messy=messy, fmt=fmt)
    assert [sha(p) for p in a] != [sha(p) for p in c]


def test_csv_zip_and_folder_carry_the_xlsx_content(tmp_path: Path) -> None:
    [xlsx] = [p for p in generate(PROVINCE, [MONTH], tmp_path / "x", seed=2) if DISTRICT in p.name]
    [zipped] = [p for p in generate(PROVINCE, [MONTH], tmp_path / "z", seed=2, fmt="zip") if DISTRICT in p.name]
    [folder] = [p for p in generate(PROVINCE, [MONTH], tmp_path / "f", seed=2, fmt="csv") if DISTRICT in p.name]
    sheets = pd.read_excel(xlsx, sheet_name=None, engine="calamine", dtype=str)
    with zipfile.ZipFile(zipped) as archive:
        assert sorted(archive.namelist()) == sorted(f"{s}.csv" for s in sheets)
        for sheet, frame in sheets.items():
            from_zip = pd.read_csv(archive.open(f"{sheet}.csv"), dtype=str)
            from_dir = pd.read_csv(folder / f"{sheet}.csv", dtype=str)
            pd.testing.assert_frame_equal(from_zip, from_dir)
            assert list(from_zip.columns) == list(frame.columns)
            assert len(from_zip) == len(frame)
    with pytest.raises(ValueError, match="unknown format"):
        generate(PROVINCE, [MONTH], tmp_path / "bad", fmt="ods")


def _funding_by_month(admin: AdminUnits, months: list[date]) -> dict[date, dict[tuple, float]]:
    district = admin.unit(DISTRICT, months[0])
    out = {}
    for m in months:
        rows = build_submission(admin, district, m, seed=1).tables["nguon_von"].rows
        out[m] = {(r["unit_code"], r["source"], r["capital_type"]): r["amount_mvnd"] for r in rows}
    return out


def test_cumulative_funding_grows_within_a_year_and_restarts_in_january(admin: AdminUnits) -> None:
    months = [date(2023, k, 1) for k in range(1, 13)] + [date(2024, 1, 1), date(2024, 2, 1)]
    funding = _funding_by_month(admin, months)
    for earlier, later in zip(months, months[1:], strict=False):
        if later.month == 1:
            # a new year: every figure restarts from its January share
            assert sum(funding[later].values()) < 0.4 * sum(funding[earlier].values())
            continue
        assert funding[earlier].keys() == funding[later].keys()
        for key, amount in funding[earlier].items():
            assert funding[later][key] >= amount, (key, earlier, later)
    assert all(v >= 0 for m in months for v in funding[m].values())


def test_total_rows_equal_the_sum_and_people_give_most(admin: AdminUnits) -> None:
    sub = build_submission(admin, admin.unit(DISTRICT, MONTH), MONTH, seed=4)
    by_unit: dict[str, list[dict]] = defaultdict(list)
    for row in sub.tables["nguon_von"].rows:
        by_unit[row["unit_code"]].append(row)
    assert set(by_unit) == {DISTRICT} | {u.code for u in rural_communes(admin, DISTRICT, MONTH)}
    by_source: dict[str, float] = defaultdict(float)
    for rows in by_unit.values():
        [total] = [r for r in rows if r["source"] == "tong"]
        parts = [r for r in rows if r["source"] != "tong"]
        assert abs(total["amount_mvnd"] - sum(r["amount_mvnd"] for r in parts)) <= 0.5
        assert {r["capital_type"] for r in parts} <= {"dtpt", "sn", None}
        for r in parts:
            by_source[r["source"]] += r["amount_mvnd"]
    assert max(by_source, key=by_source.get) == "nhan_dan"
    assert by_source["nhan_dan"] > 0.35 * sum(by_source.values())


def _commune_history(admin: AdminUnits, months: list[date]) -> dict[str, list[dict]]:
    history: dict[str, list[dict]] = defaultdict(list)
    for district in admin.districts_of(PROVINCE, months[0]):
        for m in months:
            for row in build_submission(admin, district, m, seed=0).tables["tieu_chi_xa"].rows:
                history[row["commune_code"]].append(row)
    return history


def test_titles_and_criteria_are_consistent_and_mostly_improve(admin: AdminUnits) -> None:
    months = [date(y, mo, 1) for y in range(2019, 2025) for mo in (3, 6, 9, 12)]
    history = _commune_history(admin, months)
    rank = {None: 0, "ntm": 1, "advanced": 2, "model": 3}
    titled = at_risk = pairs = slips = 0
    for rows in history.values():
        for row in rows:
            marks = [row[f"tc{i:02d}"] for i in range(1, 20)]
            assert row["criteria_met"] == sum(marks)
            if row["ntm_title"]:
                titled += 1
                at_risk += not all(marks)
                assert row["title_decision"] and row["title_date"] <= month_end(MONTH.replace(year=2025))
            else:
                assert row["title_decision"] is None and row["title_date"] is None
        for a, b in zip(rows, rows[1:], strict=False):
            assert rank[b["ntm_title"]] >= rank[a["ntm_title"]], "a title is never lost or skipped back"
            for i in range(1, 20):
                key = f"tc{i:02d}"
                pairs += 1
                slips += a[key] and not b[key]
    assert titled > 0.3 * sum(len(r) for r in history.values())
    assert 0 < at_risk < 0.1 * titled
    assert 0 < slips < 0.02 * pairs
    # mostly improving: the average number of criteria met rises year on year
    averages = [sum(rows[k]["criteria_met"] for rows in history.values()) / len(history)
                for k in range(0, len(months), 4)]
    assert averages == sorted(averages) and averages[-1] > averages[0] + 1
    # advanced and model communes exist, and only ever after NTM (checked by the rank order above)
    assert any(r["ntm_title"] in ("advanced", "model") for rows in history.values() for r in rows)


def test_ocop_lifecycle(admin: AdminUnits) -> None:
    months = [date(2019, 6, 1), date(2021, 6, 1), date(2023, 6, 1), date(2024, 12, 1)]
    statuses: set[str] = set()
    seen_codes: dict[str, set] = defaultdict(set)
    for m in months:
        for district in admin.districts_of(PROVINCE, m):
            ocop = build_submission(admin, district, m, seed=0).tables.get("ocop")
            for row in ocop.rows if ocop else []:
                statuses.add(row["status"])
                if row["status"] == "preparing":
                    assert row["stars"] is None and row["decision_date"] is None
                    continue
                assert row["stars"] in (3, 4, 5)
                assert row["valid_until"] == add_months(row["decision_date"], 36)
                assert row["decision_date"] <= month_end(m)
                assert (row["status"] == "expired") == (row["valid_until"] < month_end(m))
                assert row["product_group"] in {f"g{i}" for i in range(1, 7)}
                assert admin.unit(row["commune_code"], m).parent_code == district.code
                if row["product_code"]:
                    seen_codes[row["product_code"]].add(row["product_name"])
    assert statuses == {"preparing", "rated", "re_rated", "expired"}
    assert all(len(names) == 1 for names in seen_codes.values())  # a code names one product


def test_support_only_for_hardship_communes(admin: AdminUnits) -> None:
    rows = []
    for district in admin.districts_of(PROVINCE, MONTH):
        tables = build_submission(admin, district, MONTH, seed=0).tables
        hardship = {r["commune_code"]: r["hardship"] for r in tables["tieu_chi_xa"].rows}
        for row in tables.get("ho_tro").rows if "ho_tro" in tables else []:
            assert hardship[row["commune_code"]] in ("kk", "dbkk")
            assert row["value_mvnd"] > 0
            rows.append(row)
    assert rows


def test_district_criteria_in_december_only(admin: AdminUnits) -> None:
    district = admin.unit(DISTRICT, MONTH)
    assert "tieu_chi_huyen" not in build_submission(admin, district, MONTH).tables
    december = build_submission(admin, district, date(2023, 12, 1)).tables["tieu_chi_huyen"].rows
    assert [r["criterion"] for r in december] == list(range(1, 10))
    assert len({(r["district_title"], r["title_decision"]) for r in december}) == 1


def test_vn_number() -> None:
    assert vn_number(892738.0) == "892.738"
    assert vn_number(1234.5) == "1.234,5"
    assert vn_number(8.6) == "8,6"
    assert vn_number(0.0) == "0"


def test_messy_looks_hand_made(tmp_path: Path) -> None:
    paths = generate(PROVINCE, [MONTH], tmp_path, seed=9, messy=True)
    texts: list[str] = []
    merged = totals = 0
    for path in paths:
        wb = openpyxl.load_workbook(path)
        assert wb["tieu_chi_xa"]["A1"].value.startswith("UBND ")
        merged += len(wb["tieu_chi_xa"].merged_cells.ranges)
        ws = wb["tieu_chi_xa"]
        totals += any(c.value == "Tổng cộng" for row in ws.iter_rows() for c in row)
        for ws in wb.worksheets:
            texts += [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert merged >= 2 * len(paths) and totals == len(paths)
    assert any("BIỂU TỔNG HỢP" in t for t in texts)
    assert any(t != unicodedata.normalize("NFC", t) for t in texts)  # NFD text
    assert any(t != t.strip() for t in texts)  # stray spaces
    assert any("," in t and t.replace(".", "").replace(",", "").isdigit() for t in texts)  # 1.234,5
    assert {"Đạt", "✓", "Chưa đạt", "-"} <= set(texts)
    assert any(t.count("/") == 2 and t.replace("/", "").isdigit() for t in texts)  # 25/5/2023
    assert "Nhân dân đóng góp" in {unicodedata.normalize("NFC", t.strip()) for t in texts}


def test_formula_like_text_is_written_inert(tmp_path: Path) -> None:
    path = tmp_path / "inj.xlsx"
    path.write_bytes(xlsx_bytes({"s": ([["a", "b"], ["=1+1", "-"], ["@x", "ok"]], 0)}))
    ws = openpyxl.load_workbook(path)["s"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["B2"].quotePrefix and ws["A3"].quotePrefix and not ws["B3"].quotePrefix
    frame = pd.read_excel(path, engine="calamine", dtype=str)
    assert frame.iloc[0].tolist() == ["=1+1", "-"]


def test_bad_variants(tmp_path: Path) -> None:
    [good] = [p for p in generate(PROVINCE, [MONTH], tmp_path / "good", seed=1) if DISTRICT in p.name]
    variants = write_bad_variants(good, tmp_path / "bad")
    assert {"file_unreadable", "missing_sheet", "missing_column", "bad_number", "bad_mark", "bad_date",
            "bad_period", "unknown_unit", "province_mismatch", "unknown_commune", "duplicate_commune", "future_period", "criteria_met_mismatch",
            "amount_not_negative", "total_mismatch", "title_at_risk", "unsafe_zip_entry",
            "zip_too_many_entries"} <= set(variants)
    assert all(p.exists() for p in variants.values())
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(variants["file_unreadable"])
    assert "tieu_chi_xa" not in openpyxl.load_workbook(variants["missing_sheet"]).sheetnames
    header = [c.value for c in openpyxl.load_workbook(variants["missing_column"])["tieu_chi_xa"][1]]
    assert "commune_code" not in header and "commune_name" in header
    with zipfile.ZipFile(variants["unsafe_zip_entry"]) as archive:
        assert any(n.startswith("../") for n in archive.namelist())
    xa = pd.read_excel(variants["duplicate_commune"], sheet_name="tieu_chi_xa", engine="calamine", dtype=str)
    assert xa["commune_code"].duplicated().sum() == 1
    mismatch = pd.read_excel(variants["criteria_met_mismatch"], sheet_name="tieu_chi_xa", engine="calamine")
    marks = (mismatch[[f"tc{i:02d}" for i in range(1, 20)]] == "Đ").sum(axis=1)
    assert (marks != mismatch["criteria_met"]).sum() == 1
    von = pd.read_excel(variants["amount_not_negative"], sheet_name="nguon_von", engine="calamine")
    assert (von["amount_mvnd"] < 0).sum() == 1
    von = pd.read_excel(variants["total_mismatch"], sheet_name="nguon_von", engine="calamine")
    own = von[von["unit_code"].astype(str) == DISTRICT]
    assert own[own["source"] == "tong"]["amount_mvnd"].iloc[0] - own[own["source"] != "tong"]["amount_mvnd"].sum() > 0.5
    # the untouched sheets of each variant stay as in the good file
    good_von = pd.read_excel(good, sheet_name="nguon_von", engine="calamine")
    bad_mark = pd.read_excel(variants["bad_mark"], sheet_name="nguon_von", engine="calamine")
    pd.testing.assert_frame_equal(good_von, bad_mark)


def test_a_legacy_province_code_after_the_reform_means_its_successor(tmp_path: Path, admin: AdminUnits) -> None:
    assert admin.unit("27", date(2025, 8, 1)) is None  # Bắc Ninh merged
    successor = admin.successor("27")
    [path] = generate("27", [date(2025, 8, 1)], tmp_path, seed=1)
    assert path.name == f"2025-08_{successor}_v1.xlsx"


def test_a_correction_is_the_same_content_as_version_2(tmp_path: Path) -> None:
    [v1] = [p for p in generate(PROVINCE, [MONTH], tmp_path, seed=1) if DISTRICT in p.name]
    [v2] = [p for p in generate(PROVINCE, [MONTH], tmp_path, seed=1, version=2) if DISTRICT in p.name]
    assert v2.name == f"2023-05_{DISTRICT}_v2.xlsx"
    a = pd.read_excel(v1, sheet_name=None, engine="calamine", dtype=str)
    b = pd.read_excel(v2, sheet_name=None, engine="calamine", dtype=str)
    assert dict(zip(*b["thong_tin"].T.values, strict=True))["version"] == "2"
    for sheet in a:
        if sheet != "thong_tin":
            pd.testing.assert_frame_equal(a[sheet], b[sheet])
    with pytest.raises(ValueError, match="version"):
        generate(PROVINCE, [MONTH], tmp_path, version=0)

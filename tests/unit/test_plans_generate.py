"""The template's kieu_mau and ke_hoach sheets (dropdowns of indicators and of the unit's xã) and
the generator's plans and model villages: a plan in January (or with the first generated month),
a correction mid-year in some districts, model villages that grow through the year, and files
the reader accepts, clean and messy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from ingest.contract import INDICATORS, KE_HOACH, KIEU_MAU
from ingest.devtools.generate import build_submission, generate, submitting_units
from ingest.devtools.template import write_template
from ingest.intake.admin_units import package_units
from ingest.intake.reader import read_submission

PHU_LY_XA = ["13306", "13426", "13507", "13513"]   # Phủ Lý (347): 4 xã and 10 wards in May 2023


def _lists(book, sheet: str) -> dict[str, list]:
    lists = book["danh_muc"]
    out = {}
    for dv in book[sheet].data_validations.dataValidation:
        ref = dv.formula1.split("!")[1].replace("$", "")
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0].rstrip("0123456789")] = [c.value for row in lists[ref] for c in row]
    return out


def test_the_template_has_both_sheets_with_vietnamese_headers_and_dropdowns(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", "347", date(2023, 5, 1)))
    assert [c.value for c in book["kieu_mau"][2]] == list(KIEU_MAU.values())
    assert [c.value for c in book["ke_hoach"][2]] == list(KE_HOACH.values())
    assert [c.comment.text for c in book["ke_hoach"][2]] == [f"key: {k}" for k in KE_HOACH]
    plan = _lists(book, "ke_hoach")
    assert plan["C"] == list(INDICATORS.values()) and "Đăng ký xã kiểu mẫu" in plan["C"]
    assert plan["B"] == ["347", *PHU_LY_XA]                 # the unit's targets, its xã's registrations
    models = _lists(book, "kieu_mau")
    assert models["A"] == PHU_LY_XA                          # xã only: no ward of Phủ Lý
    assert models["B"] == ["Xã Phù Vân", "Xã Kim Bình", "Xã Đinh Xá", "Xã Trịnh Xá"]


def test_the_blank_template_reads_back_without_errors(tmp_path: Path, admin) -> None:
    """The template filled with one plan row reads as a plan (the labels are the reader's)."""
    path = write_template(tmp_path / "t.xlsx", "347", date(2023, 5, 1))
    book = openpyxl.load_workbook(path)
    book["ke_hoach"].append([2023, "347", "Số xã đạt chuẩn NTM", 4])
    book["kieu_mau"].append(["13306", "Xã Phù Vân", 2, None, 1, 1.5])
    book.save(path)
    result = read_submission(path, admin)
    assert result.frames["ke_hoach"][["unit_code", "indicator", "target"]].values.tolist() == [["347", "communes_ntm", 4.0]]
    assert result.frames["kieu_mau"]["model_roads_km"].tolist() == [1.5]


def _province_months(province: str, months: list[date], first_month: int = 1):
    admin = package_units()
    return {(u.code, m): build_submission(admin, u, m, 7, first_month=first_month)
            for m in months for u in submitting_units(admin, province, m)}


def test_plans_go_with_january_and_a_correction_mid_year_in_some_districts() -> None:
    months = [date(2023, m, 1) for m in range(1, 13)]
    subs = _province_months("38", months)                # Thanh Hóa: 26 districts with xã
    units = sorted({u for u, _ in subs})
    with_plan = {u: [m.month for (v, m), s in subs.items() if v == u and "ke_hoach" in s.tables] for u in units}
    assert all(months_[0] == 1 for months_ in with_plan.values())
    corrected = [u for u, ms in with_plan.items() if len(ms) == 2]
    assert all(with_plan[u][1] in (6, 7) for u in corrected)
    assert 0 < len(corrected) < len(units)               # some districts correct, not all
    u = corrected[0]
    fix = with_plan[u][1]
    january = {r["indicator"]: r["target"] for r in subs[(u, months[0])].tables["ke_hoach"].rows}
    later = {r["indicator"]: r["target"] for r in subs[(u, months[fix - 1])].tables["ke_hoach"].rows}
    assert january.keys() == later.keys()
    assert all(later[k] <= january[k] for k in january)  # brought back from January's ambition to the year's reach
    assert {r["note"] for r in subs[(u, months[fix - 1])].tables["ke_hoach"].rows if r["unit_code"] == u} == \
        {"Điều chỉnh kế hoạch"}


def test_the_plan_goes_with_the_first_generated_month_when_january_is_not_generated() -> None:
    admin = package_units()
    unit = submitting_units(admin, "27", date(2023, 3, 1))[0]
    march = build_submission(admin, unit, date(2023, 3, 1), 7, first_month=3)
    assert "ke_hoach" in march.tables and {r["year"] for r in march.tables["ke_hoach"].rows} == {2023}
    assert "ke_hoach" not in build_submission(admin, unit, date(2023, 3, 1), 7).tables


def test_model_villages_grow_and_never_fall() -> None:
    months = [date(2023, m, 1) for m in range(1, 13)]
    subs = _province_months("38", months)
    totals: dict[str, list[int]] = {}
    for (unit, _), sub in sorted(subs.items(), key=lambda kv: kv[0][1]):
        rows = sub.tables.get("kieu_mau")
        counts = {r["commune_code"]: r["model_villages"] for r in rows.rows} if rows else {}
        totals.setdefault(unit, []).append(sum(counts.values()))
    assert all(a <= b for series in totals.values() for a, b in zip(series, series[1:], strict=False))
    assert sum(series[-1] - series[0] for series in totals.values()) > 0   # some recognised during the year


def test_a_registration_names_a_xa_and_targets_are_whole_and_not_negative() -> None:
    admin = package_units()
    for unit in submitting_units(admin, "38", date(2023, 1, 1)):
        sub = build_submission(admin, unit, date(2023, 1, 1), 7)
        xa = {r["commune_code"] for r in sub.tables["tieu_chi_xa"].rows}
        for row in sub.tables["ke_hoach"].rows:
            assert isinstance(row["target"], int) and row["target"] >= 0
            if row["indicator"].startswith("register_"):
                assert row["unit_code"] in xa and row["target"] == 1
            else:
                assert row["unit_code"] == unit.code


@pytest.mark.parametrize("messy", [False, True])
def test_generated_plans_and_models_read_without_errors(tmp_path: Path, admin, messy: bool) -> None:
    paths = generate("27", [date(2023, 1, 1), date(2023, 2, 1)], tmp_path, seed=11, messy=messy)
    for path in paths:
        result = read_submission(path, admin)
        assert not result.rejected, [f for f in result.findings if f.severity == "error"]
    january = [read_submission(p, admin).frames["ke_hoach"] for p in paths if p.name.startswith("2023-01")]
    assert all(len(f) >= 6 for f in january)

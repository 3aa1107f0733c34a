"""The Great Expectations rules of kieu_mau and ke_hoach (ingest/quality/suites.py), run by real GX
on frames the reader made of hand-made workbooks (Huyện Nông Cống, 404), and through the pipeline
on a real PostgreSQL: a rejection is located in audit.finding; a cumulative count that falls from
the previous month's accepted submission loads with a warning."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from ingest import pipeline
from ingest.intake.reader import read_submission
from ingest.quality.validate import validate_submission
from tests.fixtures.plans import XA, ke_hoach_rows, kieu_mau_rows, nong_cong_sheets, workbook

RECEIVED = date(2023, 6, 3)


def _findings(tmp_path: Path, admin, previous_models: pd.DataFrame | None = None, **sheets) -> list[tuple]:
    result = read_submission(workbook(tmp_path / "s.xlsx", nong_cong_sheets(**sheets)), admin)
    assert not result.rejected, result.findings
    if previous_models is not None:
        from ingest.quality.frames import BatchItem
        from ingest.quality.validate import validate_batch
        runs = validate_batch([BatchItem(0, result.frames, RECEIVED, previous_models=previous_models)],
                              build_docs=False)[0]
    else:
        runs = validate_submission(result.frames, RECEIVED, build_docs=False)
    return [(f.severity, f.check_name, f.sheet, f.excel_row, f.column_name, f.value) for r in runs for f in r.findings]


def test_a_good_plan_and_models_pass_every_rule(tmp_path: Path, admin) -> None:
    assert _findings(tmp_path, admin, kieu_mau=kieu_mau_rows(), ke_hoach=ke_hoach_rows()) == []


def test_the_plans_year_must_be_the_periods_year(tmp_path: Path, admin) -> None:
    found = _findings(tmp_path, admin, ke_hoach=ke_hoach_rows(year=2022, register_advanced=[], register_model=[]))
    assert ("error", "plan_year_mismatch", "ke_hoach", 3, "year", "2022") in found
    assert len([f for f in found if f[1] == "plan_year_mismatch"]) == 7     # each of the 7 target rows


def test_counts_are_whole_and_not_negative(tmp_path: Path, admin) -> None:
    models = kieu_mau_rows({XA[0]: "2,5", XA[1]: -1}, {XA[0]: 1, XA[1]: 1})
    plan = ke_hoach_rows(targets={"communes_ntm": "27,5", "model_roads": -3}, register_advanced=[], register_model=[])
    found = _findings(tmp_path, admin, kieu_mau=models, ke_hoach=plan)
    assert ("error", "count_not_whole", "kieu_mau", 4, "model_villages", "2.5") in found
    assert ("error", "count_negative", "kieu_mau", 5, "model_villages", "-1") in found
    assert ("error", "count_not_whole", "ke_hoach", 3, "target", "27.5") in found
    assert ("error", "count_negative", "ke_hoach", 4, "target", "-3") in found


def test_a_road_length_without_a_count_is_an_error(tmp_path: Path, admin) -> None:
    models = kieu_mau_rows({XA[0]: 1, XA[1]: 1}, {XA[1]: 2}, km={XA[0]: "3,5", XA[1]: 4})
    found = _findings(tmp_path, admin, kieu_mau=models)
    assert [f for f in found if f[1] == "road_length_without_count"] == [
        ("error", "road_length_without_count", "kieu_mau", 4, "model_roads_km", "3.5")]


def test_a_registration_has_target_1_and_names_a_xa_listed_on_tieu_chi_xa(tmp_path: Path, admin) -> None:
    plan = [["Năm", "Mã đơn vị", "Chỉ tiêu", "Kế hoạch"], [2023, XA[0], "register_advanced", 2],
            [2023, XA[1], "register_model", 1]]
    sheets = nong_cong_sheets(ke_hoach=plan)
    sheets["tieu_chi_xa"] = [r for r in sheets["tieu_chi_xa"] if r[0] != XA[1]]   # XA[1] not reported
    result = read_submission(workbook(tmp_path / "r.xlsx", sheets), admin)
    runs = validate_submission(result.frames, RECEIVED, build_docs=False)
    found = [(f.severity, f.check_name, f.sheet, f.excel_row, f.column_name, f.value) for r in runs for f in r.findings]
    assert ("error", "registration_target", "ke_hoach", 2, "target", "2") in found
    assert ("error", "unknown_commune_reference", "ke_hoach", 3, "unit_code", XA[1]) in found


def test_a_cumulative_count_that_falls_is_a_warning(tmp_path: Path, admin) -> None:
    previous = pd.DataFrame({"commune_code": [XA[0], XA[1]], "model_villages": [3.0, 1.0], "model_roads": [2.0, 1.0]})
    found = _findings(tmp_path, admin, previous_models=previous, kieu_mau=kieu_mau_rows({XA[0]: 2, XA[1]: 1},
                                                                                       {XA[0]: 2, XA[1]: 1}))
    assert found == [("warning", "model_count_decreased", "kieu_mau", 4, "model_villages", "2")]


def test_through_the_pipeline_a_wrong_year_is_rejected_and_a_fall_is_flagged(url: str, tmp_path: Path) -> None:
    april = workbook(tmp_path / "2023-04_404_v1.xlsx", nong_cong_sheets(
        "2023-04", kieu_mau=kieu_mau_rows({XA[0]: 3}, {XA[0]: 2})))
    may_bad = workbook(tmp_path / "2023-05_404_v1.xlsx", nong_cong_sheets(
        "2023-05", ke_hoach=ke_hoach_rows(year=2024, targets={"communes_ntm": 28}, register_advanced=[],
                                           register_model=[])))
    [a, b] = pipeline.ingest_paths([str(april), str(may_bad)], url, build_docs=False)
    assert (a.status, b.status) == ("accepted", "rejected")
    may_fixed = workbook(tmp_path / "2023-05_404_v2.xlsx", nong_cong_sheets(
        "2023-05", version=2, kieu_mau=kieu_mau_rows({XA[0]: 2}, {XA[0]: 2}),
        ke_hoach=ke_hoach_rows(targets={"communes_ntm": 28}, register_advanced=[], register_model=[])))
    [c] = pipeline.ingest_paths([str(may_fixed)], url, build_docs=False)
    assert c.status == "accepted"
    with psycopg.connect(url) as conn:
        rows = conn.execute("""SELECT submission_id, severity, check_name, sheet, excel_row, column_name, value
                               FROM audit.finding WHERE check_name IN ('plan_year_mismatch', 'model_count_decreased')
                               ORDER BY submission_id""").fetchall()
        loaded = conn.execute("SELECT count(*) FROM raw.ke_hoach WHERE submission_id = %s", (c.submission_id,)).fetchone()
    assert rows == [(b.submission_id, "error", "plan_year_mismatch", "ke_hoach", 3, "year", "2024"),
                    (c.submission_id, "warning", "model_count_decreased", "kieu_mau", 4, "model_villages", "2")]
    assert loaded == (1,)


@pytest.mark.parametrize("sheet", ["kieu_mau", "ke_hoach"])
def test_the_suites_are_written_to_the_context(sheet: str) -> None:
    import json

    from ingest.quality.suites import build_suites
    on_disk = json.loads((Path(__file__).resolve().parents[2] / f"expectations/gx/expectations/{sheet}.json").read_text())
    checks = [e["meta"]["check"] for e in on_disk["expectations"]]
    assert checks == [e.meta["check"] for e in build_suites()[sheet]]

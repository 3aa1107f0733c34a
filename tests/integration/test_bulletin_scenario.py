"""The bulletin over the shared warehouse scenario (tests/fixtures/warehouse_scenario.py), whose
figures are hand-made: Triệu Sơn (397) in May 2023 as the seed report states it, Thanh Hóa (38) in
December 2017 under the 2016–2020 criteria, and Thanh Hóa in July 2025, when districts no longer
exist and the province reports its xã directly."""

from __future__ import annotations

from ingest.cli.main import main
from tests.fixtures.bulletin import READ_BACK, needs_chromium, visit, vn
from tests.fixtures.warehouse import query_one
from tests.fixtures.warehouse_scenario import DISTRICT, PROVINCE


def _page(url: str, unit: str, month: str, out):
    assert main(["report", "--database-url", url, "--month", month, "--unit", unit, "-o", str(out)]) == 0
    return out


@needs_chromium
def test_district_may_2023_as_the_seed_report_states_it(warehouse, tmp_path) -> None:
    url, _, _ = warehouse
    page = _page(url, DISTRICT, "2023-05", tmp_path / "397.html")
    seen = visit(page, tmp_path, READ_BACK)
    assert seen.errors == [] and seen.dialogs == [] and seen.requests == [page.as_uri()]
    h, ids = seen.values["headline"], seen.values["ids"]
    assert h["communes_ntm"][0] == "28/30"                     # 22 NTM + 5 advanced + 1 model
    assert h["communes_advanced"][0] == "5" and h["communes_model"][0] == "1"
    assert h["titles_at_risk"][0] == "1"
    assert h["pct_communes_ntm"][0] == "93,3"                  # 28/30
    # March had every xã at 17 criteria and none titled; April, not reported, carries March forward;
    # the year is counted from March, the first month of 2023 with figures
    assert h["communes_ntm"][1] == "+28" and h["communes_ntm"][2] == "+28"
    # (21 × 19 + 18 + 5 × 19 + 19 + 15 + 9) / 30 = 555 / 30; March: 17 everywhere
    assert h["avg_criteria_per_commune"] == ["18,50", "+1,50", "+1,50"]
    assert ids["funding-total-ytd"] == "892.738"               # the seed report's total, million VND
    assert ids["community-share-ytd"] == "80,3%"                # (300.000 + 300.000 + 116.825) / 892.738
    assert ids["support-ytd"] == "450,5"                       # March 100 + May 200,5 + 50 + 100
    assert ids["communes-hardship"] == "2"
    at_risk = seen.values["at_risk"]
    assert [(met, [c.split(".")[0] for c in lost]) for _, met, lost in at_risk] == [("18/19", ["TC19"])]
    ocop = query_one(url, "SELECT * FROM marts.mart_ocop WHERE month = '2023-05-01' AND unit_code = %s", DISTRICT)
    assert vn(ids["ocop-rated"]) == ocop["products_rated"]
    assert seen.values["coverage"] == []                       # on time


def test_province_2017_under_the_2016_2020_criteria(warehouse, tmp_path) -> None:
    url, _, _ = warehouse
    text = _page(url, PROVINCE, "2017-12", tmp_path / "38-2017.html").read_text(encoding="utf-8")
    p = query_one(url, "SELECT * FROM marts.mart_progress WHERE month = '2017-12-01' AND unit_code = %s "
                       "AND unit_level = 'province'", PROVINCE)
    assert p["communes_ntm"] == 36
    assert f'<td class="value">36/{p["communes_expected"]}</td>' in text
    assert "<td class=\"value\">8,65</td>" in text             # 1.791 criteria over 207 xã
    # districts 380 and 381 reported the district title in December 2017
    assert f'<tr data-key="districts_ntm"><td>Huyện đạt chuẩn nông thôn mới</td><td class="value">2/{p["districts_total"]}</td>' in text
    assert "Tháng 12/2017" in text


def test_province_after_the_reform_lists_its_xa(warehouse, tmp_path) -> None:
    url, _, _ = warehouse
    text = _page(url, PROVINCE, "2025-07", tmp_path / "38-2025.html").read_text(encoding="utf-8")
    p = query_one(url, "SELECT * FROM marts.mart_progress WHERE month = '2025-07-01' AND unit_code = %s "
                       "AND unit_level = 'province'", PROVINCE)
    assert p["communes_ntm"] == 2
    assert f'<td class="value">2/{p["communes_expected"]}</td>' in text
    assert "Kết quả theo xã" in text and "Kết quả theo đơn vị" not in text
    # its three xã, and no coverage row: the province itself reported on time
    assert text.count('<tr data-unit="') == 3
    assert "Tháng 7/2025" in text

"""Superset on the marts (issue 16), end to end: marts of two provinces built through the real
pipeline, Superset started by the code of `make bi`, every dashboard opened in headless Chromium
as a logged-in user; no chart or console error; one figure per dashboard, as the dashboard's own
chart-data request returned it, equals the same figure queried from the marts with SQL."""

from __future__ import annotations

import time

import psycopg
import pytest
import yaml

from ingest.devtools import superset_local
from ingest.devtools.superset_local import DASHBOARDS_DIR

# slug → (chart whose figure is checked, the same figure in SQL on the marts)
FIGURES = {
    "tien-do-ntm": ("Số xã đạt chuẩn NTM (toàn tỉnh)",
                    "SELECT sum(communes_ntm) FROM marts.mart_progress WHERE unit_level = 'province'"),
    "huy-dong-nguon-luc": ("Tổng vốn lũy kế năm (triệu đồng)",
                           "SELECT sum(total_ytd_mvnd) FROM marts.mart_funding WHERE unit_level = 'province'"),
    "ocop": ("Sản phẩm OCOP đã được công nhận",
             "SELECT sum(products_rated) FROM marts.mart_ocop WHERE unit_level = 'province'"),
    "nop-bao-cao": ("Báo cáo đã nộp", "SELECT count(district_code) FROM marts.mart_submission_coverage WHERE submitted"),
    "ke-hoach-ket-qua": ("Chỉ tiêu đúng tiến độ (toàn tỉnh)",
                         "SELECT count(indicator) FROM marts.mart_plan WHERE unit_level = 'province' AND on_track"),
}
TITLES = {"tien-do-ntm": "Tiến độ NTM", "huy-dong-nguon-luc": "Huy động nguồn lực", "ocop": "OCOP",
          "nop-bao-cao": "Tình hình nộp báo cáo", "ke-hoach-ket-qua": "Kế hoạch và kết quả"}


def _dashboard_file(slug: str) -> dict:
    return yaml.safe_load((DASHBOARDS_DIR / "dashboards" / f"{slug}.yaml").read_text(encoding="utf-8"))


def test_the_dashboards_as_code_have_vietnamese_titles_and_month_and_province_filters():
    slugs = {p.stem for p in (DASHBOARDS_DIR / "dashboards").glob("*.yaml")}
    assert slugs == set(TITLES)
    for slug, title in TITLES.items():
        d = _dashboard_file(slug)
        assert d["dashboard_title"] == title
        filters = {f["name"]: f["targets"][0]["column"]["name"] for f in d["metadata"]["native_filter_configuration"]}
        assert filters == {"Tháng": "month", "Tỉnh": "province_code"}
    for f in (DASHBOARDS_DIR / "datasets").rglob("*.yaml"):
        ds = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert ds["schema"] == "marts" and ds["sql"] is None, f"{f.name}: a dataset is a mart itself"
        assert {"month", "province_code"} <= {c["column_name"] for c in ds["columns"]}, f.name


@pytest.mark.parametrize("slug", list(TITLES))
def test_each_dashboard_loads_in_chromium_with_every_chart_and_a_figure_equal_to_sql(slug, superset, browser):
    http = superset.http
    charts = http.get(f"{superset.url}/api/v1/dashboard/{slug}/charts", timeout=60).json()["result"]
    by_name = {c["slice_name"]: c["id"] for c in charts}
    expected_charts = len(_dashboard_file(slug)["position"]) - 4  # ROOT, GRID, HEADER, version key
    rows = sum(1 for k in _dashboard_file(slug)["position"] if k.startswith("ROW-"))
    assert len(charts) == expected_charts - rows

    load = browser.load_dashboard(superset.dashboards[TITLES[slug]], superset.url, http.cookies["session"],
                                  charts=len(charts))
    print(f"\n{TITLES[slug]}: {len(load.chart_responses)} chart queries in {load.seconds:.1f} s")
    assert not load.console_errors, load.console_errors
    assert not load.api_failures, load.api_failures
    assert not load.alerts, load.alerts
    assert len(load.chart_responses) >= len(charts) and set(load.chart_responses.values()) == {200}
    assert set(by_name.values()) <= set(load.chart_bodies), "every chart's data came back to the page"
    for slice_id, body in load.chart_bodies.items():
        assert all(r.get("error") is None and r.get("status") == "success" for r in body["result"]), (slice_id, body)

    chart, query = FIGURES[slug]
    body = load.chart_bodies[by_name[chart]]
    shown = list(body["result"][0]["data"][0].values())[0]
    with psycopg.connect(superset.warehouse_url) as conn:
        expected = conn.execute(query).fetchone()[0]
    assert expected is not None and float(expected) > 0, "the fixture's marts hold the figure"
    assert float(shown) == pytest.approx(float(expected)), (chart, shown, expected)


def test_superset_reads_the_marts_as_a_reader_login_not_an_owner(superset):
    with psycopg.connect(superset.warehouse_url) as conn:
        row = conn.execute("SELECT r.rolsuper, pg_has_role(r.rolname, 'ntm_bi_reader', 'MEMBER'),"
                           " pg_has_role(r.rolname, 'ntm_loader', 'MEMBER') FROM pg_roles r WHERE r.rolname = %s",
                           (superset.reader,)).fetchone()
    assert row == (False, True, False)
    http = superset.session()
    dbs = http.get(f"{superset.url}/api/v1/database/", timeout=60).json()["result"]
    assert [d["backend"] for d in dbs] == ["postgresql"]
    # SQL Lab through the same connection: the reader cannot read raw
    r = http.post(f"{superset.url}/api/v1/sqllab/execute/", json={
        "database_id": dbs[0]["id"], "sql": "SELECT count(*) FROM raw.thong_tin", "runAsync": False}, timeout=120)
    assert r.status_code >= 400 and "permission denied" in r.text.lower(), r.text[:500]


def test_a_restart_skips_the_set_up_already_done_and_serves_every_dashboard(superset):
    """`make bi` again while it runs leaves it running; after `make bi-stop`, `make bi` starts it
    again without the metadata steps already done, with the same admin, every dashboard imported
    and a chart edited in the UI put back to the code's."""
    assert superset.steps == ("db upgrade", "fab create-admin", "init", "import", "set-database-uri")
    http = superset.session()
    chart, _query = FIGURES["ke-hoach-ket-qua"]
    charts = http.get(f"{superset.url}/api/v1/dashboard/ke-hoach-ket-qua/charts", timeout=60).json()["result"]
    chart_id = next(c["id"] for c in charts if c["slice_name"] == chart)
    edited = http.put(f"{superset.url}/api/v1/chart/{chart_id}", json={"slice_name": "Sửa tay trong giao diện"},
                      timeout=60)
    assert edited.status_code == 200, edited.text[:500]
    again = superset_local.start(superset.settings, superset.warehouse_url, reader=superset.reader)
    assert not again.started and again.url == superset.url and not again.new_password
    assert superset_local.stop(superset.settings)
    assert not superset_local.healthy(superset.url)

    t0 = time.monotonic()
    info = superset_local.start(superset.settings, superset.warehouse_url, reader=superset.reader)
    print(f"\nSuperset restart: {time.monotonic() - t0:.1f} s (set-up and import {info.setup_s:.1f} s,"
          f" server up {info.server_s:.1f} s)")
    assert info.started and info.steps == ("import",)
    assert (info.username, info.password, info.new_password) == (superset.username, superset.password, False)
    superset.url = info.url  # the first free port again, most likely the same
    superset.__dict__.pop("http", None)
    http = superset.session()
    slugs = {d["slug"] for d in http.get(f"{superset.url}/api/v1/dashboard/", timeout=60).json()["result"]}
    assert slugs == set(TITLES)
    charts = http.get(f"{superset.url}/api/v1/dashboard/ke-hoach-ket-qua/charts", timeout=60).json()["result"]
    assert {c["id"]: c["slice_name"] for c in charts}[chart_id] == chart, "the code's chart is back, not the UI edit"

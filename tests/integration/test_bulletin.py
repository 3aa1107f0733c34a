"""`ntm report`: the bulletin of a province and of a district, HTML and PDF, loaded in headless
Chromium (no console error, no request beyond the page itself, no dialog), the figures read back from
the page and compared with SQL on the marts; hand-made figures of the fixture's May for district A;
hostile strings from submissions shown as text, never as markup (issue 14, class 2)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import pytest

from ingest.cli.main import main
from ingest.serve.bulletin import page_count
from ingest.serve.bulletin.vn import clean
from tests.fixtures.bulletin import (
    HOSTILE,
    HOSTILE_CONTROL,
    HOSTILE_IMG,
    HOSTILE_STYLE,
    READ_BACK,
    close,
    needs_chromium,
    visit,
    vn,
)
from tests.fixtures.warehouse import query_one, query_rows

MAY, APRIL, DECEMBER = date(2023, 5, 1), date(2023, 4, 1), date(2022, 12, 1)

def progress(url: str, month: date, unit: str) -> dict:
    return query_one(url, "SELECT * FROM marts.mart_progress WHERE month = %s AND unit_code = %s "
                          "AND unit_level IN ('province', 'district')", month, unit)


def report(url: str, unit: str, out: Path, *extra: str) -> Path:
    assert main(["report", "--database-url", url, "--month", "2023-05", "--unit", unit, "-o", str(out), *extra]) == 0
    return out


def assert_clean_visit(seen, page: Path) -> None:
    assert seen.errors == [], seen.errors
    assert seen.dialogs == []
    assert seen.requests == [page.as_uri()], f"the page asked for more than itself: {seen.requests}"


def assert_headline(seen, url: str, unit: str) -> None:
    now, prev, start = (progress(url, m, unit) for m in (MAY, APRIL, DECEMBER))
    h = seen.values["headline"]
    assert h["communes_ntm"][0] == f"{now['communes_ntm']}/{now['communes_expected']}"
    assert vn(h["communes_ntm"][1]) == now["communes_ntm"] - prev["communes_ntm"]
    assert vn(h["communes_ntm"][2]) == now["communes_ntm"] - start["communes_ntm"]
    for key, decimals in (("pct_communes_ntm", 1), ("avg_criteria_per_commune", 2), ("communes_advanced", 0),
                          ("communes_model", 0), ("communes_19", 0), ("titles_at_risk", 0)):
        value, since_prev, since_start = h[key]
        assert close(value, now[key], decimals), (key, value, now[key])
        assert close(since_prev, now[key] - prev[key], decimals), (key, since_prev)
        assert close(since_start, now[key] - start[key], decimals), (key, since_start)
    ocop = {m: query_one(url, "SELECT products_rated FROM marts.mart_ocop WHERE month = %s AND unit_code = %s",
                         m, unit)["products_rated"] for m in (MAY, APRIL, DECEMBER)}
    assert [vn(x) for x in h["products_rated"]] == [ocop[MAY], ocop[MAY] - ocop[APRIL], ocop[MAY] - ocop[DECEMBER]]


def assert_trend(seen, url: str, unit: str) -> None:
    rows = query_rows(url, "SELECT month, communes_ntm, communes_expected, avg_criteria_per_commune "
                           "FROM marts.mart_progress WHERE unit_code = %s AND unit_level IN ('province', 'district') "
                           "AND month BETWEEN '2023-01-01' AND '2023-05-01' ORDER BY month", unit)
    assert [r[0] for r in seen.values["trend"]] == [r["month"].isoformat() for r in rows]
    assert [r[1] for r in seen.values["trend"]] == [f"{r['communes_ntm']}/{r['communes_expected']}" for r in rows]
    charts = seen.values["charts"]
    months = [f"T{r['month'].month}" for r in rows]
    ntm_chart = [t for t in charts["trend-ntm"] if t not in months]
    assert [str(r["communes_ntm"]) for r in rows] == ntm_chart[-len(rows):]     # the labels on the bars
    avg_chart = [t for t in charts["trend-avg"] if t not in months]
    assert [vn(t) for t in avg_chart[-len(rows):]] == [round(r["avg_criteria_per_commune"], 2) for r in rows]


def assert_criteria(seen, url: str, column: str, unit: str) -> None:
    rows = query_rows(url, f"""SELECT d.criterion_no, d.name_vi, avg(c.is_met::int) AS share
        FROM marts.fct_commune_criteria c JOIN marts.dim_criterion d USING (criteria_set, criterion_code)
        WHERE d.level = 'commune' AND c.month = '2023-05-01' AND c.{column} = %s
        GROUP BY d.criterion_no, d.name_vi ORDER BY share, d.criterion_no""", unit)
    texts = seen.values["charts"]["criteria"]
    labels = [t for t in texts if t.startswith("TC")]
    shares = [t for t in texts if re.fullmatch(r"\d+,\d%", t)]
    assert labels == [f"TC{r['criterion_no']}. {r['name_vi']}" for r in rows]
    assert [vn(s) for s in shares] == [round(r["share"] * 100, 1) for r in rows]
    assert len(rows) == 19


def assert_funding(seen, url: str, unit: str) -> dict:
    f = query_one(url, "SELECT * FROM marts.mart_funding WHERE month = '2023-05-01' AND unit_code = %s", unit)
    ids = seen.values["ids"]
    assert vn(ids["funding-total-ytd"]) == round(f["total_ytd_mvnd"])
    assert vn(ids["funding-total-phase"]) == round(f["total_phase_mvnd"])
    assert close(ids["community-share-ytd"], f["community_share"] * 100, 1)
    assert close(ids["community-share-phase"], f["nhan_dan_phase_mvnd"] / f["total_phase_mvnd"] * 100, 1)
    by_source = {code: (vn(ytd), vn(phase)) for code, ytd, phase in seen.values["funding"]}
    expected = {code: (round(f[f"{code}_ytd_mvnd"] or 0), round(f[f"{code}_phase_mvnd"] or 0))
                for code in by_source}
    assert by_source == expected and by_source
    # the chart: one bar per source with money this year, its figure written on it
    bars = [(code, f[f"{code}_ytd_mvnd"]) for code in by_source if f[f"{code}_ytd_mvnd"]]
    texts = seen.values["charts"]["funding"]
    assert [vn(t) for t in texts[-len(bars):]] == [round(v) for _, v in bars]
    assert all(f[f"{c}_ytd_mvnd"] in (None, 0) and f[f"{c}_phase_mvnd"] in (None, 0)
               for c in ("ns_tw", "ns_tinh", "nhan_dan", "long_ghep", "khac") if c not in by_source)
    return f


def assert_ocop_support_coverage(seen, url: str, unit: str) -> None:
    o = query_one(url, "SELECT * FROM marts.mart_ocop WHERE month = '2023-05-01' AND unit_code = %s", unit)
    ids = seen.values["ids"]
    assert vn(ids["ocop-rated"]) == o["products_rated"]
    groups = [int(t) for t in seen.values["charts"]["ocop-groups"] if re.fullmatch(r"\d+", t)]
    by_group = [o[f"products_g{i}"] for i in range(1, 7)] + [o[f"products_1048_g{i}"] for i in range(1, 7)
                                                             if o[f"products_1048_g{i}"]]
    assert groups[-len(by_group):] == by_group
    stars = [t for t in seen.values["charts"]["ocop-stars"] if re.fullmatch(r"\d+", t)]
    assert [int(s) for s in stars[-3:]] == [o["products_3_star"], o["products_4_star"], o["products_5_star"]]
    p = progress(url, MAY, unit)
    assert vn(ids["communes-hardship"]) == p["communes_hardship"]
    assert close(ids["support-ytd"], p["support_ytd_mvnd"], 1)
    cov = query_rows(url, "SELECT status, count(*) AS n FROM marts.mart_submission_coverage "
                          "WHERE month = '2023-05-01' AND (province_code = %s OR district_code = %s) GROUP BY status",
                     unit, unit)
    counts = {r["status"]: r["n"] for r in cov}
    for status in ("accepted", "late", "missing", "rejected"):
        assert vn(ids[f"coverage-{status}"]) == counts.get(status, 0), status


@needs_chromium
def test_province_bulletin_states_the_marts(bulletin_warehouse, tmp_path) -> None:
    wh = bulletin_warehouse
    page = report(wh.url, "27", tmp_path / "27.html")
    seen = visit(page, tmp_path, READ_BACK)
    assert_clean_visit(seen, page)
    assert seen.title == "Bản tin nông thôn mới Tỉnh Bắc Ninh – Tháng 5/2023"
    assert_headline(seen, wh.url, "27")
    assert_trend(seen, wh.url, "27")
    assert_criteria(seen, wh.url, "province_code", "27")
    assert_funding(seen, wh.url, "27")
    assert_ocop_support_coverage(seen, wh.url, "27")
    # one row per district with xã, figures of mart_progress
    units = {u[0]: u for u in seen.values["units"]}
    assert sorted(units) == sorted(wh.districts)
    for code in wh.districts:
        row = progress(wh.url, MAY, code)
        assert units[code][2] == f"{row['communes_ntm']}/{row['communes_expected']}"
        assert close(units[code][3], row["pct_communes_ntm"], 1)
    # the chart of the districts: same order as the table, each bar with its percentage
    shares = [t for t in seen.values["charts"]["children"] if t.endswith("%")]
    assert shares == [f"{u[3]}%" for u in seen.values["units"]]
    # the late district and the missing one are named, nobody else
    assert sorted(seen.values["coverage"]) == sorted([[wh.late, "late"], [wh.missing, "missing"]])
    # the missing district's xã are carried forward from April and said so
    carried = progress(wh.url, MAY, "27")["communes_carried_forward"]
    assert carried > 0 and f"{carried} xã lấy theo báo cáo gần nhất" in seen.values["live"]["body"]


@needs_chromium
def test_district_bulletin_hand_made_month(bulletin_warehouse, tmp_path) -> None:
    wh = bulletin_warehouse
    page = report(wh.url, wh.district, tmp_path / "a.html")
    seen = visit(page, tmp_path, READ_BACK)
    assert_clean_visit(seen, page)
    assert_headline(seen, wh.url, wh.district)
    assert_trend(seen, wh.url, wh.district)
    assert_criteria(seen, wh.url, "district_code", wh.district)
    f = assert_funding(seen, wh.url, wh.district)
    assert_ocop_support_coverage(seen, wh.url, wh.district)
    ids = seen.values["ids"]
    # hand-computed from the fixture's May for district A
    h = seen.values["headline"]
    xa = len(seen.values["units"])
    assert h["communes_ntm"][0] == f"5/{xa}"                 # 3 NTM + 1 advanced + 1 NTM, all titled
    assert h["titles_at_risk"][0] == "2"
    assert ids["funding-total-ytd"] == "2.000"                 # 1.234,5 + 765,5
    assert ids["community-share-ytd"] == "38,3%"               # 765,5 / 2.000
    assert f["total_ytd_mvnd"] == Decimal("2000.000")
    assert ids["ocop-rated"] == "3"
    # the titled xã at risk, named, with the criteria they lost (17/19 loses TC18, TC19; 18/19 loses TC19)
    at_risk = {code: (met, [c.split(".")[0] for c in lost]) for code, met, lost in seen.values["at_risk"]}
    assert at_risk == {code: (f"{19 - len(lost)}/19", [f"TC{n}" for n in lost]) for code, lost in wh.at_risk.items()}
    # the month's support, hand-made: 120,5; 30; 0,5
    body = seen.values["live"]["body"]
    assert "120,5" in body and "30,0" in body
    assert seen.values["coverage"] == []                       # A's own row: accepted on time
    assert "Chưa có số liệu kế hoạch" in body or "chưa gửi kế hoạch" in body


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [f"{tag} {k}" for k, _ in attrs if k.startswith("on")]


@needs_chromium
def test_hostile_strings_are_text_not_markup(bulletin_warehouse, tmp_path) -> None:
    """Names, product codes and support texts carry HTML, `</style><script>`, control characters and
    terminal escapes: the page holds them as text, Chromium runs nothing and shows them literally."""
    wh = bulletin_warehouse
    for unit in ("27", wh.district):
        page = report(wh.url, unit, tmp_path / f"h{unit}.html")
        text = page.read_text(encoding="utf-8")
        parsed = _Tags()
        parsed.feed(text)
        assert "script" not in parsed.tags and "img" not in parsed.tags and "iframe" not in parsed.tags
        assert parsed.handlers == []
        # our stylesheet, plus the one matplotlib puts in each chart
        assert parsed.tags.count("style") == 1 + parsed.tags.count("svg") and parsed.tags.count("title") == 1
        assert parsed.tags.count("svg") == text.count('data-chart="')
        for bad in ("\x01", "\x07", "\x1b", "\u202e"):
            assert bad not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
        assert "&lt;/style&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in text
        seen = visit(page, tmp_path, READ_BACK)
        assert_clean_visit(seen, page)
        live = seen.values["live"]
        assert live["scripts"] == 0 and live["images"] == 0 and live["iframes"] == 0 and live["handlers"] == []
        assert live["svgs"] == live["charts"] and live["charts"] >= 6
        assert seen.title.startswith("Bản tin nông thôn mới ")
        body = live["body"]
        assert HOSTILE_IMG in body and HOSTILE_STYLE in body    # shown literally
        assert clean(HOSTILE_CONTROL) in body
        assert "{{ 7*7 }}{% raw %}" in body                    # data, never a template
    # the district's page lists the products and agencies by name, codes included
    assert sorted(live["products"]) == sorted([clean(HOSTILE_IMG), clean(HOSTILE_CONTROL)])
    keys = query_rows(wh.url, "SELECT product_key FROM marts.fct_ocop_product WHERE month = '2023-05-01' "
                              "AND district_code = %s AND expires_within_6_months", wh.district)
    assert sorted(live["codes"]) == sorted(clean(k["product_key"]) for k in keys)
    assert sorted(c.split(":", 1)[1] for c in live["codes"]) == sorted(["\"'><svg onload=alert(3)>", "BN<b>01</b>"])
    assert HOSTILE_STYLE in live["agencies"] and "{{ 7*7 }}{% raw %}" in live["agencies"]
    assert len(HOSTILE) == 5


@needs_chromium
def test_pdf_for_province_and_district(bulletin_warehouse, tmp_path, capsys) -> None:
    wh = bulletin_warehouse
    for unit, name in (("27", "Tỉnh Bắc Ninh"), (wh.district, None)):
        out = report(wh.url, unit, tmp_path / f"{unit}.pdf", "--format", "pdf")
        data = out.read_bytes()
        assert data.startswith(b"%PDF-")
        pages = page_count(out)
        assert 2 <= pages <= 12, pages
        title = re.search(rb"/Title\s*<FEFF([0-9A-F]+)>", data)
        assert title, "Chromium writes the page title into the PDF"
        shown = bytes.fromhex(title.group(1).decode()).decode("utf-16-be")
        assert shown.startswith("Bản tin nông thôn mới ") and shown.endswith("Tháng 5/2023")
        if name:
            assert name in shown
        print(f"{unit}: {pages} pages")
    # the format follows the file name when not given
    out = tmp_path / "auto.pdf"
    assert main(["report", "--database-url", wh.url, "--month", "2023-05", "--unit", "27", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    capsys.readouterr()


def test_pdf_without_chromium_is_a_configuration_error(bulletin_warehouse, tmp_path, monkeypatch, capsys) -> None:
    from ingest.serve.bulletin import pdf

    monkeypatch.setattr(pdf, "CHROMIUM_CANDIDATES", ("no-such-browser-ntm",))
    monkeypatch.setattr(pdf, "FALLBACK", Path("/nonexistent/chromium"))
    out = tmp_path / "x.pdf"
    assert main(["report", "--database-url", bulletin_warehouse.url, "--month", "2023-05", "--unit", "27",
                 "--format", "pdf", "-o", str(out)]) == 2
    assert "Chromium" in capsys.readouterr().err and not out.exists()


def test_unknown_unit_or_month_says_what_to_do(bulletin_warehouse, capsys) -> None:
    for unit, month in (("99", "2023-05"), ("27", "2023-09")):
        assert main(["report", "--database-url", bulletin_warehouse.url, "--month", month, "--unit", unit]) == 1
        assert "no figures" in capsys.readouterr().err


@pytest.fixture
def plan_and_models(bulletin_warehouse):
    """mart_plan rows and the model columns of mart_progress for district A in May, added to the test
    database as the contract (marts.md) defines them when the build does not make them yet, removed
    afterwards."""
    url, unit = bulletin_warehouse.url, bulletin_warehouse.district
    with psycopg.connect(url, autocommit=True) as conn:
        made_plan = conn.execute("SELECT to_regclass('marts.mart_plan') IS NULL").fetchone()[0]
        if made_plan:
            conn.execute("""CREATE TABLE marts.mart_plan (month date, year integer, unit_code text, unit_level text,
                indicator text, target numeric, actual numeric, pct_of_target numeric, on_track boolean,
                plan_submission_id bigint)""")
        conn.execute("""INSERT INTO marts.mart_plan (month, year, unit_code, unit_level, indicator, target,
                actual, pct_of_target, on_track, plan_submission_id) VALUES
            ('2023-05-01', 2023, %(u)s, 'district', 'communes_ntm', 8, 5, 62.5, false, -1),
            ('2023-05-01', 2023, %(u)s, 'district', 'model_villages', 5, 3, 60, true, -1),
            ('2023-05-01', 2023, %(u)s, 'district', 'ocop_products', 4, 3, 75, true, -1)""", {"u": unit})
        columns = ("model_villages", "model_roads", "communes_registered_advanced", "communes_registered_model")
        missing = [c for c in columns if not conn.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = 'mart_progress' "
            "AND column_name = %s", (c,)).fetchone()]
        before = query_one(url, f"SELECT {', '.join(columns[:2])} FROM marts.mart_progress "
                                "WHERE month = '2023-05-01' AND unit_code = %s", unit) if not missing else None
        for c in missing:
            conn.execute(f"ALTER TABLE marts.mart_progress ADD COLUMN {c} integer")
        conn.execute("UPDATE marts.mart_progress SET model_villages = 40, model_roads = 37, "
                     "communes_registered_advanced = 9, communes_registered_model = 4 "
                     "WHERE month = '2023-05-01' AND unit_code = %s", (unit,))
    try:
        yield
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            if made_plan:
                conn.execute("DROP TABLE marts.mart_plan")
            else:
                conn.execute("DELETE FROM marts.mart_plan WHERE plan_submission_id = -1")
            for c in missing:
                conn.execute(f"ALTER TABLE marts.mart_progress DROP COLUMN {c}")
            if before:
                conn.execute("UPDATE marts.mart_progress SET model_villages = %s, model_roads = %s "
                             "WHERE month = '2023-05-01' AND unit_code = %s",
                             (before["model_villages"], before["model_roads"], unit))


def _sections(page: Path) -> dict[str, str]:
    text = page.read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r'<section id="([a-z-]+)">(.*?)</section>', text, re.S)}


def test_plan_and_models_when_the_marts_have_them(bulletin_warehouse, plan_and_models, tmp_path) -> None:
    s = _sections(report(bulletin_warehouse.url, bulletin_warehouse.district, tmp_path / "p.html"))
    plan = s["plan"]
    rows = re.findall(r'<tr data-indicator="(\w+)"><td>([^<]+)</td><td class="target">([^<]+)</td>\s*'
                      r'<td class="actual">([^<]+)</td><td class="pct">([^<]+)</td>\s*<td>(.*?)</td>', plan)
    assert [r[:5] for r in rows] == [
        ("communes_ntm", "Số xã đạt chuẩn NTM", "8", "5", "62,5%"),
        ("model_villages", "Số thôn kiểu mẫu", "5", "3", "60,0%"),
        ("ocop_products", "Số sản phẩm OCOP", "4", "3", "75,0%"),
    ]
    assert "Chậm tiến độ" in rows[0][5] and rows[1][5] == rows[2][5] == "Đạt tiến độ"
    assert 'data-chart="plan"' in plan
    models = dict(re.findall(r'<tr data-key="(\w+)"><td>[^<]+</td><td class="value">([^<]+)</td>', s["models"]))
    assert models == {"model_villages": "40", "model_roads": "37", "communes_registered_advanced": "9",
                      "communes_registered_model": "4"}
    assert 'data-key="model_villages"' in s["headline"]


def test_plan_and_models_absent_say_so(bulletin_warehouse, tmp_path) -> None:
    url = bulletin_warehouse.url
    with psycopg.connect(url) as conn:
        has_plan = conn.execute("SELECT to_regclass('marts.mart_plan') IS NOT NULL").fetchone()[0]
        has_models = conn.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = 'marts' "
                                  "AND table_name = 'mart_progress' AND column_name = 'model_villages'").fetchone()
    s = _sections(report(url, "27", tmp_path / "n.html"))
    if has_plan:   # built by dbt: the province sent no plan in the fixture
        assert "chưa gửi kế hoạch năm 2023" in s["plan"]
    else:
        assert "Chưa có số liệu kế hoạch" in s["plan"]
    if not has_models:
        assert "Chưa có số liệu thôn, tuyến đường kiểu mẫu" in s["models"]
    assert "<table" not in s["plan"]


@needs_chromium
def test_the_browser_probe_sees_scripts_dialogs_errors_and_requests(tmp_path) -> None:
    """The Chromium checks above can fail: a page with a live script, an alert and a remote image is
    caught on every count."""
    page = tmp_path / "bad.html"
    page.write_text("<!doctype html><title>t</title><script>alert('x'); console.error('boom');"
                    "document.title = 'changed'</script><img src='http://192.0.2.1/x.png'>", encoding="utf-8")
    seen = visit(page, tmp_path, {"scripts": "document.scripts.length"})
    assert seen.dialogs == ["x"]
    assert "boom" in " ".join(seen.errors)
    assert "http://192.0.2.1/x.png" in seen.requests
    assert seen.title == "changed" and seen.values == {"scripts": 1}

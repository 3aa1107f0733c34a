"""`ntm report`: figures in Vietnamese style, read from the marts, one self-contained page."""

from __future__ import annotations

import re
from datetime import date

import psycopg

from ingest import pipeline
from ingest.cli.main import main
from ingest.serve.bulletin import vn_number
from ingest.store.db import migrate_all


def test_vietnamese_number_style():
    assert vn_number(892738) == "892.738"
    assert vn_number(8.654, 2) == "8,65"
    assert vn_number(1234.5, 1) == "1.234,5"
    assert vn_number(None) == "–"
    assert vn_number(-0.04, 1) == "0,0"


def test_vietnamese_changes_dates_and_cleaning():
    from ingest.serve.bulletin.vn import clean, vn_change, vn_date, vn_month, vn_pct

    assert [vn_change(3), vn_change(-1.25, 2), vn_change(0), vn_change(None)] == ["+3", "−1,25", "0", "–"]
    assert vn_pct(0.38275) == "38,3%" and vn_pct(None) == "–"
    assert vn_date(date(2026, 12, 1)) == "01/12/2026" and vn_month(date(2023, 5, 1)) == "Tháng 5/2023"
    assert clean("Xã\x00 A\x1b[31m\u202eB\r\n") == "Xã A[31mB"
    assert clean("Xa\u0301") == "Xá"  # NFC
    assert clean(None) == ""


def test_bulletin_states_the_marts_figures(fresh_database_url, tmp_path, monkeypatch, capsys):
    from ingest.devtools.generate import generate

    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    url = fresh_database_url
    migrate_all(url)
    files = generate("27", [date(2023, 5, 1)], tmp_path / "gen", seed=4)
    pipeline.ingest_paths([str(f) for f in files], url, build_docs=False)
    assert pipeline.transform(url).success
    out = tmp_path / "b.html"
    assert main(["report", "--database-url", url, "--month", "2023-05", "--unit", "27", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    with psycopg.connect(url) as conn:
        head, total_funding = conn.execute(
            """SELECT to_jsonb(p), f.total_ytd_mvnd FROM marts.mart_progress p
               JOIN marts.mart_funding f USING (month, unit_code)
               WHERE p.month = '2023-05-01' AND p.unit_code = '27'""").fetchone()
    # the denominator is the number of xã in force (communes_expected) where the mart has it
    xa = head.get("communes_expected", head["communes_total"])
    assert (f'<tr data-key="communes_ntm"><td>Xã đạt chuẩn nông thôn mới</td><td class="value">'
            f"{vn_number(head['communes_ntm'])}/{vn_number(xa)}</td>") in page
    assert f'<span id="funding-total-ytd">{vn_number(total_funding)}</span> triệu đồng' in page
    # self-contained: no script, nothing fetched (the only addresses are the SVG/XLink namespaces)
    assert "<script" not in page
    assert set(re.findall(r"https?://[^\"' ]+", page)) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert page.count('data-chart="children"') == 1 and page.count("<svg") >= 6
    assert main(["report", "--database-url", url, "--month", "2023-09", "--unit", "27"]) == 1
    assert "no figures" in capsys.readouterr().err

"""The audit site (issue 13, item 6): month → province → district → submission, pass/fail in the
index, each submission's page linking its validation runs' Data Docs pages and its feedback,
linked from audit.validation_run; opened from the file system in headless Chromium."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlparse

import psycopg
import pytest

from ingest.quality.suites import SUITES
from tests.fixtures.audit import HOSTILE_NAME, browse, chromium_path

needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")

SUITE_RUNS = len(SUITES)   # one validation run per suite: each sheet (optional ones too) and the cross-sheet rules


def _rows(dom: str) -> list[list[str]]:
    """Table rows as cell texts (tags removed)."""
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", dom, re.S):
        out.append([unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td>(.*?)</td>", tr, re.S)])
    return [r for r in out if r]


def _links(dom: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a href="([^"]+)"', dom)]


def test_pages_are_written_month_province_district_submission(hostile_audit) -> None:
    site, ids = hostile_audit["index"].parent, hostile_audit["ids"]
    assert hostile_audit["index"] == hostile_audit["state"] / "audit_site" / "index.html"
    for unit in ("258", "259", "260", "262", "263"):
        assert (site / "2023-05" / "27" / f"{unit}.html").is_file()
        assert (site / "submission" / f"{ids[unit]}.html").is_file()
    assert (site / "2023-05" / "index.html").is_file() and (site / "2023-05" / "27" / "index.html").is_file()
    assert not (site / "2023-05" / "27" / "264.html").exists()      # sent nothing: listed, no page


def test_validation_runs_link_their_submission_page(hostile_audit) -> None:
    site, ids = hostile_audit["index"].parent, hostile_audit["ids"]
    with psycopg.connect(hostile_audit["url"]) as conn:
        rows = conn.execute("SELECT submission_id, audit_page_url FROM audit.validation_run").fetchall()
    assert rows and {sid for sid, _ in rows} >= {ids["258"], ids["260"]}
    for sid, url in rows:
        assert url == (site / "submission" / f"{sid}.html").as_uri()


@needs_chromium
def test_index_lists_months_and_units_with_pass_or_fail(hostile_audit, tmp_path) -> None:
    dom = browse(hostile_audit["index"], tmp_path)
    assert "Tháng 05/2023" in dom
    verdicts = {row[1]: row[2] for row in _rows(dom)}
    assert verdicts == {
        "Huyện Yên Phong (258)": "không đạt", "Thị xã Quế Võ (259)": "không đạt", "Huyện Tiên Du (260)": "đạt",
        "Thị xã Thuận Thành (262)": "không đạt", "Huyện Gia Bình (263)": "đạt", "Huyện Lương Tài (264)": "chưa gửi"}
    assert "2/6 đơn vị đạt, 1 chưa gửi" in unescape(dom)
    assert "1 tệp bị từ chối trước khi đọc được kỳ báo cáo" in dom      # 262: not a workbook
    assert 'class="badge pass"' in dom and 'class="badge fail"' in dom
    assert "2023-05/27/258.html" in _links(dom)


@needs_chromium
def test_district_page_links_each_submission_and_those_link_data_docs(hostile_audit, tmp_path) -> None:
    site, ids = hostile_audit["index"].parent, hostile_audit["ids"]
    page = site / "2023-05" / "27" / "258.html"
    dom = browse(page, tmp_path)
    assert "Huyện Yên Phong (258)" in dom and "Tỉnh Bắc Ninh (27)" in dom
    targets = [(page.parent / link).resolve() for link in _links(dom) if "submission/" in link]
    assert targets == [site / "submission" / f"{ids['258']}.html"]
    row = _rows(dom)[0]
    assert row[1] == HOSTILE_NAME and row[3] == "Bị từ chối" and row[5] == "3 lỗi, 2 cảnh báo"
    assert re.fullmatch(r"04/06/2023 10:00:00", row[4])                       # Vietnam time, to the second

    accepted = browse(site / "submission" / f"{ids['260']}.html", tmp_path)
    docs = [link for link in _links(accepted) if "data_docs" in link]
    assert len(docs) == SUITE_RUNS                       # one Data Docs page per suite run of the submission
    for link in docs:
        assert Path(unquote(urlparse(link).path)).is_file()
    rejected = browse(site / "submission" / f"{ids['258']}.html", tmp_path)
    feedback = [link for link in _links(rejected) if link.endswith(".xlsx")]
    assert feedback == [hostile_audit["outbox"][ids["258"]].as_uri()]
    findings = _rows(rejected)
    assert ["Lỗi", "bad_mark", "reader", "tieu_chi_xa", "2", "tc01"] == findings[-5][:6]

"""Feedback a district can act on, delivered by the run (issue 13, items 6 and 7): closing a
month writes each rejected or warned submission's feedback workbook into the outbox, e-mails it
to the district's addresses from the address book (NTM_CONTACTS) through Airflow's SMTP
connection, rewrites the audit site, and keeps in `audit.pipeline_run.detail` which units were
late, missing and rejected. A real SMTP server (aiosmtpd) receives the mail.

The month: Bắc Ninh (27), 2023-05, generated with seed 5; 258 sends a hostile mark in tc01 of its
first xã (rejected: bad_mark), 259 sends nothing (missing), 263 arrives on 20 June (late), the
others on 3 June (on time).
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import psycopg
import pytest

from ingest.pipeline import run_month
from ingest.serve.district_notice import ContactsError, load_contacts
from tests.fixtures.pipeline import Mailbox, Webhook

MAY = date(2023, 5, 1)
HOSTILE = '<img src=x onerror="alert(1)">'


def _received(path: str) -> datetime:
    return datetime(2023, 6, 20 if "_263_" in path else 3, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def month_inbox(tmp_path: Path) -> Path:
    from ingest.devtools.generate import generate

    files = {p.name.split("_")[1]: p for p in generate("27", [MAY], tmp_path / "gen", seed=5)}
    inbox = tmp_path / "inbox" / "2023-05"
    inbox.mkdir(parents=True)
    for unit, path in files.items():
        if unit != "259":
            shutil.copy(path, inbox / path.name)
    wb = openpyxl.load_workbook(inbox / files["258"].name)
    ws = wb["tieu_chi_xa"]
    col = next(c.column for c in ws[1] if str(c.value).strip().lower().startswith("tc01"))
    ws.cell(2, col).value = HOSTILE
    wb.save(inbox / files["258"].name)
    return inbox.parent


def _contacts(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_closing_a_month_sends_each_district_its_feedback(url: str, tmp_path: Path, month_inbox: Path,
                                                          mailbox: Mailbox, webhook: Webhook,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTM_PROVINCES", "27")
    monkeypatch.setenv("NTM_NOTIFY_URL", webhook.url)
    # 258 has two addresses (one per row and one with `;`); 263 none
    monkeypatch.setenv("NTM_CONTACTS", str(_contacts(tmp_path, "unit_code,email\n258,vp.ntm@yenphong.example\n"
                                                               "258,ntm2@yenphong.example; vp.ntm@yenphong.example\n"
                                                               "260,ntm@tiendu.example\n")))
    summary = run_month(MAY, str(month_inbox), url, build_docs=True, received_at=_received)
    assert summary["published"] is True
    with psycopg.connect(url) as conn:
        sub = dict(conn.execute("SELECT submitting_unit_code, submission_id FROM audit.submission").fetchall())
        warned = {r[0] for r in conn.execute(
            """SELECT DISTINCT s.submitting_unit_code FROM audit.submission s JOIN audit.finding f USING (submission_id)
               WHERE s.status = 'accepted'""")}
        detail, = conn.execute("SELECT detail FROM audit.pipeline_run").fetchone()
        pages = conn.execute("SELECT count(*) FILTER (WHERE audit_page_url LIKE 'file://%%') FROM audit.validation_run"
                             ).fetchone()[0]

    # the outbox: 258 (rejected) and every accepted submission with a warning, one workbook each
    concerned = {"258"} | warned
    notices = {n["unit"]: n for n in summary["district_notices"]}
    assert set(notices) == concerned
    outbox = tmp_path / "state" / "outbox"
    for unit in concerned:
        [workbook] = (outbox / unit / "2023-05").glob("phan_hoi_*.xlsx")
        assert workbook.name.startswith(f"phan_hoi_{sub[unit]}_")

    # one e-mail per concerned district with an address, to its addresses, with its workbook
    assert notices["258"]["to"] == ["vp.ntm@yenphong.example", "ntm2@yenphong.example"] and notices["258"]["sent"]
    for unit in concerned - {"258", "260"}:
        assert notices[unit]["error"] == f"no address for unit {unit} in NTM_CONTACTS" and "sent" not in notices[unit]
    mails = {m["To"]: m for m in mailbox.parsed()}
    expected_to = {"vp.ntm@yenphong.example, ntm2@yenphong.example"} | ({"ntm@tiendu.example"} if "260" in warned else set())
    assert set(mails) == expected_to and len(mailbox.messages) == len(expected_to)
    mail = mails["vp.ntm@yenphong.example, ntm2@yenphong.example"]
    assert mail["Subject"].startswith("[NTM] Huyện Yên Phong (258), kỳ 05/2023: báo cáo bị từ chối (")
    body = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
    assert "Kính gửi Huyện Yên Phong (258)" in body and "Lần gửi" in body
    assert HOSTILE not in body and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body   # escaped
    assert "tieu_chi_xa dòng 2" in body
    [attachment] = [p for p in mail.iter_attachments()]
    assert attachment.get_filename().startswith(f"phan_hoi_{sub['258']}_")
    saved = tmp_path / "attached.xlsx"
    saved.write_bytes(attachment.get_content())
    assert openpyxl.load_workbook(saved).sheetnames[0] == "Kết quả kiểm tra"

    # the coverage alert says how many districts were e-mailed
    [posted] = webhook.received
    unsent = sorted(concerned - {"258", "260"})
    assert f"Phản hồi gửi huyện / feedback e-mailed to districts: {len(expected_to)}" \
        + (f"; chưa gửi được / not sent: {', '.join(unsent)}" if unsent else "\n") in posted["text"]

    # the run record keeps which units were on time, late, missing and rejected, by name
    cov = detail["months"][0]["coverage"]
    assert (cov["expected"], cov["on_time_count"], cov["late_count"], cov["missing_count"], cov["rejected_count"]) \
        == (6, 3, 1, 1, 1)
    assert cov["missing"] == [{"unit": "259", "name": "Thị xã Quế Võ", "province": "27"}]
    assert [(u["unit"], u["name"]) for u in cov["late"]] == [("263", "Huyện Gia Bình")]
    assert cov["late"][0]["received_at"].startswith("2023-06-20")
    assert cov["rejected"][0]["unit"] == "258" and cov["rejected"][0]["files"][0]["submission_id"] == sub["258"]
    assert [d["district_notices"] for d in detail["months"]] == [summary["district_notices"]]

    # the audit site was rewritten by the run and each validation run links its page
    assert detail["audit_site"] == str(tmp_path / "state" / "audit_site" / "index.html")
    assert Path(detail["audit_site"]).is_file() and pages >= 5


def test_a_mail_server_down_or_a_bad_address_book_never_fails_the_month(url: str, tmp_path: Path,
                                                                         month_inbox: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTM_PROVINCES", "27")
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", '{"conn_type": "smtp", "host": "127.0.0.1", "port": 9, '
                                                    '"extra": {"disable_tls": true, "disable_ssl": true, "timeout": 5}}')
    monkeypatch.setenv("NTM_CONTACTS", str(_contacts(tmp_path, "unit_code,email\n258,vp.ntm@yenphong.example\n")))
    summary = run_month(MAY, str(month_inbox), url, build_docs=True, received_at=_received)
    assert summary["published"] is True
    [n258] = [n for n in summary["district_notices"] if n["unit"] == "258"]
    assert n258["error"].startswith("e-mail to vp.ntm@yenphong.example failed: ") and "sent" not in n258

    # the closing step with an address book that cannot be read: said, not raised
    from ingest.config import load_settings
    from ingest.pipeline.closing import _feedback

    monkeypatch.setenv("NTM_CONTACTS", str(_contacts(tmp_path, "unit,mail\n258,x@y.example\n")))
    lines: list[str] = []
    assert _feedback(url, MAY, load_settings(), lines.append) == [{"error": "NTM_CONTACTS " + str(
        tmp_path / "contacts.csv") + ": line 1 must be the header `unit_code,email`, not 'unit,mail'"}]
    assert lines[-1].startswith("district feedback FAILED: NTM_CONTACTS")


@pytest.mark.parametrize(("text", "problem"), [
    ("unit_code,email\n258,not-an-address\n", "line 2: 'not-an-address' is not an e-mail address"),
    ("unit_code,email\n258,a@b.example\nTiên Du,a@b.example\n", "line 3: 'Tiên Du' is not a unit code"),
    ("unit_code,email\n258,\n", "line 2: '' is not an e-mail address"),
    ("email,unit_code\n", "line 1 must be the header"),
])
def test_the_address_book_names_the_bad_line(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ContactsError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        load_contacts(_contacts(tmp_path, text))


def test_the_address_book_reads_several_addresses_per_unit(tmp_path: Path) -> None:
    book = load_contacts(_contacts(tmp_path, "\ufeffunit_code,email\n258, a@b.example ;c@d.example\n\n"
                                             "258,a@b.example\n01,ha.noi@x.example\n"))
    assert book == {"258": ["a@b.example", "c@d.example"], "01": ["ha.noi@x.example"]}
    with pytest.raises(ContactsError, match="cannot read"):
        load_contacts(tmp_path / "absent.csv")

"""Feedback a district can act on, delivered (issue 13, item 7): after a month is closed, every
district whose submission was rejected or warned gets an e-mail in Vietnamese, addressed from the
deployment's address book (`NTM_CONTACTS`), with its feedback workbook attached (the one the
outbox keeps, `feedback.write_outbox`).

- `load_contacts(path)` reads the address book: a CSV file with the header `unit_code,email`
  (several addresses of a unit separated by `;`, or one row each). A bad row is a `ContactsError`
  naming the line.
- `notice(conn, submission_id, attachment)` is the message: (subject, HTML body).
- `notify_districts(url, written, settings, send)` sends one message per submission and returns
  what became of each (sent, no address, or the delivery error), never raising for a delivery:
  the marts are published by then.
- `smtp_send` delivers through Airflow's SMTP notifier (the connection `smtp_default`, as the
  coverage alerts are sent), inside or outside an Airflow task.

Every text from a submission goes through `safe_text` (HTML-escaped in the body, one line in the
subject); communes are named by name and code, titles and sources by their Vietnamese words
(`feedback.vietnamese_message`).
"""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ingest.config import Settings
from ingest.serve.feedback import (
    SEVERITY_VI,
    STATUS_VI,
    hint,
    submission_findings,
    unit_names,
    vietnamese_message,
)
from ingest.serve.notify import SUBJECT_LIMIT, clean_text

# (to, subject, html body, attachments) → what was done
MailSend = Callable[[list[str], str, str, list[Path]], str]
MAX_LISTED = 30
_EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")
_UNIT = re.compile(r"^[0-9]{2,5}$")


class ContactsError(ValueError):
    """The address book cannot be read as `unit_code,email` rows."""


def load_contacts(path: Path) -> dict[str, list[str]]:
    """The address book: {unit code: [addresses]}, in the order given, without repeats."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ContactsError(f"NTM_CONTACTS: cannot read {path}: {exc.strerror or exc}") from None
    rows = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(rows, [])]
    if header[:2] != ["unit_code", "email"]:
        raise ContactsError(f"NTM_CONTACTS {path}: line 1 must be the header `unit_code,email`, not {','.join(header)!r}")
    book: dict[str, list[str]] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        unit = row[0].strip() if row else ""
        addresses = [a.strip() for a in (row[1] if len(row) > 1 else "").split(";") if a.strip()]
        if not _UNIT.match(unit):
            raise ContactsError(f"NTM_CONTACTS {path}, line {line}: {unit!r} is not a unit code (e.g. 258)")
        bad = [a for a in addresses if not _EMAIL.match(a)]
        if not addresses or bad:
            raise ContactsError(f"NTM_CONTACTS {path}, line {line}: {(bad or [''])[0]!r} is not an e-mail address")
        known = book.setdefault(unit, [])
        known.extend(a for a in addresses if a not in known)
    return book


def _submission(conn: psycopg.Connection, submission_id: int) -> dict[str, Any]:
    return conn.cursor(row_factory=dict_row).execute(
        """SELECT s.submission_id, s.file_name, s.status, s.status_reason, s.version,
                  coalesce(s.submitting_unit_code, s.file_unit_hint) AS unit_code,
                  coalesce(to_char(s.period, 'MM/YYYY'),
                           CASE WHEN s.file_period_hint ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                                THEN substr(s.file_period_hint, 6, 2) || '/' || substr(s.file_period_hint, 1, 4)
                           END) AS month
           FROM audit.submission AS s WHERE s.submission_id = %s""", (submission_id,)).fetchone()


def _commune_names(conn: psycopg.Connection, findings: list[dict[str, Any]]) -> dict[str, str]:
    codes = sorted({c for f in findings for c in re.findall(r"(?<![0-9])([0-9]{5})(?![0-9])", f["message_vi"] or "")})
    return unit_names(conn, codes) if codes else {}


def notice(conn: psycopg.Connection, submission_id: int, attachment: Path | None) -> tuple[str, str]:
    """(subject, HTML body) of the e-mail to the district about one submission."""
    sub = _submission(conn, submission_id)
    unit = sub["unit_code"] or "?"
    unit_name = unit_names(conn, [unit]).get(unit, "") if sub["unit_code"] else ""
    who = f"{unit_name} ({unit})" if unit_name else f"đơn vị {unit}"
    findings = submission_findings(conn, submission_id)
    errors = sum(f["severity"] == "error" for f in findings)
    warnings = len(findings) - errors
    rejected = sub["status"] in ("rejected", "stale")
    verdict = "bị từ chối" if rejected else "đã được chấp nhận, có cảnh báo"
    subject = clean_text(f"[NTM] {who}, kỳ {sub['month'] or '?'}: báo cáo {verdict} "
                         f"({errors} lỗi, {warnings} cảnh báo)", SUBJECT_LIMIT)
    communes = _commune_names(conn, findings)
    rows = []
    for f in findings[:MAX_LISTED]:
        where = " ".join(str(p) for p in (f["sheet"], f"dòng {f['excel_row']}" if f["excel_row"] else None,
                                          f["column_name"] and f"cột {f['column_name']}") if p)
        rows.append("<tr>" + "".join(f"<td>{html.escape(clean_text(v), quote=True)}</td>" for v in (
            SEVERITY_VI.get(f["severity"], f["severity"]), where or "cả tệp", "" if f["value"] is None else f["value"],
            vietnamese_message(f["message_vi"] or f["check_name"], communes), hint(f))) + "</tr>")
    more = (f"<p>… và {len(findings) - MAX_LISTED} phát hiện khác: xem tệp phản hồi đính kèm.</p>"
            if len(findings) > MAX_LISTED else "")
    todo = ("Xin sửa các lỗi dưới đây rồi gửi lại tệp, với <b>Lần gửi</b> (sheet thong_tin) tăng thêm 1 "
            f"(lần này: {sub['version'] or '?'})." if rejected else
            "Số liệu đã được đưa vào kho; xin kiểm tra các cảnh báo dưới đây và gửi bản sửa nếu số liệu chưa đúng.")
    reason = f"<p>Lý do: {html.escape(clean_text(sub['status_reason']), quote=True)}</p>" if rejected and sub["status_reason"] else ""
    attached = (f"<p>Tệp phản hồi đính kèm: <code>{html.escape(attachment.name, quote=True)}</code> — tệp của "
                "đơn vị, mỗi ô có vấn đề được tô màu và ghi chú; sheet đầu «Kết quả kiểm tra» liệt kê tất cả.</p>"
                if attachment else "")
    body = (f"<p>Kính gửi {html.escape(who, quote=True)},</p>"
            f"<p>Báo cáo kỳ {html.escape(sub['month'] or '?')} (tệp <code>{html.escape(clean_text(sub['file_name']), quote=True)}</code>, "
            f"mã tiếp nhận {submission_id}) {STATUS_VI.get(sub['status'], sub['status']).lower()}: "
            f"{errors} lỗi, {warnings} cảnh báo.</p>{reason}<p>{todo}</p>{attached}"
            "<table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\">"
            "<tr><th>Mức độ</th><th>Vị trí</th><th>Giá trị</th><th>Nội dung</th><th>Cách xử lý</th></tr>"
            + "".join(rows) + f"</table>{more}<p>Hệ thống NTM (thư tự động, xin đừng trả lời thư này).</p>")
    return subject, body


def smtp_send(to: list[str], subject: str, body: str, files: list[Path]) -> str:
    """Deliver through Airflow's SMTP notifier (connection `smtp_default`)."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    notifier = SmtpNotifier(to=to, subject=subject, html_content=body, files=[str(f) for f in files])
    notifier.notify({})
    return f"e-mail to {', '.join(to)}"


def notify_districts(url: str, written: dict[int, Path], settings: Settings,
                     send: MailSend = smtp_send) -> list[dict[str, Any]]:
    """One e-mail per rejected or warned submission (`written`: its feedback workbook) to the
    addresses of its unit; what became of each: {"submission_id", "unit", "to", "sent" | "error"}."""
    if not settings.contacts or not written:
        return []
    book = load_contacts(settings.contacts)
    done: list[dict[str, Any]] = []
    with psycopg.connect(url) as conn:
        for submission_id, path in sorted(written.items()):
            unit = _submission(conn, submission_id)["unit_code"]
            to = book.get(unit or "", [])
            entry: dict[str, Any] = {"submission_id": submission_id, "unit": unit, "to": to}
            if not to:
                entry["error"] = f"no address for unit {unit or '?'} in NTM_CONTACTS"
            else:
                subject, body = notice(conn, submission_id, path)
                try:
                    entry["sent"] = send(to, subject, body, [path])
                except Exception as exc:  # noqa: BLE001 - whatever the SMTP server or the connection says
                    entry["error"] = f"e-mail to {', '.join(to)} failed: {clean_text(exc)}"
            done.append(entry)
    return done

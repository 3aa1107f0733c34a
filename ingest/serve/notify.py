"""Coverage alerts after a monthly run: through a webhook (NTM_NOTIFY_URL) and, in the DAGs,
e-mail (NTM_SMTP_TO) sent by Airflow's own SMTP notifier (apache-airflow-providers-smtp, with the
Airflow connection `smtp_default`). Off by default.

`notify` posts to the webhook and returns what it did; `mail_sender` gives the DAGs a sender that
e-mails through Airflow. Both raise `NotifyError` when delivery fails. Standard library only at
import, so that the DAG processor can import `deadline_missed` (the Deadline Alert callback) cheaply.

Text that comes from a submission (file names, units, reasons, finding messages that quote cell
values) is cleaned before it reaches any medium (issue 14, class 2): control characters (ANSI
escapes, CR/LF, NUL), bidi overrides and zero-width characters become spaces and long values are
cut (`clean_text`); the subject is one line (no header injection); the HTML mail escapes the
body; the webhook's chat `text` escapes `&`, `<` and `>` (Slack/Mattermost markup: no `<!channel>`,
no disguised links); its JSON carries the cleaned summary.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from ingest.config import Settings, load_settings

OFF = "webhook off (set NTM_NOTIFY_URL)"
TIMEOUT_S = 20


# C0 and C1 controls (ESC of ANSI sequences, CR/LF, NUL, DEL), zero-width characters, bidi
# embeddings/overrides/isolates, line and paragraph separators, the BOM
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]")
TEXT_LIMIT = 300      # characters of one value from a submission in a message
SUBJECT_LIMIT = 200


class NotifyError(RuntimeError):
    """A configured channel could not deliver the message."""


def clean_text(value: Any, limit: int = TEXT_LIMIT) -> str:
    """One line of plain text from `value` (text from a submission): unsafe characters become
    spaces, runs of spaces one space, and more than `limit` characters are cut with `…`."""
    text = " ".join(_UNSAFE.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _cleaned(value: Any) -> Any:
    """A summary with every string cleaned (JSON structure kept)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k, 200) if isinstance(k, str) else k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(v) for v in value]
    return value


def chat_escape(text: str) -> str:
    """Text for a chat webhook's markup (Slack, Mattermost): `&`, `<`, `>` as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _units(values: list[str] | None, limit: int = 30) -> str:
    values = values or []
    shown = ", ".join(values[:limit])
    return shown + (f" … (+{len(values) - limit})" if len(values) > limit else "") if values else "-"


def run_outcome(summary: dict[str, Any]) -> str:
    """`failed` (the marts were not published), `warning` (published, but some expected unit is
    missing, rejected or late, or a file was rejected) or `success` (everyone on time)."""
    if not summary.get("published", True) or not summary.get("dbt_success", True) \
            or not summary.get("mart_checks_success", True):
        return "failed"
    cov = summary.get("coverage") or {}
    if summary.get("rejected") or cov.get("missing") or cov.get("rejected") or cov.get("late") \
            or cov.get("pending") or not cov.get("expected"):
        return "warning"
    return "success"


def headline(summary: dict[str, Any]) -> str:
    """What the run came to, in one line (the subject without `[NTM]`; the Airflow run note's
    first line): `2026-10: KHÔNG ĐƠN VỊ NÀO NỘP / NOTHING RECEIVED: 6/6 chưa nộp / missing`."""
    month = clean_text(summary.get("month", "?"), 20)
    cov = summary.get("coverage") or {}
    expected, missing = cov.get("expected", 0) or 0, cov.get("missing", 0) or 0
    counts = (f"{missing}/{expected} chưa nộp / missing, {cov.get('rejected', 0)} bị từ chối / rejected, "
              f"{cov.get('late', 0)} trễ / late")
    outcome = run_outcome(summary)
    if outcome == "failed":
        return f"{month}: LỖI, CHƯA CÔNG BỐ / FAILED, NOT PUBLISHED; {counts}"
    if not expected:
        return f"{month}: KHÔNG RÕ ĐƠN VỊ PHẢI NỘP / NO UNIT EXPECTED (coverage unknown)"
    if missing == expected:
        return f"{month}: KHÔNG ĐƠN VỊ NÀO NỘP / NOTHING RECEIVED: {missing}/{expected} chưa nộp / missing"
    if outcome == "warning":
        return f"{month}: CẢNH BÁO, CẦN XỬ LÝ / WARNING, ACTION NEEDED: {counts}"
    return f"{month}: OK, {expected}/{expected} đúng hạn / on time"


def message(summary: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) in Vietnamese then English, from a run summary (see dags/ntm_monthly.py).
    The subject is one line; every value from a submission in the body is cleaned."""
    summary = _cleaned(summary)
    subject, body = _message(summary)
    return clean_text(subject, SUBJECT_LIMIT), body


def _message(summary: dict[str, Any]) -> tuple[str, str]:
    if summary.get("event") == "deadline_missed":
        subject = f"[NTM] Chạy tháng quá hạn / monthly run late: {summary.get('dag_id')} {summary.get('run_id')}"
        body = (f"Lượt chạy {summary.get('run_id')} của {summary.get('dag_id')} chưa xong sau hạn chót "
                f"{summary.get('deadline')}.\n"
                f"Run {summary.get('run_id')} of {summary.get('dag_id')} has not finished by its deadline "
                f"{summary.get('deadline')}.")
        return subject, body
    month = summary.get("month", "?")
    cov = summary.get("coverage") or {}
    rejected = summary.get("rejected", [])
    missing = cov.get("missing_units", [])
    subject = f"[NTM] {headline(summary)}"
    lines = [
        f"Kỳ báo cáo / month: {month} (pipeline run {summary.get('run_id')})"
        + (" — nạp lại lịch sử / backfill" if summary.get("backfill") else ""),
        f"Kết quả / outcome: {run_outcome(summary)}",
        f"Tệp / files: {summary.get('files', 0)}, chấp nhận / accepted: {summary.get('accepted', 0)}, "
        f"bị từ chối / rejected: {len(rejected)}, trùng / duplicate: {summary.get('duplicates', 0)}",
        f"Đơn vị phải nộp / units expected: {cov.get('expected', '?')}: "
        f"đúng hạn / on time: {cov.get('accepted', 0)}, trễ / late: {cov.get('late', 0)}, "
        f"chưa nộp / missing: {cov.get('missing', 0)}, bị từ chối / rejected: {cov.get('rejected', 0)}",
        f"Huyện bị từ chối / rejected districts: {_units(cov.get('rejected_units'))}",
        f"Huyện chưa nộp / missing districts: {_units(missing)}",
        f"Huyện nộp trễ / late districts: {_units(cov.get('late_units'))}",
    ]
    if summary.get("looked_in") is not None:
        lines.insert(2, f"Thư mục đã xem / looked in: {summary['looked_in']} "
                        f"({summary.get('files', 0)} tệp / files)"
                        + (" — KHÔNG CÓ TỆP NÀO / NO FILES FOUND" if not summary.get("files") else ""))
    if cov.get("backfill"):
        lines.append(f"Nạp lại lịch sử / loaded by backfill: {cov['backfill']} đơn vị / units, đánh giá theo "
                     "ngày báo cáo đơn vị ghi / judged by the date the unit declared")
    details = [u for u in cov.get("coverage_units", []) if u.get("status") in ("late", "rejected", "pending")]
    if details:
        lines.append("Chi tiết / details (đơn vị, tình trạng, lần gửi đang dùng, ngày báo cáo, nạp lại / "
                     "unit, status, version in force, submitted on, backfill):")
        for u in details[:30]:
            lines.append(f"  - {u.get('unit')}: {u.get('status')}, "
                         f"v{u.get('version_in_force') or '-'} (mới nhất / latest v{u.get('latest_version') or '?'}), "
                         f"ngày báo cáo / submitted on {u.get('submitted_on') or '-'}"
                         + (", backfill" if u.get("is_backfill") else ""))
        if len(details) > 30:
            lines.append(f"  … (+{len(details) - 30})")
    lines.append(f"dbt: {'ok' if summary.get('dbt_success', True) else 'FAILED'}, "
                 f"đối soát / mart checks: {'ok' if summary.get('mart_checks_success', True) else 'FAILED'}")
    notices = summary.get("district_notices") or []
    if notices:
        sent = sum(1 for n in notices if n.get("sent"))
        unsent = [str(n.get("unit") or "?") for n in notices if not n.get("sent")]
        lines.append(f"Phản hồi gửi huyện / feedback e-mailed to districts: {sent}"
                     + (f"; chưa gửi được / not sent: {_units(unsent)}" if unsent else ""))
    for r in summary.get("rejected", [])[:20]:
        unit = r.get("unit") or r.get("submitting_unit_code") or r.get("unit_hint") or "?"
        lines.append(f"  - {r.get('file_name')} ({unit}): {r.get('reason') or ''} "
                     + " | ".join(clean_text(m) for m in map(_finding_text, r.get("findings", [])[:3]) if m))
    return subject, "\n".join(lines)


def _finding_text(finding: Any) -> str:
    """A finding as the DAG summarises it (its English message) or as `ntm run` keeps it (a row)."""
    if isinstance(finding, dict):
        return str(finding.get("message_en") or finding.get("check_name") or "")
    return str(finding or "")


def _post_webhook(url: str, subject: str, body: str, summary: dict[str, Any]) -> str:
    data = json.dumps({"text": chat_escape(f"{subject}\n{body}"), "subject": subject,
                       "outcome": run_outcome(summary), "summary": _cleaned(summary)},
                      ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return f"webhook: HTTP {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        raise NotifyError(f"webhook {url} failed: {exc}") from exc


def mail_content(summary: dict[str, Any]) -> tuple[str, str]:
    """(subject, HTML body) of the e-mail: the body escaped inside `<pre>`."""
    subject, body = message(summary)
    return subject, f"<pre>{html.escape(body, quote=True)}</pre>"


def mail_sender(to: str, context: Any = None) -> Callable[[dict[str, Any]], str]:
    """A sender that e-mails a run summary through Airflow's `SmtpNotifier` (the connection named
    by Airflow's [email] email_conn_id, `smtp_default` unless set; its extra `from_email` is the
    sender). `context`: the task's context (None outside a task)."""
    def send(summary: dict[str, Any]) -> str:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        subject, html_content = mail_content(summary)
        notifier = SmtpNotifier(to=to, subject=subject, html_content=html_content)
        try:
            notifier.notify(context or {})
        except Exception as exc:  # noqa: BLE001 - whatever the SMTP server or the connection says
            raise NotifyError(f"e-mail to {to} through Airflow's SMTP notifier failed: {exc}") from exc
        return f"e-mail to {to} (Airflow SMTP, connection {notifier.smtp_conn_id})"

    return send


def notify(summary: dict[str, Any], settings: Settings) -> str:
    """Post the run summary to the webhook when one is configured; returns what was done."""
    if not settings.notify_url:
        return OFF
    subject, body = message(summary)
    return _post_webhook(settings.notify_url, subject, body, summary)


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """Deadline Alert callback (run by the Airflow triggerer): the monthly run is late."""
    context = context or {}
    dag_run = context.get("dag_run") or {}
    get = dag_run.get if isinstance(dag_run, dict) else (lambda k, d=None: getattr(dag_run, k, d))
    deadline = context.get("deadline") or {}
    summary = {
        "event": "deadline_missed",
        "dag_id": kwargs.get("dag_id") or get("dag_id"),
        "run_id": get("run_id"),
        "deadline": (deadline.get("deadline_time") if isinstance(deadline, dict) else deadline),
    }
    settings = load_settings()
    senders = [lambda s: notify(s, settings), *([mail_sender(settings.smtp_to)] if settings.smtp_to else [])]
    return "; ".join([await asyncio.to_thread(send, summary) for send in senders])

"""Coverage alerts after a monthly run: through a webhook (NTM_NOTIFY_URL) and, in the DAGs,
e-mail (NTM_SMTP_TO) sent by Airflow's own SMTP notifier (apache-airflow-providers-smtp, with the
Airflow connection `smtp_default`). Off by default.

`notify` posts to the webhook and returns what it did; `mail_sender` gives the DAGs a sender that
e-mails through Airflow. Both raise `NotifyError` when delivery fails. Standard library only at
import, so that the DAG processor can import `deadline_missed` (the Deadline Alert callback) cheaply.
"""

from __future__ import annotations

import asyncio
import html
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from ingest.config import Settings, load_settings

OFF = "webhook off (set NTM_NOTIFY_URL)"
TIMEOUT_S = 20


class NotifyError(RuntimeError):
    """A configured channel could not deliver the message."""


def _units(values: list[str] | None, limit: int = 30) -> str:
    values = values or []
    shown = ", ".join(values[:limit])
    return shown + (f" … (+{len(values) - limit})" if len(values) > limit else "") if values else "-"


def message(summary: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) in Vietnamese then English, from a run summary (see dags/ntm_monthly.py)."""
    if summary.get("event") == "deadline_missed":
        subject = f"[NTM] Chạy tháng quá hạn / monthly run late: {summary.get('dag_id')} {summary.get('run_id')}"
        body = (f"Lượt chạy {summary.get('run_id')} của {summary.get('dag_id')} chưa xong sau hạn chót "
                f"{summary.get('deadline')}.\n"
                f"Run {summary.get('run_id')} of {summary.get('dag_id')} has not finished by its deadline "
                f"{summary.get('deadline')}.")
        return subject, body
    month = summary.get("month", "?")
    cov = summary.get("coverage") or {}
    rejected = [r.get("unit") or r.get("file_name") for r in summary.get("rejected", [])]
    missing = cov.get("missing_units", [])
    problems = bool(rejected or missing or cov.get("rejected_units") or not summary.get("dbt_success", True)
                    or not summary.get("mart_checks_success", True))
    subject = f"[NTM] {month}: {'CẦN XỬ LÝ / ACTION NEEDED' if problems else 'OK'}"
    lines = [
        f"Kỳ báo cáo / month: {month} (pipeline run {summary.get('run_id')})"
        + (" — nạp lại lịch sử / backfill" if summary.get("backfill") else ""),
        f"Tệp / files: {summary.get('files', 0)}, chấp nhận / accepted: {summary.get('accepted', 0)}, "
        f"bị từ chối / rejected: {len(rejected)}, trùng / duplicate: {summary.get('duplicates', 0)}",
        f"Đơn vị phải nộp / units expected: {cov.get('expected', '?')}: "
        f"đúng hạn / on time: {cov.get('accepted', 0)}, trễ / late: {cov.get('late', 0)}, "
        f"chưa nộp / missing: {cov.get('missing', 0)}, bị từ chối / rejected: {cov.get('rejected', 0)}",
        f"Huyện bị từ chối / rejected districts: {_units(cov.get('rejected_units'))}",
        f"Huyện chưa nộp / missing districts: {_units(missing)}",
        f"Huyện nộp trễ / late districts: {_units(cov.get('late_units'))}",
    ]
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
    for r in summary.get("rejected", [])[:20]:
        lines.append(f"  - {r.get('file_name')} ({r.get('unit') or '?'}): {r.get('reason') or ''} "
                     + " | ".join(m for m in r.get("findings", []) if m))
    return subject, "\n".join(lines)


def _post_webhook(url: str, subject: str, body: str, summary: dict[str, Any]) -> str:
    data = json.dumps({"text": f"{subject}\n{body}", "subject": subject, "summary": summary},
                      ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return f"webhook: HTTP {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        raise NotifyError(f"webhook {url} failed: {exc}") from exc


def mail_sender(to: str, context: Any = None) -> Callable[[dict[str, Any]], str]:
    """A sender that e-mails a run summary through Airflow's `SmtpNotifier` (the connection named
    by Airflow's [email] email_conn_id, `smtp_default` unless set; its extra `from_email` is the
    sender). `context`: the task's context (None outside a task)."""
    def send(summary: dict[str, Any]) -> str:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        subject, body = message(summary)
        notifier = SmtpNotifier(to=to, subject=subject, html_content=f"<pre>{html.escape(body)}</pre>")
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

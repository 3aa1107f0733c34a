"""Text from a submission that reaches a notification is cleaned for its medium (issue 14, class 2):
no header injection through the subject, no control characters (ANSI, NUL, bidi) anywhere, HTML
escaped in the HTML mail, chat markup escaped in the webhook's text."""

from __future__ import annotations

import email.message
import re

import pytest

from ingest.config import load_settings
from ingest.serve.notify import chat_escape, clean_text, mail_content, message, notify
from tests.fixtures.pipeline import Webhook

HOSTILE = [
    "x.xlsx\r\nBcc: victim@example.org\r\nSubject: pwned",
    "<img src=x onerror=alert(1)>.xlsx",
    "\x1b[31mred\x1b[0m\x1b]8;;http://evil\x07link\x1b]8;;\x07.xlsx",
    "nul\x00byte\x7fdel\x9bcsi.xlsx",
    "bidi\u202etxt.exe\u2066\u2069\u200b\ufeff.xlsx",
    "<!channel> <http://evil|click> & co.xlsx",
    "line\u2028sep\u2029para\tTab\vvt\fff.xlsx",
    "A" * 5000,
]
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]")


def summary_with(name: str) -> dict:
    return {
        "run_id": 7, "month": "2023-05", "files": 2, "accepted": 1, "duplicates": 0, "looked_in": f"/inbox/{name}",
        "rejected": [{"file_name": name, "unit": name, "reason": f"failed: {name}",
                      "findings": [f"bad mark {name!s} in tc03", None]}],
        "dbt_success": True, "mart_checks_success": True, "published": True,
        "coverage": {"expected": 2, "accepted": 1, "rejected": 1, "missing": 0, "missing_units": [],
                     "rejected_units": [name], "late_units": [],
                     "coverage_units": [{"unit": name, "status": "rejected", "version_in_force": None,
                                         "latest_version": 1, "submitted_on": name, "is_backfill": False}]},
    }


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_subject_and_body_carry_no_control_characters(name: str) -> None:
    subject, body = message(summary_with(name))
    assert not UNSAFE.search(subject) and len(subject) <= 200
    # the body's own line breaks are the only ones: every line is one of ours
    assert not UNSAFE.search(body.replace("\n", ""))
    assert all(len(line) < 2000 for line in body.split("\n"))
    msg = email.message.EmailMessage()
    msg["Subject"] = subject          # raises on CR/LF (header injection)
    assert "Bcc" not in msg.keys()


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_the_html_mail_shows_text_never_markup(name: str) -> None:
    subject, html_content = mail_content(summary_with(name))
    assert "<img" not in html_content and "onerror=alert(1)>" not in html_content.replace("&gt;", ">").split("<pre>")[0]
    assert html_content.startswith("<pre>") and html_content.endswith("</pre>")
    assert html_content.count("<") == 2        # <pre> and </pre>: nothing else is a tag
    assert not UNSAFE.search(html_content.replace("\n", "")) and "\r" not in subject


def test_the_webhook_escapes_chat_markup_and_cleans_the_summary(webhook: Webhook) -> None:
    settings = load_settings().model_copy(update=dict(notify_url=webhook.url, smtp_to=None))
    for name in HOSTILE:
        assert notify(summary_with(name), settings) == "webhook: HTTP 204"
    for raw, posted in zip(webhook.raw, webhook.received, strict=True):
        assert b"\\u001b" not in raw and b"\\u0000" not in raw and b"\\r" not in raw
        assert "<" not in posted["text"] and ">" not in posted["text"]
        assert not UNSAFE.search(posted["subject"])
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', raw.decode())
        assert all("\\u00" not in s for s in strings)
    assert "&lt;img src=x onerror=alert(1)&gt;" in webhook.received[1]["text"]
    assert "&lt;!channel&gt; &lt;http://evil|click&gt; &amp; co.xlsx" in webhook.received[5]["text"]
    assert webhook.received[5]["summary"]["rejected"][0]["file_name"] == "<!channel> <http://evil|click> & co.xlsx"


def test_clean_text_by_hand() -> None:
    assert clean_text("a\r\nb\x1b[31mc") == "a b [31mc"
    assert clean_text("  x \u202e y\u200b ") == "x y"
    assert clean_text("é" * 10, limit=5) == "éééé…"
    assert chat_escape("<a & b>") == "&lt;a &amp; b&gt;"

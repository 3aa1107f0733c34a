"""Vietnamese style for figures and dates (1.234,5; 01/12/2026; Tháng 5/2023), and the one cleaning
step that every string from a submission goes through before it is shown: control characters out.
(HTML escaping is the templates' job: Jinja2 autoescape.)"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

Number = int | float | Decimal

# C0 and C1 control characters (tab, newline and carriage return included: a name is one line),
# DEL, and the bidirectional overrides/isolates that can reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def vn_number(value: Number | None, decimals: int = 0) -> str:
    """892738 → `892.738`; 8.654 → `8,65` (decimals=2): thousands with `.`, decimals with `,`."""
    if value is None:
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # -0,0 reads as 0,0
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_change(value: Number | None, decimals: int = 0) -> str:
    """A change with its sign: `+3`, `−1,25`, `0`; `–` when unknown."""
    if value is None:
        return "–"
    shown = vn_number(value, decimals)
    if shown.strip("0,.") == "":
        return shown
    return f"+{shown}" if value > 0 else f"−{shown.lstrip('-')}"


def vn_pct(share: Number | None, decimals: int = 1) -> str:
    """A share 0–1 as a percentage: 0.4567 → `45,7%`."""
    return "–" if share is None else f"{vn_number(float(share) * 100, decimals)}%"


def vn_date(value: date | datetime | None) -> str:
    """01/12/2026 (a timestamp shows its date in the time zone it carries)."""
    return "–" if value is None else f"{value:%d/%m/%Y}"


def vn_month(value: date) -> str:
    """Tháng 5/2023."""
    return f"Tháng {value.month}/{value.year}"


def vn_month_short(value: date) -> str:
    """T5 (a chart's axis)."""
    return f"T{value.month}"


def clean(text: object) -> str:
    """A string from a submission made safe to show on one line: Unicode NFC, control characters
    and bidirectional overrides removed, surrounding blanks stripped. Escaping for the medium
    (HTML) still follows; this only removes what no medium should carry."""
    if text is None:
        return ""
    return _CONTROL.sub("", unicodedata.normalize("NFC", str(text))).strip()

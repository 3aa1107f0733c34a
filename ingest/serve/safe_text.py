"""Text from a submission, made safe for the medium that shows it (issue 14, class 2).

A district writes what it likes into its file: a commune name may hold `<img onerror=...>`, rich
markup such as `[bold red]`, ANSI escape sequences, carriage returns that overwrite a terminal line,
bidirectional overrides that reorder what an auditor reads, or `=HYPERLINK(...)` that a spreadsheet
would run. Each output escapes for its own medium:

- `terminal()` for `ntm audit`, `ntm status`, `ntm ingest` lines (printed with rich): escape
  sequences and control characters removed, bidi controls removed, rich markup escaped.
- `html_text()` for pages (audit site): controls removed, then HTML-escaped (quotes too).
- `sheet_value()` for workbook cells: a text starting with = + - @ (or a tab / CR) is kept as text,
  never a formula; controls that Excel cannot store are removed.
"""

from __future__ import annotations

import html
import re
from typing import Any

# CSI / OSC / other ESC sequences (ECMA-48), then any remaining C0 / C1 control character.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_KEEP_NONE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# bidirectional embeddings, overrides and isolates (Trojan Source), and the marks
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Any, keep_newlines: bool = False) -> str:
    """The text without escape sequences, control characters and bidi controls."""
    if value is None:
        return ""
    text = _ANSI.sub("", str(value))
    text = (_CONTROL if keep_newlines else _CONTROL_KEEP_NONE).sub(" " if not keep_newlines else "", text)
    return _BIDI.sub("", text)


def terminal(value: Any) -> str:
    """For a rich console: plain text with rich markup escaped (`[bold]` prints as `[bold]`)."""
    from rich.markup import escape

    return escape(plain(value))


def html_text(value: Any) -> str:
    """For an HTML page: plain text, HTML-escaped (quotes included, so also safe in attributes)."""
    return html.escape(plain(value, keep_newlines=True), quote=True)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


def sheet_value(value: Any) -> Any:
    """A value for a workbook cell: numbers and dates as they are; text without control characters
    that Excel cannot store. Whether it must be forced to text is `is_formula_like()` (the caller
    sets the cell's type, see `ingest.serve.feedback.put`)."""
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return value
    return _CONTROL.sub("", _BIDI.sub("", _ANSI.sub("", value)))

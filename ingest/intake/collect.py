"""Findings of one file as the reader collects them: after MAX_FINDINGS_PER_CHECK of one check,
the rest are counted and summed up in one finding at the end (a broken file of 50,000 rows gives
a readable list, not 50,000 lines)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from ingest.findings import Finding

MAX_FINDINGS_PER_CHECK = 200


class Collector:
    """Collects findings; after MAX_FINDINGS_PER_CHECK of one check, counts the rest and adds
    one summary finding at the end."""

    def __init__(self) -> None:
        self.items: list[Finding] = []
        self._counts: Counter[tuple[str, str, str | None]] = Counter()

    def add(self, severity: str, check: str, vi: str, en: str, sheet: str | None = None,
            row: int | None = None, column: str | None = None, value: Any = None) -> None:
        n = self._counts[(severity, check, sheet)]
        self._counts[(severity, check, sheet)] += 1
        if n < MAX_FINDINGS_PER_CHECK:
            shown = None if value is None else _show(value)
            self.items.append(Finding(severity, check, vi, en, sheet, row, column, shown))

    def done(self) -> list[Finding]:
        out = list(self.items)
        for (severity, check, sheet), n in self._counts.items():
            if n > MAX_FINDINGS_PER_CHECK:
                more = n - MAX_FINDINGS_PER_CHECK
                out.append(Finding(severity, check, f"... và {more} lỗi cùng loại khác trong trang {sheet}",
                                   f"... and {more} more of the same in sheet {sheet}", sheet))
        return out


def _show(value: Any) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text if len(text) <= 200 else text[:197] + "..."

"""A finding: one failed check occurrence, from the reader or from Great Expectations.

Both end in `audit.finding` with this shape (marts.md, "Audit").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    check_name: str
    message_vi: str
    message_en: str
    sheet: str | None = None
    excel_row: int | None = None
    column_name: str | None = None
    value: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)

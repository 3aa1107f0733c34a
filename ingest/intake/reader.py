"""Read one submission (xlsx, folder of CSVs, zip of CSVs) into the normalised frames.

`read_submission(path, admin)` never raises on bad input: every problem is a `Finding` (an error
blocks the load, a warning is flagged). The frames have exactly the columns of the raw tables
(docs/architecture.md, "The normalised frames").

Steps: bound the file (size, zip entries, expansion ratio, unsafe entry names) -> load each
sheet as a grid of cell values (python-calamine for xlsx: cached values, formulas never
evaluated) -> find the header row in the first 15 rows by its column names -> skip title, blank
and total rows, fill merged-cell blanks -> normalise each column (each distinct value once) ->
administrative checks against the unit list in force on the period's last day.

The programme's rules (ingest/intake/rules.py) apply here: only xã take part (a ward, township or
special zone row is the warning `not_a_rural_commune` and is kept; `missing_communes` names
missing xã only); an empty criteria set is the set in force for the period, and a period from
2023 on naming 2016-2020 is the warning `outdated_criteria_set`; each OCOP product gets its
catalogue (`148` / `1048`) from its group's name or its decision date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ingest.config import Settings, load_settings
from ingest.contract import FRAME_COLUMNS, REQUIRED_SHEETS, SHEET_NAMES
from ingest.findings import Finding, has_errors
from ingest.intake import normalise as nz
from ingest.intake import rules, sniff
from ingest.intake.admin_check import check_admin, check_duplicates
from ingest.intake.admin_units import AdminUnits
from ingest.intake.collect import Collector
from ingest.intake.extents import check_extents
from ingest.intake.formats import HEADER_SCAN_ROWS, Grid, check_cell_sizes, load, sheet_key
from ingest.intake.headers import COLUMNS, INFO, INFO_KEYS, find_header
from ingest.intake.keys import check_keys
from ingest.intake.names import check_names
from ingest.intake.plans import check_plans
from ingest.intake.sheetxml import check_workbook
from ingest.intake.tables import Table, empty_frame, frame, marks_frame, read_info, read_table, table_frame


@dataclass
class ReadResult:
    frames: dict[str, pd.DataFrame]
    findings: list[Finding]
    file_format: str  # "xlsx" | "csv_dir" | "zip" | "unknown"
    info: dict[str, Any] = field(default_factory=dict)
    timing: tuple[datetime, datetime] | None = None  # when reading began and ended (set by intake.isolation)

    @property
    def meta(self) -> dict[str, Any]:
        """The thong_tin values read so far (normalised; may be partial or empty)."""
        return dict(self.info)

    @property
    def rejected(self) -> bool:
        return has_errors(self.findings)


def _criteria_set(info: dict[str, Any], where: dict[str, int], f: Collector) -> None:
    """An empty criteria set is the set in force for the period; a period from 2023 on that names
    the 2016-2020 set is assessed against an outdated set (a warning: it loads, auditors see it)."""
    period = info.get("period")
    if period is None:
        return
    named = info.get("criteria_set")
    if named is None:
        info["criteria_set"] = rules.criteria_set_in_force(period)
    elif rules.is_outdated_criteria_set(named, period):
        current = rules.criteria_set_in_force(period)
        f.add("warning", "outdated_criteria_set",
              f"Kỳ {period:%m/%Y} được đánh giá theo bộ tiêu chí {named} đã hết hiệu lực; từ tháng "
              f"{rules.CRITERIA_SET_2021_FROM:%m/%Y} áp dụng bộ tiêu chí {current} (Quyết định 318/QĐ-TTg)",
              f"the period {period:%Y-%m} is assessed against the outdated {named} criteria set; the {current} "
              f"set (Decision 318/QĐ-TTg) is in force since {rules.CRITERIA_SET_2021_FROM:%Y-%m}",
              "thong_tin", where.get("criteria_set"), "criteria_set", named)


def read_submission(path: Path, admin: AdminUnits, settings: Settings | None = None) -> ReadResult:
    """Read and normalise one submission; never raises on bad input (every failure is a finding)."""
    settings = settings or load_settings()
    f = Collector()
    file_format = "unknown"
    frames: dict[str, pd.DataFrame] = {}
    info: dict[str, Any] = {}
    try:
        if not check_extents(Path(path), settings, f):  # before calamine builds any grid
            return ReadResult({}, f.done(), "xlsx", {})
        file_format, grids = load(Path(path), settings, f)
        if has_errors(f.items):
            return ReadResult({}, f.done(), file_format, {})
        if file_format in ("csv_dir", "zip"):
            grids = _comma_separated(grids, f)
            if has_errors(f.items):  # named the format: "sheet missing" would only confuse
                return ReadResult({}, f.done(), file_format, {})
        if file_format == "xlsx":
            check_workbook(Path(path), f)  # hidden sheets, error cells, formulas without a value
        info, frames = _read_grids(grids, admin, settings, f)
    except MemoryError:
        f.add("error", "reader_error", "Đọc tệp vượt giới hạn bộ nhớ (MemoryError); hãy gửi tệp nhỏ hơn hoặc tách tệp",
              "reading the file exceeded the memory limit (MemoryError); send a smaller file or split it")
    except Exception as exc:  # a bug must not lose the file: it becomes a finding
        f.add("error", "reader_error", f"Lỗi nội bộ khi đọc tệp: {exc!r}", f"internal error while reading: {exc!r}")
    return ReadResult(frames, f.done(), file_format, info)


def _comma_separated(grids: list[Grid], f: Collector) -> list[Grid]:
    """The CSVs whose header is found only when split on `;` or a tab are named (`wrong_format`)
    and dropped, instead of reading as "no header row"."""
    kept = []
    for grid in grids:
        sheet = sheet_key(grid.name)
        detected = None
        if sheet in SHEET_NAMES:
            detected = sniff.csv_delimiter(grid.rows[:HEADER_SCAN_ROWS], lambda rows, s=sheet: _has_header(rows, s))
        if detected:
            sniff.wrong_format(f, detected, sheet)
        else:
            kept.append(grid)
    return kept


def _has_header(rows: list[list[Any]], sheet: str) -> bool:
    if sheet == "thong_tin":
        return sum(len(row) >= 2 and INFO_KEYS.get(nz.key(row[0])) is not None for row in rows if row) >= 2
    return sheet in COLUMNS and find_header(Grid(sheet, rows, list(range(1, len(rows) + 1))), sheet) is not None


def _read_grids(grids: list[Grid], admin: AdminUnits, settings: Settings,
                f: Collector) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    check_cell_sizes(grids, f)
    by_sheet: dict[str, Grid] = {}
    for grid in grids:
        k = sheet_key(grid.name)
        if k not in SHEET_NAMES:
            f.add("warning", "unknown_sheet", f"Bỏ qua trang lạ '{grid.name}'", f"ignored unknown sheet {grid.name!r}",
                  value=grid.name)
        elif k in by_sheet:
            f.add("error", "duplicate_sheet", f"Trang {k} xuất hiện hai lần", f"sheet {k} appears twice", k)
        else:
            by_sheet[k] = grid
    for sheet in REQUIRED_SHEETS:
        if sheet not in by_sheet:
            f.add("error", "missing_sheet", f"Thiếu trang bắt buộc {sheet}", f"the required sheet {sheet} is missing", sheet)
    info: dict[str, Any] = {}
    built: dict[str, pd.DataFrame] = {}
    if "thong_tin" in by_sheet:
        info, where, extra = read_info(by_sheet["thong_tin"], f)
        check_keys(info, where, f)
        _criteria_set(info, where, f)
        if all(k in info for k, col in INFO.items() if col.required):
            built["thong_tin"] = frame("thong_tin", {**{k: [v] for k, v in info.items()}, "extra": [extra]}, 1)
    tables: dict[str, Table] = {}
    for sheet in COLUMNS:
        if sheet in by_sheet:
            table = read_table(by_sheet[sheet], sheet, settings, f)
            if table is not None:
                tables[sheet] = table
                built[sheet] = table_frame(sheet, table)
    frames = {name: built[name] if name in built else empty_frame(name) for name in FRAME_COLUMNS}  # empty: not read
    if "tieu_chi_xa" in tables and not tables["tieu_chi_xa"].rows:
        f.add("error", "empty_sheet", "Trang tieu_chi_xa không có dòng dữ liệu nào", "sheet tieu_chi_xa has no data rows",
              "tieu_chi_xa")
    check_admin(info, frames, admin, "tieu_chi_huyen" in by_sheet, f)
    check_names(info, frames, admin, f)
    check_plans(info, frames, admin, f)  # kieu_mau and ke_hoach
    check_duplicates(frames, f)
    if "tieu_chi_xa" in tables:
        frames["tieu_chi_xa_mark"] = marks_frame(frames["tieu_chi_xa"], tables["tieu_chi_xa"])
    return info, frames

"""Sheets -> normalised columns -> frames: the data rows under a sheet's header (title, blank
and total rows skipped, merged cells filled), each column normalised (each distinct value once,
every failure a finding naming sheet, row and column), and the frames with the contract's
columns and dtypes (ingest.contract.FRAME_COLUMNS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ingest.config import Settings
from ingest.contract import CRITERIA, FRAME_COLUMNS, THONG_TIN
from ingest.intake import assumed, rules
from ingest.intake import normalise as nz
from ingest.intake.collect import Collector
from ingest.intake.formats import HEADER_SCAN_ROWS, Grid, too_many_rows
from ingest.intake.headers import (
    ABSENT,
    COLUMNS,
    IDENTITY,
    INFO,
    INFO_HEADER_WORDS,
    INFO_KEYS,
    Col,
    cell_text,
    fill_merges,
    find_header,
    is_total,
)


@dataclass
class Table:
    """A sheet's data rows, normalised column by column (lists aligned with `rows`)."""

    rows: list[int]
    values: dict[str, list[Any]]
    extra: list[dict[str, Any] | None]
    present: set[str]


def read_table(grid: Grid, sheet: str, settings: Settings, f: Collector) -> Table | None:
    found = find_header(grid, sheet)
    if found is None:
        f.add("error", "missing_column",
              f"Không tìm thấy dòng tiêu đề cột của trang {sheet} trong {HEADER_SCAN_ROWS} dòng đầu",
              f"no header row with the column names of sheet {sheet} in its first {HEADER_SCAN_ROWS} rows", sheet=sheet)
        return None
    header, known, unknown = found
    columns = COLUMNS[sheet]
    seen: dict[str, int] = {}
    ok = True
    for j, k in known.items():
        if k in seen:
            f.add("error", "duplicate_column", f"Cột {k} xuất hiện hai lần trong trang {sheet}",
                  f"column {k} appears twice in sheet {sheet}", sheet=sheet, row=grid.row_numbers[header], column=k)
            ok = False
        seen.setdefault(k, j)
    for k, col in columns.items():
        if col.required and k not in seen:
            f.add("error", "missing_column", f"Trang {sheet} thiếu cột bắt buộc {k}",
                  f"sheet {sheet} lacks the required column {k}", sheet=sheet, row=grid.row_numbers[header], column=k)
            ok = False
    for label in unknown.values():
        f.add("warning", "unknown_column", f"Cột lạ '{label}' trong trang {sheet}: được giữ lại trong extra",
              f"unknown column {label!r} in sheet {sheet}: kept in extra", sheet=sheet,
              row=grid.row_numbers[header], value=label)
    if not ok:
        return None
    fill_merges(grid, header)
    identity = IDENTITY[sheet]
    rows: list[int] = []
    raw: dict[str, list[Any]] = {k: [] for k in seen}
    extra: list[dict[str, Any] | None] = []
    for i in range(header + 1, len(grid.rows)):
        row = grid.rows[i]
        cells = {k: (row[j] if j < len(row) else None) for k, j in seen.items()}
        other = {label: row[j] for j, label in unknown.items() if j < len(row) and not nz.is_empty(row[j])}
        if all(nz.is_empty(v) for v in cells.values()) or is_total(cells, identity):
            continue
        rows.append(grid.row_numbers[i])
        if len(rows) > settings.max_rows:
            too_many_rows(f, sheet, settings)
            return None
        for k, v in cells.items():
            raw[k].append(v)
        extra.append({label: _jsonable(v) for label, v in other.items()} or None)
    values = {k: _normalise_column(sheet, k, columns[k], raw[k], rows, f) for k in raw}
    return Table(rows, values, extra, set(seen))


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | float) or value is None:
        return value if not isinstance(value, float) or np.isfinite(value) else None
    return cell_text(value)


def _normalise_column(sheet: str, k: str, col: Col, values: list[Any], rows: list[int], f: Collector) -> list[Any]:
    """Normalise each distinct value once; every failure is a finding naming sheet, row, column."""
    cache: dict[tuple[type, Any], Any] = {}
    out: list[Any] = []
    normalise = assumed.column_normaliser(sheet, k, col.normalise, values, rows, f)
    for value, row in zip(values, rows, strict=True):
        if isinstance(value, str):
            value = value if value.strip() else None
        cache_key = (type(value), value)
        try:
            result = cache[cache_key]
        except KeyError:
            try:
                result = normalise(value)
            except (nz.NormaliseError, assumed.Assumed) as exc:
                result = exc
            except TypeError:  # unhashable or unexpected cell type
                result = nz.NormaliseError(f"Giá trị không đọc được: {value!r}", f"unreadable value: {value!r}")
            cache[cache_key] = result
        if isinstance(result, assumed.Assumed):
            f.add("warning", result.check, f"Trang {sheet}, dòng {row}, cột {k}: {result.message_vi}",
                  f"sheet {sheet}, row {row}, column {k}: {result.message_en}", sheet, row, k, value)
            result = result.value
        elif isinstance(result, nz.NormaliseError):
            f.add("error", col.check, f"Trang {sheet}, dòng {row}, cột {k}: {result.message_vi}",
                  f"sheet {sheet}, row {row}, column {k}: {result.message_en}", sheet, row, k, value)
            result = None
        elif result is None and col.value_required:
            f.add("error", "missing_value", f"Trang {sheet}, dòng {row}: thiếu giá trị ở cột {k}",
                  f"sheet {sheet}, row {row}: column {k} is empty", sheet, row, k)
        out.append(result)
    return out


def read_info(grid: Grid, f: Collector) -> tuple[dict[str, Any], dict[str, int], dict[str, Any] | None]:
    """thong_tin: key/value rows (keys by machine key or Vietnamese label); title rows skipped."""
    raw: dict[str, Any] = {}
    where: dict[str, int] = {}
    extra: dict[str, Any] = {}
    for row, number in zip(grid.rows, grid.row_numbers, strict=True):
        cells = [v for v in row if not nz.is_empty(v)]
        if not cells:
            continue
        hit = next(((i, INFO_KEYS.get(nz.key(v))) for i, v in enumerate(cells[:3])
                    if isinstance(v, str) and INFO_KEYS.get(nz.key(v))), None)
        if hit is None:
            label = cell_text(cells[0])
            if len(cells) < 2 or label is None or nz.key(label) in INFO_HEADER_WORDS:
                continue  # a title row or the header row
            extra[label] = _jsonable(cells[1])
            f.add("warning", "unknown_key", f"Trang thong_tin: mục lạ '{label}' được giữ lại trong extra",
                  f"sheet thong_tin: unknown item {label!r} kept in extra", "thong_tin", number, value=label)
            continue
        i, k = hit
        value = cells[i + 1] if i + 1 < len(cells) else None
        if k in raw and raw[k] != value:
            f.add("error", "duplicate_key", f"Trang thong_tin: mục {k} được ghi hai lần với giá trị khác nhau",
                  f"sheet thong_tin: {k} is given twice with different values", "thong_tin", number, k, value)
            continue
        raw[k] = value
        where[k] = number
    info: dict[str, Any] = {}
    for k, col in INFO.items():
        value = raw.get(k)
        row = where.get(k)
        try:
            result = col.normalise(value)
        except nz.NormaliseError as exc:
            if value is None or nz.is_empty(value):
                f.add("error", "missing_value", f"Trang thong_tin thiếu mục bắt buộc {k} ({THONG_TIN[k]})",
                      f"sheet thong_tin lacks the required item {k} ({THONG_TIN[k]})", "thong_tin", row, k)
            else:
                f.add("error", col.check, f"Trang thong_tin, mục {k}: {exc.message_vi}",
                      f"sheet thong_tin, item {k}: {exc.message_en}", "thong_tin", row, k, value)
            continue
        if result is None and col.required:
            f.add("error", "missing_value", f"Trang thong_tin thiếu mục bắt buộc {k} ({THONG_TIN[k]})",
                  f"sheet thong_tin lacks the required item {k} ({THONG_TIN[k]})", "thong_tin", row, k)
            continue
        info[k] = result
    return info, where, extra or None


# frames


def as_column(values: list[Any], kind: str) -> Any:
    if kind == "Int64":
        return pd.array(values, dtype="Int64")
    if kind == "float":
        return np.fromiter((np.nan if v is None else v for v in values), dtype="float64", count=len(values))
    if kind == "bool":
        return np.fromiter(values, dtype=bool, count=len(values))
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return pd.Series(out, dtype=object, copy=False)  # a bare object array would be inferred as str


def frame(name: str, data: dict[str, list[Any]], n: int) -> pd.DataFrame:
    spec = FRAME_COLUMNS[name]
    return pd.DataFrame({c: as_column(data[c] if c in data else [None] * n, kind) for c, kind in spec.items()},
                        index=pd.RangeIndex(n), copy=False)


_EMPTY: dict[str, pd.DataFrame] = {}


def empty_frame(name: str) -> pd.DataFrame:
    """A frame of `name` with no rows and the contract's columns and dtypes."""
    if name not in _EMPTY:
        _EMPTY[name] = frame(name, {}, 0)
    return _EMPTY[name].copy()


def table_frame(sheet: str, table: Table) -> pd.DataFrame:
    n = len(table.rows)
    data: dict[str, list[Any]] = {"excel_row": table.rows, "extra": table.extra}
    for k, col in COLUMNS[sheet].items():
        out = col.output or k
        if k in table.values:
            values = table.values[k]
            if k in ABSENT:
                values = [ABSENT[k] if v is None else v for v in values]
            data[out] = values
        else:
            data[out] = [ABSENT.get(k)] * n
    if sheet == "ocop":
        _ocop_catalogue(data)
    return frame(sheet, data, n)


def _ocop_catalogue(data: dict[str, list[Any]]) -> None:
    """`product_group` holds (group, catalogue named by the group's name or None): keep the
    group, and give each product its catalogue (ingest.intake.rules.ocop_catalogue)."""
    named = data["product_group"]
    data["product_group"] = [None if g is None else g[0] for g in named]
    data["catalogue"] = [None if g is None else rules.ocop_catalogue(g[1], decided, status)
                         for g, decided, status in zip(named, data["decision_date"], data["status"], strict=True)]


def marks_frame(xa: pd.DataFrame, table: Table) -> pd.DataFrame:
    n = len(xa)
    marks = np.array([[bool(v) for v in table.values[tc]] for tc in CRITERIA], dtype=bool).T.reshape(-1) \
        if n else np.zeros(0, dtype=bool)
    return pd.DataFrame({
        "excel_row": pd.array(np.repeat(xa["excel_row"].to_numpy(dtype="int64"), len(CRITERIA)), dtype="Int64"),
        "commune_code": pd.Series(np.repeat(xa["commune_code"].to_numpy(dtype=object), len(CRITERIA)), dtype=object),
        "criterion_code": pd.Series(np.tile(np.array(CRITERIA, dtype=object), n), dtype=object),
        "is_met": marks,
    })

"""Sheets -> normalised columns -> frames: the data rows under a sheet's header (title, blank
and total rows skipped, merged cells filled), each column normalised (each distinct value once,
every failure a finding naming sheet, row and column), and the frames with the contract's
columns and dtypes (ingest.contract.FRAME_COLUMNS)."""

from __future__ import annotations

from collections.abc import Callable
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
    kept = _data_rows(grid, header, seen, IDENTITY[sheet])
    if len(kept) > settings.max_rows:
        too_many_rows(f, sheet, settings)
        return None
    rows = [grid.row_numbers[i] for i in kept]
    extra = _extra(grid.rows, kept, unknown)
    values = {k: _normalise_column(sheet, k, columns[k], _cells(grid.rows, kept, j), rows, f) for k, j in seen.items()}
    return Table(rows, values, extra, set(seen))


def _data_rows(grid: Grid, header: int, seen: dict[str, int], identity: str) -> list[int]:
    """The indexes of the rows under the header that hold data: blank and total rows skipped. A
    row whose identity cell holds something is neither, so only the others need the full test."""
    at = seen.get(identity)
    kept: list[int] = []
    for i in range(header + 1, len(grid.rows)):
        row = grid.rows[i]
        if at is not None and at < len(row) and not nz.is_empty(row[at]):
            kept.append(i)
            continue
        cells = {k: (row[j] if j < len(row) else None) for k, j in seen.items()}
        if not (all(nz.is_empty(v) for v in cells.values()) or is_total(cells, identity)):
            kept.append(i)
    return kept


def _cells(rows: list[list[Any]], kept: list[int], j: int) -> list[Any]:
    """Column `j` of the kept rows (None where a short row has no such cell)."""
    return [row[j] if j < len(row) else None for row in map(rows.__getitem__, kept)]


def _extra(rows: list[list[Any]], kept: list[int], unknown: dict[int, str]) -> list[dict[str, Any] | None]:
    """Each kept row's non-empty cells of unknown columns, by label (None when there are none)."""
    if not unknown:
        return [None] * len(kept)
    out: list[dict[str, Any] | None] = []
    for row in map(rows.__getitem__, kept):
        other = {label: row[j] for j, label in unknown.items() if j < len(row) and not nz.is_empty(row[j])}
        out.append({label: _jsonable(v) for label, v in other.items()} or None)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | float) or value is None:
        return value if not isinstance(value, float) or np.isfinite(value) else None
    return cell_text(value)


def _normalise_column(sheet: str, k: str, col: Col, values: list[Any], rows: list[int], f: Collector) -> list[Any]:
    """Normalise each distinct value once; every failure is a finding naming sheet, row, column.
    Rows are walked one by one only when some distinct value needs a finding."""
    normalise = assumed.column_normaliser(sheet, k, col.normalise, values, rows, f)
    keys = list(zip(map(type, values), values, strict=True))  # (type, value): 1, 1.0 and True stay apart
    results = {key: _outcome(normalise, _cell(key[1])) for key in dict.fromkeys(keys)}
    out = list(map(results.__getitem__, keys))
    flagged = {key for key, result in results.items()
               if isinstance(result, assumed.Assumed | nz.NormaliseError) or (result is None and col.value_required)}
    if not flagged:
        return out
    for i, (key, row) in enumerate(zip(keys, rows, strict=True)):
        if key not in flagged:
            continue
        value, result = _cell(key[1]), out[i]
        if isinstance(result, assumed.Assumed):
            f.add("warning", result.check, f"Trang {sheet}, dòng {row}, cột {k}: {result.message_vi}",
                  f"sheet {sheet}, row {row}, column {k}: {result.message_en}", sheet, row, k, value)
            out[i] = result.value
        elif isinstance(result, nz.NormaliseError):
            f.add("error", col.check, f"Trang {sheet}, dòng {row}, cột {k}: {result.message_vi}",
                  f"sheet {sheet}, row {row}, column {k}: {result.message_en}", sheet, row, k, value)
            out[i] = None
        else:
            f.add("error", "missing_value", f"Trang {sheet}, dòng {row}: thiếu giá trị ở cột {k}",
                  f"sheet {sheet}, row {row}: column {k} is empty", sheet, row, k)
    return out


def _cell(value: Any) -> Any:
    """A cell's value as the normalisers take it: blank text is an empty cell."""
    return None if isinstance(value, str) and not value.strip() else value


def _outcome(normalise: Callable[[Any], Any], value: Any) -> Any:
    """The normalised value, or the Assumed / NormaliseError that stands for it."""
    try:
        return normalise(value)
    except (nz.NormaliseError, assumed.Assumed) as exc:
        return exc
    except TypeError:  # unexpected cell type
        return nz.NormaliseError(f"Giá trị không đọc được: {value!r}", f"unreadable value: {value!r}")


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
    """One frame column of the contract's `kind` (an object column as a Series)."""
    column = _column(values, kind)
    return pd.Series(column, dtype=object, copy=False) if isinstance(column, pd.Index) else column


def _column(values: list[Any], kind: str) -> Any:
    """One frame column of the contract's `kind`, in a form a DataFrame takes as it is: an object
    column is an Index (a bare object array would be inferred as str; a Series is reindexed to the
    frame's index unless made on it, and costs twice as much to make)."""
    if kind == "Int64":
        return _int64(values)
    if kind == "float":
        if None not in values:
            return np.array(values, dtype="float64")
        return np.fromiter((np.nan if v is None else v for v in values), dtype="float64", count=len(values))
    if kind == "bool":
        return np.fromiter(values, dtype=bool, count=len(values))
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return pd.Index(out, dtype=object, copy=False)


def _int64(values: list[Any]) -> Any:
    """pd.array(values, dtype="Int64"), built directly when every value is an int or None (the
    general conversion inspects the list several times)."""
    types = set(map(type, values))
    try:
        if types <= {int}:  # excel_row: never empty
            return pd.arrays.IntegerArray(np.array(values, dtype=np.int64), np.zeros(len(values), dtype=bool))
        if types <= {int, type(None)}:
            data = np.fromiter((1 if v is None else v for v in values), dtype=np.int64, count=len(values))
            return pd.arrays.IntegerArray(data, np.fromiter((v is None for v in values), dtype=bool, count=len(values)))
    except OverflowError:
        pass
    return pd.array(values, dtype="Int64")


def frame(name: str, data: dict[str, list[Any]], n: int) -> pd.DataFrame:
    spec = FRAME_COLUMNS[name]
    return pd.DataFrame({c: _column(data[c] if c in data else [None] * n, kind) for c, kind in spec.items()},
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
        "commune_code": pd.Index(np.repeat(xa["commune_code"].to_numpy(dtype=object), len(CRITERIA)), dtype=object),
        "criterion_code": pd.Index(np.tile(np.array(CRITERIA, dtype=object), n), dtype=object),
        "is_met": marks,
    }, index=pd.RangeIndex(n * len(CRITERIA)))

"""What calamine does not say about an xlsx workbook, read from its XML: contract sheets that are
hidden (`state="hidden"` / `"veryHidden"` in xl/workbook.xml: a warning `hidden_sheet`, the sheet
is still read), and cells whose value calamine gives as '' (an Excel error value such as `#N/A`,
`#REF!`, `#VALUE!`, cell type `t="e"`: the error `excel_error_value`; a formula without a stored
value, `<f>` without `<v>`: the error `formula_without_value`). Each names sheet, Excel row and
column. Cheap: only the contract sheets' XML, streamed (iterparse), and only when a chunked byte
scan finds an error cell or a formula at all."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar
from xml.etree import ElementTree as ET

from ingest.contract import SHEET_NAMES
from ingest.intake.collect import Collector
from ingest.intake.formats import sheet_key

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")
# An error cell, or a formula whose cell ends without a stored value (`<v/>`, `<v></v>` or none),
# any namespace prefix: only sheets where these bytes occur are parsed (formulas with cached
# values, the common case in real files, cost one byte scan).
_P = rb"(?:\w+:)?"
_MARKER = re.compile(rb"t=[\"']e[\"']|(?:</" + _P + rb"f>|<" + _P + rb"f\b[^>]*/>)\s*(?:<" + _P + rb"v\s*/>|<" + _P
                     + rb"v>\s*</" + _P + rb"v>)?\s*</" + _P + rb"c>")
_CHUNK = 1 << 20
_OVERLAP = 512


def check_workbook(path: Path, f: Collector) -> None:
    """Findings for hidden contract sheets and for error / formula-without-value cells in them."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name, state, part in contract_sheets(archive):
                if state in ("hidden", "veryHidden"):
                    _hidden(f, name, state)
                if part in archive.namelist() and _has_markers(archive, part):
                    _scan_cells(archive, part, sheet_key(name), f)
    except (zipfile.BadZipFile, ET.ParseError, KeyError, OSError):
        return  # a damaged package is reported by the reader itself


def contract_sheets(archive: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(sheet name, state, zip part) of each contract sheet, through workbook.xml and its rels."""
    rels_name = "xl/_rels/workbook.xml.rels"
    targets: dict[str, str] = {}
    if rels_name in archive.namelist():
        targets = _parsed(_targets, archive.read(rels_name))
    return [(name, state, targets.get(rel_id, "")) for name, state, rel_id
            in _parsed(_sheets, archive.read("xl/workbook.xml"))]


def _targets(rels: bytes) -> dict[str, str]:
    targets: dict[str, str] = {}
    for rel in ET.fromstring(rels).iter(_PKG_REL):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id", "")] = part
    return targets


def _sheets(workbook: bytes) -> list[tuple[str, str, str]]:
    """(name, state, relationship id) of each contract sheet of workbook.xml."""
    out = []
    for sheet in ET.fromstring(workbook).iter(f"{_MAIN}sheet"):
        name = sheet.get("name", "")
        if sheet_key(name) in SHEET_NAMES:
            out.append((name, sheet.get("state", "visible"), sheet.get(_REL, "")))
    return out


T = TypeVar("T")


def _parsed(parse: Callable[[bytes], T], xml: bytes) -> T:
    """parse(xml), parsed once for small parts: files made from one template share their
    workbook.xml and its rels, and both the extent check and the workbook check read them."""
    return _remembered(parse, xml) if len(xml) <= _REMEMBERED_BYTES else parse(xml)


_REMEMBERED_BYTES = 1 << 15
_remembered = lru_cache(maxsize=64)(lambda parse, xml: parse(xml))


def _hidden(f: Collector, name: str, state: str) -> None:
    how_vi = "ẩn sâu (very hidden)" if state == "veryHidden" else "ẩn"
    f.add("warning", "hidden_sheet",
          f"Trang {sheet_key(name)} bị {how_vi} trong bảng tính; trang vẫn được đọc, hãy kiểm tra đây là số liệu "
          f"cần gửi (bỏ ẩn trang trước khi gửi)",
          f"sheet {sheet_key(name)} is {state} in the workbook; it is still read: check that its data are meant to be "
          f"sent (unhide the sheet before sending)", sheet_key(name), value=name)


def _has_markers(archive: zipfile.ZipFile, part: str) -> bool:
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            data = tail + chunk
            if _may_hold_markers(data) and _MARKER.search(data):
                return True
            tail = data[-_OVERLAP:]
    return False


def _may_hold_markers(data: bytes) -> bool:
    """Bytes that every marker holds (`t="e` or `t='e`; an `f` tag: `f>`, `<f` or `:f`), looked
    for first: each is a scan in C, the marker pattern is many times slower on a sheet without any."""
    return b't="e' in data or b"t='e" in data or (b"f" in data and (b"f>" in data or b"<f" in data or b":f" in data))


def _scan_cells(archive: zipfile.ZipFile, part: str, sheet: str, f: Collector) -> None:
    with archive.open(part) as stream:
        for _event, cell in ET.iterparse(stream, events=("end",)):
            if cell.tag != f"{_MAIN}c":
                if cell.tag == f"{_MAIN}row":
                    cell.clear()
                continue
            formula = cell.find(f"{_MAIN}f")
            value = cell.find(f"{_MAIN}v")
            if cell.get("t") == "e":
                _error_cell(f, sheet, cell.get("r", ""), (value.text if value is not None else None) or "#N/A")
            elif formula is not None and _no_value(cell.get("t"), value):
                _formula_cell(f, sheet, cell.get("r", ""), formula.text or "")


def _no_value(kind: str | None, value: ET.Element | None) -> bool:
    """No stored value: no `<v>`, or an empty one on a cell that is not a (possibly empty) string
    (Excel stores a formula's empty-text result as `t="str"` with `<v></v>`)."""
    if value is None:
        return True
    return not (value.text or "").strip() and kind not in ("str", "s", "inlineStr")


def _where(ref: str) -> tuple[str | None, int | None]:
    m = _CELL_REF.fullmatch(ref)
    return (m.group(1), int(m.group(2))) if m else (None, None)


def _error_cell(f: Collector, sheet: str, ref: str, text: str) -> None:
    column, row = _where(ref)
    f.add("error", "excel_error_value",
          f"Trang {sheet}, ô {ref}: giá trị lỗi Excel {text}; hãy sửa công thức hoặc nhập giá trị",
          f"sheet {sheet}, cell {ref}: Excel error value {text}; fix the formula or type the value",
          sheet, row, column, text)


def _formula_cell(f: Collector, sheet: str, ref: str, formula: str) -> None:
    column, row = _where(ref)
    shown = "=" + formula if formula else "(công thức dùng chung / shared formula)"
    f.add("error", "formula_without_value",
          f"Trang {sheet}, ô {ref}: công thức {shown} không có giá trị đã lưu (tệp chưa được Excel tính và lưu); "
          f"hãy mở tệp bằng Excel, lưu lại, hoặc nhập giá trị",
          f"sheet {sheet}, cell {ref}: the formula {shown} has no stored value (the file was not calculated and "
          f"saved by Excel); open and save it in Excel, or type the value", sheet, row, column, shown)

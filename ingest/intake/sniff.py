"""Naming a wrong format from its bytes, and saying what to send instead (`wrong_format`, the
detected format as the value): an OpenDocument sheet (.ods: a zip whose `mimetype` entry says
so), an Excel binary workbook (.xlsb: a zip with `xl/workbook.bin`), an old Excel 97-2003 book
(.xls: an OLE2 file with a `Workbook`/`Book` stream), and a CSV separated by `;` or tabs (its
header splits into the contract's columns on that character but not on `,`). Without this they
read as "sheet missing" / "no header row", which tells the sender nothing."""

from __future__ import annotations

import csv
import io
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.intake.collect import Collector
from ingest.intake.filecheck import kind_of

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_SAVE_XLSX_VI = "hãy mở tệp và chọn 'Lưu thành' (Save As) định dạng Sổ làm việc Excel (.xlsx) rồi gửi lại"
_SAVE_XLSX_EN = "open it and 'Save As' an Excel Workbook (.xlsx), then send that"
_SAVE_CSV_VI = "hãy lưu lại dạng 'CSV UTF-8 (phân cách bằng dấu phẩy)' hoặc gửi bảng tính .xlsx"
_SAVE_CSV_EN = "save it as 'CSV UTF-8 (comma delimited)' or send the .xlsx workbook instead"
FORMATS = {  # detected format → (Vietnamese, English) name
    "ods": ("bảng tính OpenDocument (.ods, LibreOffice/OpenOffice)", "an OpenDocument spreadsheet (.ods)"),
    "xlsb": ("sổ làm việc nhị phân Excel (.xlsb)", "an Excel binary workbook (.xlsb)"),
    "xls": ("bảng tính Excel 97-2003 cũ (.xls)", "an old Excel 97-2003 workbook (.xls)"),
    "csv_semicolon": ("tệp CSV phân cách bằng dấu chấm phẩy ';'", "a CSV separated by semicolons ';'"),
    "csv_tab": ("tệp CSV phân cách bằng dấu tab", "a CSV separated by tabs"),
}
DELIMITERS = {";": "csv_semicolon", "\t": "csv_tab"}


def wrong_format(f: Collector, detected: str, sheet: str | None = None) -> None:
    vi, en = FORMATS[detected]
    is_csv = detected.startswith("csv_")
    f.add("error", "wrong_format",
          f"Tệp {'trang ' + sheet if sheet else 'này'} là {vi}, không phải định dạng được nhận; "
          f"{_SAVE_CSV_VI if is_csv else _SAVE_XLSX_VI}.",
          f"{'the file of sheet ' + sheet if sheet else 'this file'} is {en}, not an accepted format; "
          f"{_SAVE_CSV_EN if is_csv else _SAVE_XLSX_EN}.",
          sheet=sheet, value=detected)


def zip_format(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """`ods` or `xlsb` for a zip that is one of these, else None."""
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "mimetype" in names:
        info = archive.getinfo("mimetype")
        if info.file_size <= 200 and archive.read(info).strip().startswith(ODS_MIMETYPE):
            return "ods"
    return None


def ole_format(path: Path) -> str | None:
    """`xls` for an OLE2 file holding an Excel 97-2003 book (a `Workbook` or `Book` stream) and
    not an encrypted package (a password-protected .xlsx is OLE2 too), else None."""
    data = path.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data:
        return None
    if "Workbook".encode("utf-16-le") in data or "Book\x00".encode("utf-16-le") in data:
        return "xls"
    return None


def member_kind(info: zipfile.ZipInfo) -> tuple[str, str] | None:
    """A zip entry that is a link, a device, a pipe or a socket (Unix mode in external_attr)."""
    mode = info.external_attr >> 16
    if not stat.S_IFMT(mode) or stat.S_ISDIR(mode):
        return None
    return kind_of(mode)


def csv_delimiter(rows: list[list[Any]], has_header: Callable[[list[list[Any]]], bool]) -> str | None:
    """The detected format of CSV rows (read with `,`) whose header is found only when the lines
    are split on `;` or a tab; None when `,` already finds it, or no split does."""
    if has_header(rows):
        return None
    lines = [",".join("" if c is None else str(c) for c in row) for row in rows]
    for delimiter, detected in DELIMITERS.items():
        if has_header(list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))):
            return detected
    return None

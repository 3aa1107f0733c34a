"""Reproducible files: the same content gives the same bytes (fixed zip entry timestamps and
modes, fixed document properties), so generated submissions, templates and test corpora can be
compared and cached by hash. The one deterministic-zip helper of the project."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

FIXED_TIMESTAMP = datetime(2025, 1, 1, 0, 0, 0)
AUTHOR = "NTM data platform"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class StableZip(zipfile.ZipFile):
    """A zip whose entries carry a fixed timestamp and mode, so equal content gives equal bytes."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,  # noqa: D102
                 compresslevel: Any = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(str(zinfo_or_arcname), date_time=ZIP_TIME)
            info.compress_type = self.compression
            info.external_attr = 0o644 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None,  # noqa: D102
              compresslevel: Any = None) -> None:
        with open(filename, "rb") as handle:
            self.writestr(arcname or str(filename), handle.read(), compress_type, compresslevel)


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    """A deflated zip of `files` (name -> text, written as UTF-8, or bytes), in the given order."""
    buffer = io.BytesIO()
    with StableZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes of an openpyxl workbook, reproducibly: fixed document properties and zip
    timestamps (openpyxl's own save stamps the wall clock into both)."""
    wb.properties.creator = AUTHOR
    wb.properties.lastModifiedBy = AUTHOR
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    archive = StableZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    return buffer.getvalue()

"""Names that do not match their code: a tieu_chi_xa row whose commune code resolves but whose
name, compared without case, diacritics, punctuation or the unit type (`Xã`), is not the official
name of that code is the warning `name_mismatch` with the official name (the code wins; the name
is stored as written). When the name looks typed in a legacy Vietnamese encoding (TCVN3/ABC or
VNI, read as Windows-1252 characters such as `µ ¸ ¶ · ª ©` or `ä ë ï ö ø ñ`), the warning says so
and how to convert it (Unikey's converter, to Unicode)."""

from __future__ import annotations

import calendar
import re
from typing import Any

import pandas as pd

from ingest.intake import normalise as nz
from ingest.intake.admin_units import AdminUnits
from ingest.intake.collect import Collector

# Latin-1 characters that Vietnamese in Unicode never uses, but TCVN3 / VNI text read as
# Windows-1252 is full of (TCVN3: ¸ µ ¶ · ¹ ¨ © ª « ¬ ® ...; VNI: ä ë ï ö ø ñ å û ...).
_VIETNAMESE_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_LEGACY_RANGE = re.compile("[\u00a1-\u00ff]")
_UNICODE_VIETNAMESE = re.compile("[ăĂđĐơƠưƯ\u1ea0-\u1ef9\u0300-\u0323]")
_VNI_TONE = re.compile("[aeiouyAEIOUY][âêõøùûïäëöüåñ]")  # VNI: a base vowel, then its tone / hat as a byte
_TYPES = ("xa ", "phuong ", "thi tran ", "dac khu ")


def looks_legacy(text: str) -> bool:
    """True when `text` carries characters of TCVN3/VNI read as Windows-1252 and no Unicode
    Vietnamese letter (ă, đ, ơ, ư, the precomposed tones)."""
    if _UNICODE_VIETNAMESE.search(text):
        return False
    strange = any(ch not in _VIETNAMESE_LATIN1 for ch in _LEGACY_RANGE.findall(text))
    return strange or bool(_VNI_TONE.search(text))


def _bare(name: Any) -> str:
    k = nz.key(name)
    for prefix in _TYPES:
        if k.startswith(prefix):
            return k[len(prefix):]
    return k


def check_names(info: dict[str, Any], frames: dict[str, pd.DataFrame], admin: AdminUnits, f: Collector) -> None:
    period = info.get("period")
    xa = frames.get("tieu_chi_xa")
    if period is None or xa is None or xa.empty:
        return
    on = period.replace(day=calendar.monthrange(period.year, period.month)[1])
    for row, code, name in zip(xa["excel_row"].tolist(), xa["commune_code"].tolist(), xa["commune_name"].tolist(),
                               strict=True):
        if code is None or code is pd.NA or not isinstance(name, str) or not name:
            continue
        bare = _bare(name)
        if bare.replace(" ", "").isdigit():  # the code written again as a name ("Xã 15493"): nothing to compare
            continue
        unit = admin.unit(code, on)
        if unit is None or bare == _bare(unit.name):
            continue
        _mismatch(f, row, code, name, unit.name)


def _mismatch(f: Collector, row: int, code: str, name: str, official: str) -> None:
    vi = (f"Trang tieu_chi_xa, dòng {row}: tên '{name}' không khớp tên chính thức của mã {code} là '{official}'; "
          f"số liệu được ghi cho mã {code}")
    en = (f"sheet tieu_chi_xa, row {row}: the name {name!r} does not match the official name of code {code}, "
          f"{official!r}; the row is recorded under code {code}")
    if looks_legacy(name):
        vi += ("; tên có vẻ được gõ bằng bảng mã cũ (TCVN3/ABC hoặc VNI): hãy chuyển sang Unicode "
               "(ví dụ công cụ chuyển mã của Unikey) rồi gửi lại")
        en += ("; the name looks typed in a legacy Vietnamese encoding (TCVN3/ABC or VNI): convert it to "
               "Unicode (e.g. Unikey's converter) and send again")
    f.add("warning", "name_mismatch", vi, en, "tieu_chi_xa", row, "commune_name", name)

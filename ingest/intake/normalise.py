"""Pure normalisers for hand-made submissions (submission-format.md).

Every function takes one cell value as the reader found it (str from CSV; str, int, float, bool,
date or datetime from a workbook; None for an empty cell) and either returns the canonical value
or raises `NormaliseError` with a message in Vietnamese and English. Nothing else is raised.

Vietnamese number style writes thousands with `.` and decimals with `,`: `892.738` = 892738,
`8,65` = 8.65, `1.234,5` = 1234.5. A single `.` followed by exactly three digits is a thousands
separator (`892.738`); otherwise it is a decimal point (`8.65`, `0.125`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from ingest.contract import (
    CAPITAL_TYPES,
    CRITERIA_SETS,
    ENTITY_TYPES,
    GROUPS_148,
    GROUPS_1048,
    HARDSHIP,
    SOURCES,
    STATUSES,
    TITLES,
)
from ingest.intake.admin_units import fold


class NormaliseError(ValueError):
    """A value that cannot be normalised; `message_vi` / `message_en` say why, in plain words."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


# ---------------------------------------------------------------------------------------------
# text

# Control characters (except whitespace, handled by the collapse), soft hyphen, zero-width
# characters, bidi marks / embeddings / isolates, word joiners, BOM, interlinear annotations.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_EXCEL_EPOCH = date(1899, 12, 30)
_MIN_YEAR, _MAX_YEAR = 1900, 2100


def _describe(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def _scalar_text(value: Any) -> str:
    """A non-empty cell as text (numbers without a spurious `.0`); rejects other types."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise NormaliseError(f"Giá trị logic {value} không phải văn bản", f"boolean {value} is not text")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NormaliseError(f"Số không hợp lệ: {value}", f"not a finite number: {value}")
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    raise NormaliseError(f"Kiểu giá trị không hỗ trợ: {type(value).__name__}",
                         f"unsupported value type: {type(value).__name__}")


def clean_text(value: Any) -> str | None:
    """Text in NFC, without control characters or bidi marks, with whitespace collapsed to single
    spaces and trimmed; None when nothing is left."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= _CACHED_CHARS:
        return _clean_str(value)
    return _clean(value)


def _clean(value: Any) -> str | None:
    text = _INVISIBLE.sub("", _scalar_text(value))
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return text or None


# A sheet repeats the same short texts (labels, marks, names, units) row after row and file after
# file: their cleaned text and key are remembered (pure functions of the text).
_CACHED_CHARS = 200
_clean_str = lru_cache(maxsize=32_768)(_clean)


def key(value: Any) -> str:
    """The comparison key of a label: cleaned, folded (no case, no diacritics), punctuation to
    single spaces. `Ngân sách huyện, xã` -> `ngan sach huyen xa`, `ns_huyen_xa` -> `ns huyen xa`."""
    if isinstance(value, str) and len(value) <= _CACHED_CHARS:
        return _key_str(value)
    return _key(value)


def _key(value: Any) -> str:
    text = clean_text(value)
    if text is None:
        return ""
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


_PUNCTUATION = re.compile(r"[\W_]+")
_key_str = lru_cache(maxsize=32_768)(_key)


def is_empty(value: Any) -> bool:
    """An empty cell: None, or text with nothing visible in it."""
    if value is None:
        return True
    if isinstance(value, str):
        if value[:1].isalnum():  # no invisible character is a letter or a digit
            return False
        return not _INVISIBLE.sub("", value).strip()
    return False


# ---------------------------------------------------------------------------------------------
# numbers

_THOUSANDS_GROUPS = re.compile(r"[1-9]\d{0,2}(?:\d{3})*")
_NUMBER_CHARS = re.compile(r"[\d.,]+")
_EXPONENT = re.compile(r"\d[eE][+-]?\d")
_WHOLE_DECIMAL = re.compile(r"\d+\.0+")  # Excel's 395.0 written as text


def _grouped(int_part: str, sep: str) -> str:
    """`1.234.567` with `sep` = `.` -> `1234567`; raises unless every group after the first has
    exactly three digits."""
    groups = int_part.split(sep)
    first, rest = groups[0], groups[1:]
    if not (first.isdigit() and 1 <= len(first) <= 3 and all(len(g) == 3 and g.isdigit() for g in rest)):
        raise ValueError(int_part)
    return "".join(groups)


def _parse_number_text(text: str) -> float:
    body = text.replace(" ", "").replace("'", "")
    sign = -1.0 if body.startswith("-") else 1.0
    body = body[1:] if body[:1] in "+-" else body
    if not body or not _NUMBER_CHARS.fullmatch(body):
        raise ValueError(text)
    if "." in body and "," in body:
        dec = "." if body.rfind(".") > body.rfind(",") else ","
        thousands = "," if dec == "." else "."
        int_part, frac = body.rsplit(dec, 1)
        if dec in int_part or not frac.isdigit():
            raise ValueError(text)
        digits = f"{_grouped(int_part, thousands)}.{frac}"
    elif "," in body:
        if body.count(",") == 1:
            int_part, frac = body.split(",")
            if not frac.isdigit() or (int_part and not int_part.isdigit()):
                raise ValueError(text)
            digits = f"{int_part or '0'}.{frac}"
        else:
            digits = _grouped(body, ",")
    elif "." in body:
        if body.count(".") == 1:
            int_part, frac = body.split(".")
            if not frac.isdigit() or (int_part and not int_part.isdigit()):
                raise ValueError(text)
            if len(frac) == 3 and 1 <= len(int_part) <= 3 and int_part[0] != "0":
                digits = int_part + frac  # Vietnamese thousands: 892.738
            else:
                digits = f"{int_part or '0'}.{frac}"
        else:
            digits = _grouped(body, ".")
    else:
        digits = body
    return sign * float(digits)


def number(value: Any) -> float | None:
    """A number: Excel numbers as they are, text in Vietnamese (or plain) style. Empty or `-`
    -> None. NaN, infinity, exponents (`1e5`) and anything else -> NormaliseError."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise NormaliseError(f"'{value}' không phải là số", f"{value!r} is not a number")
    if isinstance(value, int | float):
        try:
            result = float(value)
        except OverflowError:
            result = math.inf
        if not math.isfinite(result):
            raise NormaliseError(f"Số không hợp lệ: {_describe(value)}", f"not a finite number: {_describe(value)}")
        return result
    if not isinstance(value, str):
        raise NormaliseError(f"'{_describe(value)}' không phải là số", f"{_describe(value)} is not a number")
    return _text_number(value) if len(value) > _CACHED_CHARS else _remembered_number(value)


def _text_number(value: str) -> float | None:
    text = clean_text(value)
    if text is None or text in ("-", "–"):
        return None
    if _EXPONENT.search(text):
        raise NormaliseError(f"'{_describe(text)}': không chấp nhận số dạng lũy thừa (1e5); hãy ghi đủ chữ số",
                             f"{_describe(text)!r}: exponent notation (1e5) is not accepted; write the digits")
    try:
        result = _parse_number_text(text)
    except ValueError:
        raise NormaliseError(
            f"'{_describe(text)}' không phải là số (ví dụ đúng: 892.738 hoặc 8,65)",
            f"{_describe(text)!r} is not a number (expected e.g. 892.738 or 8,65)") from None
    if not math.isfinite(result):
        raise NormaliseError(f"Số quá lớn: {_describe(text)}", f"number too large: {_describe(text)}")
    return result


# Amounts typed as text repeat from file to file ("36,3"): each is parsed once (a failure is not
# remembered: it is raised again each time).
_remembered_number = lru_cache(maxsize=32_768)(_text_number)


def integer(value: Any) -> int | None:
    """A whole number (`12`, `12.0`, `1.000` = 1000); empty -> None; `12,5` -> NormaliseError."""
    result = number(value)
    if result is None:
        return None
    if not result.is_integer():
        raise NormaliseError(f"'{_describe(value)}' không phải là số nguyên",
                             f"{_describe(value)!r} is not a whole number")
    if abs(result) > 2**31 - 1:
        raise NormaliseError(f"Số '{_describe(value)}' quá lớn", f"{_describe(value)!r} is too large")
    return int(result)


# ---------------------------------------------------------------------------------------------
# dates and periods

_DMY = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")


def _make_date(year: int, month: int, day: int, original: Any) -> date:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise NormaliseError(f"Năm {year} nằm ngoài khoảng {_MIN_YEAR}–{_MAX_YEAR}: '{_describe(original)}'",
                             f"year {year} outside {_MIN_YEAR}-{_MAX_YEAR}: {_describe(original)!r}")
    try:
        return date(year, month, day)
    except ValueError:
        raise NormaliseError(f"Ngày không tồn tại: '{_describe(original)}'",
                             f"no such date: {_describe(original)!r}") from None


def _from_serial(serial: float, original: Any) -> date:
    if not math.isfinite(serial) or not 1 <= serial < 73051:  # 1900-01-01 .. 2099-12-31
        raise NormaliseError(f"Số ngày Excel không hợp lệ: '{_describe(original)}'",
                             f"not a valid Excel date serial: {_describe(original)!r}")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def date_value(value: Any) -> date | None:
    """A date: a real date/datetime, an Excel serial number, `25/5/2023`, `25-05-2023`,
    `25.05.2023` or ISO `2023-05-25`. Empty -> None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _make_date(value.year, value.month, value.day, value)
    if isinstance(value, date):
        return _make_date(value.year, value.month, value.day, value)
    if isinstance(value, bool):
        raise NormaliseError(f"'{value}' không phải là ngày", f"{value!r} is not a date")
    if isinstance(value, int | float):
        return _from_serial(float(value), value)
    if not isinstance(value, str):
        raise NormaliseError(f"'{_describe(value)}' không phải là ngày", f"{_describe(value)} is not a date")
    text = clean_text(value)
    if text is None:
        return None
    if m := _DMY.fullmatch(text):
        return _make_date(int(m[3]), int(m[2]), int(m[1]), text)
    if m := _ISO.fullmatch(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    if _SERIAL.fullmatch(text):
        return _from_serial(float(text), text)
    raise NormaliseError(f"'{_describe(text)}' không phải là ngày (ví dụ đúng: 25/5/2023)",
                         f"{_describe(text)!r} is not a date (expected e.g. 25/5/2023)")


_PERIOD_YM = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})")
_PERIOD_MY = re.compile(r"(?:thang\s*|t\s*)?(\d{1,2})\s*[-/.]\s*(\d{4})")


def period(value: Any) -> date:
    """A reporting month -> its first day: `2023-05`, `05/2023`, `5/2023`, `tháng 5/2023`, a real
    date, or an ISO date. Required: empty -> NormaliseError; `0000-00` -> NormaliseError."""
    if isinstance(value, date):
        return date_value(value).replace(day=1)
    if value is None or not isinstance(value, str):
        raise NormaliseError(
            f"Kỳ báo cáo '{_describe(value)}' không hợp lệ (ghi dạng YYYY-MM hoặc MM/YYYY)",
            f"period {_describe(value)!r} is not valid (write YYYY-MM or MM/YYYY)")
    text = clean_text(value)
    folded = fold(text) if text else ""
    if text is not None and _ISO.fullmatch(text):
        return date_value(text).replace(day=1)
    m = _PERIOD_YM.fullmatch(folded)
    year, month = (int(m[1]), int(m[2])) if m else (None, None)
    if m is None and (m := _PERIOD_MY.fullmatch(folded)):
        year, month = int(m[2]), int(m[1])
    if year is None or not 1 <= month <= 12 or not _MIN_YEAR <= year <= _MAX_YEAR:
        raise NormaliseError(
            f"Kỳ báo cáo '{_describe(text)}' không hợp lệ (ghi dạng YYYY-MM hoặc MM/YYYY)",
            f"period {_describe(text)!r} is not valid (write YYYY-MM or MM/YYYY)")
    return date(year, month, 1)


# ---------------------------------------------------------------------------------------------
# marks

_MET = frozenset({"d", "dat", "x", "1", "✓", "✔", "☑", "true", "co"})
_NOT_MET = frozenset({"", "cd", "chua dat", "khong dat", "0", "-", "–", "false", "khong"})


def mark(value: Any) -> bool:
    """Met / not met: `Đ`, `Đạt`, `x`, `X`, `1`, `✓` -> True; empty, `CĐ`, `Chưa đạt`, `0`, `-`
    -> False (NFC or NFD, any case, with or without diacritics)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value == 1:
            return True
        if value == 0:
            return False
        raise NormaliseError(f"Đánh dấu '{_describe(value)}' không hợp lệ (dùng Đ hoặc CĐ)",
                             f"mark {_describe(value)!r} is not valid (use Đ for met, CĐ for not met)")
    if not isinstance(value, str):
        raise NormaliseError(f"Đánh dấu '{_describe(value)}' không hợp lệ", f"mark {_describe(value)} is not valid")
    text = clean_text(value) or ""
    folded = fold(text)
    if folded in _MET:
        return True
    if folded in _NOT_MET:
        return False
    raise NormaliseError(f"Đánh dấu '{_describe(text)}' không hợp lệ (dùng Đ hoặc CĐ)",
                         f"mark {_describe(text)!r} is not valid (use Đ for met, CĐ for not met)")


def estimate_mark(value: Any) -> bool:
    """The `is_estimate` column: a met mark, or `ước`, means an estimate; empty -> False."""
    if isinstance(value, str) and key(value) in ("uoc", "uoc tinh", "uoc thuc hien"):
        return True
    return mark(value)


# ---------------------------------------------------------------------------------------------
# codes


def code(value: Any, lengths: tuple[int, ...]) -> str | None:
    """A GSO code as text: spaces removed, full-width digits to ASCII, leading zeros kept, Excel's
    `395.0` -> `395`. A code shorter than the allowed lengths (a number that lost its leading
    zeros) is padded to the shortest allowed length it fits. Empty -> None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise NormaliseError(f"Mã '{value}' không hợp lệ", f"code {value!r} is not valid")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer() or value < 0:
            raise NormaliseError(f"Mã '{_describe(value)}' không hợp lệ", f"code {_describe(value)!r} is not valid")
        value = int(value)
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", value))
        text = "".join(text.split())
        if not text:
            return None
        if _WHOLE_DECIMAL.fullmatch(text):
            text = text.split(".")[0]
    else:
        raise NormaliseError(f"Mã '{_describe(value)}' không hợp lệ", f"code {_describe(value)!r} is not valid")
    allowed = " hoặc ".join(map(str, lengths))
    allowed_en = " or ".join(map(str, lengths))
    if not text.isascii() or not text.isdigit():
        raise NormaliseError(f"Mã '{_describe(text)}' phải gồm {allowed} chữ số",
                             f"code {_describe(text)!r} must be {allowed_en} digits")
    if len(text) not in lengths:
        fits = [n for n in sorted(lengths) if n > len(text)]
        if not fits:
            raise NormaliseError(f"Mã '{_describe(text)}' phải gồm {allowed} chữ số",
                                 f"code {_describe(text)!r} must be {allowed_en} digits")
        text = text.zfill(fits[0])
    return text


# ---------------------------------------------------------------------------------------------
# catalogues: by machine key or Vietnamese name (with or without diacritics)


def _catalogue(entries: Mapping[str, list[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, names in entries.items():
        for name in (canonical, *names):
            if table.setdefault(key(name), canonical) != canonical:
                raise AssertionError(f"{name!r} names both {table[key(name)]} and {canonical}")
    return table


_SOURCES = _catalogue({
    **{k: [v] for k, v in SOURCES.items() if k != "tong"},
    "ns_tw": [SOURCES["ns_tw"], "NSTW", "Ngân sách nhà nước Trung ương", "Vốn ngân sách Trung ương"],
    "ns_tinh": [SOURCES["ns_tinh"], "NS tỉnh", "Vốn ngân sách tỉnh"],
    "ns_huyen": [SOURCES["ns_huyen"], "NS huyện", "Vốn ngân sách huyện"],
    "ns_xa": [SOURCES["ns_xa"], "NS xã", "Vốn ngân sách xã"],
    "ns_huyen_xa": [SOURCES["ns_huyen_xa"], "Ngân sách huyện và xã", "Ngân sách huyện xã", "NS huyện, xã"],
    "doanh_nghiep": [SOURCES["doanh_nghiep"], "Doanh nghiệp", "Doanh nghiệp và hợp tác xã"],
    "nhan_dan": [SOURCES["nhan_dan"], "Nhân dân", "Nhân dân đóng góp", "Vốn nhân dân đóng góp"],
    "tong": ["Tổng", "Tổng cộng", "Tổng số", "Cộng"],
})
_GROUPS = _catalogue({g: [GROUPS_148[g], GROUPS_1048[g], f"Nhóm {g[1]}", g[1]] for g in GROUPS_148})
# A group name found in one catalogue only names that catalogue too (Thảo dược: Decision 1048's g3);
# codes, numbers and names both catalogues share (Thực phẩm, Đồ uống) name none.
_GROUP_CATALOGUE: dict[str, str] = {
    **{key(name): "148" for g, name in GROUPS_148.items() if key(name) != key(GROUPS_1048[g])},
    **{key(name): "1048" for g, name in GROUPS_1048.items() if key(name) != key(GROUPS_148[g])},
}
_TITLES = _catalogue({
    "ntm": [TITLES["ntm"], "Nông thôn mới", "Đạt chuẩn NTM", "Đạt chuẩn nông thôn mới"],
    "advanced": [TITLES["advanced"], "Nông thôn mới nâng cao", "NTMNC"],
    "model": [TITLES["model"], "Nông thôn mới kiểu mẫu", "NTMKM"],
    "none": ["Không", "Chưa đạt", "Chưa"],
})
_HARDSHIP = _catalogue({
    "kk": [HARDSHIP["kk"], "Xã khó khăn", "KK"],
    "dbkk": [HARDSHIP["dbkk"], "Xã đặc biệt khó khăn", "ĐBKK", "DBKK"],
})
_CAPITAL = _catalogue({
    "dtpt": [CAPITAL_TYPES["dtpt"], "ĐTPT", "Vốn đầu tư phát triển", "Đầu tư"],
    "sn": [CAPITAL_TYPES["sn"], "SN", "Vốn sự nghiệp"],
    "all": ["Không tách", "Tất cả", "Chung"],
})
_ENTITIES = _catalogue({
    "htx": [ENTITY_TYPES["htx"], "HTX"],
    "dn": [ENTITY_TYPES["dn"], "DN", "Công ty"],
    "tht": [ENTITY_TYPES["tht"], "THT"],
    "ho": [ENTITY_TYPES["ho"], "Hộ", "Hộ gia đình", "Hộ sản xuất", "Cơ sở sản xuất"],
})
_STATUSES = _catalogue({
    "preparing": [STATUSES["preparing"], "Đang hoàn thiện hồ sơ", "Đang chuẩn bị", "Chuẩn bị", "Chờ đánh giá"],
    "rated": [STATUSES["rated"], "Công nhận", "Được công nhận", "Đạt"],
    "re_rated": [STATUSES["re_rated"], "Đã công nhận lại", "re-rated", "rerated"],
    "expired": [STATUSES["expired"], "Đã hết hạn", "Hết hiệu lực"],
})
_CRITERIA_SETS = _catalogue({s: [s, s.replace("-", "–")] for s in CRITERIA_SETS})


def _lookup(table: dict[str, str], value: Any, what_vi: str, what_en: str, empty: str | None,
            required: bool = False) -> str | None:
    if isinstance(value, bool) or not (value is None or isinstance(value, str | int | float)):
        raise NormaliseError(f"{what_vi} '{_describe(value)}' không hợp lệ", f"{what_en} {_describe(value)!r} is not valid")
    if isinstance(value, float) and not math.isfinite(value):
        raise NormaliseError(f"{what_vi} '{_describe(value)}' không hợp lệ", f"{what_en} {_describe(value)!r} is not valid")
    k = key(value)
    if not k:
        if required:
            raise NormaliseError(f"Thiếu {what_vi.lower()}", f"{what_en} is missing")
        return empty
    found = table.get(k)
    if found is None:
        raise NormaliseError(f"{what_vi} '{_describe(clean_text(value))}' không có trong danh mục",
                             f"{what_en} {_describe(clean_text(value))!r} is not in the list")
    return found


def funding_source(value: Any) -> str:
    """`ns_tw` ... `khac`, `ns_huyen_xa` (combined district and commune budgets) or `tong` (a
    total row), by code or Vietnamese name."""
    return _lookup(_SOURCES, value, "Nguồn vốn", "funding source", None, required=True)


def ocop_group(value: Any) -> str:
    """`g1`..`g6` by code, number or name from either catalogue (Decision 148 or 1048)."""
    return _lookup(_GROUPS, value, "Nhóm sản phẩm", "OCOP product group", None, required=True)


def ocop_group_named(value: Any) -> tuple[str, str | None]:
    """The group code (`ocop_group`) and the catalogue (`148` / `1048`) its name belongs to when
    the value is a name of one catalogue only; None for a code, a number or a shared name (the
    catalogue then follows from the decision date: ingest.intake.rules.ocop_catalogue)."""
    group = ocop_group(value)
    return group, _GROUP_CATALOGUE.get(key(value))


def title(value: Any) -> str:
    """Commune / district title: empty -> `none`; `NTM` -> `ntm`; `NTM nâng cao` -> `advanced`;
    `NTM kiểu mẫu` -> `model`."""
    return _lookup(_TITLES, value, "Danh hiệu", "title", "none")


def hardship(value: Any) -> str | None:
    """`kk` (khó khăn) / `dbkk` (đặc biệt khó khăn); empty -> None."""
    return _lookup(_HARDSHIP, value, "Xã khó khăn", "hardship", None)


def capital_type(value: Any) -> str:
    """`dtpt` (đầu tư phát triển) / `sn` (sự nghiệp); empty -> `all` (not split)."""
    return _lookup(_CAPITAL, value, "Loại vốn", "capital type", "all")


def entity_type(value: Any) -> str | None:
    """`htx` / `dn` / `tht` / `ho` by key or Vietnamese name; empty -> None."""
    return _lookup(_ENTITIES, value, "Loại hình chủ thể", "entity type", None)


def ocop_status(value: Any) -> str:
    """`preparing` / `rated` / `re_rated` / `expired` by key or Vietnamese label (required)."""
    return _lookup(_STATUSES, value, "Trạng thái", "OCOP status", None, required=True)


def criteria_set(value: Any) -> str | None:
    """`2021-2025` or `2016-2020`; empty -> None (the reader then takes the set in force for the
    period: ingest.intake.rules.criteria_set_in_force)."""
    return _lookup(_CRITERIA_SETS, value, "Bộ tiêu chí", "criteria set", None)

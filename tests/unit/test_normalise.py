"""The normalisers: examples from submission-format.md and properties (hypothesis)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.contract import GROUPS_148, GROUPS_1048, SOURCES, STATUSES
from ingest.intake import normalise as nz
from ingest.intake.normalise import NormaliseError

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731

# Any cell value a reader could hand over, and some it should never (to prove the contract).
cells = st.one_of(
    st.none(), st.text(max_size=30), st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.dates(), st.datetimes(),
    st.times(), st.timedeltas(), st.binary(max_size=5), st.lists(st.integers(), max_size=2),
    st.sampled_from(["892.738", "1.234,5", "8,65", "Đ", "CĐ", "25/5/2023", "2023-05", "tong", "g3",
                     "NTM nâng cao", "１２３", "1e5", "-", "0000-00", "31/02/2023", "٣"]),
)

NORMALISERS: list[Callable[[Any], Any]] = [
    nz.clean_text, nz.number, nz.integer, nz.date_value, nz.period, nz.mark, nz.estimate_mark,
    lambda v: nz.code(v, (5,)), lambda v: nz.code(v, (2, 3, 5)), nz.funding_source, nz.ocop_group, nz.title,
    nz.hardship, nz.capital_type, nz.entity_type, nz.ocop_status, nz.criteria_set,
]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(NORMALISERS), cells)
def test_any_input_normalises_or_raises_normalise_error(fn: Callable[[Any], Any], value: Any) -> None:
    try:
        fn(value)
    except NormaliseError as exc:
        assert exc.message_vi and exc.message_en


# --- text


def test_clean_text_nfc_whitespace_and_invisible_characters() -> None:
    assert nz.clean_text(NFD("  Xã  Thọ\tXuân \n")) == "Xã Thọ Xuân"
    assert nz.clean_text("a\u200bb\u202ec\u200fd\ufeff\x00e\u00ad") == "abcde"
    assert nz.clean_text(" \u00a0\u3000 ") is None
    assert nz.clean_text(None) is None
    assert nz.clean_text(395.0) == "395"
    assert nz.clean_text(date(2023, 5, 1)) == "2023-05-01"
    with pytest.raises(NormaliseError):
        nz.clean_text(float("nan"))


@given(st.text())
def test_clean_text_is_idempotent_nfc_and_trimmed(text: str) -> None:
    out = nz.clean_text(text)
    if out is None:
        return
    assert nz.clean_text(out) == out
    assert unicodedata.is_normalized("NFC", out)
    assert out == out.strip() and "  " not in out
    assert not any(unicodedata.category(ch) in ("Cc",) for ch in out)
    assert not any(ch in out for ch in "\u200b\u200e\u200f\u202a\u202e\u2066\ufeff")


def test_key_folds_case_diacritics_and_punctuation() -> None:
    assert nz.key("Ngân sách huyện, xã") == nz.key("ngan sach huyen xa") == nz.key(NFD("NGÂN SÁCH HUYỆN  XÃ"))
    assert nz.key("ns_huyen_xa") == "ns huyen xa"


# --- numbers


@pytest.mark.parametrize("text, expected", [
    ("892.738", 892738), ("1.234,5", 1234.5), ("8,65", 8.65), ("52.627", 52627), ("716.825", 716825),
    ("1.234.567", 1234567), ("1,234,567", 1234567), ("1,234.5", 1234.5), ("8.65", 8.65), ("0.125", 0.125),
    ("12", 12), (" 1 234 ", 1234), ("-5,5", -5.5), ("+7", 7), ("0", 0), ("0,5", 0.5), (",5", 0.5),
    (NFD("1.000"), 1000),
])
def test_vietnamese_numbers(text: str, expected: float) -> None:
    assert nz.number(text) == expected


@pytest.mark.parametrize("text", ["12,3,4 triệu", "1e5", "1E-3", "2.5e3", "nan", "inf", "1.2.3,4,5", "1..2",
                                  "12.34.5", "abc", "1,2.3,4", "--1", "1.23.456", "=A1+B1", "1 triệu"])
def test_not_numbers_are_rejected(text: str) -> None:
    with pytest.raises(NormaliseError):
        nz.number(text)


def test_exponent_message_is_explicit() -> None:
    with pytest.raises(NormaliseError, match="exponent"):
        nz.number("1e5")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -math.inf, True, 10**400, b"1"])
def test_non_finite_and_non_numbers_are_rejected(value: Any) -> None:
    with pytest.raises(NormaliseError):
        nz.number(value)


def test_empty_and_dash_are_missing() -> None:
    assert nz.number(None) is None and nz.number("") is None and nz.number(" - ") is None


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_excel_floats_pass_through(x: float) -> None:
    assert nz.number(x) == x


def _vn(n: int, decimals: str = "") -> str:
    text = f"{n:,}".replace(",", ".")
    return f"{text},{decimals}" if decimals else text


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["", "5", "25", "125"]), st.booleans())
def test_vietnamese_style_round_trips(n: int, decimals: str, negative: bool) -> None:
    expected = float(f"{n}.{decimals}" if decimals else n) * (-1 if negative else 1)
    assert nz.number(("-" if negative else "") + _vn(n, decimals)) == expected


@given(st.integers(min_value=-(2**31) + 1, max_value=2**31 - 1))
def test_plain_integers_as_text_and_as_numbers(n: int) -> None:
    assert nz.number(str(n)) == n == nz.integer(n) == nz.integer(str(n))


def test_integer() -> None:
    assert nz.integer(12.0) == 12 and nz.integer("1.000") == 1000 and nz.integer(None) is None
    with pytest.raises(NormaliseError):
        nz.integer("12,5")
    with pytest.raises(NormaliseError, match="too large"):
        nz.integer(2**31)  # a PostgreSQL integer


# --- dates and periods


@pytest.mark.parametrize("value, expected", [
    ("25/5/2023", date(2023, 5, 25)), ("25-05-2023", date(2023, 5, 25)), ("25.05.2023", date(2023, 5, 25)),
    ("2023-05-25", date(2023, 5, 25)), ("2023-05-25 00:00:00", date(2023, 5, 25)), (45071, date(2023, 5, 25)),
    (45071.5, date(2023, 5, 25)), ("45071", date(2023, 5, 25)), (date(2023, 5, 25), date(2023, 5, 25)),
    (datetime(2023, 5, 25, 13, 30), date(2023, 5, 25)), (" 1/1/2020 ", date(2020, 1, 1)),
])
def test_dates(value: Any, expected: date) -> None:
    assert nz.date_value(value) == expected


@pytest.mark.parametrize("value", ["31/02/2023", "32/1/2023", "2023-13-01", "25/5/23", "hôm qua", 0, -3, 10**9,
                                   float("nan"), True, time(10, 0), timedelta(days=1), "1/1/1800"])
def test_bad_dates(value: Any) -> None:
    with pytest.raises(NormaliseError):
        nz.date_value(value)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_date_forms_agree(d: date) -> None:
    serial = (d - date(1899, 12, 30)).days
    assert nz.date_value(f"{d.day}/{d.month}/{d.year}") == nz.date_value(f"{d.day:02d}-{d.month:02d}-{d.year}") \
        == nz.date_value(serial) == nz.date_value(d.isoformat()) == nz.date_value(d) == d


@pytest.mark.parametrize("value", ["2023-05", "05/2023", "5/2023", "2023/5", "tháng 5/2023", NFD("Tháng 05/2023"),
                                   date(2023, 5, 17), datetime(2023, 5, 1), "2023-05-01"])
def test_periods(value: Any) -> None:
    assert nz.period(value) == date(2023, 5, 1)


@pytest.mark.parametrize("value", ["0000-00", "2023-13", "13/2023", "2023-00", "tháng năm", "", None, 202305,
                                   "2023-5-40"])
def test_bad_periods(value: Any) -> None:
    with pytest.raises(NormaliseError):
        nz.period(value)


@given(st.integers(min_value=1900, max_value=2100), st.integers(min_value=1, max_value=12))
def test_period_forms_agree(year: int, month: int) -> None:
    assert nz.period(f"{year}-{month:02d}") == nz.period(f"{month:02d}/{year}") == nz.period(f"{month}/{year}") \
        == date(year, month, 1)


# --- marks

MET = ["Đ", "Đạt", "x", "X", "1", "✓", 1, 1.0, True, "đạt", "ĐẠT", "Dat", " Đ "]
NOT_MET = [None, "", "  ", "CĐ", "Chưa đạt", "0", "-", 0, 0.0, False, "cđ", "CHƯA ĐẠT", "chua dat"]


@pytest.mark.parametrize("value", MET + [NFD(v) for v in MET if isinstance(v, str)])
def test_met_marks(value: Any) -> None:
    assert nz.mark(value) is True


@pytest.mark.parametrize("value", NOT_MET + [NFD(v) for v in NOT_MET if isinstance(v, str)])
def test_not_met_marks(value: Any) -> None:
    assert nz.mark(value) is False


@pytest.mark.parametrize("value", ["có lẽ", "2", 2, "xx", "ĐĐ", 0.5])
def test_bad_marks(value: Any) -> None:
    with pytest.raises(NormaliseError):
        nz.mark(value)


def test_estimate_mark() -> None:
    assert nz.estimate_mark("Ước") and nz.estimate_mark("x") and not nz.estimate_mark(None)


# --- codes


@pytest.mark.parametrize("value, lengths, expected", [
    (" 39 5 ", (3,), "395"), ("３９５", (3,), "395"), (395.0, (3,), "395"), ("395.0", (3,), "395"), (395, (3,), "395"),
    ("00004", (5,), "00004"), (4, (5,), "00004"), (1, (2,), "01"), ("38", (2, 3, 5), "38"), ("16279", (2, 3, 5), "16279"),
    ("1234", (2, 3, 5), "01234"), (None, (5,), None), ("  ", (5,), None), ("\u200b395", (3,), "395"),
])
def test_codes(value: Any, lengths: tuple[int, ...], expected: str | None) -> None:
    assert nz.code(value, lengths) == expected


@pytest.mark.parametrize("value, lengths", [("3951", (3,)), ("39a", (3,)), (395.5, (3,)), (-1, (3,)), (True, (3,)),
                                            ("123456", (2, 3, 5)), ("٣٩٥", (3,)), (float("inf"), (3,))])
def test_bad_codes(value: Any, lengths: tuple[int, ...]) -> None:
    with pytest.raises(NormaliseError):
        nz.code(value, lengths)


@given(st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_codes_keep_leading_zeros_in_every_form(digits: str) -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in digits)
    assert nz.code(digits, (5,)) == nz.code(f" {digits} ", (5,)) == nz.code(full_width, (5,)) \
        == nz.code(int(digits), (5,)) == nz.code(float(digits), (5,)) == digits


# --- catalogues


@pytest.mark.parametrize("code, name", [(k, v) for k, v in SOURCES.items()])
def test_sources_by_code_and_name(code: str, name: str) -> None:
    assert nz.funding_source(code) == nz.funding_source(name) == nz.funding_source(NFD(name.upper())) == code
    from ingest.intake.admin_units import fold
    assert nz.funding_source(fold(name)) == code  # without diacritics


def test_source_variants_and_errors() -> None:
    assert nz.funding_source("Ngân sách huyện và xã") == "ns_huyen_xa"
    assert nz.funding_source("Tổng cộng") == "tong"
    for bad in (None, "", "ngân sách thôn"):
        with pytest.raises(NormaliseError):
            nz.funding_source(bad)


@pytest.mark.parametrize("group", sorted(GROUPS_148))
def test_ocop_groups_from_both_catalogues(group: str) -> None:
    for name in (GROUPS_148[group], GROUPS_1048[group]):
        assert nz.ocop_group(name) == nz.ocop_group(NFD(name)) == nz.ocop_group(nz.key(name)) == group
    assert nz.ocop_group(group.upper()) == nz.ocop_group(int(group[1])) == group


@pytest.mark.parametrize("value, expected", [
    # a name of one catalogue only names the catalogue too
    ("Thảo dược", ("g3", "1048")), ("Dược liệu và sản phẩm từ dược liệu", ("g3", "148")),
    ("Vải và may mặc", ("g4", "1048")), (NFD("vai va may mac"), ("g4", "1048")),
    ("Hàng thủ công mỹ nghệ", ("g4", "148")), ("HANG THU CONG MY NGHE", ("g4", "148")),
    ("Sinh vật cảnh", ("g5", "148")), ("Lưu niệm - nội thất - trang trí", ("g5", "1048")),
    ("Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch", ("g6", "148")),
    ("Dịch vụ du lịch cộng đồng và điểm du lịch", ("g6", "1048")),
    # codes, numbers and the names both catalogues share name no catalogue
    ("g4", ("g4", None)), ("G3", ("g3", None)), (4, ("g4", None)), ("Nhóm 5", ("g5", None)),
    ("Thực phẩm", ("g1", None)), ("Đồ uống", ("g2", None)),
])
def test_ocop_group_names_their_catalogue(value, expected) -> None:
    assert nz.ocop_group_named(value) == expected


def test_ocop_group_named_rejects_what_ocop_group_rejects() -> None:
    for bad in (None, "", "g7", "Vải"):
        with pytest.raises(NormaliseError):
            nz.ocop_group_named(bad)


def test_titles_hardship_capital_entities_statuses_sets() -> None:
    assert [nz.title(v) for v in (None, "", "NTM", "NTM nâng cao", NFD("ntm KIỂU MẪU"), "ntm kieu mau", "advanced")] \
        == ["none", "none", "ntm", "advanced", "model", "model", "advanced"]
    assert [nz.hardship(v) for v in (None, "kk", "KK", "ĐBKK", "dbkk", "Đặc biệt khó khăn", "khó khăn")] \
        == [None, "kk", "kk", "dbkk", "dbkk", "dbkk", "kk"]
    assert [nz.capital_type(v) for v in (None, "dtpt", "ĐTPT", "Đầu tư phát triển", "sn", "Sự nghiệp")] \
        == ["all", "dtpt", "dtpt", "dtpt", "sn", "sn"]
    assert [nz.entity_type(v) for v in (None, "HTX", "Hợp tác xã", "dn", "Doanh nghiệp", "tht", "Tổ hợp tác",
                                        "ho", "Hộ kinh doanh")] == [None, "htx", "htx", "dn", "dn", "tht", "tht", "ho", "ho"]
    for k, label in STATUSES.items():
        assert nz.ocop_status(k) == nz.ocop_status(label) == nz.ocop_status(NFD(label.lower())) == k
    # empty: no set named (the reader fills the set in force for the period)
    assert nz.criteria_set(None) is None and nz.criteria_set(" ") is None
    assert nz.criteria_set("2016–2020") == "2016-2020" and nz.criteria_set("2021-2025") == "2021-2025"
    for fn, bad in ((nz.title, "NTM siêu"), (nz.hardship, "rất khó"), (nz.capital_type, "vay"),
                    (nz.entity_type, "cá nhân"), (nz.ocop_status, None), (nz.ocop_status, "đang xét"),
                    (nz.criteria_set, "2010-2015"), (nz.ocop_group, "g7")):
        with pytest.raises(NormaliseError):
            fn(bad)

"""Values read under an assumption, each said out loud as a warning naming the cell or column.

Marks (submission-format.md lists `Đ`, `Đạt`, `x`, `X`, `1`, `✓` as met): the listed marks are
read silently, also with an emoji variation selector (`✓️`, `✔️`). Other symbols that can only
mean a tick (`√`, `✅`, `☑️`, `●`, `•`, `+`, `v`) are read as met with the warning
`assumed_mark` naming the cell; crosses (`✗`, `✘`, `☒`, `❌`) mean "met" on some forms and "not
met" on others, so they stay the error `bad_mark` (as does any other text).

Number style per column: text numbers are Vietnamese style by default (`1.234,5`; `2,500` = 2.5,
`2.500` = 2500). A column whose unambiguous values are English style (`1,234,567`, `1,234.5`,
`2.75`) is read in that style, so its ambiguous values (`2,500`, `2.500`: one separator and three
digits after it) follow the column (2500, 2.5). The warning `ambiguous_number_style` (one per
column) says what was assumed when ambiguous values were read in English style, or when the
column's unambiguous values disagree (the majority wins; a tie is Vietnamese style)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ingest.intake import normalise as nz
from ingest.intake.collect import Collector


class Assumed(Exception):
    """A value read under an assumption: `value` is used, and a warning `check` is recorded."""

    def __init__(self, value: Any, check: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.value, self.check, self.message_vi, self.message_en = value, check, message_vi, message_en


_SELECTORS = re.compile("[\ufe0e\ufe0f]")
_TICKS = frozenset("√✅●•+vV") | {"☑"}
_CROSSES = frozenset("✗✘☒❌❎")


def mark(value: Any) -> bool:
    """nz.mark, plus tick symbols read as met under the warning `assumed_mark`."""
    if isinstance(value, str) and len(value) <= 64:
        return _remembered_mark(value)
    return _mark(value)


def _mark(value: Any) -> bool:
    try:
        return nz.mark(value)
    except nz.NormaliseError:
        if not isinstance(value, str):
            raise
        text = (nz.clean_text(_SELECTORS.sub("", value)) or "").strip()
        if text != value.strip():
            return nz.mark(text)  # a listed mark with a variation selector: as listed
        if text in _TICKS:
            raise Assumed(True, "assumed_mark",
                          f"ký hiệu '{text}' được hiểu là Đạt (chỉ Đ, Đạt, x, X, 1, ✓ là dấu quy định)",
                          f"the symbol {text!r} was read as met (only Đ, Đạt, x, X, 1, ✓ are listed marks)") from None
        if text in _CROSSES:
            raise nz.NormaliseError(
                f"Ký hiệu '{text}' không rõ nghĩa (có nơi là Đạt, có nơi là Chưa đạt): dùng Đ hoặc CĐ",
                f"the symbol {text!r} is ambiguous (met on some forms, not met on others): use Đ or CĐ") from None
        raise


# The same few marks fill every criteria sheet: each text is read once (an Assumed or an error is
# not remembered: it is raised again each time).
_remembered_mark = lru_cache(maxsize=4096)(_mark)


# ---------------------------------------------------------------------------------------------
# number style

_EN = (re.compile(r"[+-]?\d{1,3}(,\d{3}){2,}(\.\d+)?"), re.compile(r"[+-]?\d{1,3}(,\d{3})+\.\d+"),
       re.compile(r"[+-]?\d*\.(\d{1,2}|\d{4,})"), re.compile(r"[+-]?0\.\d+"))
_VI = (re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}(,\d+)?"), re.compile(r"[+-]?\d{1,3}(\.\d{3})+,\d+"),
       re.compile(r"[+-]?\d*,(\d{1,2}|\d{4,})"), re.compile(r"[+-]?0,\d+"))
_AMBIGUOUS = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")
_SWAP = str.maketrans({",": ".", ".": ","})


@lru_cache(maxsize=32_768)  # amounts typed as text repeat from file to file
def _style(text: str) -> str | None:
    if _AMBIGUOUS.fullmatch(text):
        return "?"
    if any(p.fullmatch(text) for p in _EN):
        return "en"
    if any(p.fullmatch(text) for p in _VI):
        return "vi"
    return None


def column_normaliser(sheet: str, column: str, normalise: Callable[[Any], Any], values: list[Any],
                      rows: list[int], f: Collector) -> Callable[[Any], Any]:
    """The normaliser of a number column in the style its values show (see the module's doc)."""
    if normalise not in (nz.number, nz.integer):
        return normalise
    counts = {"en": 0, "vi": 0, "?": 0}
    first_ambiguous: tuple[int, str] | None = None
    for value, row in zip(values, rows, strict=True):
        if isinstance(value, str) and (style := _style(value.replace(" ", "").strip())):
            counts[style] += 1
            if style == "?" and first_ambiguous is None:
                first_ambiguous = (row, value)
    english = counts["en"] > counts["vi"]
    if (counts["en"] and counts["vi"]) or (english and counts["?"]):
        _warn(sheet, column, counts, english, first_ambiguous, f)
    if not english:
        return normalise
    return lambda value: normalise(value.translate(_SWAP) if isinstance(value, str) else value)


def _warn(sheet: str, column: str, counts: dict[str, int], english: bool, example: tuple[int, str] | None,
          f: Collector) -> None:
    row, value = example if example else (None, None)
    style_vi = "kiểu Anh (1,234.5: dấu phẩy ngăn nghìn)" if english else "kiểu Việt (1.234,5: dấu chấm ngăn nghìn)"
    style_en = "English style (1,234.5: comma thousands)" if english else "Vietnamese style (1.234,5: dot thousands)"
    shown = f"; ví dụ '{value}' đọc là {nz.number(value.translate(_SWAP) if english else value):g}" if value else ""
    shown_en = f"; e.g. {value!r} read as {nz.number(value.translate(_SWAP) if english else value):g}" if value else ""
    f.add("warning", "ambiguous_number_style",
          f"Trang {sheet}, cột {column}: số viết theo hai kiểu ({counts['en']} kiểu Anh, {counts['vi']} kiểu Việt, "
          f"{counts['?']} không rõ); cả cột được đọc theo {style_vi}{shown}",
          f"sheet {sheet}, column {column}: numbers are written in two styles ({counts['en']} English, {counts['vi']} "
          f"Vietnamese, {counts['?']} ambiguous); the whole column was read in {style_en}{shown_en}",
          sheet, row, column, value)

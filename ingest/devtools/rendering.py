"""Synthetic content -> cell values: the clean machine form (keys as headers, codes, real numbers
and dates) or, with `messy`, how hand-made files look (submission-format.md): Vietnamese
labels in NFC, NFD or without diacritics, title rows above the header, Vietnamese number style,
dates as text or Excel serials, marks and names in their many spellings, a stray blank row, a
total row. Every messy choice is drawn from the file's own generator.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date
from typing import Any

from ingest.contract import (
    CAPITAL_TYPES,
    CATALOGUES,
    CRITERIA,
    ENTITY_TYPES,
    HARDSHIP,
    INDICATORS,
    SHEETS,
    SOURCES,
    STATUSES,
    THONG_TIN,
    TITLES,
)
from ingest.devtools.synthetic import Submission, short_name
from ingest.devtools.xlsx import EXCEL_EPOCH, Grid
from ingest.intake.admin_units import fold
from ingest.intake.rules import CATALOGUE_148_FROM

_MARKS_MET = ["Đ", "Đạt", "x", "X", "1", 1, "✓"]
_MARKS_NOT_MET = ["CĐ", "Chưa đạt", "0", 0, "-", None]


def vn_number(value: float) -> str:
    """Vietnamese style: `.` between thousands, `,` before decimals (892738 -> "892.738")."""
    whole, _, decimals = f"{value:,.1f}".partition(".")
    text = whole.replace(",", ".")
    return text if decimals == "0" else f"{text},{decimals}"


class Clean:
    """The machine form: keys as headers, codes, real numbers and dates."""

    messy = False

    def header(self, sheet: str, key: str) -> str:
        return key

    def value(self, sheet: str, key: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            if key == "is_estimate":
                return "x" if value else None
            return "Đ" if value else "CĐ"
        if key in ("ntm_title", "district_title"):
            return TITLES[value]
        if key == "period" and isinstance(value, date):
            return f"{value:%Y-%m}"
        return value


class Messy(Clean):
    """Hand-made looks; every choice is drawn from the file's own generator."""

    messy = True

    def __init__(self, r: random.Random) -> None:
        self.r = r
        self.header_style = {}

    def _text(self, text: str) -> str:
        r = self.r
        if r.random() < 0.4:
            text = unicodedata.normalize("NFD", text)
        if r.random() < 0.15:
            text = r.choice([" ", "  "]) + text
        if r.random() < 0.15:
            text = text + r.choice([" ", "  "])
        if r.random() < 0.1 and " " in text.strip():
            head, _, tail = text.partition(" ")
            text = f"{head}  {tail}"
        return text

    def header(self, sheet: str, key: str) -> str:
        style = self.header_style.setdefault(sheet, self.r.choice(["vi", "vi", "nfd", "ascii"]))
        label = SHEETS[sheet].get(key, key)
        if style == "nfd":
            return unicodedata.normalize("NFD", label)
        if style == "ascii":
            return fold(label).capitalize() if label[:1].isupper() else fold(label)
        return label

    def _date(self, value: date) -> Any:
        kind = self.r.random()
        if kind < 0.45:
            return f"{value.day}/{value.month}/{value.year}"
        if kind < 0.7:
            return (value - EXCEL_EPOCH).days
        return value

    def value(self, sheet: str, key: str, value: Any) -> Any:
        r = self.r
        if sheet == "thong_tin" and key == "period":
            return f"{value:%m/%Y}"
        if value is None:
            return None
        if isinstance(value, bool):
            if key == "is_estimate":
                return r.choice(["x", "X", "1", 1]) if value else None
            return r.choice(_MARKS_MET) if value else r.choice(_MARKS_NOT_MET)
        if isinstance(value, date):
            return self._date(value)
        if key in ("amount_mvnd", "value_mvnd"):
            return vn_number(value) if r.random() < 0.75 else value
        if key in ("criteria_met", "stars", "criterion", "version"):
            return str(value) if r.random() < 0.4 else value
        if key == "source":
            return self._text(SOURCES[value]) if r.random() < 0.8 else value
        if key == "product_group":
            return value  # replaced by the catalogue name in _ocop_group (needs the decision date)
        if key in ("ntm_title", "district_title"):
            return self._text(TITLES[value])
        if key in ("commune_name", "entity_name", "product_name", "prepared_by", "description",
                   "supporting_agency"):
            return self._text(value)
        if key == "status":
            return self._text(STATUSES[value]) if r.random() < 0.5 else value
        if key == "indicator":  # ke_hoach: the Vietnamese label, as hand-made plans write it
            return self._text(INDICATORS[value]) if r.random() < 0.7 else value
        if key == "entity_type":
            return self._text(ENTITY_TYPES[value]) if r.random() < 0.4 else value
        if key == "capital_type":
            return r.choice([CAPITAL_TYPES[value], value.upper(), value, value])
        if key == "hardship":
            return r.choice([HARDSHIP[value], f"Xã {HARDSHIP[value].lower()}", value.upper(), value])
        if key in ("commune_code", "unit_code", "province_code", "submitting_unit_code"):
            roll = r.random()
            if roll < 0.3 and not value.startswith("0"):
                return int(value)  # typed as a number: harmless without a leading zero
            if roll < 0.4:
                return f" {value} "
        return value


def cell_grid(sub: Submission, render: Clean) -> Grid:
    """Each sheet as rows of cell values, with the number of title rows above the header."""
    out: Grid = {}
    for sheet, table in sub.tables.items():
        rows: list[list[Any]] = []
        if render.messy:
            unit = sub.unit
            parent = "UBND TỈNH" if unit.level == "province" else "UBND HUYỆN"
            if unit.level == "district" and unit.unit_type != "Huyện":
                parent = f"UBND {unit.unit_type.upper()}"
            rows.append([f"{parent} {short_name(unit.name).upper()}"])
            rows.append([f"BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH NTM THÁNG {sub.period.month}"
                         f" NĂM {sub.period.year}"])
            if render.r.random() < 0.5:
                rows.append([f"(Kèm theo Báo cáo số {render.r.randint(10, 400)}/BC-UBND)"])
            rows.append([])
        titles = len(rows)
        if sheet == "thong_tin":
            rows.append([render.header(sheet, "key"), render.header(sheet, "value")])
            for row in table.rows:
                label = THONG_TIN[row["key"]] if render.messy else row["key"]
                rows.append([render._text(label) if render.messy else label,
                             render.value(sheet, row["key"], row["value"])])
        else:
            rows.append([render.header(sheet, key) for key in table.columns])
            for i, row in enumerate(table.rows):
                cells = [render.value(sheet, key, row[key]) for key in table.columns]
                if sheet == "ocop" and render.messy:
                    decided = row["decision_date"]
                    catalogue = CATALOGUES["148" if decided is None or decided >= CATALOGUE_148_FROM else "1048"]
                    cells[table.columns.index("product_group")] = render._text(catalogue[row["product_group"]])
                if render.messy and i == len(table.rows) // 2 and render.r.random() < 0.3:
                    rows.append([])  # a stray blank row
                rows.append(cells)
            if sheet == "tieu_chi_xa" and render.messy:
                total: list[Any] = [None, "Tổng cộng"]
                total += [sum(1 for row in table.rows if row[k]) for k in CRITERIA]
                total += [sum(row["criteria_met"] for row in table.rows), None, None, None, None]
                rows.append(total)
        out[sheet] = (rows, titles)
    return out

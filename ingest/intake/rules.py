"""The programme's rules that depend on dates and unit types, in one place (domain.md).

- Who takes part: only commune-level units of type xã. Wards (phường), townships (thị trấn) and,
  in the 2025 list, special zones (đặc khu) are urban and take no part in NTM.
- The criteria set in force: `2016-2020` for periods up to February 2022, `2021-2025` from March
  2022 (Decision 318/QĐ-TTg, 8 March 2022). A submission for a period from January 2023 on that
  still names `2016-2020` assesses itself against an outdated set (a warning).
- OCOP catalogues: Decision 1048/QĐ-TTg (2019) until 23 February 2023, Decision 148/QĐ-TTg from
  24 February 2023. A product keeps the catalogue under which it was rated; a group named by a
  name of one catalogue only fixes the catalogue, a bare code or a shared name takes the one in
  force on the decision date (148 for a product still being prepared or without a date).
- A recognition is valid 36 months from its decision date; 3-star products were recognised by
  the district until 30 June 2025 and by the province from 1 July 2025.

The dbt project repeats the dates as vars (`dbt_project/dbt_project.yml`); a test keeps them equal.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ingest.contract import CATALOGUE_FROM, CRITERIA_SETS

if TYPE_CHECKING:
    from ingest.intake.admin_units import AdminUnits, Unit

# Who takes part -------------------------------------------------------------------------------
RURAL_COMMUNE_TYPE = "Xã"
URBAN_TYPES_EN = {"Phường": "ward", "Thị trấn": "township", "Đặc khu": "special zone"}

# Criteria sets --------------------------------------------------------------------------------
CRITERIA_SET_2021, CRITERIA_SET_2016 = CRITERIA_SETS
CRITERIA_SET_2021_FROM = date(2022, 3, 1)     # first period assessed under Decision 318
OUTDATED_CRITERIA_SET_FROM = date(2023, 1, 1)  # from this period on, naming 2016-2020 is a warning

# OCOP -----------------------------------------------------------------------------------------
CATALOGUE_148 = "148"
CATALOGUE_1048 = "1048"
CATALOGUE_148_FROM = CATALOGUE_FROM[CATALOGUE_148]  # Decision 148/QĐ-TTg: 2023-02-24
OCOP_VALIDITY_MONTHS = 36
PROVINCE_RECOGNISES_3_STARS_FROM = date(2025, 7, 1)  # Decision 1489/QĐ-TTg; districts abolished


def is_rural_commune(unit: Unit) -> bool:
    """A commune-level unit that takes part in NTM: type xã (not a ward, township, special zone)."""
    return unit.level == "commune" and unit.unit_type == RURAL_COMMUNE_TYPE


def rural_communes(admin: AdminUnits, unit_code: str, on: date) -> list[Unit]:
    """The xã of a unit (district, province, or the commune itself) in the list in force on `on`."""
    return [u for u in admin.communes_of(unit_code, on) if is_rural_commune(u)]


def unit_type_en(unit_type: str | None) -> str:
    return URBAN_TYPES_EN.get(unit_type or "", unit_type or "unit")


def criteria_set_in_force(period: date) -> str:
    """`2016-2020` for periods up to 2022-02, `2021-2025` from 2022-03."""
    return CRITERIA_SET_2021 if period >= CRITERIA_SET_2021_FROM else CRITERIA_SET_2016


def is_outdated_criteria_set(criteria_set: str | None, period: date) -> bool:
    """A period from 2023-01 on assessed against the 2016-2020 set."""
    return criteria_set == CRITERIA_SET_2016 and period >= OUTDATED_CRITERIA_SET_FROM


def catalogue_in_force(decision_date: date | None, status: str | None = None) -> str:
    """The OCOP catalogue in force for a product: 1048 when decided before 2023-02-24, else 148
    (also for a product still `preparing`, or without a decision date)."""
    if status == "preparing" or decision_date is None or decision_date >= CATALOGUE_148_FROM:
        return CATALOGUE_148
    return CATALOGUE_1048


def ocop_catalogue(named: str | None, decision_date: date | None, status: str | None) -> str:
    """The catalogue of a product: the one its group's name belongs to when the name exists in
    one catalogue only (`named`), else the one in force on its decision date."""
    return named or catalogue_in_force(decision_date, status)

"""Synthetic `kieu_mau` (model villages and roads) and `ke_hoach` (the year's plan and
registrations) for the generator (ingest/devtools/synthetic.py), as closed-form functions of
(seed, unit, month) like the rest of the synthetic content:

- model villages: each xã has a few villages (thôn); once the xã holds the NTM title, some of
  them are recognised as model villages one after another, so the cumulative count only grows
  through the year (never falls); model roads likewise, each with a length in km. A village is
  "registered" in the year in which it will be recognised, from January of that year.
- the plan: sent in January (and with a unit's first submission of the year when the months
  generated start later), with the targets the unit sets for the end of the year: its year-end
  levels plus some ambition. In about a third of the units the plan is corrected mid-year (June
  or July: a second `ke_hoach` in that month, targets brought back to what the year will reach).
  Registrations: the xã that will reach advanced (or model) this year or the next.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ingest.contract import KE_HOACH, KIEU_MAU
from ingest.intake.admin_units import Unit

NEVER = 10**6


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _villages(seed: int, list_name: str, code: str, ntm_from: int, kind: str) -> list[tuple[int, float]]:
    """(month of recognition, length km) of the xã's model villages or roads, in order."""
    from ingest.devtools.synthetic import rng

    if ntm_from >= NEVER:
        return []
    r = rng(seed, "kieu_mau", kind, list_name, code)
    count = r.randint(0, 6) if kind == "village" else r.randint(0, 4)
    out, at = [], ntm_from + r.randint(3, 18)
    for _ in range(count):
        out.append((at, round(r.uniform(0.4, 3.5), 1)))
        at += r.randint(2, 14)
    return out


def models_table(seed: int, list_name: str, communes: list[Unit], period: date, trajectory) -> list[dict[str, Any]]:
    """kieu_mau rows of the unit's xã at the end of `period` (only xã that have any)."""
    m = _month_index(period)
    year_end = _month_index(date(period.year, 12, 1))
    rows = []
    for u in communes:
        ntm_from = trajectory(seed, list_name, u.code).ntm_from
        villages = _villages(seed, list_name, u.code, ntm_from, "village")
        roads = _villages(seed, list_name, u.code, ntm_from, "road")
        held = [v for v in villages if v[0] <= m]
        registered = [v for v in villages if m < v[0] <= year_end]
        built = [x for x in roads if x[0] <= m]
        if not (held or registered or built):
            continue
        rows.append({"commune_code": u.code, "commune_name": u.name, "model_villages": len(held),
                     "model_villages_registered": len(registered) or None, "model_roads": len(built) or None,
                     "model_roads_km": round(sum(x[1] for x in built), 1) if built else None})
    return rows


def correction_month(seed: int, unit_code: str, year: int) -> int | None:
    """The month (6 or 7) in which the unit corrects its plan, or None (about two thirds)."""
    from ingest.devtools.synthetic import rng

    r = rng(seed, "plan_correction", unit_code, year)
    return r.choice([6, 7]) if r.random() < 0.35 else None


def sends_plan(seed: int, unit_code: str, period: date, first_month: int = 1) -> bool:
    """The plan goes with January (or the unit's first generated month of the year) and with the
    month of a correction."""
    return period.month == first_month or period.month == correction_month(seed, unit_code, period.year)


def plan_table(seed: int, list_name: str, submitter: Unit, communes: list[Unit], period: date, trajectory,
               ocop_rated_at_year_end: int, district_titled_this_year: bool | None) -> list[dict[str, Any]]:
    """ke_hoach rows: the year's targets of `submitter` (corrected ones from the correction month on)
    and the registrations of its xã."""
    from ingest.devtools.synthetic import rng

    year = period.year
    year_end = _month_index(date(year, 12, 1))
    fix = correction_month(seed, submitter.code, year)
    corrected = fix is not None and period.month >= fix
    r = rng(seed, "plan", submitter.code, year)
    trajectories = [(u, trajectory(seed, list_name, u.code)) for u in communes]
    ntm = sum(t.ntm_from <= year_end for _, t in trajectories)
    advanced = sum(t.advanced_from <= year_end for _, t in trajectories)
    model = sum(t.model_from <= year_end for _, t in trajectories)
    villages = sum(sum(v[0] <= year_end for v in _villages(seed, list_name, u.code, t.ntm_from, "village"))
                   for u, t in trajectories)
    roads = sum(sum(x[0] <= year_end for x in _villages(seed, list_name, u.code, t.ntm_from, "road"))
                for u, t in trajectories)

    def aim(level: int, ceiling: int | None = None) -> int:
        target = level if corrected else level + r.choice([0, 0, 1, 2])  # January: some ambition
        return min(target, ceiling) if ceiling is not None else target

    total = len(communes)
    targets = {"communes_ntm": aim(ntm, total), "communes_advanced": aim(advanced, ntm),
               "communes_model": aim(model, advanced), "model_villages": aim(villages),
               "model_roads": aim(roads), "ocop_products": aim(ocop_rated_at_year_end)}
    if district_titled_this_year:  # only a district that means to be recognised this year says so
        targets["district_ntm"] = 1
    note = "Điều chỉnh kế hoạch" if corrected else None
    rows = [{"year": year, "unit_code": submitter.code, "indicator": k, "target": v, "note": note}
            for k, v in targets.items()]
    next_end = _month_index(date(year + 1, 12, 1))
    for u, t in trajectories:
        if t.model_from <= next_end and t.model_from > year_end - 12:
            rows.append({"year": year, "unit_code": u.code, "indicator": "register_model", "target": 1, "note": None})
        elif t.advanced_from <= next_end and t.advanced_from > year_end - 12:
            rows.append({"year": year, "unit_code": u.code, "indicator": "register_advanced", "target": 1,
                         "note": None})
    return rows


KIEU_MAU_COLUMNS = list(KIEU_MAU)
KE_HOACH_COLUMNS = list(KE_HOACH)

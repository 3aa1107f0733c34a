"""The dbt seeds that hold the contract's code lists, written from the contract.

`python -m ingest.contract write-seeds` rewrites dbt_project/seeds/{funding_sources, ocop_groups,
title_levels, criteria, plan_indicators}.csv; `python -m ingest.contract check-seeds` exits 1 when a committed
seed differs from what the contract gives (tests/unit/test_contract.py runs the same comparison).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from ingest.contract.codes import FUNDING_SOURCES, OCOP_CATALOGUES, PLAN_INDICATORS, TITLE_LEVELS
from ingest.contract.criteria import ALL_CRITERIA, GROUPS

SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def _funding_sources() -> list[list[object]]:
    rows: list[list[object]] = [["source_code", "name_vi", "name_en", "is_state_budget", "sort_order"]]
    for order, s in enumerate(FUNDING_SOURCES, start=1):
        rows.append([s.code, s.name_vi, s.name_en, str(s.is_state_budget).lower(), order])
    return rows


def _ocop_groups() -> list[list[object]]:
    rows: list[list[object]] = [["catalogue", "decision", "valid_from", "group_code", "name_vi", "name_en"]]
    for c in OCOP_CATALOGUES:
        rows += [[c.catalogue, c.decision, c.valid_from.isoformat(), g.code, g.name_vi, g.name_en] for g in c.groups]
    return rows


def _title_levels() -> list[list[object]]:
    return [["title_code", "title_rank", "name_vi", "name_en"],
            *([t.code, t.rank, t.name_vi, t.name_en] for t in TITLE_LEVELS)]


def _criteria() -> list[list[object]]:
    rows: list[list[object]] = [["criteria_set", "level", "criterion_no", "criterion_code", "name_vi", "name_en",
                                 "group_no", "group_name_vi", "group_name_en"]]
    for c in ALL_CRITERIA:
        group = [c.group, *GROUPS[c.group]] if c.group is not None else ["", "", ""]
        rows.append([c.criteria_set, c.level, c.number, c.code, c.name_vi, c.name_en, *group])
    return rows


def _plan_indicators() -> list[list[object]]:
    return [["indicator", "name_vi", "name_en", "is_registration", "sort_order"],
            *([i.code, i.label, i.name_en, str(i.is_registration).lower(), order]
              for order, i in enumerate(PLAN_INDICATORS, start=1))]


SEEDS = {"funding_sources": _funding_sources, "ocop_groups": _ocop_groups, "title_levels": _title_levels,
         "criteria": _criteria, "plan_indicators": _plan_indicators}


def _csv(rows: Iterable[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def seed_texts() -> dict[str, str]:
    """Each seed's file name -> the CSV text the contract gives."""
    return {f"{name}.csv": _csv(rows()) for name, rows in SEEDS.items()}


def write_seeds(folder: Path = SEEDS_DIR) -> list[Path]:
    written = []
    for name, text in seed_texts().items():
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_seeds(folder: Path = SEEDS_DIR) -> list[str]:
    """The seeds whose committed file differs from the contract (missing files included)."""
    folder = Path(folder)
    return [name for name, text in seed_texts().items()
            if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]

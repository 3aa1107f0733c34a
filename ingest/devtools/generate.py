"""Realistic synthetic district submissions, from the real administrative lists.

What is generated, and how each figure evolves month to month, is described in
ingest/devtools/synthetic.py. The content is there, its cells ingest/devtools/rendering.py, the
workbook writer ingest/devtools/xlsx.py; known-bad variants ingest/devtools/bad_variants.py.

Only xã take part in NTM (domain.md, "Who takes part"): every row names a xã (criteria, funding,
OCOP, support), and a district without xã (an urban district, all wards) sends nothing.
From July 2025 (the 2025 list, no districts) the province submits for its communes.
`messy=True` renders the same content as hand-made files look (submission-format.md).
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from ingest.devtools.rendering import Clean, Messy, cell_grid
from ingest.devtools.reproducible import zip_bytes
from ingest.devtools.synthetic import Submission, build_submission, rng, submitting_units
from ingest.devtools.xlsx import Grid, xlsx_bytes
from ingest.intake.admin_units import package_units

__all__ = ["DEMO_SEED", "build_submission", "generate", "grid_of", "render", "submitting_units"]

# The seed of `ntm demo`, and `ntm generate`'s default: generating the months after the demo's
# continues its figures (every figure is a function of seed, unit and month), and `--version 2`
# of a demo month is a correction of the same district's report.
DEMO_SEED = 2023


def grid_of(sub: Submission, seed: int = 0, messy: bool = False) -> Grid:
    """The cell values of each sheet of `sub`, clean or messy (drawn from the file's own generator)."""
    renderer = Messy(rng(seed, "messy", sub.unit.code, sub.period.isoformat())) if messy else Clean()
    return cell_grid(sub, renderer)


def csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return buffer.getvalue()


def render(sub: Submission, out_dir: Path, seed: int = 0, messy: bool = False, fmt: str = "xlsx") -> Path:
    """Write one submission as `<out_dir>/<YYYY-MM>/<YYYY-MM>_<unit>_v<version>.<ext>`."""
    grid = grid_of(sub, seed, messy)
    folder = Path(out_dir) / f"{sub.period:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path = folder / f"{sub.name}.xlsx"
        path.write_bytes(xlsx_bytes(grid))
    elif fmt == "zip":
        path = folder / f"{sub.name}.zip"
        path.write_bytes(zip_bytes({f"{s}.csv": csv_text(rows) for s, (rows, _) in grid.items()}))
    elif fmt == "csv":
        path = folder / sub.name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
        for sheet, (rows, _) in grid.items():
            (path / f"{sheet}.csv").write_text(csv_text(rows), encoding="utf-8")
    else:
        raise ValueError(f"unknown format {fmt!r}: xlsx, zip or csv")
    return path


def generate(province: str, months: list[date], out_dir: Path, seed: int = 0, messy: bool = False,
             fmt: str = "xlsx", *, version: int = 1) -> list[Path]:
    """One submission per submitting unit and month of `province` (`"all"`: every province),
    written as `out_dir/<YYYY-MM>/<YYYY-MM>_<unit>_v<version>.<ext>`; returns the paths in
    (month, unit) order. Same seed, same bytes."""
    if version < 1:
        raise ValueError(f"version must be 1 or more, not {version}")
    admin = package_units()
    paths = []
    first_of_year: dict[int, int] = {}  # the year's plan goes with its first generated month too
    for month in sorted(months):
        first_of_year.setdefault(month.year, month.month)
    for month in months:
        period = month.replace(day=1)
        for unit in submitting_units(admin, province, period):
            sub = build_submission(admin, unit, period, seed, version, first_of_year[period.year])
            paths.append(render(sub, out_dir, seed, messy, fmt))
    return paths

"""Benchmark: start-up costs the tests used to assert on: loading the administrative-unit lists,
parsing the DAG folder (task and cosmos modes) and reading a messy district workbook.

    make bench   # or: .venv/bin/python -m benchmarks.parse_times [--files 8]

Targets (formerly wall-clock assertions in the tests): admin units < 1 s cold, DAG folder < 5 s,
reader well under 50 ms per workbook (250 ms tolerated on slow machines).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from ingest.config import load_settings
from ingest.devtools.generate import generate
from ingest.intake.reader import read_submission
from ingest.store.reference import load_admin_units
from tests.fixtures.dags import parse_dags


def admin_units_seconds() -> float:
    load_admin_units.cache_clear()
    started = time.perf_counter()
    load_admin_units()
    return time.perf_counter() - started


def dag_parse_seconds(tmp: Path, mode: str) -> float:
    """Seconds the DagBag spends on dags/ (measured inside a fresh interpreter)."""
    return parse_dags(tmp, NTM_DBT_MODE=mode)["seconds"]


def reader_ms_per_file(tmp: Path, files: int) -> float:
    admin = load_admin_units()
    paths = generate("38", [date(2023, 5, 1)], tmp, seed=3, messy=True)[:files]
    read_submission(paths[0], admin)  # warm up imports
    started = time.perf_counter()
    for path in paths:
        read_submission(path, admin)
    return (time.perf_counter() - started) * 1000 / len(paths)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=8, help="messy workbooks to read")
    args = ap.parse_args(argv)
    print(f"admin units: loaded in {admin_units_seconds():.3f} s (target < 1 s)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for mode in ("task", "cosmos"):
            if mode == "cosmos" and not (load_settings().dbt_target_dir / "manifest.json").exists():
                print("DAG folder parse (cosmos): skipped, no dbt manifest (run dbt parse)")
                continue
            (root / mode).mkdir()
            print(f"DAG folder parse ({mode}): {dag_parse_seconds(root / mode, mode):.3f} s (target < 5 s)")
        print(f"reader: {reader_ms_per_file(root / 'gen', args.files):.1f} ms per messy district workbook "
              "(target < 50 ms)")


if __name__ == "__main__":
    main()

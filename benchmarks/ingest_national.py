"""Benchmark: ingest a national month (every district of all 63 provinces, hand-made-looking
workbooks) and compare with the physical floor on the same files, in one run.

    make bench            # or: .venv/bin/python -m benchmarks.ingest_national [--month 2024-03] [--keep]

Prints, with their targets (issue 15, item 1) and MET / NOT MET:
- the floor: a bare calamine read of every sheet of every file + one COPY of the same rows;
- `ntm ingest` of the folder from a cold process (a fresh interpreter: imports included), its
  peak memory (the process and its reading workers together), and the ratio to the floor;
- the same files in-process after imports (what a warm Airflow worker pays), with the per-stage
  breakdown: receive, read (the reader in its worker processes), validate (Great Expectations),
  audit (reader runs, validation runs and findings), load (COPY into `validated`, moved into raw by the loader).
Each ingest uses its own fresh database on the local cluster (or the server of
NTM_DATABASE_URL), dropped afterwards unless --keep; both must accept every file and write the
same audit rows.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ingest import pipeline
from ingest.config import load_settings
from ingest.store import localdb
from ingest.store import statements as store
from ingest.store.db import migrate_all

COLD_TARGET_S = 10.0
WARM_TARGET_S = 5.0
PEAK_TARGET_MB = 1536


def _database(server_url: str) -> str:
    name = f"ntm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = conninfo_to_dict(server_url)
    info["dbname"] = name
    url = make_conninfo(**info)
    migrate_all(url)
    return url


def _drop(server_url: str, url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(conninfo_to_dict(url)["dbname"])))


def _calamine_floor(files: list[Path]) -> float:
    """Seconds to read every sheet of every workbook with calamine, nothing else."""
    import python_calamine

    t0 = time.perf_counter()
    for path in files:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        workbook.close()
    return time.perf_counter() - t0


def _copy_floor(url: str) -> tuple[float, int]:
    """Seconds to COPY every raw row again, in one transaction, into empty unlogged copies."""
    rows = 0
    with psycopg.connect(url) as conn:
        buffers = {}
        for table in store.RAW_COLUMNS:
            buf = io.BytesIO()
            raw_t, bench_t = sql.Identifier("raw", table), sql.Identifier(f"bench_{table}")
            with conn.cursor().copy(sql.SQL("COPY {} TO STDOUT").format(raw_t)) as cp:
                for chunk in cp:
                    buf.write(chunk)
            buffers[table] = buf.getvalue()
            rows += conn.execute(sql.SQL("SELECT count(*) FROM {}").format(raw_t)).fetchone()[0]
            conn.execute(sql.SQL("CREATE UNLOGGED TABLE {} (LIKE {})").format(bench_t, raw_t))
        conn.commit()
        t0 = time.perf_counter()
        for table, data in buffers.items():
            with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(f"bench_{table}"))) as cp:
                cp.write(data)
        conn.commit()
        return time.perf_counter() - t0, rows


class PeakMemory:
    """The largest resident memory of a process and its descendants together, sampled."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            total = 0
            try:
                for proc in [self.root, *self.root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()


def _cold(url: str, folder: Path) -> tuple[float, float, int, list[dict[str, Any]]]:
    """`ntm ingest` of the folder in a fresh interpreter: wall seconds, CPU seconds (the process
    and its reading workers), peak bytes, outcomes."""
    cmd = [str(Path(sys.executable).with_name("ntm")), "ingest", "--database-url", url, "--no-docs", "--json",
           str(folder)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    with PeakMemory(proc.pid) as peak:
        out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, peak.peak, json.loads(out)


def _cpu_of_tree() -> dict[int, float]:
    """CPU seconds so far of this process and each of its descendants, by pid."""
    me = psutil.Process()
    out = {}
    for proc in [me, *me.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            out[proc.pid] = times.user + times.system
        except psutil.Error:
            pass
    return out


STAGES = {  # stage → (module, attribute) whose calls it is; looked up at call time by the pipeline
    "read": [("ingest.intake.isolation", "read_isolated"), ("ingest.intake.isolation", "read_many"),
             ("ingest.intake.reader", "read_submission")],
    "validate": [("ingest.quality.validate", "validate_batch")],
    "audit": [("ingest.store.runs", "record_runs"), ("ingest.store.runs", "record_batch"),
              ("ingest.store.statements", "record_reader_run")],  # before 2026-12-07; now record_batch
    # COPY into `validated` (the validate step) and the move into raw (the load step); the names
    # of the code before 2026-12-02 (one COPY per file and table) are kept for a before/after run
    "load": [("ingest.store.statements", "stage_frames"), ("ingest.store.statements", "move_staged"),
             ("ingest.store.statements", "copy_frames")],
}


@contextmanager
def _stage_timers() -> Iterator[dict[str, float]]:
    """Seconds spent in each stage's functions (outermost calls only), by wrapping them."""
    import importlib

    spent: dict[str, float] = defaultdict(float)
    depth = [0]
    saved = []

    def timed(stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent[stage] += time.perf_counter() - t0
        return wrapper

    for stage, targets in STAGES.items():
        for module_name, attr in targets:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:  # an older version of the pipeline, for a before/after
                continue
            if hasattr(module, attr):
                saved.append((module, attr, getattr(module, attr)))
                setattr(module, attr, timed(stage, getattr(module, attr)))
    try:
        yield spent
    finally:
        for module, attr, fn in saved:
            setattr(module, attr, fn)


def _warm(url: str, files: list[Path], scratch_url: str) -> tuple[float, float, int, dict[str, float], list[Any]]:
    """The files in this process after imports (GX, the reader's workers, the lists) were paid
    by a one-file ingest into a scratch database: wall seconds, CPU seconds (this process and its
    workers), peak bytes, stages, outcomes."""
    pipeline.ingest_paths([str(files[0])], scratch_url, build_docs=False)
    before = _cpu_of_tree()
    with _stage_timers() as spent, PeakMemory(psutil.Process().pid) as peak:
        t0 = time.perf_counter()
        outs = pipeline.ingest_paths([str(f) for f in files], url, build_docs=False)
        wall = time.perf_counter() - t0
    after = _cpu_of_tree()
    cpu = sum(t - before.get(pid, 0.0) for pid, t in after.items())
    return wall, cpu, peak.peak, dict(spent), outs


def _audit_rows(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("audit", t))).fetchone()[0]
                for t in ("submission", "validation_run", "finding")}


def _verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--month", default="2024-03")
    ap.add_argument("--province", default="all")
    ap.add_argument("--clean", action="store_true", help="machine-made workbooks instead of hand-made-looking ones")
    ap.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    args = ap.parse_args()
    from ingest.devtools.generate import generate

    month = pipeline.month_of(args.month)
    server = localdb.resolve_url(load_settings())
    urls: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            files = generate(args.province, [month], Path(tmp), seed=1, messy=not args.clean)
            size = sum(f.stat().st_size for f in files)
            print(f"generated {len(files)} submissions ({size / 2**20:.1f} MB) in {time.perf_counter() - t0:.1f} s")
            t_read_floor = _calamine_floor(files)
            urls.append(cold_url := _database(server))
            t_cold, cpu_cold, cold_peak, cold_outs = _cold(cold_url, files[0].parent)
            print(f"cold ingest done in {t_cold:.1f} s ({cpu_cold:.1f} s CPU)", flush=True)
            urls.append(warm_url := _database(server))
            urls.append(scratch_url := _database(server))
            t_warm, cpu_warm, warm_peak, stages, warm_outs = _warm(warm_url, files, scratch_url)
        t_copy_floor, rows = _copy_floor(cold_url)
        floor = t_read_floor + t_copy_floor
        cold_ok = sum(o["status"] == "accepted" for o in cold_outs)
        warm_ok = sum(o.status == "accepted" for o in warm_outs)
        cold_audit, warm_audit = _audit_rows(cold_url), _audit_rows(warm_url)
        print(f"rows: {rows:,} in raw; accepted: cold {cold_ok}/{len(files)}, in-process {warm_ok}/{len(files)}")
        print(f"audit rows: cold {cold_audit}, in-process {warm_audit}"
              + ("" if cold_audit == warm_audit else "  (DIFFER)"))
        print(f"floor:      calamine read of every sheet {t_read_floor:.2f} s + one COPY {t_copy_floor:.2f} s "
              f"= {floor:.2f} s")
        print(f"load:       {os.getloadavg()[0]:.1f} (1-minute load average on {os.cpu_count()} cores; "
              f"wall times grow with it, CPU times much less)")
        print(f"cold:       `ntm ingest` of the folder {t_cold:.1f} s = {t_cold / floor:.1f}x the floor, "
              f"{cpu_cold:.1f} s CPU (target <= {COLD_TARGET_S:g} s wall: {_verdict(t_cold <= COLD_TARGET_S)})")
        print(f"in-process: after imports {t_warm:.1f} s = {t_warm / floor:.1f}x the floor, {cpu_warm:.1f} s CPU "
              f"(target <= {WARM_TARGET_S:g} s wall: {_verdict(t_warm <= WARM_TARGET_S)})")
        other = t_warm - sum(stages.values())
        print("  stages:   " + ", ".join(f"{k} {stages.get(k, 0):.1f} s" for k in STAGES)
              + f", receive and the rest {other:.1f} s")
        peak_mb = max(cold_peak, warm_peak) / 2**20
        print(f"peak memory: cold {cold_peak / 2**20:,.0f} MB, in-process {warm_peak / 2**20:,.0f} MB "
              f"(processes and reading workers together; target <= {PEAK_TARGET_MB:,} MB: "
              f"{_verdict(peak_mb <= PEAK_TARGET_MB)})")
    finally:
        if not args.keep:
            for url in urls:
                _drop(server, url)


if __name__ == "__main__":
    main()

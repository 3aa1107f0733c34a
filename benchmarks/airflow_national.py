"""Benchmark: a national month through the real Airflow scheduler vs the same month by `ntm run`.

    make bench-airflow     # or: .venv/bin/python -m benchmarks.airflow_national [--province all] [--executor celery]

Generates every district's submission for one month, starts the local Airflow (api-server,
scheduler, dag-processor, triggerer), triggers `ntm_monthly` through the REST API and waits for
it; then runs the same month with `ntm run` (the same functions, no Airflow) on a second fresh
database. Prints both times and the share of the Airflow run that is Airflow's own overhead, with
its target (issue 15, item 4: <= 25% of the run) and MET / NOT MET. `--executor celery` measures
the same on the Celery profile (local redis-server and two workers).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ingest import pipeline
from ingest.config import load_settings
from ingest.store import localdb
from ingest.store.db import migrate_all
from tests.fixtures.airflow import local_airflow
from tests.fixtures.database import create_database, drop_database

OVERHEAD_TARGET = 0.25


def print_timeline(tis: list[dict], run: dict) -> None:
    """Each task's start and end (seconds after the run was queued) and its duration: where the
    run's time went, and the gaps between tasks that are Airflow's own."""
    from datetime import datetime

    def at(stamp: str | None) -> float:
        return (datetime.fromisoformat(stamp) - datetime.fromisoformat(run["queued_at"])).total_seconds() if stamp else float("nan")

    print("task timeline (s after the run was queued): start -> end (duration)")
    for t in sorted(tis, key=lambda t: t.get("start_date") or ""):
        name = f"{t['task_id']}[{t['map_index']}]" if t["map_index"] >= 0 else t["task_id"]
        print(f"  {name:<22} {at(t.get('start_date')):7.1f} -> {at(t.get('end_date')):7.1f} "
              f"({t.get('duration') or 0:6.1f} s) {t['state']}")
    print(f"  run ends               {at(run.get('end_date')):7.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--month", default="2024-03")
    ap.add_argument("--province", default="all")
    ap.add_argument("--executor", choices=("local", "celery"), default="local")
    args = ap.parse_args()
    from ingest.devtools.generate import generate

    month = pipeline.month_of(args.month)
    server = localdb.resolve_url(load_settings())
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        files = generate(args.province, [month], inbox, seed=1)
        print(f"{len(files)} submissions for {month:%Y-%m}")
        warehouse, direct = create_database(server), create_database(server)
        try:
            migrate_all(warehouse)
            migrate_all(direct)
            with local_airflow(Path(tmp) / "state", warehouse, inbox, server, executor=args.executor) as af:
                af.client.wait_for_dag("ntm_monthly")
                af.client.unpause("ntm_monthly")
                t0 = time.perf_counter()
                run_id = af.client.trigger("ntm_monthly", {"month": f"{month:%Y-%m}"})
                run = af.client.wait_run("ntm_monthly", run_id, timeout=3600)
                t_airflow = time.perf_counter() - t0
                assert run["state"] == "success", af.client.task_states("ntm_monthly", run_id)
                print_timeline(af.client.task_instances("ntm_monthly", run_id), run)
            t0 = time.perf_counter()
            summary = pipeline.run_month(month, str(inbox), direct, build_docs=True)
            t_direct = time.perf_counter() - t0
        finally:
            drop_database(server, warehouse)
            drop_database(server, direct)
    share = (t_airflow - t_direct) / t_airflow
    print(f"through Airflow, {args.executor} executor (trigger -> success): {t_airflow:.0f} s")
    print(f"ntm run, same month, no Airflow:      {t_direct:.0f} s ({summary['accepted']} accepted)")
    print(f"Airflow overhead: {t_airflow - t_direct:.0f} s = {100 * share:.0f}% of the Airflow run "
          f"(target <= {100 * OVERHEAD_TARGET:.0f}%: {'MET' if share <= OVERHEAD_TARGET else 'NOT MET'})")


if __name__ == "__main__":
    main()

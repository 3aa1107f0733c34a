"""The DAGs a data engineer can read (issue 13, items 1, 3 and 4): the monthly DAG's param schema
refuses month 13 when the run is triggered; a monthly run triggers no rebuild (ntm_rebuild is
scheduled only on the hand-made `ntm.raw.late_loads` event); the watcher picks corrections up,
loads them and closes their months in one run; a run with missing districts ends `warning`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from tests.fixtures.dags import DAGS, _airflow_env

PARAMS = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from airflow.dag_processing.dagbag import BundleDagBag
    from airflow.sdk.definitions.param import ParamsDict
    bag = BundleDagBag(dag_folder=sys.argv[1], bundle_path=Path(sys.argv[1]))
    dag = bag.dags["ntm_monthly"]
    out = {}
    for month in ["2023-05", "2023-12", "2023-01", None, "2023-13", "2023-00", "2023-1", "May 2023", "2023-05x"]:
        try:
            params = ParamsDict(dag.params)
            params.update({"month": month})
            params.validate()
            out[str(month)] = "ok"
        except Exception as exc:
            out[str(month)] = type(exc).__name__
    rebuild = bag.dags["ntm_rebuild"]
    print(json.dumps({"params": out, "rebuild_on": sorted(a.name for a in rebuild.timetable.asset_condition.objects),
                      "watch_tasks": [t.task_id for t in bag.dags["ntm_raw_watch"].tasks]}))
""")


def _run(tmp_path: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", PARAMS, str(DAGS)], capture_output=True, text=True,
                         env=_airflow_env(tmp_path), timeout=180)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_the_param_schema_refuses_month_13_and_the_rebuild_waits_for_a_hand_made_event(tmp_path: Path) -> None:
    out = _run(tmp_path)
    assert out["params"] == {"2023-05": "ok", "2023-12": "ok", "2023-01": "ok", "None": "ok",
                             "2023-13": "ParamValidationError", "2023-00": "ParamValidationError",
                             "2023-1": "ParamValidationError", "May 2023": "ParamValidationError",
                             "2023-05x": "ParamValidationError"}
    # ntm_monthly's load emits ntm.raw.<table> (lineage): nothing is scheduled on those
    assert out["rebuild_on"] == ["ntm.raw.late_loads"]
    assert out["watch_tasks"] == ["scan", "begin", "ingest", "close_months", "finish"]


def test_corrections_waiting_are_new_bytes_after_the_months_run(url: str, tmp_path: Path, sample) -> None:
    from ingest.pipeline import ingest_paths
    from ingest.pipeline.corrections import waiting
    from tests.fixtures.pipeline import with_version

    inbox = tmp_path / "inbox"
    month_dir = inbox / "2023-05"
    month_dir.mkdir(parents=True)
    first = sample[0]
    (month_dir / first.name).write_bytes(first.read_bytes())
    old = time.time() - 3600
    os.utime(month_dir / first.name, (old, old))
    assert waiting(str(inbox), url) == {}                       # no run for the month yet: its run will read it
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO audit.pipeline_run (dag_id, logical_month, state, started_at) "
                     "VALUES ('ntm_monthly', '2023-05-01', 'success', now() - interval '10 minutes')")
    assert waiting(str(inbox), url) == {}                       # written before the run started
    correction = with_version(first, 2, month_dir / first.name.replace("_v1", "_v2"))
    assert waiting(str(inbox), url) == {"2023-05": [str(correction)]}
    (month_dir / "notes.txt").symlink_to("/etc/hostname")      # never read nor hashed
    assert waiting(str(inbox), url) == {"2023-05": [str(correction)]}
    [outcome] = ingest_paths([str(correction)], url, build_docs=False)
    assert outcome.status == "accepted"
    assert waiting(str(inbox), url) == {}                       # received once: not again
    assert datetime.now(UTC).year >= 2026

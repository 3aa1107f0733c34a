"""The monthly pipeline: receive → validate → load, then dbt, mart checks and coverage.

Each step is idempotent and keyed by what it works on, so a re-run or a backfill repeats nothing
that is done: a file already received is recognised by its SHA-256; a validated submission is not
validated again; a loaded one is not loaded again. The Airflow DAG calls these same functions.
"""

from __future__ import annotations

import pickle
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg

from ingest.config import Settings, environment, load_settings
from ingest.findings import Finding
from ingest.intake.archive import archive
from ingest.store import statements as store

MONTH_LOCK_BASE = 7_462_000_000  # advisory lock per month: one pipeline run per month at a time
TRANSFORM_LOCK = 7_461_003       # dbt builds are serialised: they rebuild shared tables

Progress = Callable[[str], None]
# When a file arrived: a fixed time, a function of the file's path (the demo simulates receipt
# days), or None for now() (the real pipeline).
ReceivedAt = datetime | Callable[[str], datetime | None] | None
_NAME_PERIOD = re.compile(r"(\d{4})-(\d{2})")
# `<YYYY-MM>_<unit>_v<N>.xlsx`: the period and the submitting unit (district 3 digits, province 2)
_NAME_UNIT = re.compile(r"(?<!\d)(\d{4})-(\d{2})_(\d{2,3})(?!\d)")


@dataclass
class Outcome:
    """What happened to one received file."""

    submission_id: int
    file_name: str
    status: str
    submitting_unit_code: str | None = None
    period: date | None = None
    version: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    unit_hint: str | None = None  # the unit the file name names (for a file whose unit was not read)

    def as_dict(self) -> dict[str, Any]:
        return {
            "submission_id": self.submission_id, "file_name": self.file_name, "status": self.status,
            "submitting_unit_code": self.submitting_unit_code, "unit_hint": self.unit_hint,
            "period": self.period.strftime("%Y-%m") if self.period else None,
            "version": self.version, "counts": self.counts, "reason": self.reason,
            "findings": self.findings,
        }


def month_of(text: str) -> date:
    """`2023-05` → date(2023, 5, 1); raises ValueError with a usable message otherwise."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise ValueError(f"not a month: {text!r} (expected YYYY-MM, e.g. 2023-05)")
    return date(int(m.group(1)), int(m.group(2)), 1)


# ---------------------------------------------------------------------------------------------
# discover


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files, zips and CSV folders to receive. A folder holding `thong_tin.csv` is one submission;
    any other folder is searched (not recursively into submissions). Hidden files are skipped."""
    found: list[Path] = []
    for raw_path in paths:
        p = Path(raw_path)
        if not p.exists():
            raise FileNotFoundError(f"no such file or folder: {p}")
        if p.is_dir() and not (p / "thong_tin.csv").exists():
            for child in sorted(p.iterdir()):
                if not child.name.startswith("."):
                    found.extend(expand_paths([child]))
        else:
            found.append(p)
    return found


def discover(inbox: str, month: date) -> list[str]:
    """Submissions waiting in `<inbox>/<YYYY-MM>/`. The inbox is a folder or any
    `ObjectStoragePath` URL (`s3://...`, `file://...`); remote files are copied to a local spool."""
    sub = month.strftime("%Y-%m")
    if "://" not in inbox or inbox.startswith("file://"):
        folder = Path(inbox.removeprefix("file://")) / sub
        return [str(p) for p in expand_paths([folder])] if folder.exists() else []
    from airflow.sdk import ObjectStoragePath  # only for remote inboxes

    spool = load_settings().state_dir / "spool" / sub
    spool.mkdir(parents=True, exist_ok=True)
    out = []
    for remote in sorted(ObjectStoragePath(f"{inbox.rstrip('/')}/{sub}").iterdir()):
        if remote.is_file():
            local = spool / remote.name
            local.write_bytes(remote.read_bytes())
            out.append(str(local))
    return out


# ---------------------------------------------------------------------------------------------
# receive


def name_hints(file_name: str) -> tuple[str | None, str | None]:
    """(period `YYYY-MM`, submitting unit code) that a file name states, each None when it states
    none: `2023-05_258_v1.xlsx` → ("2023-05", "258"). The workbook is authoritative; the hints
    only say whom a file that could not be read was meant for."""
    named = _NAME_UNIT.search(file_name)
    hint = named or _NAME_PERIOD.search(file_name)
    period = f"{hint.group(1)}-{hint.group(2)}" if hint else None
    unit = named.group(3) if named and 1 <= int(named.group(2)) <= 12 else None
    return period, unit


def is_backfill_run(requested: Any = False, run_type: Any = None) -> bool:
    """Whether a run loads history from archives: asked for (`--backfill`, DAG conf
    `{"backfill": true}`), or an Airflow backfill (its DagRun's run_type is `backfill`)."""
    kind = getattr(run_type, "value", run_type)
    return bool(requested) or (isinstance(kind, str) and kind.lower() == "backfill")


def receive(paths: list[str], url: str, pipeline_run_id: int | None = None,
            settings: Settings | None = None, *, backfill: bool = False,
            received_at: ReceivedAt = None) -> list[int]:
    """Archive each file with its hash and record it in audit.submission, before anything else.

    The same bytes received again are recorded as `duplicate` (and not loaded twice), unless the
    earlier receipt never finished (a crash between receive and load): then it is resumed.
    `backfill` marks the files as history loaded from archives (timeliness judged by the date the
    unit declared). `received_at` is for the demo only: the real pipeline records now().
    """
    settings = settings or load_settings()
    ids: list[int] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for raw_path in paths:
            path = Path(raw_path)
            archived = archive(path, settings.archive_dir)
            period_hint, unit_hint = name_hints(path.name)
            earlier = store.earlier_with_hash(conn, archived.sha256)
            if earlier and earlier[1] == "received":
                ids.append(earlier[0])
                continue
            when = received_at(str(path)) if callable(received_at) else received_at
            ids.append(store.insert_submission(
                conn, archived, status="duplicate" if earlier else "received",
                duplicate_of=earlier[0] if earlier else None, pipeline_run_id=pipeline_run_id,
                period_hint=period_hint, unit_hint=unit_hint, is_backfill=backfill, received_at=when,
            ))
    return ids


# ---------------------------------------------------------------------------------------------
# validate


def _staged(settings: Settings, submission_id: int) -> Path:
    return settings.state_dir / "staged" / f"{submission_id}.pkl"


def validate(submission_ids: list[int], url: str, settings: Settings | None = None,
             keep: dict[int, dict] | None = None, build_docs: bool = True,
             progress: Progress | None = None) -> list[dict[str, Any]]:
    """Read each received submission from the archive and validate it: the reader's checks per
    file, then the Great Expectations suites once over the whole batch (GX's fixed cost is per
    run, not per row). Rejections are recorded with their findings; accepted frames are staged for
    the loader (in `keep` when given, else on disk). Never raises for bad input."""
    from ingest.quality.validate import validate_batch
    from ingest.store.reference import load_admin_units
    from ingest.store.runs import record_runs

    settings = settings or load_settings()
    admin = load_admin_units(url)  # the package's lists plus the units imported into this database
    verdicts: dict[int, str] = {}
    pending: dict[int, tuple[dict[str, Any], Any]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for sid in submission_ids:
            sub = store.submission(conn, sid)
            if sub["status"] != "received" or sub["validated_at"] is not None:
                verdicts[sid] = sub["status"]
                continue
            try:
                item = _read_one(conn, sub, admin, settings)
            except Exception as exc:  # noqa: BLE001 - a bug must not stop the other files
                _internal_error(conn, sid, exc)
                item = None
            if item is None:
                verdicts[sid] = "rejected"
            else:
                pending[sid] = (sub, item)
            if progress:
                progress(sub["file_name"])
        runs = validate_batch([item for _, item in pending.values()], build_docs=build_docs) if pending else {}
        for sid, (sub, item) in pending.items():
            with conn.transaction():
                record_runs(conn, runs[sid], sid, sub["pipeline_run_id"])
                rejected = any(f.severity == "error" for r in runs[sid] for f in r.findings)
                if rejected:
                    store.set_status(conn, sid, "rejected", "failed validation: see audit.finding")
                else:
                    store.mark_validated(conn, sid)
            verdicts[sid] = "rejected" if rejected else "validated"
            if not rejected:
                _stage(settings, sid, item.frames, keep)
    return [{"submission_id": sid, "status": verdicts[sid]} for sid in submission_ids]


def _read_one(conn: psycopg.Connection, sub: dict[str, Any], admin, settings: Settings):
    """Read one archived file, record the reader's run; a BatchItem for GX, or None if rejected."""
    from ingest.intake.reader import read_submission
    from ingest.quality.validate import BatchItem

    sid = sub["submission_id"]
    started = datetime.now(UTC)
    result = read_submission(Path(sub["archive_path"]), admin, settings)
    meta = result.meta
    with conn.transaction():
        store.set_meta(conn, sid, meta)
        findings = list(result.findings) + _name_hint_findings(sub, meta)
        store.record_reader_run(conn, sid, started, datetime.now(UTC), findings, len(result.frames),
                                sub["pipeline_run_id"])
        if result.rejected:
            store.set_status(conn, sid, "rejected", "failed the reader's checks: see audit.finding")
            return None
        unit, period = meta.get("submitting_unit_code"), meta.get("period")
        return BatchItem(sid, result.frames, sub["received_at"].date(),
                         store.previous_funding(conn, unit, period),
                         store.previous_titles(conn, unit, period))


def _internal_error(conn: psycopg.Connection, sid: int, exc: Exception) -> None:
    with conn.transaction():
        store.insert_findings(conn, None, sid, [Finding(
            "error", "internal_error",
            f"Lỗi nội bộ khi xử lý tệp: {exc!r}. Hãy báo cho nhóm dữ liệu.",
            f"Internal error while processing the file: {exc!r}. Report it to the data team.",
        )])
        store.set_status(conn, sid, "rejected", f"internal error: {exc!r}")


def _stage(settings: Settings, sid: int, frames: dict, keep: dict[int, dict] | None) -> None:
    if keep is not None:
        keep[sid] = frames
        return
    path = _staged(settings, sid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(frames, protocol=pickle.HIGHEST_PROTOCOL))


def _name_hint_findings(sub: dict[str, Any], meta: dict[str, Any]) -> list[Finding]:
    """A file name that disagrees with thong_tin is a warning (the workbook is authoritative)."""
    hint, period = sub.get("file_period_hint"), meta.get("period")
    if not hint or not period or hint == period.strftime("%Y-%m"):
        return []
    return [Finding(
        "warning", "file_name_period_mismatch",
        f"Tên tệp ghi kỳ {hint} nhưng trang thong_tin ghi {period:%Y-%m}; dùng kỳ trong thong_tin.",
        f"The file name says period {hint} but thong_tin says {period:%Y-%m}; thong_tin is used.",
        sheet="thong_tin", column_name="period", value=hint,
    )]


# ---------------------------------------------------------------------------------------------
# load


def load(submission_ids: list[int], url: str, settings: Settings | None = None,
         keep: dict[int, dict] | None = None) -> list[Outcome]:
    """Load validated submissions into `raw`, in version order, one transaction each.

    Decides versions under an advisory lock: a higher version supersedes the accepted one; a
    version not higher than one already received is `stale`. A failure rolls the transaction
    back: `raw` and the statuses stay exactly as they were."""
    settings = settings or load_settings()
    outcomes: list[Outcome] = []
    with psycopg.connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (store.SUBMISSION_LOCK,))
        conn.commit()
        try:
            subs = [store.submission(conn, sid) for sid in submission_ids]
            conn.commit()
            subs.sort(key=lambda s: (s["submitting_unit_code"] or "", s["period"] or date.min,
                                     s["version"] or 0, s["submission_id"]))
            for sub in subs:
                outcomes.append(_load_one(conn, sub, settings, keep))
            if any(o.status == "accepted" for o in outcomes):
                store.refresh_statistics(conn)
                conn.commit()
        finally:
            conn.rollback()
            conn.execute("SELECT pg_advisory_unlock(%s)", (store.SUBMISSION_LOCK,))
            conn.commit()
    return outcomes


def _load_one(conn: psycopg.Connection, sub: dict[str, Any], settings: Settings,
              keep: dict[int, dict] | None) -> Outcome:
    sid = sub["submission_id"]
    out = Outcome(sid, sub["file_name"], sub["status"], sub["submitting_unit_code"], sub["period"],
                  sub["version"])
    if sub["status"] != "received" or sub["validated_at"] is None:
        return out
    frames = keep.pop(sid, None) if keep is not None else None
    staged = _staged(settings, sid)
    if frames is None:
        frames = pickle.loads(staged.read_bytes()) if staged.exists() else _reread(sub, settings, conn)
    unit, period, version = sub["submitting_unit_code"], sub["period"], sub["version"]
    with conn.transaction():
        earlier = store.versions_for_key(conn, unit, period, sid)
        highest = max((v for _, v, _ in earlier), default=0)
        if earlier and version <= highest:
            msg_en = (f"Version {version} of {unit} {period:%Y-%m} is not newer than version {highest} "
                      f"already received: send version {highest + 1}.")
            msg_vi = (f"Lần gửi {version} của đơn vị {unit} kỳ {period:%m/%Y} không mới hơn lần {highest} "
                      f"đã nhận: hãy gửi lần {highest + 1}.")
            store.insert_findings(conn, None, sid, [Finding("error", "stale_version", msg_vi, msg_en,
                                                            sheet="thong_tin", column_name="version",
                                                            value=str(version))])
            store.set_status(conn, sid, "stale", msg_en)
            out.status, out.reason = "stale", msg_en
        else:
            out.counts = store.copy_frames(conn, sid, frames)
            store.accept(conn, sid, unit, period)
            out.status = "accepted"
    staged.unlink(missing_ok=True)
    return out


def _reread(sub: dict[str, Any], settings: Settings, conn: psycopg.Connection) -> dict:
    from ingest.intake.reader import read_submission
    from ingest.store.reference import load_admin_units

    return read_submission(Path(sub["archive_path"]), load_admin_units(conn), settings).frames


# ---------------------------------------------------------------------------------------------
# the whole thing


def ingest_paths(paths: list[str], url: str, pipeline_run_id: int | None = None,
                 settings: Settings | None = None, build_docs: bool = True,
                 progress: Progress | None = None, *, backfill: bool = False,
                 received_at: ReceivedAt = None) -> list[Outcome]:
    """receive → validate → load for the given files, keeping frames in memory between steps.
    `backfill`: history from archives (see `receive`)."""
    settings = settings or load_settings()
    ids = receive(paths, url, pipeline_run_id, settings, backfill=backfill, received_at=received_at)
    keep: dict[int, dict] = {}
    validate(ids, url, settings, keep=keep, build_docs=build_docs, progress=progress)
    return outcomes(url, ids, load(ids, url, settings, keep))


def outcomes(url: str, ids: list[int], loaded: list[Outcome] | None = None) -> list[Outcome]:
    """The final state of each submission, in the order received, with findings of the rejected."""
    by_id = {o.submission_id: o for o in loaded or []}
    result = []
    with psycopg.connect(url) as conn:
        for sid in ids:
            sub = store.submission(conn, sid)
            o = Outcome(sid, sub["file_name"], sub["status"], sub["submitting_unit_code"], sub["period"],
                        sub["version"], by_id.get(sid, Outcome(sid, "", "")).counts, [], sub["status_reason"],
                        sub["file_unit_hint"])
            if sub["status"] in ("rejected", "stale", "accepted"):
                o.findings = store.findings_of(conn, sid)
            result.append(o)
    return result


def start_run(url: str, dag_id: str, month: date | None, airflow_run_id: str | None = None) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return store.start_pipeline_run(conn, dag_id, month, airflow_run_id)


def finish_run(url: str, run_id: int, state: str, detail: dict | None = None) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        store.finish_pipeline_run(conn, run_id, state, detail)


def late_loaded_months(url: str, rebuild_dag_id: str) -> list[str]:
    """Months with a submission accepted outside any pipeline run (`ntm ingest`, a resubmission)
    since the last successful rebuild started: their marts are stale until the next build."""
    with psycopg.connect(url) as conn:
        return store.late_loaded_months(conn, rebuild_dag_id)


def transform(url: str, full_refresh: bool = False, select: list[str] | None = None,
              progress: Progress | None = None):
    """`dbt build` into `marts_build` (a copy of `marts`), published in one transaction only when
    the whole build and its tests succeeded: a failed or killed build leaves `marts` exactly as it
    was. Serialised across processes (two builds would rebuild the same tables)."""
    from ingest.warehouse.build import build

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (TRANSFORM_LOCK,))
        try:
            conn.execute("SELECT meta.prepare_marts_build()")
            with environment({"NTM_MARTS_SCHEMA": "marts_build"}):
                result = build(url, select=select, full_refresh=full_refresh, progress=progress)
            if result.success:
                conn.execute("SELECT meta.publish_marts_build()")
            return result
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (TRANSFORM_LOCK,))


def run_month(month: date, inbox: str | None, url: str, dag_id: str = "cli",
              progress: Progress | None = None, build_docs: bool = True, *, backfill: bool = False,
              received_at: ReceivedAt = None) -> dict[str, Any]:
    """The whole monthly pipeline for one month, as the Airflow DAG runs it. Two runs for the same
    month are serialised by an advisory lock; different months may run side by side (their dbt
    builds are serialised). `backfill`: the month is history loaded from archives (its files are
    judged on time by the date the units declared); `received_at`: the demo's simulated receipt."""
    from ingest.serve.coverage import coverage
    from ingest.store.runs import record_runs
    from ingest.warehouse.reconcile import check_marts

    settings = load_settings()
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as lock_conn:
        lock_conn.execute("SELECT pg_advisory_lock(%s)", (MONTH_LOCK_BASE + month.year * 100 + month.month,))
        run_id = start_run(url, dag_id, month)
        try:
            paths = discover(inbox or settings.inbox, month)
            say(f"{len(paths)} file(s) in the inbox for {month:%Y-%m}")
            results = ingest_paths(paths, url, run_id, settings, build_docs=build_docs, progress=progress,
                                   backfill=backfill, received_at=received_at)
            say("dbt build …")
            built = transform(url, progress=progress)
            checks = check_marts(url, month)
            with psycopg.connect(url, autocommit=True) as conn:
                record_runs(conn, [checks], None, run_id)
            cov = coverage(url, month)
            summary = {
                "run_id": run_id, "month": month.strftime("%Y-%m"), "backfill": backfill,
                "files": len(results),
                "accepted": sum(o.status == "accepted" for o in results),
                "rejected": [o.as_dict() for o in results if o.status in ("rejected", "stale")],
                "duplicates": sum(o.status == "duplicate" for o in results),
                "dbt_success": bool(built.success), "mart_checks_success": checks.success,
                "coverage": cov, "seconds": round(time.perf_counter() - t0, 1),
            }
            state = "success" if built.success else "failed"
            finish_run(url, run_id, state, {k: v for k, v in summary.items() if k != "coverage"})
            return summary
        except BaseException:
            finish_run(url, run_id, "failed")
            raise
        finally:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (MONTH_LOCK_BASE + month.year * 100 + month.month,))

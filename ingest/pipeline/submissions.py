"""receive → validate → load: each file from the inbox to `raw`, or to a rejection with findings.

Each step is idempotent and keyed by what it works on: a file already received is recognised by
its SHA-256; a validated submission is not validated again; a loaded one is not loaded again.
Nothing passes between the steps but submission ids: the validate step stages the rows of each
validated submission in the database (schema `validated`, in the transaction that records its
verdict) and the loader moves them into `raw` with set-based SQL, so that validate and load may
run on different workers and no file is read twice. The single-process path (`ingest_paths`)
does the same: one way.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from ingest.config import Settings, load_settings
from ingest.findings import Finding
from ingest.intake import storage
from ingest.intake.archive import Archived, archive
from ingest.intake.filecheck import Refused, marker_sha256
from ingest.pipeline.files import Progress, ReceivedAt, name_hints
from ingest.store import locks
from ingest.store import statements as store
from ingest.store.plan_history import previous_models

Frames = dict[str, Any]
E = TypeVar("E")
T = TypeVar("T")

# A version may exceed the highest already received for its unit and period by at most this much
# (a few corrections may be in flight at once; 2147483647 would leave no correction possible).
# Versions are also bounded to 1..999 by the reader (ingest/intake/keys.py).
MAX_VERSION_GAP = 5


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
    storage.check(settings.archive_url)  # a missing bucket stops here, naming the URL, not file by file
    ids: list[int] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for raw_path in paths:
            path = Path(raw_path.rstrip("/").rsplit("/", 1)[-1]) if storage.is_remote(raw_path) else Path(raw_path)
            period_hint, unit_hint = name_hints(path.name)
            try:
                with storage.fetched([raw_path]) as [local]:  # a remote inbox's object, fetched for now
                    archived = archive(local, settings.archive_url, settings.max_file_bytes)
            except Refused as refused:
                ids.append(_record_refused(conn, path.name, refused, pipeline_run_id, period_hint, unit_hint,
                                           backfill))
                continue
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


def _record_refused(conn: psycopg.Connection, name: str, refused: Refused, pipeline_run_id: int | None,
                    period_hint: str | None, unit_hint: str | None, backfill: bool) -> int:
    """A path that was not archived (a link, a special file, over the size limit): recorded as
    received and rejected at once, with its findings; nothing is kept in the archive (empty
    archive_path) and the hash stands for the refusal (filecheck.marker_sha256). The same
    refusal again is a duplicate, like the same bytes again."""
    from ingest.store.runs import reader_run, record_runs

    sha = marker_sha256(name, refused.findings)
    earlier = store.earlier_with_hash(conn, sha)
    stand_in = Archived(name, sha, refused.size, refused.file_format, "")
    with conn.transaction():
        sid = store.insert_submission(conn, stand_in, status="duplicate" if earlier else "received",
                                      duplicate_of=earlier[0] if earlier else None,
                                      pipeline_run_id=pipeline_run_id, period_hint=period_hint,
                                      unit_hint=unit_hint, is_backfill=backfill)
        if earlier:
            return sid
        now = datetime.now(UTC)
        record_runs(conn, [reader_run(now, now, refused.findings, 0)], sid, pipeline_run_id)
        store.set_status(conn, sid, "rejected", f"refused on receipt: {refused}")
    return sid


# ---------------------------------------------------------------------------------------------
# validate


def validate(submission_ids: list[int], url: str, settings: Settings | None = None,
             build_docs: bool = True, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Read each received submission from the archive and validate it: the reader's checks per
    file, then the Great Expectations suites once over the whole batch (GX's fixed cost is per
    run, not per row). Rejections are recorded with their findings; the rows of the validated
    submissions are staged in `validated` for the loader. Never raises for bad input. The files are read in parallel by
    the reader's worker processes (intake.isolation) while Great Expectations is imported."""
    from ingest.intake.isolation import Job, read_many
    from ingest.store.reference import load_admin_units

    # the validation module (pandas and the suites' code, ~0.4 s cold) while the files are read;
    # GX itself (3-4.5 s cold) is imported at its first use, after the reading: imported in this
    # thread too, it held the parent's interpreter while the parent handed files to the readers,
    # and a cold `ntm ingest` took as long (A/B 2026-12-08: 21.3 / 21.3 s before, 23.7 / 20.8 s)
    gx = _import_in_background("ingest.quality.validate")
    settings = settings or load_settings()
    admin = load_admin_units(url)  # the package's lists plus the units imported into this database
    verdicts: dict[int, str] = {}
    passed: list[dict[str, Any]] = []
    with psycopg.connect(url, autocommit=True) as conn:
        subs = store.submissions(conn, submission_ids)
        todo = [s for s in subs if s["status"] == "received" and s["validated_at"] is None]
        started = datetime.now(UTC)
        with storage.fetched([s["archive_path"] for s in todo]) as local:
            results = read_many([Job(p, s["file_name"]) for s, p in zip(todo, local, strict=True)], admin, settings)
        read = {s["submission_id"]: result for s, result in zip(todo, results, strict=True)}
        gx.join()
        from ingest.quality.validate import validate_batch

        reads = _record_reads(conn, [s for s in subs if s["submission_id"] in read], read, started)
        for sub in subs:
            sid = sub["submission_id"]
            if sid not in read:
                verdicts[sid] = sub["status"]
                continue
            if reads[sid]:
                passed.append(sub)
            else:
                verdicts[sid] = "rejected"
            if progress:
                progress(sub["file_name"])
        pending = _batch_items(conn, passed, read)
        runs = validate_batch([item for _, item in pending.values()], build_docs=build_docs) if pending else {}
        verdicts.update(_record_verdicts(conn, pending, runs))
    return [{"submission_id": sid, "status": verdicts[sid]} for sid in submission_ids]


# What a batch's transaction may fail on because of one file's rows (a value the database
# refuses, a key broken twice): the batch is then done again one file per transaction, so that one
# bad file never blocks the others. Anything else (the server gone, a disk full) is raised and
# leaves every status as it was, for the re-run to resume.
_ONE_FILES_FAULT = (psycopg.DataError, psycopg.IntegrityError, ValueError, TypeError)


def _each_file_on_fault(conn: psycopg.Connection, entries: list[E], sid_of: Callable[[E], int],
                        write: Callable[[list[E]], dict[int, T]], refused: T) -> dict[int, T]:
    """`write` the batch's entries in one transaction; when one file's values make it fail, each
    entry in a transaction of its own, a file refused again rejected with an internal-error finding
    (`refused` its result): one bad file never blocks the others."""
    try:
        with conn.transaction():
            return write(entries)
    except _ONE_FILES_FAULT:
        pass
    out: dict[int, T] = {}
    for entry in entries:
        try:
            with conn.transaction():
                out |= write([entry])
        except _ONE_FILES_FAULT as exc:
            _internal_error(conn, sid_of(entry), exc)
            out[sid_of(entry)] = refused
    return out


def _record_verdicts(conn: psycopg.Connection, pending: dict[int, tuple[dict[str, Any], Any]],
                     runs: dict[int, list[Any]]) -> dict[int, str]:
    """Record the validation runs and verdicts of the batch, and stage the rows of the validated
    submissions in `validated` for the loader, all in one transaction."""
    return _each_file_on_fault(conn, list(pending.items()), lambda entry: entry[0],
                               lambda entries: _verdicts(conn, entries, runs), "rejected")


def _verdicts(conn: psycopg.Connection, entries: list[tuple[int, tuple[dict[str, Any], Any]]],
              runs: dict[int, list[Any]]) -> dict[int, str]:
    from ingest.store.runs import record_batch

    verdicts: dict[int, str] = {}
    passed: dict[int, Frames] = {}
    record_batch(conn, [(sid, sub["pipeline_run_id"], runs[sid]) for sid, (sub, _) in entries])
    for sid, (_, item) in entries:
        if any(f.severity == "error" for r in runs[sid] for f in r.findings):
            store.set_status(conn, sid, "rejected", "failed validation: see audit.finding")
            verdicts[sid] = "rejected"
        else:
            passed[sid] = item.frames
            verdicts[sid] = "validated"
    store.mark_validated(conn, list(passed))
    store.stage_frames(conn, passed)
    return verdicts


def _import_in_background(module: str) -> threading.Thread:
    thread = threading.Thread(target=importlib.import_module, args=(module,), daemon=True)
    thread.start()
    return thread


def _record_reads(conn: psycopg.Connection, subs: list[dict[str, Any]], read: dict[int, Any],
                  started: datetime) -> dict[int, bool]:
    """Record the reader's run of each file (read by a worker process: a crash there rejects that
    file only) and what its thong_tin declares; per submission, whether it passed the reader's
    checks. One statement per kind for the batch, in one transaction; when a file's values make it
    fail, each file in its own transaction (one bad file never blocks the others)."""
    from ingest.store.runs import reader_run

    entries: list[tuple[dict[str, Any], Any, Any]] = []
    passed: dict[int, bool] = {}
    for sub in subs:
        sid, result = sub["submission_id"], read[sub["submission_id"]]
        try:
            findings = list(result.findings) + _name_hint_findings(sub, result.meta)
            entries.append((sub, result, reader_run(*(result.timing or (started, datetime.now(UTC))),
                                                    findings, len(result.frames))))
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the other files
            _internal_error(conn, sid, exc)
            passed[sid] = False
    return passed | _each_file_on_fault(conn, entries, lambda entry: entry[0]["submission_id"],
                                        lambda batch: _write_reads(conn, batch), False)


def _write_reads(conn: psycopg.Connection, entries: list[tuple[dict[str, Any], Any, Any]]) -> dict[int, bool]:
    from ingest.store.runs import record_batch

    store.set_metas(conn, [(sub["submission_id"], result.meta) for sub, result, _ in entries])
    record_batch(conn, [(sub["submission_id"], sub["pipeline_run_id"], [run]) for sub, _, run in entries])
    rejected = [sub["submission_id"] for sub, result, _ in entries if result.rejected]
    store.set_statuses(conn, rejected, "rejected", "failed the reader's checks: see audit.finding")
    return {sub["submission_id"]: not result.rejected for sub, result, _ in entries}


def _batch_items(conn: psycopg.Connection, subs: list[dict[str, Any]],
                 read: dict[int, Any]) -> dict[int, tuple[dict[str, Any], Any]]:
    """A BatchItem for GX per submission that passed the reader, with what its rules compare
    with: the unit's accepted submission of the previous month (one statement per table for the
    whole batch)."""
    from ingest.quality.validate import BatchItem

    by_id = {s["submission_id"]: s for s in subs}
    keys = {sid: (read[sid].meta.get("submitting_unit_code"), read[sid].meta.get("period")) for sid in by_id}
    funding, titles = store.previous_funding(conn, keys), store.previous_titles(conn, keys)
    models = previous_models(conn, keys)
    return {sid: (sub, BatchItem(sid, read[sid].frames, sub["received_at"].date(), funding.get(sid),
                                 titles.get(sid), models.get(sid)))
            for sid, sub in by_id.items()}


def _internal_error(conn: psycopg.Connection, sid: int, exc: Exception) -> None:
    """Reject a file on an internal error (a bug, or rows the database refused), with a finding,
    and drop whatever of it was staged for the loader, in one transaction."""
    with conn.transaction():
        store.insert_findings(conn, sid, [(None, Finding(
            "error", "internal_error",
            f"Lỗi nội bộ khi xử lý tệp: {exc!r}. Hãy báo cho nhóm dữ liệu.",
            f"Internal error while processing the file: {exc!r}. Report it to the data team.",
        ))])
        store.set_status(conn, sid, "rejected", f"internal error: {exc!r}")
        store.discard_staged(conn, [sid])


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


def load(submission_ids: list[int], url: str) -> list[Outcome]:
    """Load validated submissions into `raw`, in version order, in one transaction.

    Decides versions under an advisory lock: a higher version supersedes the accepted one; a
    version not higher than one already received is `stale`. A version more than MAX_VERSION_GAP
    above the highest received (0 when none) is rejected (`version_gap`) and not counted. The rows
    come from `validated`, where the validate step staged them: one INSERT ... SELECT per table for
    the whole batch. When the batch's transaction fails on a file's rows, the batch is loaded again
    one file per transaction and the faulty file is rejected; any other failure rolls everything
    back: `raw` and the statuses stay exactly as they were."""
    with psycopg.connect(url) as conn, locks.held(conn, locks.SUBMISSION):
        subs = store.submissions(conn, submission_ids)
        conn.commit()
        subs.sort(key=lambda s: (s["submitting_unit_code"] or "", s["period"] or date.min,
                                 s["version"] or 0, s["submission_id"]))
        try:
            with conn.transaction():
                outcomes = _load_batch(conn, subs)
        except _ONE_FILES_FAULT:
            outcomes = [_load_alone(conn, sub) for sub in subs]
        if any(o.status == "accepted" for o in outcomes):
            store.refresh_statistics(conn)
            conn.commit()
    return outcomes


def _load_alone(conn: psycopg.Connection, sub: dict[str, Any]) -> Outcome:
    """One submission in its own transaction (after its batch failed): its rows refused by the
    database reject it with an internal-error finding, and its staged rows are dropped."""
    sid = sub["submission_id"]
    try:
        with conn.transaction():
            return _load_batch(conn, [sub])[0]
    except _ONE_FILES_FAULT as exc:
        _internal_error(conn, sid, exc)
        return Outcome(sid, sub["file_name"], "rejected", sub["submitting_unit_code"], sub["period"],
                       sub["version"], reason=f"internal error: {exc!r}")


def _load_batch(conn: psycopg.Connection, subs: list[dict[str, Any]]) -> list[Outcome]:
    """Decide each submission's fate in order (an earlier one accepted in this transaction counts
    for the later versions), then move the accepted ones' rows into `raw` and drop the staged rows
    of every submission decided."""
    outcomes: list[Outcome] = []
    accepted: list[Outcome] = []
    decided: list[int] = []
    for sub in subs:
        out = Outcome(sub["submission_id"], sub["file_name"], sub["status"], sub["submitting_unit_code"],
                      sub["period"], sub["version"])
        outcomes.append(out)
        if sub["status"] != "received" or sub["validated_at"] is None:
            continue
        decided.append(out.submission_id)
        unit, period, version = sub["submitting_unit_code"], sub["period"], sub["version"]
        earlier = store.versions_for_key(conn, unit, period, out.submission_id)
        highest = max((v for _, v, _ in earlier), default=0)
        if earlier and version <= highest:
            _reject_version(conn, out, *_stale_version(unit, period, version, highest))
        elif version > highest + MAX_VERSION_GAP:
            _reject_version(conn, out, *_version_gap(unit, period, version, highest), forget=True)
        else:
            store.accept(conn, out.submission_id, unit, period)
            out.status = "accepted"
            accepted.append(out)
    counts = store.move_staged(conn, [o.submission_id for o in accepted])
    for out in accepted:
        out.counts = counts[out.submission_id]
        if not out.counts["thong_tin"]:  # validated without staged rows: never accept it empty
            raise RuntimeError(f"submission {out.submission_id} is validated but has no rows in `validated`: "
                               "clear its validated_at and run the month again")
    store.discard_staged(conn, decided)
    return outcomes


def _stale_version(unit: str, period: date, version: int, highest: int) -> tuple[str, str, str, str]:
    return ("stale", "stale_version",
            f"Lần gửi {version} của đơn vị {unit} kỳ {period:%m/%Y} không mới hơn lần {highest} "
            f"đã nhận: hãy gửi lần {highest + 1}.",
            f"Version {version} of {unit} {period:%Y-%m} is not newer than version {highest} "
            f"already received: send version {highest + 1}.")


def _version_gap(unit: str, period: date, version: int, highest: int) -> tuple[str, str, str, str]:
    got = f"lần {highest} đã nhận" if highest else "chưa nhận lần nào"
    had = f"version {highest} already received" if highest else "no version received yet"
    return ("rejected", "version_gap",
            f"Lần gửi {version} của đơn vị {unit} kỳ {period:%m/%Y} vượt quá xa ({got}; tối đa "
            f"{highest + MAX_VERSION_GAP}): hãy gửi lần {highest + 1}.",
            f"Version {version} of {unit} {period:%Y-%m} jumps too far ({had}; at most "
            f"{highest + MAX_VERSION_GAP}): send version {highest + 1}.")


def _reject_version(conn: psycopg.Connection, out: Outcome, status: str, check: str, msg_vi: str,
                    msg_en: str, *, forget: bool = False) -> None:
    """A version the loader refuses: a finding on thong_tin.version and the status. `forget`: the
    declared version is not kept as the submission's version (the finding keeps it), so that it
    does not count as received and the unit's next correction is still possible."""
    store.insert_findings(conn, out.submission_id, [(None, Finding(
        "error", check, msg_vi, msg_en, sheet="thong_tin", column_name="version", value=str(out.version)))])
    store.set_status(conn, out.submission_id, status, msg_en)
    if forget:
        store.forget_version(conn, out.submission_id)
    out.status, out.reason = status, msg_en


def ingest_paths(paths: list[str], url: str, pipeline_run_id: int | None = None,
                 settings: Settings | None = None, build_docs: bool = True,
                 progress: Progress | None = None, *, backfill: bool = False,
                 received_at: ReceivedAt = None) -> list[Outcome]:
    """receive → validate → load for the given files, in one process.
    `backfill`: history from archives (see `receive`)."""
    settings = settings or load_settings()
    ids = receive(paths, url, pipeline_run_id, settings, backfill=backfill, received_at=received_at)
    validate(ids, url, settings, build_docs=build_docs, progress=progress)
    return outcomes(url, ids, load(ids, url))


def outcomes(url: str, ids: list[int], loaded: list[Outcome] | None = None) -> list[Outcome]:
    """The final state of each submission, in the order received, with findings of the rejected."""
    by_id = {o.submission_id: o for o in loaded or []}
    result = []
    with psycopg.connect(url) as conn:
        subs = store.submissions(conn, ids)
        findings = store.findings_of(conn, [s["submission_id"] for s in subs
                                            if s["status"] in ("rejected", "stale", "accepted")])
        for sid, sub in zip(ids, subs, strict=True):
            o = Outcome(sid, sub["file_name"], sub["status"], sub["submitting_unit_code"], sub["period"],
                        sub["version"], by_id.get(sid, Outcome(sid, "", "")).counts, findings.get(sid, []),
                        sub["status_reason"], sub["file_unit_hint"])
            result.append(o)
    return result



"""Reading in child processes: whatever a file does to the reading library (a native abort or
segfault, a MemoryError, a read that never ends) ends one child process, never the run.

A pool of worker processes (`python -m ingest.intake.isolation`, as many as the cores or
`NTM_READER_WORKERS`) reads submissions with `read_submission`. Each worker runs under an address
space limit (`resource.setrlimit(RLIMIT_AS)`, `NTM_READER_MEMORY_MB`; no core files) and each file
under a time limit (`NTM_READER_TIMEOUT_S`). A worker that dies (by a signal or an exit) or runs
out of time is killed and replaced; its file becomes a rejection with the located error
`reader_error` naming the file and what happened, and the other files go on. Workers live as long
as the process that started them (imports and the administrative lists are paid once).

The protocol is length-prefixed pickles over the worker's stdin and a private copy of its stdout
(the worker's own fd 1 is pointed at its stderr, so a stray print cannot corrupt it). A worker's
stderr goes to a temporary file whose tail explains a crash (e.g. Rust's "memory allocation of
549755813888 bytes failed").
"""

from __future__ import annotations

import atexit
import importlib
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ingest.config import Settings, load_settings
from ingest.findings import Finding
from ingest.intake.reader import ReadResult

# What a worker calls for each file, "module:function" with read_submission's signature. Tests
# point it at a wrapper that misbehaves on purpose (tests/fixtures/hostile.py).
READ_TARGET = "ingest.intake.reader:read_submission"
STARTUP_TIMEOUT_S = 120.0  # imports and the administrative lists, on a busy machine
_HEADER = struct.Struct(">Q")


@dataclass(frozen=True)
class Job:
    path: Path
    name: str  # the file as it was sent (findings name it)


def read_isolated(path: Path, admin: Any, settings: Settings | None = None, name: str | None = None) -> ReadResult:
    """`read_submission(path, admin, settings)` in a worker process: its ReadResult, or a rejection
    with `reader_error` when the worker crashed or ran out of time."""
    return read_many([Job(Path(path), name or Path(path).name)], admin, settings)[0]


def read_many(jobs: Sequence[Job], admin: Any, settings: Settings | None = None) -> list[ReadResult]:
    """Each job's ReadResult (in the order given), read in parallel by the pool's workers."""
    settings = settings or load_settings()
    return _pool(settings).run(list(jobs), admin, settings)


def workers_for(settings: Settings) -> int:
    """The pool's size: NTM_READER_WORKERS, else the cores this process may use."""
    if settings.reader_workers:
        return settings.reader_workers
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return max(os.cpu_count() or 1, 1)


# ---------------------------------------------------------------------------------------------
# the parent's side


_POOLS: dict[tuple[str, int, int], ReaderPool] = {}
_POOLS_LOCK = threading.Lock()


def _pool(settings: Settings) -> ReaderPool:
    key = (READ_TARGET, workers_for(settings), settings.reader_memory_mb)
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = ReaderPool(*key)
        return _POOLS[key]


def shutdown() -> None:
    """Stop every worker this process started (also at exit)."""
    with _POOLS_LOCK:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()


atexit.register(shutdown)


class WorkerError(RuntimeError):
    """A worker that could not even start (a broken environment, not a file's fault)."""


@dataclass
class _Worker:
    proc: subprocess.Popen
    stderr: IO[bytes]
    admin_id: int | None = None
    job: tuple[int, Job] | None = None
    deadline: float = 0.0
    stderr_from: int = 0
    began: datetime | None = None
    buffer: bytearray = field(default_factory=bytearray)

    @property
    def fd(self) -> int:
        assert self.proc.stdout is not None
        return self.proc.stdout.fileno()

    def send(self, message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        assert self.proc.stdin is not None
        self.proc.stdin.write(_HEADER.pack(len(data)) + data)
        self.proc.stdin.flush()

    def take(self) -> tuple[bool, Any]:
        """(True, message) when a whole message has arrived, (False, None) when more is to come;
        raises EOFError when the worker closed its end (it died)."""
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            raise EOFError
        self.buffer += chunk
        return self.message()

    def message(self) -> tuple[bool, Any]:
        if len(self.buffer) < _HEADER.size:
            return False, None
        (size,) = _HEADER.unpack_from(self.buffer)
        if len(self.buffer) < _HEADER.size + size:
            return False, None
        data = bytes(self.buffer[_HEADER.size:_HEADER.size + size])
        del self.buffer[:_HEADER.size + size]
        return True, pickle.loads(data)

    def wait_message(self, timeout: float) -> Any:
        """The next message, within `timeout` seconds (startup and acknowledgements)."""
        end = time.monotonic() + timeout
        while True:
            done, message = self.message()
            if done:
                return message
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise TimeoutError
            done, message = self.take()
            if done:
                return message

    def stop(self) -> int:
        """Kill the worker (if alive) and return its exit status (negative: the signal)."""
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        return code

    def stderr_tail(self, limit: int = 1 << 16) -> str:
        """What the worker wrote to stderr since its current job began (its first `limit` bytes)."""
        try:
            self.stderr.flush()
            self.stderr.seek(self.stderr_from)
            return self.stderr.read(limit).decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""


class ReaderPool:
    """Worker processes that read files; see the module's docstring."""

    def __init__(self, target: str, size: int, memory_mb: int) -> None:
        self.target, self.size, self.memory_mb = target, size, memory_mb
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._admin: tuple[Any, bytes] | None = None  # the last lists sent, and their pickle

    def close(self) -> None:
        with self._lock:
            for worker in self._idle:
                worker.stop()
                worker.stderr.close()
            self._idle.clear()

    # -- one batch -------------------------------------------------------------------------------

    def run(self, jobs: list[Job], admin: Any, settings: Settings) -> list[Any]:
        with self._lock:
            results: list[Any] = [None] * len(jobs)
            queue = deque(enumerate(jobs))
            busy: list[_Worker] = []
            while queue or busy:
                while queue and len(busy) < self.size:
                    index, job = queue.popleft()
                    worker = self._start(index, job, admin, settings, results)
                    if worker is not None:
                        busy.append(worker)
                if busy:
                    busy = self._collect(busy, results, settings)
            return results

    def _start(self, index: int, job: Job, admin: Any, settings: Settings, results: list[Any]) -> _Worker | None:
        """Hand a job to a worker (an idle one, or a new one); a worker found dead while idle is
        replaced once, then the file is rejected (nothing of it was read)."""
        for attempt in (1, 2):
            worker = self._idle.pop() if self._idle else self._spawn()
            try:
                if worker.admin_id != id(admin):
                    worker.send(("admin", self._admin_blob(admin)))
                    if worker.wait_message(STARTUP_TIMEOUT_S) != ("ready",):
                        raise EOFError
                    worker.admin_id = id(admin)
                worker.stderr_from = os.fstat(worker.stderr.fileno()).st_size
                worker.send(("job", str(job.path), settings))
            except (OSError, EOFError, TimeoutError, pickle.UnpicklingError):
                code = worker.stop()
                worker.stderr.close()
                if attempt == 2:
                    results[index] = _failed(job, _ended(code, "", settings), settings)
                continue
            worker.job = (index, job)
            worker.deadline = time.monotonic() + settings.reader_timeout_s
            worker.began = datetime.now(UTC)
            return worker
        return None

    def _collect(self, busy: list[_Worker], results: list[Any], settings: Settings) -> list[_Worker]:
        """Wait for the first reply or deadline; returns the workers still busy."""
        timeout = max(min(w.deadline for w in busy) - time.monotonic(), 0)
        ready = {fd for fd in select.select([w.fd for w in busy], [], [], timeout)[0]}
        still: list[_Worker] = []
        for worker in busy:
            assert worker.job is not None
            index, job = worker.job
            try:
                done, reply = worker.take() if worker.fd in ready else worker.message()
            except EOFError:
                tail = worker.stderr_tail()
                results[index] = _failed(job, _ended(worker.stop(), tail, settings), settings)
                results[index].timing = (worker.began or datetime.now(UTC), datetime.now(UTC))
                worker.stderr.close()
                continue
            if done:
                results[index] = self._finish(worker, job, reply, settings)
            elif time.monotonic() >= worker.deadline:
                worker.stop()
                worker.stderr.close()
                results[index] = _failed(job, _timed_out(settings), settings)
            else:
                still.append(worker)
                continue
            results[index].timing = (worker.began or datetime.now(UTC), datetime.now(UTC))
        return still

    def _finish(self, worker: _Worker, job: Job, reply: Any, settings: Settings) -> Any:
        worker.job = None
        kind, payload, recycle = reply
        if recycle:  # after a MemoryError or a failure, a fresh process for the next file
            worker.stop()
            worker.stderr.close()
        else:
            self._idle.append(worker)
        if kind == "ok":
            return _name_errors(payload, job)
        if "MemoryError" in payload:
            mb = f"{settings.reader_memory_mb:,}"
            return _failed(job, (f"đọc tệp vượt giới hạn bộ nhớ {mb.replace(',', '.')} MB ({payload})",
                                 f"reading the file exceeded the {mb} MB memory limit ({payload})"), settings)
        return _failed(job, (f"lỗi trong tiến trình đọc: {payload}", f"error in the reading process: {payload}"),
                       settings)

    def _admin_blob(self, admin: Any) -> bytes:
        if self._admin is None or self._admin[0] is not admin:
            self._admin = (admin, pickle.dumps(admin, protocol=pickle.HIGHEST_PROTOCOL))
        return self._admin[1]

    def _spawn(self) -> _Worker:
        stderr = tempfile.TemporaryFile(prefix="ntm-reader-")
        proc = subprocess.Popen([sys.executable, "-m", "ingest.intake.isolation"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=stderr, close_fds=True)
        worker = _Worker(proc, stderr)
        try:
            worker.send(("init", list(sys.path), self.target, self.memory_mb))
            if worker.wait_message(STARTUP_TIMEOUT_S) != ("ready",):
                raise EOFError
        except (OSError, EOFError, TimeoutError, pickle.UnpicklingError) as exc:
            tail = worker.stderr_tail()
            code = worker.stop()
            stderr.close()
            raise WorkerError(f"a reading process could not start (exit {code}): {tail.strip()[-500:]}") from exc
        return worker


def _ended(code: int, tail: str, settings: Settings) -> tuple[str, str]:
    """(vi, en) of how a worker ended while reading a file."""
    said = _last_words(tail)
    said_vi = f"; thông báo: {said}" if said else ""
    said_en = f"; it said: {said}" if said else ""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return (f"tiến trình đọc tệp bị dừng bởi tín hiệu {name} (thư viện đọc bảng tính gặp lỗi nghiêm trọng, "
                f"thường vì tệp đòi nhiều hơn giới hạn bộ nhớ {settings.reader_memory_mb:,} MB){said_vi}".replace(",", "."),
                f"the reading process was stopped by {name} (the workbook library failed hard, usually because the "
                f"file asks for more than the {settings.reader_memory_mb:,} MB memory limit){said_en}")
    return (f"tiến trình đọc tệp kết thúc bất thường (mã thoát {code}){said_vi}",
            f"the reading process ended unexpectedly (exit code {code}){said_en}")


def _last_words(tail: str) -> str:
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    for line in lines:
        if "memory allocation of" in line or "MemoryError" in line:
            return line[:300]
    for line in lines:  # a Rust panic's first line, else the last line
        if "panicked at" in line:
            return line[:300]
    return lines[-1][:300] if lines else ""


def _timed_out(settings: Settings) -> tuple[str, str]:
    limit = f"{settings.reader_timeout_s:g}"
    return (f"đọc tệp vượt quá thời gian cho phép {limit.replace('.', ',')} giây; tiến trình đọc đã bị dừng",
            f"reading the file took longer than the {limit} s time limit; the reading process was stopped")


def _failed(job: Job, what: tuple[str, str], settings: Settings) -> ReadResult:
    vi, en = what
    finding = Finding(
        "error", "reader_error",
        f"Không đọc được tệp '{job.name}': {vi}. Tệp bị từ chối, các tệp khác vẫn được xử lý. Hãy mở tệp bằng "
        f"Excel, xoá các dòng, cột thừa, lưu lại rồi gửi lại; nếu vẫn lỗi, hãy báo cho nhóm dữ liệu.",
        f"could not read {job.name!r}: {en}. The file is rejected; the other files go on. Open it in Excel, delete "
        f"rows and columns beyond the data, save and send it again; if it still fails, tell the data team.",
        value=job.name)
    return ReadResult({}, [finding], "unknown", {})


def _name_errors(result: Any, job: Job) -> Any:
    """A reader_error found inside the worker names the file too."""
    if not any(f.check_name == "reader_error" and f.value is None for f in result.findings):
        return result
    result.findings = [replace(f, value=job.name) if f.check_name == "reader_error" and f.value is None else f
                       for f in result.findings]
    return result


# ---------------------------------------------------------------------------------------------
# the worker's side


def _recv(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    return pickle.loads(stream.read(size))


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _resolve(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _limit_memory(memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def worker_main() -> None:
    """A worker: read jobs from stdin until it closes, answer on a private copy of stdout."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print goes to stderr, never into the protocol
    source = sys.stdin.buffer
    init = _recv(source)
    if init is None:
        return
    _, path_entries, target, memory_mb = init
    sys.path[:] = list(dict.fromkeys([*path_entries, *sys.path]))
    read = _resolve(target)
    _limit_memory(memory_mb)
    _send(out, ("ready",))
    admin = None
    while (message := _recv(source)) is not None:
        if message[0] == "admin":
            admin = pickle.loads(message[1])
            _send(out, ("ready",))
            continue
        _, path, settings = message
        try:
            result = read(Path(path), admin, settings)
            recycle = any(f.check_name == "reader_error" for f in result.findings)
            reply: tuple[str, Any, bool] = ("ok", result, recycle)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, then a fresh process
            reply = ("failed", repr(exc)[:500], True)
        try:
            _send(out, reply)
        except MemoryError:
            _send(out, ("failed", "MemoryError while returning the result", True))
        if reply[2]:
            return


if __name__ == "__main__":
    worker_main()

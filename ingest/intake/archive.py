"""The content-addressed archive: every received file, byte for byte, under its SHA-256.

A folder of CSVs is archived as a deterministic, uncompressed zip of its files (sorted names,
fixed timestamps), so the same folder always has the same hash, the reader reads it back as a
zip, and the zip-bomb ratio check never mistakes a folder for a bomb.

Only regular files are archived (ingest/intake/filecheck.py): a link, a named pipe or a device is
refused (`Refused`, `unsafe_file`) before it is opened, and the copy stops after the size limit
(`file_too_large`), so neither /dev/zero nor a file growing while it is copied can fill the disk.

The archive is a folder or an object-storage URL (`NTM_ARCHIVE_URL`, ingest/intake/storage.py):
a remote archive receives each file once, keyed by its hash (the same bytes again are not sent
again), and `archive_path` is then the object's URL.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ingest.intake import storage
from ingest.intake.filecheck import Refused, check_path, folder_files, open_regular, read_bounded, too_large

CHUNK = 1 << 20


@dataclass(frozen=True)
class Archived:
    file_name: str
    sha256: str
    bytes: int
    file_format: str  # xlsx / zip / csv_dir / unknown
    archive_path: str  # a local path or the object's URL; "" when nothing was archived


def file_format_of(path: Path) -> str:
    if path.is_dir() and not path.is_symlink():
        return "csv_dir"
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return "xlsx"
    if suffix == ".zip":
        return "zip"
    return "unknown"


def _zip_folder(folder: Path, limit: int) -> bytes:
    """The folder's regular files as a deterministic zip; at most `limit` bytes read in all."""
    buf = io.BytesIO()
    left = limit
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for f in folder_files(folder):
            try:
                data = read_bounded(f, left)
            except Refused as exc:
                if exc.findings[0].check_name == "file_too_large":
                    raise Refused([too_large(folder.name, limit)], "csv_dir", limit - left + exc.size) from exc
                raise
            left -= len(data)
            info = zipfile.ZipInfo(f.name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, data)
    return buf.getvalue()


def _store(src: io.BufferedIOBase, archive_dir: Path, suffix: str, limit: int | None = None,
           name: str = "") -> tuple[str, int, Path]:
    """Copy a stream into the archive while hashing it; returns (sha256, bytes, path). More than
    `limit` bytes refuse the file (`file_too_large`): the copy stops there and is removed."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=archive_dir, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(CHUNK if limit is None else min(CHUNK, limit + 1 - size)):
                digest.update(chunk)
                size += len(chunk)
                if limit is not None and size > limit:
                    raise Refused([too_large(name, limit)], size=size)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        final = archive_dir / sha[:2] / f"{sha}{suffix}"
        final.parent.mkdir(exist_ok=True)
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, final)
        return sha, size, final
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def archive(path: Path, archive_at: str | Path, limit: int | None = None) -> Archived:
    """Archive `path` (a regular file or a real folder of CSVs) into the archive folder or URL
    `archive_at` and return what was stored; raises `Refused` for a link or special file, or over
    `limit` bytes (nothing is kept then), and `storage.StorageError` when a remote archive cannot
    be written (the message names its URL)."""
    check_path(path)
    limit = (1 << 62) if limit is None else limit
    remote = storage.is_remote(archive_at)
    staging = Path(tempfile.mkdtemp(prefix="ntm-archive-")) if remote else storage.local_path(archive_at)
    try:
        fmt = file_format_of(path)
        if fmt == "csv_dir":
            sha, size, final = _store(io.BytesIO(_zip_folder(path, limit)), staging, ".zip")
        else:
            suffix = path.suffix.lower() if path.suffix.lower() in (".xlsx", ".zip", ".csv") else ".bin"
            with os.fdopen(open_regular(path), "rb") as src:
                sha, size, final = _store(src, staging, suffix, limit, path.name)
        if not remote:
            return Archived(path.name, sha, size, fmt, str(final))
        url = storage.join(str(archive_at), sha[:2], final.name)
        if not storage.exists(url):  # content-addressed: the same bytes are stored once
            storage.put(final, url)
        return Archived(path.name, sha, size, fmt, url)
    finally:
        if remote:
            shutil.rmtree(staging, ignore_errors=True)

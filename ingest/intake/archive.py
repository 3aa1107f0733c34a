"""The content-addressed archive: every received file, byte for byte, under its SHA-256.

A folder of CSVs is archived as a deterministic, uncompressed zip of its files (sorted names,
fixed timestamps), so the same folder always has the same hash, the reader reads it back as a
zip, and the zip-bomb ratio check never mistakes a folder for a bomb.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


@dataclass(frozen=True)
class Archived:
    file_name: str
    sha256: str
    bytes: int
    file_format: str  # xlsx / zip / csv_dir / unknown
    archive_path: Path


def file_format_of(path: Path) -> str:
    if path.is_dir():
        return "csv_dir"
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return "xlsx"
    if suffix == ".zip":
        return "zip"
    return "unknown"


def _zip_folder(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for f in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            info = zipfile.ZipInfo(f.name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, f.read_bytes())
    return buf.getvalue()


def _store(src: io.BufferedIOBase, archive_dir: Path, suffix: str) -> tuple[str, int, Path]:
    """Copy a stream into the archive while hashing it; returns (sha256, bytes, path)."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=archive_dir, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
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


def archive(path: Path, archive_dir: Path) -> Archived:
    """Archive `path` (a file or a folder of CSVs) and return what was stored."""
    fmt = file_format_of(path)
    if fmt == "csv_dir":
        sha, size, final = _store(io.BytesIO(_zip_folder(path)), archive_dir, ".zip")
    else:
        suffix = path.suffix.lower() if path.suffix.lower() in (".xlsx", ".zip", ".csv") else ".bin"
        with path.open("rb") as src:
            sha, size, final = _store(src, archive_dir, suffix)
    return Archived(path.name, sha, size, fmt, final)

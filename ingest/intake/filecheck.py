"""Only regular files are read: what a district sent is checked with `lstat` (never following a
link) before anything opens it, then opened with O_NOFOLLOW | O_NONBLOCK and checked again with
`fstat` on the open descriptor (a file swapped for a link or a pipe between the two checks is
still refused, and opening a named pipe never blocks). A symbolic link, a named pipe, a device
or a socket is refused as `unsafe_file` without reading its target; a file that is (or grows)
over the size limit is refused as `file_too_large` after at most limit + 1 bytes were read."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from ingest.findings import Finding

_KINDS = {
    stat.S_IFLNK: ("liên kết tượng trưng (symbolic link)", "a symbolic link"),
    stat.S_IFIFO: ("ống dẫn có tên (named pipe)", "a named pipe"),
    stat.S_IFCHR: ("thiết bị ký tự (character device)", "a character device"),
    stat.S_IFBLK: ("thiết bị khối (block device)", "a block device"),
    stat.S_IFSOCK: ("socket", "a socket"),
}
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class Refused(Exception):
    """A received path that must not be archived: its findings and a stand-in hash (the target's
    bytes were never read, so there is nothing to hash: see `marker_sha256`)."""

    def __init__(self, findings: list[Finding], file_format: str = "unknown", size: int = 0) -> None:
        super().__init__("; ".join(f.message_en for f in findings))
        self.findings = findings
        self.file_format = file_format
        self.size = size


def marker_sha256(file_name: str, findings: list[Finding]) -> str:
    """The hash recorded for a refused path: of a description, never of the target's bytes, so a
    refused link never shares a hash with a real file (the same refusal again is a duplicate)."""
    text = "refused\0" + file_name + "\0" + "\0".join(f"{f.check_name}:{f.value}" for f in findings)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def kind_of(mode: int) -> tuple[str, str] | None:
    """(Vietnamese, English) name of a mode that is neither a regular file nor a folder."""
    fmt = stat.S_IFMT(mode)
    if fmt in (stat.S_IFREG, stat.S_IFDIR):
        return None
    return _KINDS.get(fmt, ("loại tệp đặc biệt", "a special file"))


def unsafe_file(name: str, kind: tuple[str, str]) -> Finding:
    vi, en = kind
    return Finding("error", "unsafe_file",
                   f"'{name}' là {vi}, không phải tệp thông thường; không đọc. Hãy gửi chính tệp bảng tính "
                   f"(.xlsx) hoặc tệp CSV, không gửi liên kết hay tệp đặc biệt.",
                   f"{name!r} is {en}, not a regular file; it was not read. Send the workbook (.xlsx) or "
                   f"CSV file itself, not a link or a special file.", value=name)


def too_large(name: str, limit: int, size: int | None = None) -> Finding:
    mb = limit / 1024 / 1024
    got_vi = f"{size:,} byte" if size is not None else "hơn giới hạn"
    got_en = f"{size:,} bytes" if size is not None else "more than that"
    return Finding("error", "file_too_large",
                   f"Tệp '{name}' có {got_vi}, vượt giới hạn {mb:g} MB ({limit:,} byte); đã dừng sao lưu.",
                   f"the file {name!r} has {got_en}, over the {mb:g} MB limit ({limit:,} bytes); archiving "
                   f"stopped there.", value=size if size is not None else limit + 1)


def unreadable(name: str, exc: OSError) -> Finding:
    return Finding("error", "file_unreadable", f"Không đọc được '{name}': {exc.strerror or exc}",
                   f"cannot read {name!r}: {exc.strerror or exc}", value=name)


def lstat_kind(path: Path) -> tuple[str, str] | None:
    """What `path` itself is (a link is never followed): None for a regular file or a folder."""
    try:
        return kind_of(os.lstat(path).st_mode)
    except OSError as exc:  # gone since it was listed, or not allowed: this file only is refused
        raise Refused([unreadable(path.name, exc)]) from exc


def check_path(path: Path) -> None:
    """Refuse a path that is not a regular file or a real folder (`lstat`: links not followed)."""
    kind = lstat_kind(path)
    if kind is not None:
        raise Refused([unsafe_file(path.name, kind)])


def folder_files(folder: Path) -> list[Path]:
    """The regular files of a CSV folder (hidden names and real subfolders skipped); any link or
    special file among them refuses the whole folder, each one named."""
    files, bad = [], []
    for child in sorted(folder.iterdir()):
        if child.name.startswith("."):
            continue
        kind = lstat_kind(child)
        if kind is None and child.is_dir():
            continue
        if kind is None:
            files.append(child)
        else:
            bad.append(unsafe_file(f"{folder.name}/{child.name}", kind))
    if bad:
        raise Refused(bad, "csv_dir")
    return files


def open_regular(path: Path) -> int:
    """A descriptor of `path`, which is a regular file (checked on the open descriptor)."""
    check_path(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:  # ELOOP: replaced by a link after the lstat; or not allowed
        kind = lstat_kind(path) if os.path.lexists(path) else None
        raise Refused([unsafe_file(path.name, kind) if kind else unreadable(path.name, exc)]) from exc
    kind = kind_of(os.fstat(fd).st_mode)
    if kind is not None or stat.S_ISDIR(os.fstat(fd).st_mode):
        os.close(fd)
        raise Refused([unsafe_file(path.name, kind or ("thư mục", "a folder"))])
    os.set_blocking(fd, True)
    return fd


def read_bounded(path: Path, limit: int) -> bytes:
    """All of a regular file, refused as too large once more than `limit` bytes were read."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as src:
        data = src.read(limit + 1)
    if len(data) > limit:
        raise Refused([too_large(path.name, limit)], size=len(data))
    return data

"""Shared storage given by URL: a local folder (a path or `file://...`) or object storage
(`s3://bucket/prefix`, any S3-compatible server), through fsspec (s3fs for `s3://`).

Nothing that more than one worker needs lives on a worker's own disk: the archive
(`NTM_ARCHIVE_URL`) and the inbox (`NTM_INBOX`) may be such URLs. Readers that need a local file
(calamine, zipfile) fetch the object into a temporary folder first (`fetched`), which is removed
when they are done. S3 credentials and the endpoint come from the standard AWS environment
variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`).

A storage that cannot be used raises `StorageError`, whose message names the URL: a missing
bucket, an unreachable endpoint, refused credentials.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# a short budget: an unreachable endpoint is one clear error in seconds, not minutes of retries
_S3_OPTIONS: dict[str, Any] = {"use_listings_cache": False, "config_kwargs": {"connect_timeout": 5, "read_timeout": 30,
                                                 "retries": {"max_attempts": 2}}}


class StorageError(OSError):
    """Shared storage could not be used; the message names the URL and why."""


def is_remote(location: str | os.PathLike[str]) -> bool:
    """Whether a location is object storage (`s3://...`), not a local path or `file://` URL."""
    text = str(location)
    return "://" in text and not text.startswith("file://")


def local_path(location: str | os.PathLike[str]) -> Path:
    """The local path of a folder location (a path or a `file://` URL)."""
    return Path(str(location).removeprefix("file://"))


def join(base: str, *parts: str) -> str:
    """`base/part/...` for a URL or a path."""
    if is_remote(base):
        return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])
    return str(local_path(base).joinpath(*parts))


def filesystem(url: str) -> Any:
    """The fsspec file system of a remote URL (cached by fsspec per options)."""
    import fsspec

    protocol = url.split("://", 1)[0]
    options: dict[str, Any] = dict(_S3_OPTIONS) if protocol in ("s3", "s3a") else {}
    if protocol in ("s3", "s3a") and os.environ.get("AWS_ENDPOINT_URL"):
        options["endpoint_url"] = os.environ["AWS_ENDPOINT_URL"]
    try:
        return fsspec.filesystem(protocol, **options)
    except (ImportError, ValueError) as exc:
        raise StorageError(f"{url}: no storage driver for {protocol}:// ({exc})") from exc


def _fail(url: str, exc: BaseException) -> StorageError:
    """A StorageError naming the URL, the storage's own reason kept short (one line)."""
    if isinstance(exc, StorageError):
        return exc
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, FileNotFoundError) or "NoSuchBucket" in reason:
        why = f"not found (does the bucket exist?): {reason}"
    elif "Could not connect" in reason or "Connect timeout" in reason or isinstance(exc, ConnectionError):
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "the default endpoint")
        why = f"storage unreachable at {endpoint}: {reason}"
    else:
        why = reason
    return StorageError(f"{url}: {why[:300]}")


def _call(url: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - every storage error becomes one StorageError naming the URL
        raise _fail(url, exc) from exc


def check(url: str) -> None:
    """Raise StorageError when a remote location's bucket cannot be used (missing, unreachable)."""
    if not is_remote(url):
        return
    fs = filesystem(url)
    bucket = url.split("://", 1)[1].split("/", 1)[0]
    try:
        fs.call_s3("head_bucket", Bucket=bucket)  # raises, unlike exists(), when the endpoint is unreachable
    except FileNotFoundError:
        raise StorageError(f"{url}: bucket {bucket!r} not found (create it, or fix the URL)") from None
    except Exception as exc:  # noqa: BLE001 - see _call
        raise _fail(url, exc) from exc


def exists(url: str) -> bool:
    if not is_remote(url):
        return local_path(url).exists()
    return bool(_call(url, filesystem(url).exists, url))


def modified(location: str) -> datetime | None:
    """When a file was last written (UTC): a local path's own time (a link's, not its target's),
    an object's LastModified. None when it does not exist, and for a remote folder (no such time)."""
    if not is_remote(location):
        try:
            return datetime.fromtimestamp(os.lstat(local_path(location)).st_mtime, UTC)
        except FileNotFoundError:
            return None
    try:
        info = filesystem(location).info(location)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - see _call
        raise _fail(location, exc) from exc
    stamp = info.get("LastModified") if info.get("type") != "directory" else None
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return None


def put(local: Path, url: str) -> None:
    """Copy a local file to `url` (a path or a URL)."""
    if not is_remote(url):
        target = local_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, target)
        return
    _call(url, filesystem(url).put_file, str(local), url)


def get(url: str, local: Path) -> Path:
    """Copy `url` (a file, or a folder recursively) to the local path `local`."""
    if not is_remote(url):
        src = local_path(url)
        if src.is_dir():
            shutil.copytree(src, local)
        else:
            shutil.copyfile(src, local)
        return local
    fs = filesystem(url)
    if _call(url, fs.isdir, url):
        local.mkdir(parents=True, exist_ok=True)
        for entry in entries(url):
            get(entry.url, local / entry.name)
    else:
        _call(url, fs.get_file, url, str(local))
    return local


class Entry:
    """One child of a listed folder: its URL, name and whether it is a folder."""

    __slots__ = ("url", "name", "is_dir")

    def __init__(self, url: str, name: str, is_dir: bool) -> None:
        self.url, self.name, self.is_dir = url, name, is_dir

    def __repr__(self) -> str:
        return f"Entry({self.url!r}, is_dir={self.is_dir})"


def entries(url: str) -> list[Entry]:
    """The children of a remote folder, sorted by name; [] when the folder does not exist.
    (A missing bucket is an error, not an empty folder.)"""
    fs = filesystem(url)
    protocol = url.split("://", 1)[0]
    try:
        listed = fs.ls(url.rstrip("/"), detail=True)
    except FileNotFoundError:
        check(url)
        return []
    except Exception as exc:  # noqa: BLE001 - see _call
        raise _fail(url, exc) from exc
    out = []
    base = url.split("://", 1)[1].rstrip("/")
    for info in listed:
        name = info["name"].rstrip("/").rsplit("/", 1)[-1]
        if info["name"].rstrip("/") == base or not name:
            continue
        out.append(Entry(f"{protocol}://{info['name'].rstrip('/')}", name, info.get("type") == "directory"))
    return sorted(out, key=lambda e: e.name)


def listing(url: str) -> list[str]:
    """Names in a folder (local or remote), sorted; [] when it does not exist."""
    if not is_remote(url):
        folder = local_path(url)
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return [e.name for e in entries(url)]


@contextmanager
def fetched(locations: Sequence[str]) -> Iterator[list[Path]]:
    """Local paths for the given locations, in order: a local path as it is, a remote object
    copied into a temporary folder (its own name kept) that is removed afterwards."""
    remote = [i for i, loc in enumerate(locations) if loc and is_remote(loc)]
    if not remote:
        yield [Path(loc) for loc in locations]
        return
    tmp = Path(tempfile.mkdtemp(prefix="ntm-fetch-"))
    try:
        out = [Path(loc) for loc in locations]
        for n, i in enumerate(remote):
            folder = tmp / str(n)
            folder.mkdir()
            out[i] = get(locations[i], folder / locations[i].rstrip("/").rsplit("/", 1)[-1])
        yield out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

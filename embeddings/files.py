"""Durable writes: data synced to disk before it counts, so a crash leaves the old state or the new one."""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_synced(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and sync it to disk."""
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_folder(folder: Path) -> None:
    """Sync a folder's entries (a new, renamed or removed file in it) to disk."""
    _fsync(folder)


def cached(target: Path, version: str, make: Callable[[Path], None]) -> Path:
    """``target``, a file or a folder that ``make(path)`` writes at ``path``, built once for ``version``
    (what changes the result: the code's version, the source's checksum…); returns ``target``.

    It counts as built while its marker, ``.NAME.version`` beside it, records ``version``. Otherwise
    one process builds it and any other waits for it (the marker is also the lock; a process that
    waited finds it built): ``make`` writes into a temporary folder beside ``target``, synced to disk;
    then the marker is emptied, the result put in ``target``'s place, and the marker records
    ``version``, last. A process killed at any point leaves the old ``target`` with its marker, or
    an empty marker (the next call builds it again), never a half-built ``target`` taken as built;
    the next build removes what a killed one left. A ``make`` that raises leaves things as they were.
    """
    if not version:
        raise ValueError("a cached file needs a version to record")
    if is_cached(target, version):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = f".{target.name}.building-"
    with cache_marker(target).open("a+", encoding="utf-8") as marker:
        fcntl.flock(marker, fcntl.LOCK_EX)
        if is_cached(target, version):  # another process built it while this one waited
            return target
        for leftover in target.parent.glob(glob.escape(staging) + "*"):  # of a build that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=staging, dir=target.parent))
        try:
            staged = work / target.name
            make(staged)
            _sync(staged)
            _record(marker, "")  # from here until the version is recorded, ``target`` is not built
            if os.path.lexists(target) and (staged.is_dir() or target.is_dir()):
                os.rename(target, work / "replaced")  # renaming onto a folder does not replace it
            os.replace(staged, target)
            fsync_folder(target.parent)
            _record(marker, version)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def cache_marker(target: Path) -> Path:
    """The marker ``cached`` keeps beside ``target`` (to be removed with it)."""
    return target.with_name(f".{target.name}.version")


def is_cached(target: Path, version: str) -> bool:
    """Whether ``cached`` built ``target`` for ``version`` (and it is still there)."""
    try:
        return cache_marker(target).read_text(encoding="utf-8") == version and target.exists()
    except OSError:
        return False


def _record(marker, version: str) -> None:
    marker.seek(0)
    marker.truncate()
    marker.write(version)
    marker.flush()
    os.fsync(marker.fileno())


def _sync(path: Path) -> None:
    """Sync a file, or a folder with everything in it, to disk."""
    if path.is_file():
        _fsync(path)
        return
    for folder, _, files in os.walk(path):
        for name in files:
            _fsync(Path(folder) / name)
        _fsync(Path(folder))


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

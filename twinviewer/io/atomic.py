"""Crash-safe file replacement: write a sibling temp file, fsync it, rename it over the target.

A reader (or the next start after a power cut) sees either the complete old file or the
complete new one, never a mixture: ``os.replace`` is atomic within one directory on POSIX and
Windows, and fsyncing the file before and the directory after the rename makes it durable.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically and durably.

    Parameters
    ----------
    path : Path
        Target file; its directory must exist.
    data : bytes
        The complete new content.

    Raises
    ------
    OSError
        Naming the path, if the directory is not writable or the disk is full; the old file,
        if any, is left as it was and no temp file remains.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _copy_mode(path, tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    _fsync_dir(directory)
    _sweep_stale(directory, path.name)


STALE_S = 600.0


def _sweep_stale(directory: Path, name: str) -> None:
    """Remove temp files that writers killed mid-save left behind (older than 10 min)."""
    now = time.time()
    for p in directory.glob(f".{glob.escape(name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > STALE_S:
                p.unlink()


def _copy_mode(target: Path, tmp: str) -> None:
    """Give the new file the old file's permissions (or the umask default for a new one);
    mkstemp creates 0600."""
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    os.chmod(tmp, mode)


def _umask() -> int:
    # Reading the umask with os.umask() would briefly change it for every thread.
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # Windows cannot open a directory; NTFS journals the rename
        return
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass  # some file systems (e.g. certain network mounts) refuse directory fsync
    finally:
        os.close(dfd)

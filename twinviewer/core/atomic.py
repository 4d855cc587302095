"""Crash-safe, private file replacement: write a sibling temp file, fsync it, rename it.

A reader (or the next start after a power cut) sees either the complete old file or the
complete new one, never a mixture: ``os.replace`` is atomic within one directory on POSIX and
Windows, and fsyncing the file before and the directory after the rename makes it durable.

Privacy: the temp file is created 0600 (``mkstemp``) and a new target keeps 0600 (patient
data are never readable by others); an existing target keeps its own mode. Folders made with
:func:`private_dir` are 0700.

Interrupted saves: the writer holds an exclusive ``flock`` on its temp file while it writes.
A temp file whose lock can be taken belongs to a writer that died (the kernel drops the lock
with the process), so :func:`sweep_temp_files` removes it whatever its age. It runs after
every save into the same folder and at start (:class:`twinviewer.io.autosave.Autosaver`).
Where ``flock`` does not exist (Windows) a temp file older than :data:`STALE_S` is removed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

STALE_S = 600.0  # without flock: a temp file older than this is a dead writer's
_MIN_AGE_S = 1.0  # a temp file between mkstemp and flock (microseconds) is never swept
FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path | str) -> Path:
    """Create ``path`` (and parents) owner-only (0700); tighten it if it exists.

    Examples
    --------
    >>> import tempfile; d = private_dir(Path(tempfile.mkdtemp()) / "store")
    >>> oct(d.stat().st_mode & 0o777)
    '0o700'
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        os.chmod(path, DIR_MODE)
    return path


def atomic_write_bytes(path: Path, data: bytes, *,
                       before_replace: Callable[[os.stat_result], None] | None = None) -> None:
    """Replace ``path`` by ``data`` atomically and durably.

    Parameters
    ----------
    path : Path
        Target file; its directory must exist. A new file is created 0600; an existing one
        keeps its mode.
    data : bytes
        The complete new content.
    before_replace : callable, optional
        Called with the new file's ``stat`` (written and synced, not yet renamed: the
        stamp of what this write leaves at ``path``) right before the rename; it may raise
        to leave ``path`` as it is (the caller's last check that nobody else wrote it).

    Raises
    ------
    OSError
        Naming the path, if the directory is not writable or the disk is full; the old file,
        if any, is left as it was and no temp file remains.

    Examples
    --------
    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "a.bin"
    >>> atomic_write_bytes(p, b"x"); p.read_bytes(), oct(p.stat().st_mode & 0o777)
    (b'x', '0o600')
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # "alive" marker for the sweeper
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            _copy_mode(path, tmp)
            if before_replace is not None:
                before_replace(os.fstat(fh.fileno()))
            os.replace(tmp, path)  # still locked: a sweeper never sees an unlocked temp
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    _fsync_dir(directory)
    sweep_temp_files(directory, path.name)


def sweep_temp_files(directory: Path | str, name: str | None = None) -> int:
    """Remove the temp files that writers killed mid-save left in ``directory``.

    Parameters
    ----------
    directory : Path or str
    name : str, optional
        Only the temp files of this target (default: of every target).

    Returns
    -------
    int
        Number of files removed. A temp file a live writer holds is never touched.
    """
    pattern = f".{glob.escape(name)}.*.tmp" if name else ".*.tmp"
    removed = 0
    now = time.time()
    for p in Path(directory).glob(pattern):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime < _MIN_AGE_S or not _abandoned(p, now):
                continue
            p.unlink()
            removed += 1
    return removed


def _abandoned(p: Path, now: float) -> bool:
    if fcntl is None:
        return now - p.stat().st_mtime > STALE_S
    fd = os.open(p, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live writer holds it
    finally:
        os.close(fd)  # releases our lock too
    return True


def _copy_mode(target: Path, tmp: str) -> None:
    """Give the new file the old file's permissions, or 0600 for a new one (mkstemp's)."""
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = FILE_MODE
    os.chmod(tmp, mode)


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

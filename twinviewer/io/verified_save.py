"""Rewrite a .twin file in place only after the new bytes have been read back.

A command that rewrites a patient's file (``visit add``, ``calibrate`` ...) must never replace
a loadable file by one the reader rejects: the bytes are built in memory, loaded with the same
reader the app uses, and only then written atomically. If the check fails the original file
stays untouched and the error names the problem.
"""

from __future__ import annotations

from pathlib import Path

from twinviewer.core.atomic import atomic_write_bytes
from twinviewer.core.twin import Twin
from twinviewer.io.disk_stamp import DiskStamp, refuse_if_changed
from twinviewer.io.errors import TwinFileError
from twinviewer.io.twinfile import load_twin_bytes, twin_bytes


def save_twin_verified(path: Path | str, twin: Twin, *, passphrase: str | None = None,
                       unchanged_since: DiskStamp | None = None, **kwargs) -> Path:
    """:func:`~twinviewer.io.twinfile.save_twin`, but the written bytes are loaded back first.

    Parameters
    ----------
    path : Path or str
        Target .twin file; replaced atomically only if the new bytes load.
    twin : Twin
    passphrase : str, optional
        Encrypt (and decrypt for the check) with this passphrase.
    unchanged_since : DiskStamp, optional
        What ``path`` was when the command read it: if another writer (TwinViewer's Save,
        another command) changed it since, nothing is written (review14 #1).
    **kwargs
        ``results``, ``parameters``, ``audit``, ``keep_identifiers`` as for ``save_twin``.

    Raises
    ------
    TwinFileError
        The new file would not load, or ``path`` changed since ``unchanged_since`` (the
        original is kept; the message says why).

    Examples
    --------
    >>> import tempfile
    >>> from twinviewer.twins import twin_from_preset
    >>> p = Path(tempfile.mkdtemp()) / "t.twin"
    >>> save_twin_verified(p, twin_from_preset("healthy", n=2)).name
    't.twin'
    """
    path = Path(path)
    data = twin_bytes(twin, passphrase=passphrase, **kwargs)
    try:
        load_twin_bytes(data, name=path.name, passphrase=passphrase)
    except TwinFileError as exc:
        raise TwinFileError(f"not written: the updated twin would not load back ({exc}); "
                            f"{path.name} is unchanged") from None
    # checked right before the rename, not before the bytes are built and read back:
    # another writer's save meanwhile is never replaced unseen (final14 #2)
    atomic_write_bytes(path, data, before_replace=lambda _st: refuse_if_changed(
        path, unchanged_since, "while this command ran", then="run the command again"))
    return path

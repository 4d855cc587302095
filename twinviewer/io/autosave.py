"""Autosave and crash recovery, without Qt (the GUI drives it with a timer).

Autosaves live in ``<platformdirs user data dir>/twinviewer/autosave/``, one file per twin,
named by an HMAC of the twin's pseudonym under the installation's secret de-identification
key: the name cannot be reversed to the pseudonym, and not even a kept identifier becomes a
file name. An index records, per file, when the user last saved explicitly;
:meth:`Autosaver.pending_recovery` lists autosaves newer than that, which the application
offers to restore at start; that call also removes the temp files of saves a crash
interrupted (:func:`twinviewer.core.atomic.sweep_temp_files`). The folder is 0700, files 0600.
The index also keeps, per autosave, the twin's pseudonym (only a TwinViewer pseudonym, never
a kept identifier) and the .twin file the work belongs to, so the recovery prompt names both
and the restored twin is saved back to its own file. A path can hold a patient's name
("/home/dr/Smith_John/case.twin"), so the index never holds it in clear: it is sealed with
AES-256-GCM under a key derived from the same installation secret (the entry's file name as
associated data, so a sealed path cannot be moved to another entry). What this protects
against: the index alone -- copied, attached to a bug report, found by a grep or an indexer
of the disk, read by another local user -- shows no path. What it does not protect against:
the key file (``deidentification.key``) sits in the same user data folder as
``autosave/``, so anyone who has both -- the user's account, or a backup or copy of the
whole data folder -- can unseal the paths; they can equally re-link pseudonyms with that
key. Indexes of earlier versions (path in clear) are sealed on first read.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from twinviewer.core.atomic import atomic_write_bytes, private_dir, sweep_temp_files
from twinviewer.core.twin import Twin
from twinviewer.io.audit import AuditLog
from twinviewer.io.disk_stamp import DiskStamp
from twinviewer.io.errors import TwinFileError
from twinviewer.io.privacy import is_pseudonym
from twinviewer.io.twinfile import TwinDocument, load_twin, twin_bytes

INDEX = "index.json"
APP_NAME = "twinviewer"
#: prefix of a sealed path in the index (version 1: AES-256-GCM, 12-byte nonce, base64url)
SEALED = "sealed1:"


def default_autosave_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "autosave"


def _stamp(raw: Any) -> DiskStamp | None:
    """The index's ``[size, mtime_ns]`` as a stamp (None: absent or not two integers)."""
    if (isinstance(raw, list) and len(raw) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)):
        return DiskStamp(raw[0], raw[1])
    return None


@dataclass(frozen=True)
class Recovery:
    """An autosave that is newer than the last explicit save of its twin."""

    key: str
    path: Path
    autosaved_at: float
    saved_at: float | None
    #: the .twin file the work belongs to (None: never saved) and the twin's pseudonym
    file: Path | None = None
    label: str = ""
    #: False when the index names a file this installation cannot read back (see ``unseal``)
    file_readable: bool = True
    #: what ``file`` was on disk when the work began (opened or last saved; None: unknown):
    #: a Save of the recovered work asks if another writer changed it since (review14 #1)
    disk: DiskStamp | None = None

    def describe(self) -> str:
        """'unsaved work on TW-0123456789 (j.twin) autosaved 2026-12-06 15:43'.

        The twin is named by pseudonym and file name only, never the folder: a folder can
        carry the patient's name (``Patients/SMITH_JOHN/case.twin``; review13 #13), which
        the window title also leaves out.

        Examples
        --------
        >>> r = Recovery("k", Path("k.autosave.twin"), 0.0, None, Path("/Smith/j.twin"), "TW-1")
        >>> r.describe().startswith("unsaved work on TW-1 (j.twin) autosaved ")
        True
        """
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.autosaved_at))
        where = (self.file.name if self.file is not None
                 else "never saved to a file" if self.file_readable
                 else "its file could not be read back")
        return f"unsaved work on {self.label or 'a twin'} ({where}) autosaved {when}"


class Autosaver:
    """Writes autosaves and finds the ones to offer for recovery.

    Parameters
    ----------
    directory : Path, optional
        Default :func:`default_autosave_dir`.
    secret : bytes, optional
        Key of the file-name HMAC; default (loaded on first use)
        :func:`twinviewer.imaging.deid.installation_key`.
    """

    def __init__(self, directory: Path | None = None, secret: bytes | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_autosave_dir()
        self._secret = secret

    def _key_bytes(self) -> bytes:
        if self._secret is None:
            from twinviewer.imaging.deid import installation_key  # pydicom: import when needed

            self._secret = installation_key()
        return self._secret

    def key(self, pseudonym: str) -> str:
        """The file-name stem for ``pseudonym``: HMAC-SHA256 under the secret, 20 hex digits."""
        # Own domain prefix: the same key also makes the DICOM pseudonyms and UIDs.
        return hmac.new(self._key_bytes(), f"autosave\x00{pseudonym}".encode(),
                        hashlib.sha256).hexdigest()[:20]

    def _cipher(self) -> AESGCM:
        # a key of its own (domain-separated), never the secret itself
        return AESGCM(hmac.new(self._key_bytes(), b"autosave-path\x00", hashlib.sha256).digest())

    def seal(self, path: str, entry: str) -> str:
        """``path`` encrypted for the index entry ``entry`` (an autosave's key).

        Examples
        --------
        >>> a = Autosaver(Path("/tmp/none"), secret=b"s" * 32)
        >>> token = a.seal("/home/dr/Smith_John/j.twin", "k1")
        >>> "Smith" in token, a.unseal(token, "k1")
        (False, '/home/dr/Smith_John/j.twin')
        """
        nonce = os.urandom(12)
        data = nonce + self._cipher().encrypt(nonce, path.encode("utf-8"), entry.encode())
        return SEALED + base64.urlsafe_b64encode(data).decode("ascii")

    def unseal(self, token: str, entry: str) -> str | None:
        """The path sealed by :meth:`seal`; None if it was sealed by another installation,
        for another entry, or is damaged (the prompt then says the file is unknown)."""
        try:
            data = base64.urlsafe_b64decode(token[len(SEALED):].encode("ascii"))
            return self._cipher().decrypt(data[:12], data[12:], entry.encode()).decode("utf-8")
        except (ValueError, InvalidTag, UnicodeError):
            return None

    def path_for(self, twin: Twin) -> Path:
        return self.directory / f"{self.key(twin.pseudonym)}.autosave.twin"

    def _index(self) -> dict[str, Any]:
        try:
            data = json.loads((self.directory / INDEX).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        legacy = {k: e for k, e in data.items() if isinstance(e, dict)
                  and isinstance(e.get("file"), str) and not e["file"].startswith(SEALED)}
        if legacy:  # an earlier version's index kept the path in clear: seal it now
            for k, e in legacy.items():
                data[k] = {**e, "file": self.seal(e["file"], k)}
            with contextlib.suppress(OSError):
                self._write_index(data)
        return data

    def _write_index(self, index: dict) -> None:
        atomic_write_bytes(self.directory / INDEX, json.dumps(index, indent=1).encode())

    def autosave(self, twin: Twin, *, audit: AuditLog | None = None,
                 keep_identifiers: bool = False, **kw: Any) -> Path:
        """Write the twin's autosave atomically; returns its path."""
        private_dir(self.directory)
        path = self.path_for(twin)
        atomic_write_bytes(path, twin_bytes(twin, audit=audit,
                                            keep_identifiers=keep_identifiers, **kw))
        return path

    def mark_saved(self, twin: Twin, when: float | None = None) -> None:
        """Record an explicit save of ``twin``: its autosave is no longer a recovery."""
        self._update(twin, saved_at=time.time() if when is None else when)

    def note_origin(self, twin: Twin, file: Path | None, disk: DiskStamp | None = None
                    ) -> None:
        """Record which .twin file ``twin``'s autosave belongs to (None: never saved) and
        what it was on disk when the work began (``disk``, see :attr:`Recovery.disk`)."""
        key = self.key(twin.pseudonym)
        self._update(twin, file=None if file is None else self.seal(str(file), key),
                     label=twin.pseudonym if is_pseudonym(twin.pseudonym) else "",
                     disk=None if disk is None else [disk.size, disk.mtime_ns])

    def _update(self, twin: Twin, **entry: Any) -> None:
        private_dir(self.directory)
        index = self._index()
        key = self.key(twin.pseudonym)
        old = index.get(key) if isinstance(index.get(key), dict) else {}
        index[key] = {**old, **entry}
        self._write_index(index)

    def pending_recovery(self) -> list[Recovery]:
        """Autosaves newer than the last explicit save of their twin, newest first."""
        if not self.directory.is_dir():
            return []
        sweep_temp_files(self.directory)  # at start: saves a crash interrupted leave nothing
        index = self._index()
        out = []
        for path in self.directory.glob("*.autosave.twin"):
            key = path.name.split(".", 1)[0]
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            entry = index.get(key) if isinstance(index.get(key), dict) else {}
            saved = entry.get("saved_at")
            sealed = entry.get("file")
            file = self.unseal(sealed, key) if isinstance(sealed, str) else None
            if saved is None or mtime > float(saved):
                out.append(Recovery(key, path, mtime, saved,
                                    Path(file) if file is not None else None,
                                    str(entry.get("label") or ""),
                                    file_readable=file is not None or sealed is None,
                                    disk=_stamp(entry.get("disk"))))
        return sorted(out, key=lambda r: r.autosaved_at, reverse=True)

    def recover(self, recovery: Recovery, passphrase: str | None = None) -> TwinDocument:
        """Load an autosave (raises :class:`TwinFileError` if it is damaged)."""
        return load_twin(recovery.path, passphrase=passphrase)

    def discard(self, recovery_or_twin: Recovery | Twin) -> None:
        """Delete an autosave (after recovery was declined or the twin saved)."""
        path = recovery_or_twin.path if isinstance(recovery_or_twin, Recovery) else \
            self.path_for(recovery_or_twin)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


__all__ = ["Autosaver", "Recovery", "TwinFileError", "default_autosave_dir"]

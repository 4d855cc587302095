"""Headless command on .twin files: ``twinviewer info FILE`` (the report command lives in
:mod:`twinviewer.report.cli`, a layer above).

It returns a process exit code: 0 success, 1 the file loads but its audit trail does not
verify (``info``), 2 the file cannot be read or the report cannot be written. Messages go to
stderr and never carry identifiers beyond what the file itself keeps.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path

from twinviewer.io import crypto
from twinviewer.io.errors import TwinFileError
from twinviewer.io.twinfile import describe, load_twin

log = logging.getLogger("twinviewer.io.cli")
PASSPHRASE_ENV = "TWINVIEWER_PASSPHRASE"


def _passphrase(path: Path) -> str | None:
    """The passphrase for an encrypted file: environment, else a prompt on a terminal."""
    try:
        with open(path, "rb") as fh:
            if not crypto.is_encrypted(fh.read(len(crypto.MAGIC))):
                return None
    except OSError:
        return None
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if sys.stdin.isatty():
        return getpass.getpass(f"passphrase for {path.name}: ")
    return None


def run_info(path: Path | str) -> int:
    """Print a summary of a .twin file and verify its checksums and audit chain.

    Returns
    -------
    int
        0 intact, 1 audit chain broken (summary still printed), 2 unreadable file.
    """
    path = Path(path)
    try:
        doc = load_twin(path, passphrase=_passphrase(path), allow_broken_audit=True)
    except TwinFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(describe(doc)))
    if not doc.chain.ok:
        print(f"error: {path.name}: {doc.chain.message}", file=sys.stderr)
        return 1
    return 0

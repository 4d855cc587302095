"""Headless commands on .twin files: ``twinviewer info FILE`` and ``twinviewer report FILE``.

Both return a process exit code: 0 success, 1 the file loads but its audit trail does not
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
from twinviewer.io.audit import model_identity
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


def run_report(path: Path | str, output: Path | str | None = None) -> int:
    """Write the PDF report of a .twin file (headless).

    Parameters
    ----------
    path : Path or str
        The .twin file.
    output : Path or str, optional
        The PDF; default ``<path without .twin>.pdf``.

    Returns
    -------
    int
        0 written, 2 the twin could not be read (or its audit chain is broken) or the PDF
        could not be written.
    """
    from twinviewer.io.report import write_report

    path = Path(path)
    output = Path(output) if output is not None else path.with_suffix(".pdf")
    try:
        doc = load_twin(path, passphrase=_passphrase(path))
        info = write_report(doc, output)
    except TwinFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in info.notes:
        print(f"note: {note}", file=sys.stderr)
    # A headless report leaves the twin file untouched, so nothing goes into its audit
    # trail (the GUI records an export in the trail of the twin it keeps open).
    log.info("report written (%d pages) for model %s", info.pages, model_identity(doc.twin))
    print(f"wrote {output} ({info.pages} pages)")
    return 0

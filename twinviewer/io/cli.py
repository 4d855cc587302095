"""Headless command on .twin files: ``twinviewer info FILE`` (the report command lives in
:mod:`twinviewer.report.cli`, a layer above).

Exit codes (distinct, so that scripts can tell them apart; Python's own 1 for an uncaught
exception is never used):

* :data:`EXIT_OK` 0 — success;
* :data:`EXIT_INVALID` 2 — the file cannot be read or is not a valid twin (or the report
  cannot be written);
* :data:`EXIT_AUDIT_BROKEN` 3 — the file loads but its audit trail does not verify (``info``
  still prints the summary; ``report`` refuses);
* :data:`EXIT_INTERNAL` 4 — an internal error (a bug): one line on stderr, the traceback in
  the log only.

``info`` and ``report`` accept exactly what :func:`twinviewer.io.twinfile.load_twin` accepts
(the one validation, also used by the GUI). Messages go to stderr, name files by their name
only (never the folder) and never carry identifiers beyond what the file itself keeps.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twinviewer.core.twin import shown_name
from twinviewer.io import crypto
from twinviewer.io.errors import TwinFileError
from twinviewer.io.measurement_use import measurement_use
from twinviewer.io.twinfile import describe, load_twin

log = logging.getLogger("twinviewer.io.cli")
PASSPHRASE_ENV = "TWINVIEWER_PASSPHRASE"
EXIT_OK, EXIT_INVALID, EXIT_AUDIT_BROKEN, EXIT_INTERNAL = 0, 2, 3, 4


def _internal(exc: BaseException, command: str) -> int:
    log.error("internal error in twinviewer %s", command, exc_info=exc)
    print(f"internal error in twinviewer {command} ({type(exc).__name__}); this is a bug, "
          f"the details are in the log", file=sys.stderr)
    return EXIT_INTERNAL


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


def info_dict(doc, name: str, held_back: dict[str, str] | None = None, *,
              shown: Any = None) -> dict:
    """The summary of a loaded .twin file as JSON-ready data (``twinviewer info --json``).

    Measured values keep their units and uncertainties; predictions are not included.
    ``held_back``: stored results kept in the file but not current (see :func:`run_info`).

    Examples
    --------
    >>> import tempfile
    >>> from twinviewer.io.twinfile import save_twin
    >>> from twinviewer.twins import twin_from_preset
    >>> p = save_twin(Path(tempfile.mkdtemp()) / "t.twin", twin_from_preset("healthy", n=2))
    >>> info_dict(load_twin(p), p.name)["ensemble"]
    {'kind': 'prior', 'members': 2}
    """
    t = doc.twin
    return {
        "file": name,
        "pseudonym": t.pseudonym,
        "model": {"name": t.model_name, "version": t.model_version,
                  "equation_hash": t.equation_hash},
        "origin": t.origin,
        "identifiable": bool(doc.identifiable),
        "ensemble": {"kind": t.ensemble_kind, "members": int(t.ensemble.shape[0])},
        "measurements": [m.to_dict() for m in t.measurements],
        # typed in the Measurements step and not applied: kept, not the twin's, not used
        "measurement_draft": {"rows": len(doc.measurement_draft or ()), "used": False},
        "visits": [{"day": v.day, "label": v.label,
                    "measurements": [m.to_dict() for m in v.measurements]}
                   for v in t.visits],
        "scenarios": [(shown or shown_name)(s) for s in t.scenarios],  # with the mode
        # each measurement: used / replaced (by which) / not used (why) in the last calibration
        "measurement_use": [u.to_dict() for u in measurement_use(t, doc.audit.entries)],
        "audit": {"ok": bool(doc.chain.ok), "message": doc.chain.message,
                  "entries": len(doc.audit)},
        "results": {"current": [n for n in doc.results if n not in (held_back or {})],
                    "held_back": dict(held_back or {})},
        "summary": describe(doc, held_back, shown),
    }


def run_info(path: Path | str, *, as_json: bool = False,
             judge: Callable[[Any], dict[str, str]] | None = None,
             count: Callable[[Any], tuple[dict[str, int], str]] | None = None,
             name: Callable[[Any], str] | None = None) -> int:
    """Print a summary of a .twin file and verify its checksums and audit chain.

    With ``as_json`` the summary (or the error) is one JSON object on stdout. ``judge`` maps
    the loaded document to its stored results that are not current, with the reason (the
    command passes :func:`twinviewer.interventions.constants_digest.held_back`, a layer
    above this one), so ``info`` lists as current only what the GUI shows. ``count`` maps it
    to its parameters by state and the sentence the PDF and the Calibrate step print
    (:func:`twinviewer.personalize.parameter_count.twin_counts`, also a layer above).
    ``name`` writes a scenario as the report does
    (:func:`twinviewer.interventions.scenario.shown_name`: words, not code names).

    Returns
    -------
    int
        0 intact, 3 audit chain broken (summary still printed), 2 invalid file, 4 internal
        error.
    """
    import json

    path = Path(path)
    try:
        doc = load_twin(path, passphrase=_passphrase(path), allow_broken_audit=True)
        held = judge(doc) if judge is not None else {}
        counts, sentence = count(doc) if count is not None else ({}, "")
        data = info_dict(doc, path.name, held, shown=name) if as_json else None
        if data is not None and sentence:
            data["parameter_states"] = {"counts": counts, "text": sentence}
        lines = describe(doc, held, name) + (
            [f"parameters by state: {sentence}"] if sentence else [])
        text = "\n".join(lines) if not as_json else json.dumps(data, indent=1)
    except TwinFileError as exc:
        if as_json:
            print(json.dumps({"file": path.name, "error": str(exc), "exit": EXIT_INVALID}))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except Exception as exc:  # noqa: BLE001 - any other exception is our bug: say so, exit 4
        return _internal(exc, "info")
    print(text)
    if not doc.chain.ok:
        print(f"error: {path.name}: {doc.chain.message}", file=sys.stderr)
        return EXIT_AUDIT_BROKEN
    return EXIT_OK

"""``twinviewer report FILE``: the PDF report of a .twin file, headless.

Returns a process exit code: 0 written, 2 the file cannot be read or the PDF cannot be
written, 3 its audit chain is broken, 4 internal error.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from twinviewer.io.audit import model_identity
from twinviewer.io.cli import (
    EXIT_AUDIT_BROKEN,
    EXIT_INVALID,
    EXIT_OK,
    _internal,
    _passphrase,
)
from twinviewer.io.errors import TwinFileError
from twinviewer.io.twinfile import load_twin
from twinviewer.report.pdf import write_report

log = logging.getLogger("twinviewer.report.cli")

def run_report(path: Path | str, output: Path | str | None = None, *,
               left_out: Sequence[str] = (), goal: str = "") -> int:
    """Write the PDF report of a .twin file (headless).

    Parameters
    ----------
    path : Path or str
        The .twin file.
    output : Path or str, optional
        The PDF; default ``<path without .twin>.pdf``.
    left_out : sequence of str
        Scenarios not to simulate: the app passes those whose plug-in is off in its session
        (one that hung is disabled there for the session only), so it is not run again.
    goal : str
        Rank the scenarios by this goal (``'min LVEDP; CO>=4'``); default: the file's.

    Returns
    -------
    int
        0 written, 2 the twin could not be read or the PDF could not be written, 3 its audit
        chain is broken, 4 internal error (see :mod:`twinviewer.io.cli`).
    """
    path = Path(path)
    output = Path(output) if output is not None else path.with_suffix(".pdf")
    if goal:
        from twinviewer.interventions import InterventionError
        from twinviewer.interventions.ranking import Goal

        try:
            goal = str(Goal.parse(goal))
        except InterventionError as exc:
            print(f"error: --goal: {exc}", file=sys.stderr)
            return EXIT_INVALID
    try:
        doc = load_twin(path, passphrase=_passphrase(path), allow_broken_audit=True)
        if not doc.chain.ok:
            print(f"error: {path.name}: {doc.chain.message}; no report written",
                  file=sys.stderr)
            return EXIT_AUDIT_BROKEN
        info = write_report(doc, output, left_out={
            name: "its intervention could not run in the app's session (its plug-in is off "
                  "there)" for name in left_out}, goal=goal)
    except TwinFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"error: cannot write the report {output.name}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_INVALID
    except Exception as exc:  # noqa: BLE001 - any other exception is our bug: say so, exit 4
        return _internal(exc, "report")
    for note in info.notes:
        print(f"note: {note}", file=sys.stderr)
    # A headless report leaves the twin file untouched, so nothing goes into its audit
    # trail (the GUI records an export in the trail of the twin it keeps open).
    log.info("report written (%d pages) for model %s", info.pages, model_identity(doc.twin))
    print(f"wrote {output.name} ({info.pages} pages)")
    return EXIT_OK

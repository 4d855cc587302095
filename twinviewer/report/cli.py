"""``twinviewer report FILE``: the PDF report of a .twin file, headless.

Returns a process exit code: 0 written, 2 the file cannot be read (or its audit chain is
broken) or the PDF cannot be written.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from twinviewer.io.audit import model_identity
from twinviewer.io.cli import _passphrase
from twinviewer.io.errors import TwinFileError
from twinviewer.io.twinfile import load_twin
from twinviewer.report.pdf import write_report

log = logging.getLogger("twinviewer.report.cli")

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

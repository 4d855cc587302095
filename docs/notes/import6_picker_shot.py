"""Screenshot of the series picker on a cine study whose slice 3 was acquired twice.

Run: ``PYTHONPATH=$PWD xvfb-run -a python docs/notes/import6_picker_shot.py OUT.png``
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.imaging.cine_factory import write_cine_study
from twinviewer.gui.series_picker import SeriesPickerDialog, scan_for_picker


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        write_cine_study(Path(tmp), la_views=("2ch", "4ch"), repeats=(2,), n_phases=4)
        rows, thumbs = scan_for_picker(Path(tmp), b"picker-shot-key-0123456789abcdef",
                                       lambda f, t: None, lambda: False)
    dlg = SeriesPickerDialog(rows, thumbs)
    dlg.resize(1180, 420)
    dlg.show()
    app.processEvents()
    dlg.grab().save(str(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

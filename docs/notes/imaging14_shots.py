"""docs/notes/imaging14_*.png: the factory cine study (Siemens-like layout, as the bundled
one) with its first short-axis series' TriggerTime deleted, imported in the GUI at 1280×720:
the window with the import notes, and the Measurements step (RV volumes and LV mass with the
wider SD and the 'one end slice missing' provenance).

    xvfb-run -a -s "-screen 0 1920x1080x24" /work/main/.venv/bin/python \\
        docs/notes/imaging14_shots.py [OUT_PREFIX]
"""

import sys
import tempfile
import time
from pathlib import Path

import pydicom
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.imaging.cine_factory import write_cine_study  # noqa: E402
from twinviewer.gui.main_window import MainWindow  # noqa: E402

prefix = sys.argv[1] if len(sys.argv) > 1 else "docs/notes/imaging14"
app = QApplication.instance() or QApplication([])


def settle(seconds: float = 2.0) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.05)


with tempfile.TemporaryDirectory() as tmp:
    study = Path(tmp) / "study"
    lay = write_cine_study(study, n_phases=10)
    for p in (p for p in lay.files if p.parent.name == "S001"):
        ds = pydicom.dcmread(p)
        del ds.TriggerTime
        ds.save_as(p)
    w = MainWindow(settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat),
                   load_demo=False)
    w.resize(1280, 720)
    w.show()
    settle(1.0)
    t0 = time.time()
    w.open_dicom_folder(study)
    settle(1.0)
    while w.state.jobs and time.time() - t0 < 900:
        app.processEvents()
        time.sleep(0.05)
    settle(3.0)
    print("last error:", getattr(w, "last_error", None))
    anatomy = w.state.twin.anatomy if w.state.twin is not None else None
    if anatomy is not None:
        for n in anatomy.notes[:8]:
            print("note:", n)
        for m in anatomy.measurements:
            print(f"{m.name} {m.value:.1f} ± {m.uncertainty:.1f} {m.unit} — {m.source}")
    # The window shows import notes one at a time in the status bar (the last one stays):
    # the left-out series' note is shown again through the app's own message path.
    left = next(n for n in anatomy.notes if " left out: " in n)
    w.state.info(f"import note: {left}")
    settle(0.5)
    w.grab().save(f"{prefix}_import_1280x720.png")
    w.statusBar().grab().save(f"{prefix}_import_note.png")
    w.show_step("Measurements")
    settle(2.0)
    panel = w.panels["Measurements"]
    row = next(r for r in range(panel.table.rowCount())
               if panel.table.item(r, 0).text() == "RVEDV")
    panel.table.selectRow(row)
    settle(1.0)
    w.grab().save(f"{prefix}_measurements_1280x720.png")
    print("saved", prefix, "in", round(time.time() - t0), "s")
    w.state.cancel_all()
    w.state.wait_for_jobs(10_000)
    w.close()

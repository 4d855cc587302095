"""Screenshots of the biv-me mesh time series opened through File → Open meshes (meshui9).

Run under Xvfb: ``xvfb-run -a python docs/notes/meshui9_shots.py OUT_DIR``. Opens the 25
biv-me frames (written back as legacy VTK) as a time series on the demo twin, then shows
end-diastole and end-systole at 1280×720 and saves the window and the 3D view.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication


def wait(app, cond, timeout=300.0) -> None:
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    if not cond():
        raise TimeoutError("timed out")


def main(out: Path) -> None:
    from twinviewer.gui.app import grab_window
    from twinviewer.gui.main_window import MainWindow
    from twinviewer.gui.mesh_import import files_in, open_mesh_paths
    from twinviewer.imaging.bivme import export_vtk

    app = QApplication.instance() or QApplication([])
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    export_vtk(tmp / "bivme")
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat))
    w.resize(1280, 720)
    w.show()
    wait(app, lambda: w.state.results is not None and not w.state.jobs)
    cpu = time.process_time()
    open_mesh_paths(w, files_in(tmp / "bivme"), None, 860.0)
    wait(app, lambda: not w.state.jobs and w.state.twin.anatomy.pseudonym
         == "imported-mesh-series")
    print(f"series opened: {time.process_time() - cpu:.2f} s CPU (this thread)")
    a = w.state.twin.anatomy
    print({k: len(s.meshes) for k, s in a.structures.items()})
    print([f"{m.name} {m.value:.1f} ± {m.uncertainty:.1f} {m.unit} ({m.source})"
           for m in a.measurements])
    from twinviewer.imaging.curves import volume_curve

    lv = volume_curve(a, "LV")
    for name, phase in (("ed", 0), ("es", lv.es_index)):  # frame 0 = ED (README)
        w.state.session.set_time(phase / 25)
        for _ in range(30):
            app.processEvents()
            time.sleep(0.03)
        grab_window(w, str(out / f"meshui9_{name}_window_1280x720.png"))
        w.view3d.screenshot(str(out / f"meshui9_{name}_3d.png"))
        print(name, "frame", phase, "beat fraction", phase / 25)
    w.state.cancel_all()
    w.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))

import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)
app = QApplication.instance() or QApplication(sys.argv)
from twinviewer.gui.main_window import MainWindow  # noqa: E402  (after QApplication)
from twinviewer.gui.twin_file_actions import open_twin  # noqa: E402

S = Path("/tmp/fixdoc_shots")


def pause(s):
    t0 = time.time()
    while time.time() - t0 < s:
        app.processEvents()
        time.sleep(0.02)


def wait(cond, t=600):
    t0 = time.time()
    while time.time() - t0 < t:
        app.processEvents()
        time.sleep(0.02)
        if cond():
            return True
    return False


tag, path = sys.argv[1], sys.argv[2]
w = MainWindow(
    settings=QSettings(f"/tmp/fixdoc_cache/s_{tag}.ini", QSettings.Format.IniFormat),
    load_demo=False,
)
w.resize(1280, 720)
w.show()
msgs = []
w.state.message.connect(lambda *a: msgs.append(a))
open_twin(w, w.state, path)
wait(lambda: not w.state.jobs and w.state.results is not None)
pause(2)
s = w.state.session
print("scenario_results", {k: type(v).__name__ for k, v in s.scenario_results.items()})
w.show_step("What-if")
pause(1)
p = w.panels["What-if scenarios"]
print("table rows", p.result_table.rowCount(), "flags:", p.flags_label.text()[:300])
w.step_pages["What-if"].ensureWidgetVisible(p.result_table)
pause(1)
w.grab().save(str(S / f"{tag}_whatif.png"))
for step in ("Measurements", "Calibrate"):
    w.show_step(step)
    pause(1.5)
    w.grab().save(str(S / f"{tag}_{step}.png"))
mp = [x for t, x in w.panels.items() if "easurement" in t][0]
print(
    "measurement rows",
    mp.table.rowCount(),
    [
        mp.table.item(r, 0).text() + "/" + mp.table.item(r, 5).text()
        for r in range(mp.table.rowCount())
    ],
)
print("meas messages", mp.messages.text()[:300])
cp = [x for t, x in w.panels.items() if "alibrat" in t][0]
print("fit rows", cp.fit_table.rowCount(), "plot items", len(cp.plot.getPlotItem().listDataItems()))
print("cal summary", cp.summary.text()[:600])
print("MSGS", msgs)
s.dirty = False
w.state.cancel_all()
os._exit(0)

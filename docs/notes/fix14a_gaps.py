"""fix14a: GUI-thread gaps while a hung plug-in intervention (``while True: pass`` on one
line, review14's ``bad-hang``) runs, beside a control run of ``my_vasodilator``.

Run under Xvfb with review14's plug-ins on the path and its (copied) configuration, at high
priority (``echo -20 > /proc/self/autogroup; nice -n -20``); argument: a tag, and ``cine``
to play the cine throughout. A 10 ms QTimer's gaps are summarised per window; the threads
of the hung plug-in still alive are counted at each window's end.
"""

import os
import sys
import threading
import time

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

app = QApplication.instance() or QApplication(sys.argv)
QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)

from twinviewer.gui.main_window import MainWindow  # noqa: E402 - after the QApplication
from twinviewer.gui.scenario_panel import ScenarioPanel  # noqa: E402

TAG = sys.argv[1]
CINE = len(sys.argv) > 2
ticks: list[float] = []
last = [time.perf_counter()]


def tick() -> None:
    now = time.perf_counter()
    ticks.append(now - last[0])
    last[0] = now


def pump(sec: float) -> None:
    t = time.time()
    while time.time() - t < sec:
        app.processEvents()
        time.sleep(0.003)


def window(label: str, sec: float) -> None:
    ticks.clear()
    last[0] = time.perf_counter()
    pump(sec)
    g = sorted(ticks)
    n = len(g)
    alive = sum("bad-hang" in t.name for t in threading.enumerate())
    print(f"{TAG} {label:34s} ticks/s {n / sec:5.1f} median {1000 * g[n // 2]:5.0f} ms "
          f"p95 {1000 * g[int(n * .95)]:5.0f} max {1000 * g[-1]:5.0f} "
          f">100ms {sum(x > 0.1 for x in g):3d} | bad-hang threads {alive} | "
          f"load {os.getloadavg()[0]:.1f}", flush=True)


timer = QTimer()
timer.timeout.connect(tick)
timer.start(10)
w = MainWindow(settings=QSettings(f"s_{TAG}.ini", QSettings.Format.IniFormat))
w.resize(1280, 720)
w.show()
pump(4)
w.show_step("What-if")
pump(2)
sp = next(p for p in w.panels.values() if isinstance(p, ScenarioPanel))
if CINE:
    w.cine.set_playing(True)
    pump(2)
window("idle before", 8)
for name, label in (("my_vasodilator", "control: my_vasodilator run"),
                    ("bad_hang", "bad_hang run, 0-10 s (budget)")):
    sp.select_intervention(name)
    pump(0.3)
    sp.add_scenario()
    pump(0.3)
    sp.run_all()
    window(label, 10 if name == "bad_hang" else 8)
    if name == "my_vasodilator":
        window("after the control", 6)
window("after bad_hang, 10-18 s", 8)
window("after bad_hang, 18-26 s", 8)
print(TAG, "log:", [t for _, t in w.log_panel.entries if "bad-hang" in t][-2:])
w.state.session.dirty = False
w.close()
pump(1)

"""Same-process A/B for docs/notes/render7.md: the 3D view drawing ahead, on and off.

    PYTHONPATH=. python docs/notes/render7_ab.py [ROUNDS]

Runs the main window at 1280×800 under its own Xvfb (tests/benchmarks/xvfb.py), waits for
start-up's background work, then alternates rounds of 40 back-to-back frames with
``View3D.draw_ahead`` on and off (order flipped every round) and prints the median per frame
of: wall time, GUI-thread CPU, the GUI thread's blocked time (neither running nor waiting for
a CPU: mostly waiting for llvmpipe) and llvmpipe's CPU, all in ms, with the load average.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.xvfb import run_script  # noqa: E402

SCRIPT = r'''
import json, os, tempfile, time, statistics
from pathlib import Path
from PySide6.QtCore import QSettings
from twinviewer.gui.app import _app, wait_for_predictions
from twinviewer.gui.main_window import MainWindow
from twinviewer.gui.view3d import View3D
def run_delay():
    with open(f"/proc/self/task/{os.getpid()}/schedstat") as f:
        return int(f.read().split()[1]) / 1e9
def llvm():
    tot = 0.0
    for t in os.listdir("/proc/self/task"):
        try:
            s = open(f"/proc/self/task/{t}/stat").read()
        except OSError:
            continue
        if s[s.index("(") + 1:s.rindex(")")].startswith("llvmpipe"):
            f = s.rsplit(")", 1)[1].split()
            tot += (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    return tot
app = _app(None)
qs = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
w = MainWindow(settings=qs); w.resize(1280, 800); w.show()
assert wait_for_predictions(app, w), w.last_error
t0 = time.perf_counter()
while (w.state.jobs or w.state._pool.activeThreadCount()) and time.perf_counter() - t0 < 120:
    app.processEvents(); time.sleep(0.01)
w.view3d.set_overlay("pressure")
res = {True: [], False: []}
N, k = 40, 0
for r in range(ROUNDS):
    for on in (True, False) if r % 2 == 0 else (False, True):
        View3D.draw_ahead = on
        w0, g0, d0, l0 = time.perf_counter(), time.thread_time(), run_delay(), llvm()
        for i in range(N):
            k += 1
            w.state.session.set_time((k * 0.029) % 1.0); app.processEvents()
        wall = time.perf_counter() - w0; g = time.thread_time() - g0; d = run_delay() - d0
        res[on].append({"wall": 1000 * wall / N, "gui": 1000 * g / N,
                        "blocked": 1000 * (wall - g - d) / N, "llvm": 1000 * (llvm() - l0) / N})
out = {("ahead" if on else "at paint"): {k: round(statistics.median(r[k] for r in rows), 1)
                                         for k in rows[0]} for on, rows in res.items()}
out["load"] = round(os.getloadavg()[0], 1)
print("BENCH" + json.dumps(out), flush=True)
os._exit(0)
'''


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    print(json.dumps(run_script(f"ROUNDS = {rounds}\n" + SCRIPT, ROOT, timeout=1200)))

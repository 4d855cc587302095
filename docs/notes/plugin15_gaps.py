"""plugin15: the GUI thread's timer gaps while an escaping plug-in is stopped.

A 10 ms QTimer on the GUI thread; a job thread calls one of test_leash's ESCAPES on the leash
with a 1 s budget, as the app's Run does; gaps are taken during the call (budget and stop)
and for 2 s after it, for main's budget.py and this branch's, one after the other, with an
idle window first. Main's: the escaping thread is left running (each shape ends itself after
8 s here, so that the run ends). First ``git show main:twinviewer/plugins/budget.py >
/tmp/p15/budget_main.py``; then from the worktree root ``PYTHONPATH=$PWD xvfb-run -a python THIS``.
"""

import os
import statistics
import sys
import threading
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, "/tmp/p15")
import budget_main  # noqa: E402

from twinviewer.plugins import budget  # noqa: E402

ESCAPES = {  # as test_leash's, each ending itself after 8 s (finite)
    "catch-all around a one-line loop": (
        "import time\nEND = time.monotonic() + 8\ndef hang():\n"
        "    while time.monotonic() < END:\n        try:\n"
        "            while time.monotonic() < END: pass\n"
        "        except BaseException:\n            pass\n"),
    "loop in finally": (
        "import time\nEND = time.monotonic() + 8\ndef hang():\n    try:\n"
        "        while time.monotonic() < END: pass\n    finally:\n"
        "        while time.monotonic() < END: pass\n"),
    "recursion to the limit": (
        "import time\nEND = time.monotonic() + 8\ndef hang():\n"
        "    if time.monotonic() > END:\n        return None\n    try:\n"
        "        return hang()\n    except RecursionError:\n        return hang()\n"),
}

app = QApplication.instance() or QApplication([])
ticks: list[float] = []
timer = QTimer()
timer.setInterval(10)
timer.timeout.connect(lambda: ticks.append(time.monotonic()))
timer.start()


def wait(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)


def gaps(t0: float, t1: float) -> str:
    ts = [t for t in ticks if t0 <= t <= t1]
    g = sorted(b - a for a, b in zip(ts, ts[1:], strict=False))
    if not g:
        return "no ticks"
    return (f"ticks/s {len(ts) / (t1 - t0):5.1f}  median {1000 * statistics.median(g):4.0f} ms"
            f"  p95 {1000 * g[int(0.95 * len(g))]:4.0f}  max {1000 * g[-1]:5.0f}"
            f"  >100ms {sum(x > 0.1 for x in g)}")


def alive() -> int:
    return sum(t.name.startswith("plugin: ") and t.is_alive() for t in threading.enumerate())


t0 = time.monotonic()
wait(2)
print(f"{'idle':48s} {gaps(t0, time.monotonic())}  | load {os.getloadavg()[0]:.1f}")
for shape, code in ESCAPES.items():
    for name, mod in (("main", budget_main), ("plugin15", budget)):
        ns: dict = {}
        exec(compile(code, f"<{shape}>", "exec"), ns)
        out: list[str] = []

        def job(mod=mod, ns=ns, out=out) -> None:
            try:
                mod.call_within(ns["hang"], seconds=1.0, label="x", stop=True)
            except mod.PluginTimeout as exc:
                out.append(str(exc))

        t0 = time.monotonic()
        th = threading.Thread(target=job)
        th.start()
        while th.is_alive():
            wait(0.02)
        t1 = time.monotonic()
        wait(2)
        t2 = time.monotonic()
        said = "still running" if "may still be running" in out[0] else (
            "caught" if "caught the stop" in out[0] else "stopped")
        print(f"{name:8s} {shape:38s} call {t1 - t0:4.2f} s: {gaps(t0, t1)}  | {said}")
        print(f"{name:8s} {shape:38s} 2 s after: {gaps(t1, t2)}  | plugin threads {alive()}"
              f"  | load {os.getloadavg()[0]:.1f}")
        while alive():  # main's: wait for it to end itself (8 s) before the next shape
            wait(0.1)

"""stall15: one playback run of the real MainWindow at 1280x800 with the stall recorder on.

The benchmark's playback script (tests/benchmarks/test_bench_workspace.py, _PLAY_STALLS) in
short: Play while start-up's background work runs (3 s), wait until it has ended, then play
in real time for PLAY_S seconds. The recorder (twinviewer/core/stall_trace.py, loaded from
STALL15_TRACER so that an older tree is traced the same way) runs from the first paint;
phase marks are written into the same trace file. Prints one BENCH line (JSON).

    TRACE=/tmp/x.jsonl PYTHONPATH=<tree> xvfb-run -a -s "-screen 0 1920x1080x24" \
        python docs/notes/stall15_play.py
"""

import importlib.util
import json
import os
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer

from twinviewer.gui.app import _app, wait_for_predictions
from twinviewer.gui.main_window import MainWindow

PLAY_S = float(os.environ.get("PLAY_S", "8"))
TRACE = os.environ["TRACE"]
HERE = Path(__file__).parents[2] / "twinviewer/core/stall_trace.py"
spec = importlib.util.spec_from_file_location("stall_trace_x",
                                              os.environ.get("STALL15_TRACER", str(HERE)))
st = importlib.util.module_from_spec(spec)
spec.loader.exec_module(st)


def mark(name):
    with open(TRACE, "a") as f:
        f.write(json.dumps({"phase": name, "at": round(time.perf_counter(), 3)}) + "\n")


app = _app(None)
qs = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
w = MainWindow(settings=qs)
w.resize(1280, 800)
w.show()
assert wait_for_predictions(app, w), w.last_error
v = w.view3d
v.set_overlay("pressure")
renders = []
v.plotter.render_window.AddObserver("EndEvent", lambda *_: renders.append(time.perf_counter()))
tracer = st.StallTracer(TRACE, threshold_ms=float(os.environ.get("THRESHOLD_MS", "40")),
                        sample_ms=3).start()
tbeat = QTimer()
tbeat.setInterval(10)
tbeat.timeout.connect(tracer.beat)
tbeat.start()

gaps, cpu_gaps, last = [], [], [time.perf_counter(), time.thread_time()]


def tick():
    t, c = time.perf_counter(), time.thread_time()
    gaps.append(t - last[0])
    cpu_gaps.append(c - last[1])
    last[:] = [t, c]


beat = QTimer()
beat.setInterval(10)
beat.timeout.connect(tick)


def run(seconds=None, until=None, limit=900):
    loop, t0 = QEventLoop(), time.perf_counter()

    def check():
        if (seconds is not None and time.perf_counter() - t0 >= seconds) or \
                (until is not None and until()) or time.perf_counter() - t0 > limit:
            loop.quit()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(check)
    poll.start()
    gaps.clear()
    cpu_gaps.clear()
    last[:] = [time.perf_counter(), time.thread_time()]
    beat.start()
    loop.exec()
    beat.stop()
    poll.stop()
    i = max(range(1, len(gaps)), key=lambda k: gaps[k]) if len(gaps) > 1 else 0
    return (round(1000 * (gaps[i] if gaps else 0), 1),
            round(1000 * (cpu_gaps[i] if gaps else 0), 1))


_titles, _shown_at = [], time.perf_counter()
w.state.jobStarted.connect(lambda j: _titles.append(("start", j.title)))
w.state.jobFinished.connect(lambda j: _titles.append(("end", j.title)))


def readying_started():
    return ("start", "Preparing the model") in _titles or time.perf_counter() - _shown_at > 5.0


def startup_idle():
    busy = bool(w.state.jobs) or w.state._pool.activeThreadCount() > 0
    return not busy and not w.startup_work_pending()


mark("wait_readying")
run(until=readying_started)
w.cine.speed.setCurrentIndex(w.cine.speed.findData(1.0))
mark("play_readying")
w.cine.set_playing(True)
readying = run(seconds=3.0)
w.cine.set_playing(False)
mark("idle_wait")
run(until=startup_idle)
run(seconds=0.5)
mark("play")
renders.clear()
t0 = time.perf_counter()
load0 = os.getloadavg()[0]
w.cine.set_playing(True)
play = run(seconds=PLAY_S)
w.cine.set_playing(False)
fps = len([r for r in renders if r > t0]) / (time.perf_counter() - t0)
mark("end")
tracer.stop()
w.state.session.dirty = False
print("BENCH" + json.dumps({"fps": round(fps, 1), "play": play, "readying": readying,
                            "load": [round(load0, 2), round(os.getloadavg()[0], 2)]}), flush=True)
os._exit(0)

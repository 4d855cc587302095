"""Teaching benchmarks (issue 17): slider-to-loop latency of the teaching controls (target
≤ 50 ms) and the time to switch between two virtual hearts with predictions (target ≤ 0.5 s):
the teaching controls' one-member switch and, side by side in the same run, the 200-member
ensemble switch the workflow's File → New virtual patient does.

Not part of the gate (figures only asserted with ``--benchmark-enable``); run under Xvfb:

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m pytest \
        tests/benchmarks/test_bench_teaching.py --benchmark-enable -s
"""

from __future__ import annotations

import resource
import time

import numpy as np
import pytest

LATENCY_TARGET_MS = 50.0
SWITCH_TARGET_S = 0.5


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


@pytest.mark.benchmark(group="teaching")
def test_slider_latency_and_heart_switch(qtbot, benchmark, monkeypatch):
    from PySide6.QtWidgets import QApplication

    from twinviewer.gui.state import TwinState
    from twinviewer.gui.teaching_controls import TeachingControlsPanel
    from twinviewer.twins import simulate_twin, twin_from_preset

    state = TwinState()
    # the background ensemble of each chosen heart would count in this process's CPU time:
    # measured on its own below, and in the workflow-switch benchmark
    monkeypatch.setattr(TeachingControlsPanel, "prefetch", lambda self, name: None)
    panel = TeachingControlsPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1280, 800)
    panel.show()
    qtbot.waitExposed(panel)
    app = QApplication.instance()
    app.processEvents()

    # slider → new prediction → loop repainted: setValue, then the event loop runs the
    # coalescing timer, the prediction and the repaint
    lat, lat_cpu = [], []
    for k, v in enumerate(np.r_[np.arange(102, 160, 4), np.arange(158, 100, -4)]):
        name = ("contractility", "afterload", "preload")[k % 3]
        t0, c0 = time.perf_counter(), _cpu()
        panel.sliders[name].setValue(int(v) if name != "preload" else int(min(v, 140)))
        app.processEvents()
        panel.view.glw.viewport().repaint()
        lat.append((time.perf_counter() - t0) * 1000)
        lat_cpu.append((_cpu() - c0) * 1000)
    lat, lat_cpu = np.array(lat[1:]), np.array(lat_cpu[1:])

    # switching hearts in the teaching controls (one member, cold start each time)
    sw, sw_cpu = [], []
    for name in ("severe_as", "healthy", "hfref", "severe_mr"):
        t0, c0 = time.perf_counter(), _cpu()
        panel.heart_box.setCurrentIndex(panel.heart_box.findData(name))
        app.processEvents()
        panel.view.glw.viewport().repaint()
        sw.append(time.perf_counter() - t0)
        sw_cpu.append(_cpu() - c0)

    # side by side: the 200-member ensemble switch (workflow), wall and CPU
    ens = []
    for name in ("severe_as", "healthy"):
        t0, c0 = time.perf_counter(), _cpu()
        simulate_twin(twin_from_preset(name, n=200))
        ens.append((time.perf_counter() - t0, _cpu() - c0))

    print(f"\nslider-to-loop latency: median {np.median(lat):.1f} ms, 90th percentile "
          f"{np.percentile(lat, 90):.1f} ms, max {lat.max():.1f} ms (n={lat.size}; target "
          f"≤ {LATENCY_TARGET_MS:.0f} ms); process CPU per update: median "
          f"{np.median(lat_cpu):.1f} ms, max {lat_cpu.max():.1f} ms")
    print(f"teaching-controls heart switch (1 member): median {np.median(sw) * 1000:.0f} ms, "
          f"max {max(sw) * 1000:.0f} ms (target ≤ {SWITCH_TARGET_S * 1000:.0f} ms); CPU median "
          f"{np.median(sw_cpu) * 1000:.0f} ms")
    print("workflow ensemble switch (200 members): " + ", ".join(
        f"{w:.2f} s wall / {c:.2f} s CPU" for w, c in ens))
    benchmark.pedantic(lambda: None, rounds=1)
    if not benchmark.disabled:
        # on the shared machine wall time measures the neighbours (load 15–25 on 2 cores):
        # the targets are checked on this process's CPU time, the wall figures are printed
        assert np.median(lat_cpu) <= LATENCY_TARGET_MS
        assert max(sw_cpu) <= SWITCH_TARGET_S


@pytest.mark.benchmark(group="teaching")
def test_switch_virtual_hearts_in_the_workflow(qtbot, benchmark, tmp_path, monkeypatch):
    """Teach step → "Open in the workflow" between two virtual hearts whose 200-member
    predictions the Teach step computed in the background: the window's twin, its plots and
    metrics switch (target ≤ 0.5 s)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from twinviewer.gui.main_window import MainWindow

    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs, load_demo=False)
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    w.show_step("Teach")
    panel = w.panels["Teaching controls"]
    panel.heart_box.setCurrentIndex(panel.heart_box.findData("severe_as"))
    qtbot.waitUntil(lambda: not w.state.jobs, timeout=120_000)  # background predictions
    app = QApplication.instance()
    # each heart's own (deformed) anatomy: built or read from the disk cache in a worker the
    # first time, then in memory, so the timed switches below show it at once
    for name in ("healthy", "severe_as"):
        panel.heart_box.setCurrentIndex(panel.heart_box.findData(name))
        qtbot.waitUntil(lambda: not w.state.jobs, timeout=120_000)
        t0, c0 = time.perf_counter(), _cpu()
        panel.open_in_workflow()
        qtbot.waitUntil(lambda: not w.state.jobs, timeout=300_000)
        print(f"\n{name}: first open with its anatomy from the cache/built: "
              f"{time.perf_counter() - t0:.2f} s wall / {_cpu() - c0:.2f} s CPU (worker incl.)")
    times = []
    for name in ("healthy", "severe_as", "healthy", "severe_as"):
        panel.heart_box.setCurrentIndex(panel.heart_box.findData(name))
        app.processEvents()
        t0, c0 = time.perf_counter(), _cpu()
        panel.open_in_workflow()
        app.processEvents()
        w.repaint()
        times.append((time.perf_counter() - t0, _cpu() - c0))
        assert w.state.twin.origin == f"preset:{name}" and w.state.results is not None
        assert w.state.twin.anatomy.pseudonym == f"virtual-{name}"  # its own, at once
    print("\nworkflow switch between virtual hearts, predictions and own anatomy "
          "prepared: " + ", ".join(
        f"{a * 1000:.0f} ms wall / {c * 1000:.0f} ms CPU" for a, c in times))
    # side by side in the same run: the same switches with no anatomy (plots only), to show
    # what the 3D and slice views' new anatomy adds
    from twinviewer.gui import heart_anatomy

    monkeypatch.setattr(heart_anatomy, "initial_anatomy", lambda name, current: None)
    monkeypatch.setattr(MainWindow, "follow_heart_anatomy", lambda self, name: None)
    bare = []
    for name in ("healthy", "severe_as", "healthy", "severe_as"):
        panel.heart_box.setCurrentIndex(panel.heart_box.findData(name))
        app.processEvents()
        t0, c0 = time.perf_counter(), _cpu()
        panel.open_in_workflow()
        app.processEvents()
        w.repaint()
        bare.append((time.perf_counter() - t0, _cpu() - c0))
        assert w.state.twin.anatomy is None
    print("the same switches without anatomy: " + ", ".join(
        f"{a * 1000:.0f} ms wall / {c * 1000:.0f} ms CPU" for a, c in bare))
    benchmark.pedantic(lambda: None, rounds=1)
    if not benchmark.disabled:
        assert max(c for _, c in times) <= SWITCH_TARGET_S


_SWITCH = r"""
import json, os, resource, tempfile, time
from pathlib import Path
from PySide6.QtCore import QSettings
from twinviewer.gui.app import _app
from twinviewer.gui.main_window import MainWindow
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime
app = _app(None)
qs = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
w = MainWindow(settings=qs, load_demo=False); w.resize(1600, 1000); w.show()
w.show_step("Teach")
panel = w.panels["Teaching controls"]
def wait():
    t0 = time.time()
    while w.state.jobs and time.time() - t0 < 900:
        app.processEvents(); time.sleep(0.01)
panel.heart_box.setCurrentIndex(panel.heart_box.findData("severe_as")); wait()
for name in ("healthy", "severe_as"):  # predictions and own anatomy prepared once
    panel.heart_box.setCurrentIndex(panel.heart_box.findData(name)); wait()
    panel.open_in_workflow(); wait()
times = []
for name in ("healthy", "severe_as", "healthy", "severe_as", "healthy", "severe_as"):
    panel.heart_box.setCurrentIndex(panel.heart_box.findData(name)); app.processEvents()
    t0, c0 = time.perf_counter(), cpu()
    panel.open_in_workflow(); app.processEvents(); w.repaint()
    times.append([round(time.perf_counter() - t0, 3), round(cpu() - c0, 3)])
    assert w.state.twin.anatomy.pseudonym == f"virtual-{name}"
print("BENCH" + json.dumps({"widget": type(w.view3d.plotter).__name__, "switches": times}),
      flush=True)
os._exit(0)
"""


@pytest.mark.benchmark(group="teaching")
def test_switch_against_main_in_one_run():
    """The workflow heart switch (predictions and each heart's own anatomy prepared), six
    times, in a subprocess per checkout under its own Xvfb: this branch and, with
    ``TWINVIEWER_MAIN``, the other checkout in the same session (wall and process CPU)."""
    import os
    from pathlib import Path

    from tests.benchmarks.xvfb import run_script

    root = Path(__file__).resolve().parents[2]
    trees = {"this branch": root}
    if os.environ.get("TWINVIEWER_MAIN"):
        trees["git main"] = Path(os.environ["TWINVIEWER_MAIN"])
    rows = {name: run_script(_SWITCH, tree) for name, tree in trees.items()}
    for name, r in rows.items():
        cpu = [c for _, c in r["switches"]]
        print(f"\n{name} ({r['widget']}): heart switch CPU median {np.median(cpu):.2f} s, max "
              f"{max(cpu):.2f} s (target {SWITCH_TARGET_S} s); wall/CPU {r['switches']}")
    assert len(rows["this branch"]["switches"]) == 6

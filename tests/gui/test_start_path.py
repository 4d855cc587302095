"""What start7 keeps off the viewer's start path, and that what it changes gives the same
answers as the code it stands in for (no wall-clock assertions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest

from twinviewer.gui import _lazy_imports


def _run(code: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, check=True).stdout.split()


def test_the_window_module_makes_only_the_qt_classes_it_uses():
    """pyqtgraph's mirrors are filled on use, pyvistaqt/qtpy (which make every Qt class) and
    pooch are not imported; the mirrors give PySide's own objects, others see every name."""
    out = _run("""
        import sys
        import twinviewer.gui.main_window
        import PySide6.QtWidgets as W
        from pyqtgraph.Qt import QtCore, QtWidgets
        from twinviewer.gui._lazy_imports import is_deferred
        made = len(W.__dict__)
        print([m for m in ("qtpy", "pyvistaqt") if m in sys.modules], is_deferred("pooch"),
              made < 150, len(dir(W)) > 200, QtWidgets.QGraphicsObject is W.QGraphicsObject,
              QtCore.__version__ == __import__("PySide6.QtCore").QtCore.__version__)
    """)
    assert out == ["[]", "True", "True", "True", "True", "True"]


def test_the_lighter_pyside_check_answers_as_pyside_does():
    import PySide6.QtCore  # noqa: F401 - the modules checked below include a Qt one

    feature = sys.modules["shibokensupport.feature"]
    _lazy_imports.lighter_pyside_import_hook()
    check = feature._mod_uses_pyside
    assert hasattr(check, "original")
    import json

    import twinviewer.core.twin
    import twinviewer.gui.state
    mods = [json, np, PySide6.QtCore, twinviewer.core.twin, twinviewer.gui.state,
            _lazy_imports, sys]
    assert [check(m) for m in mods] == [check.original(m) for m in mods]
    assert check(twinviewer.gui.state) and not check(twinviewer.core.twin)


def test_vtk_modules_are_found_where_the_glob_finds_them():
    import vtkmodules

    _lazy_imports.faster_vtk_module_lookup()
    find = vtkmodules.find_lib_path
    assert hasattr(find, "original")
    base = os.path.dirname(vtkmodules.__file__)
    names = sorted({f.split(".")[0].split("-")[0] for f in os.listdir(base)
                    if f.startswith("vtk")} | {"vtkIOXML", "vtkNoSuchModule"})
    assert len(names) > 50
    assert [find([base], n) for n in names] == [find.original([base], n) for n in names]


def test_the_demo_display_store_gives_back_what_the_views_compute(tmp_path):
    """Normals and measured-volume bands read back bit for bit; a band whose measured curve
    is not the anatomy's is not used."""
    from twinviewer.gui import demo_heart
    from twinviewer.gui.motion import motion_of, moving_structures
    from twinviewer.gui.plots import measured_band, measured_curve
    from twinviewer.twins import simulate_twin, twin_from_preset

    twin = twin_from_preset("healthy", n=6, seed=3, pseudonym="virtual-6")
    results = simulate_twin(twin)
    computed = demo_heart.demo_anatomy()
    assert not demo_heart.load_display(twin, results, computed, tmp_path)  # none stored
    demo_heart.store_display(twin, results, computed, tmp_path)

    fresh = demo_heart.demo_anatomy()
    kept = replace(results)  # another results object: its band cache starts empty
    kept.__dict__.pop("_measured_band_cache", None)
    assert demo_heart.load_display(twin, kept, fresh, tmp_path)
    moving = moving_structures(fresh)
    assert len(moving) >= 10
    for key, ref in moving.items():
        assert np.array_equal(motion_of(fresh, key, ref).normals,
                              motion_of(computed, key, ref).normals), key
    for chamber in ("LV", "RV"):
        got = kept._measured_band_cache[(chamber, id(measured_curve(fresh, chamber)))]
        want = measured_band(results, measured_curve(computed, chamber))
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True)), chamber

    other = demo_heart.demo_anatomy()  # another measured LV curve: its band is computed
    curve = measured_curve(other, "LV")
    curve.volumes_ml = curve.volumes_ml + 1.0
    again = replace(results)
    again.__dict__.pop("_measured_band_cache", None)
    assert demo_heart.load_display(twin, again, other, tmp_path)
    assert ("LV", id(curve)) not in again.__dict__.get("_measured_band_cache", {})
    assert ("RV", id(measured_curve(other, "RV"))) in again._measured_band_cache


def test_reading_the_demo_display_imports_no_scipy_linalg(tmp_path):
    """As the window's loading worker does: the stored twin, its results, the anatomy."""
    from twinviewer.gui import demo_heart
    from twinviewer.io.twinfile import save_twin
    from twinviewer.twins import simulate_twin, twin_from_preset

    twin = twin_from_preset("healthy", n=4, seed=5, pseudonym="virtual-4")
    results = simulate_twin(twin)
    save_twin(tmp_path / "demo.twin", twin)
    demo_heart.store_results(twin, results, tmp_path)
    demo_heart.store_display(twin, results, demo_heart.demo_anatomy(), tmp_path)
    out = _run(f"""
        import sys, dataclasses
        from pathlib import Path
        from twinviewer.gui import demo_heart
        from twinviewer.gui.prepared import prepared_results
        from twinviewer.io.twinfile import load_twin
        cache = Path({str(tmp_path)!r})
        twin = load_twin(cache / "demo.twin").twin
        results = demo_heart.load_stored_results(twin, cache)
        anatomy = demo_heart.demo_anatomy()
        ok = demo_heart.load_display(twin, results, anatomy, cache)
        prepared_results(results, dataclasses.replace(twin, anatomy=anatomy))
        print(ok, "scipy.linalg" in sys.modules)
    """)
    assert out == ["True", "False"]


def test_readying_the_model_waits_while_the_cine_plays(monkeypatch):
    import twinviewer.physiology.jit
    import twinviewer.twins
    from twinviewer.gui.prepared import ready_model

    done: list[str] = []
    monkeypatch.setattr(twinviewer.twins, "simulate_twin",
                        lambda twin, ensemble=True: done.append("kernels"))
    monkeypatch.setattr(twinviewer.physiology.jit, "compile_model_functions", lambda: None)
    playing = iter([True, True, False, True, False])
    asked: list[int] = []

    def wait() -> bool:
        asked.append(len(done))
        return next(playing, False)

    ready_model("twin", wait, lambda: False, modules=("json", "no_such_module_here"),
                pause_s=0.0)
    assert done == ["kernels"]
    # numba's step waits twice, then one wait before the kernels and before each module
    assert asked == [0, 0, 0, 0, 0, 1, 1]
    stopped: list[str] = []
    monkeypatch.setattr(twinviewer.twins, "simulate_twin",
                        lambda twin, ensemble=True: stopped.append("kernels"))
    ready_model("twin", lambda: True, lambda: True, pause_s=0.0)  # cancelled while waiting
    assert stopped == []


@pytest.mark.parametrize("background", [True, False])
def test_waiting_for_predictions_ignores_background_jobs_only(qapp, background):
    from twinviewer.gui.app import wait_for_predictions
    from twinviewer.gui.state import Job

    class Window:
        last_error = None

        class state:  # noqa: N801 - a stand-in for TwinState's two attributes
            results = object()
            jobs: list = []

    job = Job("Preparing the model")
    job.background = background
    Window.state.jobs = [job]
    assert wait_for_predictions(qapp, Window, timeout_s=0.05) is background


def test_a_closed_window_starts_no_model_readying(make_twin_window, qtbot):
    """The final read of session 7: the readying is timed 1 s after the first paint; a window
    closed within that second must not start it on its closed state (its jobs were
    cancelled; a new one would keep a pool thread busy after close)."""
    w = make_twin_window(load_demo=False)
    w.state.close()
    w._ready_model(object())
    assert w.state.jobs == []


# -- start8: the 3D view's closed-surface checks, its legend, the slices' first prefill ---


def test_the_closed_surface_checks_run_in_the_loading_worker(make_twin_window, monkeypatch):
    """The 3D view culls with the worker's checks (none on the GUI thread), and they give
    what checking each drawn surface directly gives."""
    import threading

    from twinviewer.gui import motion, view3d

    on_gui = []

    def counted(points, faces):
        on_gui.append(threading.current_thread() is threading.main_thread())
        return motion.closed_outward(points, faces)

    monkeypatch.setattr(view3d, "closed_outward", counted)
    w = make_twin_window(load_demo=True)
    v, a = w.view3d, w.state.twin.anatomy
    assert on_gui and not any(on_gui)
    for key, s in a.structures.items():
        if key in v.live:
            m = v.motion[key]
            direct = motion.closed_outward(m.points[0], m.faces)
        else:
            direct = all(motion.closed_outward(x.points, x.faces) for x in s.meshes.values())
        assert v._closed[key] == direct, key
    assert any(v._closed.values())  # the demo heart's pools are closed: culled


def test_the_legend_lists_each_shown_structure_with_pyvistas_square(make_twin_window):
    """One entry per visible structure, its name and colour, with the square pyvista's own
    ``add_legend(face="rectangle")`` draws; hiding a structure drops its entry."""
    import pyvista as pv
    from pyvista.plotting.renderer import make_legend_face

    from twinviewer.gui.view3d import legend_colour
    from twinviewer.gui.view3d_scene import short_name

    w = make_twin_window(load_demo=True)
    v, a = w.view3d, w.state.twin.anatomy
    square = np.asarray(make_legend_face("rectangle").points)

    def entries():
        leg = v.legend
        return [(leg.GetEntryString(i), tuple(leg.GetEntryColor(i)),
                 np.asarray(pv.wrap(leg.GetEntrySymbol(i)).points))
                for i in range(leg.GetNumberOfEntries())]

    shown = [k for k in v.actors if v.visible.get(k)]
    got = entries()
    # the short names (legend13: the full ones made the legend 40 % of a 1280×720 view wide)
    assert [e[0] for e in got] == [short_name(k, a.structures[k].name) for k in shown]
    # each entry in its structure's colour (darkened where too light to read)
    assert [e[1] for e in got] == [legend_colour(v.colour[k]) for k in shown]
    assert all(np.array_equal(e[2], square) for e in got)
    v.set_structure_visible(shown[0], False)
    assert [e[0] for e in entries()] == [short_name(k, a.structures[k].name)
                                         for k in shown[1:]]


def test_the_slices_first_prefill_waits_for_the_first_frame(make_twin_window, qtbot,
                                                             monkeypatch):
    """Until its delay has passed only the phase shown is cut (on the GUI thread; the twin
    and its results arrive together: one phase, not end-diastole and then t = 0); Play
    starts it at once, and it cuts every phase; a later prefill (a moved slice) starts at
    once."""
    from twinviewer.gui.slice_view import SliceView

    monkeypatch.setattr(SliceView, "first_prefill_delay_ms", 600_000)
    w = make_twin_window(load_demo=True)
    sv = w.slices
    n = w.state.twin.anatomy.image.n_phases
    phases = {k[1] for k in sv._cut_cache}
    assert phases == {sv.phase} and n > 1
    shown, ahead, here = sv.phase, [], []  # the worker's cuts, in order; the GUI thread's
    cut = sv._cut
    monkeypatch.setattr(sv, "_cut", lambda key, ph, pane, c, anatomy=None, cache=None: (
        (ahead if anatomy is not None else here).append(ph),
        cut(key, ph, pane, c, anatomy, cache))[1])
    w.cine.play_button.setChecked(True)
    qtbot.waitUntil(lambda: len({k[1] for k in list(sv._cut_cache)}) == n, timeout=60_000)
    w.cine.play_button.setChecked(False)
    # stall12: in the order the cine reaches them, from the phase after the one shown, so
    # that the GUI thread does not cut the first beat's frames itself
    # (on a loaded machine the frame timer may beat the worker to the first phases: the GUI
    # thread then cuts those itself and the worker skips them)
    steps = [(ph - shown - 1) % n for ph in ahead]
    assert steps and steps[0] <= 2 and steps == sorted(steps)
    assert set(ahead) | set(here) | {shown} == set(range(n))  # the shown one was cut before
    sv._cut_cache.clear()
    sv._prefill_key = None
    sv._prefill()
    qtbot.waitUntil(lambda: len({k[1] for k in list(sv._cut_cache)}) == n, timeout=60_000)


def test_the_native_3d_view_shows_the_demo_without_pyvista(tmp_path):
    """start9: the window on X11 (the native 3D widget) reaches the heart with predictions,
    with its legend, colour bar and corner text, and pyvista is never imported."""
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs an X display (the native 3D widget)")
    code = textwrap.dedent(f"""
        import sys, tempfile
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        from twinviewer.gui.app import wait_for_predictions
        from twinviewer.gui.main_window import MainWindow
        app = QApplication([])
        qs = QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat)
        w = MainWindow(settings=qs); w.resize(1280, 800); w.show()
        ok = wait_for_predictions(app, w)
        v = w.view3d
        img = v.screenshot({str(tmp_path / "v.png")!r})
        import json
        print("RESULT" + json.dumps([ok, type(v.plotter).__name__,
              v.legend.GetNumberOfEntries() > 5, list(v.scalar_bars), "t =" in v.status_text(),
              img.shape[2], len(set(map(tuple, img.reshape(-1, 3)[::97].tolist()))) > 50,
              [m for m in ("pyvista", "pyvistaqt") if m in sys.modules]]))
        w.state.session.dirty = False
        import os; os._exit(0)
    """)
    env = {k: v for k, v in os.environ.items() if k != "TWINVIEWER_3D_WIDGET"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=600)
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT")]
    assert line, out.stdout + out.stderr[-3000:]
    assert json.loads(line[0][6:]) == [True, "NativeInteractor", True, ["Pressure (mmHg)"],
                                       True, 3, True, []]
    assert (tmp_path / "v.png").stat().st_size > 10_000


# -- stall10: start-up's background work and playback --------------------------------------


def test_startup_work_is_pending_until_the_model_is_readied(make_twin_window, qtbot,
                                                            monkeypatch):
    """Session 9's playback stall (133 ms against 55 ms) was Play pressed while the model
    was readied: the benchmark's fixed wait raced with the readying's 1 s timer. The window
    says when that work is timed or running (the benchmark waits for it), and the readying
    does not start while the cine plays."""
    import functools

    import twinviewer.physiology.jit
    import twinviewer.twins
    from twinviewer.gui import prepared

    ran: list[str] = []
    monkeypatch.setattr(twinviewer.twins, "simulate_twin",
                        lambda twin, ensemble=True: ran.append("kernels"))
    monkeypatch.setattr(twinviewer.physiology.jit, "compile_model_functions", lambda: None)
    monkeypatch.setattr(prepared, "ready_model", functools.partial(
        prepared.ready_model, modules=("json",), pause_s=0.01))
    w = make_twin_window(load_demo=False)
    assert not w.startup_work_pending()
    w.cine.set_playing(True)
    w._schedule_readying("twin", delay_ms=100)
    assert w.startup_work_pending()
    qtbot.waitUntil(lambda: any(j.title == "Preparing the model" for j in w.state.jobs))
    qtbot.wait(300)
    assert w.startup_work_pending() and ran == []  # waiting for the cine
    w.cine.set_playing(False)
    qtbot.waitUntil(lambda: not w.startup_work_pending(), timeout=60_000)
    assert ran == ["kernels"] and not w.state.jobs


def test_the_readying_freezes_the_heap(make_twin_window, qtbot, monkeypatch):
    """Start-up's objects go to the collector's permanent generation when the readying
    starts and ends, so that a full collection during playback does not walk them
    (stall12)."""
    import gc

    from twinviewer.gui import prepared

    monkeypatch.setattr(prepared, "ready_model", lambda *a, **k: None)
    gc.unfreeze()
    w = make_twin_window(load_demo=False)
    assert gc.get_freeze_count() > 10_000  # the imports' objects, before the demo loads
    gc.unfreeze()
    w._schedule_readying("twin", delay_ms=10)
    qtbot.waitUntil(lambda: not w.startup_work_pending(), timeout=60_000)
    assert gc.get_freeze_count() > 10_000  # the window, Qt's wrappers, the modules



def test_the_calibrate_step_is_built_ahead_in_idle_turns(make_twin_window, qtbot,
                                                        monkeypatch):
    """Calibrate's first show built its panel in one turn (119 ms of CPU, stall11): after
    start-up's work the page is built ahead, a part per turn, never while the cine plays,
    and start-up's work is pending until it is done (the benchmark waits for it)."""
    from twinviewer.gui import main_window, prepared

    monkeypatch.setattr(prepared, "ready_model", lambda *a, **k: None)
    w = make_twin_window(load_demo=False)
    assert "Calibrate" not in w._built_steps
    made = []
    make = w._make
    monkeypatch.setattr(w, "_make", lambda spec: made.append(spec) or make(spec))
    w.cine.set_playing(True)
    w._schedule_readying("twin", delay_ms=10)
    qtbot.waitUntil(lambda: not w._readying, timeout=60_000)
    qtbot.wait(3 * main_window.PREBUILD_PAUSE_MS)
    assert made == [] and w.startup_work_pending()  # waits while the cine plays
    w.cine.set_playing(False)
    qtbot.waitUntil(lambda: not w.startup_work_pending(), timeout=60_000)
    assert "Calibrate" in w._built_steps and not w._step_builders
    assert "Calibration" in w.panels and made
    page = w.step_pages["Calibrate"].widget()
    assert page is not None and page.isAncestorOf(w.panels["Calibration"])
    n = len(made)
    w.show_step("Calibrate")  # shown: nothing more to build
    assert len(made) == n and w.step_pages["Calibrate"].widget() is page


def test_a_step_shown_while_it_is_built_ahead_is_finished_at_once(make_twin_window):
    w = make_twin_window(load_demo=False)
    parts = w._step_builders["Calibrate"] = w._step_parts("Calibrate")
    next(parts)  # its panel made, its page not yet
    assert w.step_pages["Calibrate"].widget() is None
    w.show_step("Calibrate")
    assert w.step_pages["Calibrate"].widget().isAncestorOf(w.panels["Calibration"])
    assert not w._step_builders

"""The 3D view's overlay choice, File → Open sample twin and File → Export list the
registry's contributions: the core's and an approved plugin's, which work like the core's; a
failing plugin overlay is disabled with a message naming it and the view falls back."""

from __future__ import annotations

import textwrap

import numpy as np

from tests.gui.conftest import wait_jobs, write_overlay_plugin
from twinviewer.testing import plugin_config, plugin_registry  # noqa: F401 (fixtures)

CORE_OVERLAYS = ["none", "pressure", "volume", "stress", "uncertainty"]


def _menu(w, title: str):
    file_menu = w.menuBar().actions()[0].menu()
    return next(a.menu() for a in file_menu.actions() if a.text() == title)


def test_plugin_overlay_sample_and_writer(make_twin_window, plugin_registry, qtbot,  # noqa: F811
                                          tmp_path, monkeypatch):
    from twinviewer.gui import file_menus
    from twinviewer.gui.view3d import OVERLAYS

    plugin_registry()  # the installed example plugins, approved
    w = make_twin_window()
    v = w.view3d
    names = [v.overlay_box.itemData(i) for i in range(v.overlay_box.count())]
    assert names == CORE_OVERLAYS + ["wall_motion"] and list(OVERLAYS) == CORE_OVERLAYS
    view_menu = w.menuBar().actions()[2].menu()
    assert "Colour by wall motion from ED" in [a.text() for a in view_menu.actions()]

    # the plugin's overlay colours the moving heart: nothing at end-diastole, mm in systole
    v.set_overlay("wall_motion")
    assert v.overlay_box.currentData() == "wall_motion"
    assert v._title() == "Wall motion from ED (mm)"  # the colour bar's title
    assert v._clim["wall_motion"] == (0.0, 20.0)
    from twinviewer.gui import cycle

    img = v.anatomy.image  # the image's end-diastolic phase, placed in the model's beat
    period_ms = cycle.beat_period_s(w.state.results) * 1000.0
    w.state.session.set_time((img.phase_times_ms[v.ref_phase] / period_ms) % 1.0)
    at_ed = v.overlay_values("lv_blood")
    w.state.session.set_time(0.3)
    in_systole = v.overlay_values("lv_blood")
    assert at_ed.shape == in_systole.shape == (v._poly("lv_blood", v.phase).n_points,)
    assert np.all(np.isfinite(in_systole)) and float(at_ed.max()) < 0.05
    assert 1.0 < float(np.mean(in_systole)) < 20.0
    assert v.actors["lv_blood"].mapper.scalar_visibility

    # File → Export lists the core's writers and the plugin's; the plugin's writes its CSV
    export = [a.text() for a in _menu(w, "E&xport twin").actions()]
    assert export == ["PDF report…", "FHIR R4 Bundle…",
                      "PV loop (CSV, 90 % interval) (plugin tv-single-ventricle)…"]
    assert _menu(w, "E&xport twin").actions()[0].shortcut().toString() == "Ctrl+R"
    out = file_menus.export(w, "pv_loop_csv", tmp_path / "loop.csv")
    wait_jobs(qtbot, w.state)
    assert out.read_text().startswith("# predicted LV pressure-volume loop, model")
    from twinviewer.io import audit_log

    assert audit_log(w.state.twin).entries[-1].action == "export"

    # File → Open sample twin lists the demo heart and the plugin's sample, which opens
    samples = [a.text() for a in _menu(w, "Open s&ample twin").actions()]
    assert samples == ["Demo heart (calibrated to its own volume curves)…",
                       "Single-ventricle teaching twin (plugin tv-single-ventricle)…"]
    monkeypatch.setattr(w, "maybe_save", lambda doing: True)
    file_menus.open_sample(w, "single_ventricle_teaching")
    qtbot.waitUntil(lambda: w.state.twin.model_name == "single_ventricle", timeout=120_000)
    wait_jobs(qtbot, w.state)
    assert w.state.twin.pseudonym == "virtual-single-ventricle-sample"


def test_a_failing_plugin_overlay_is_disabled_and_the_view_falls_back(
        make_twin_window, plugin_registry, qtbot, tmp_path):  # noqa: F811
    folder = tmp_path / "tv-nan-overlay"
    folder.mkdir()
    (folder / "tv_nan_overlay.py").write_text(textwrap.dedent("""
        import numpy as np
        from twinviewer.plugins.outputs import Overlay

        NAN = Overlay("Broken", "mm", lambda ctx: np.full(len(ctx.points), np.nan))
        """))
    (folder / "twinviewer.toml").write_text(
        'name = "tv-nan-overlay"\nversion = "0.1"\napi_version = 1\n\n'
        '[[contributions.overlays]]\nname = "nan"\nref = "tv_nan_overlay:NAN"\n')
    reg = plugin_registry(folder, entry_points=[])
    w = make_twin_window()
    v = w.view3d
    messages = []
    w.state.message.connect(lambda level, text: messages.append((level, text)))
    v.set_overlay("nan")
    qtbot.waitUntil(lambda: v.overlay == "none", timeout=10_000)
    assert reg.plugins["tv-nan-overlay"].status == "disabled"
    assert any(level == "warning" and "plugin 'tv-nan-overlay': overlay 'nan'" in text
               and "NaN" in text for level, text in messages)
    assert v.overlay_box.findData("nan") < 0 and v.overlay_box.currentData() == "none"
    assert w.state.results is not None  # the twin and its predictions are untouched


def test_a_slow_plugin_overlay_is_stopped_named_and_disabled(
        make_twin_window, plugin_registry, qtbot, tmp_path, monkeypatch):  # noqa: F811
    """fix15e/fix16b: a plugin overlay ran on the GUI thread without a budget: one that
    loops froze the window for as long as it looped, once per structure, every frame. Its
    calls now run within the overlays' budget: past it the plugin is named and disabled and
    the view falls back; the window is back within about the budget."""
    import time

    folder = tmp_path / "tv-slow-overlay"
    write_overlay_plugin(folder, "tv_slow_overlay", "slow", "SLOW", """
        def values(ctx):
            end = time.monotonic() + 3.0
            while time.monotonic() < end:  # pure Python: stopped once abandoned
                pass
            return np.zeros(len(ctx.points))

        SLOW = Overlay("Slow", "mm", values)
        """)
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "overlays=0.5")
    reg = plugin_registry(folder, entry_points=[])
    w = make_twin_window()
    v = w.view3d
    assert len(v.actors) > 3  # every structure would have waited its 3 s
    messages = []
    w.state.message.connect(lambda level, text: messages.append((level, text)))
    t0 = time.monotonic()
    v.set_overlay("slow")
    held = time.monotonic() - t0
    qtbot.waitUntil(lambda: v.overlay == "none", timeout=10_000)
    assert held < 2.5, held  # the budget (0.5 s) and the stop, not 3 s per structure
    assert reg.plugins["tv-slow-overlay"].status == "disabled"
    assert any("plugin 'tv-slow-overlay': overlay 'slow'" in text
               and "did not finish within 0.5 s" in text for _, text in messages), messages
    assert v.overlay_box.findData("slow") < 0 and v.overlay_box.currentData() == "none"
    assert w.state.results is not None

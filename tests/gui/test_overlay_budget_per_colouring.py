"""final16 #5: the overlays' time budget bounds *one* colouring of the heart. It used to be
keyed by what the view draws (overlay, time, phase, results), which does not change while
the view is paused, so recolourings of a paused frame (opacity slider, visibility, colour
map) added up until a well-behaved plugin overlay was disabled as "hung"; and the colour
limits' pass computed every structure a second time on the same budget."""

from __future__ import annotations

import sys

from tests.gui.conftest import write_overlay_plugin
from twinviewer.testing import plugin_config, plugin_registry  # noqa: F401 (fixtures)


def test_recolouring_a_paused_frame_does_not_hang_a_fast_overlay(
        make_twin_window, plugin_registry, qtbot, tmp_path, monkeypatch):  # noqa: F811
    folder = tmp_path / "tv-fast-overlay"
    write_overlay_plugin(folder, "tv_fast_overlay", "fast", "FAST", """
        CALLS = []

        def values(ctx):
            CALLS.append(ctx.structure)
            time.sleep(0.02)
            return ctx.points[:, 2] - ctx.points[:, 2].min()

        FAST = Overlay("Fast", "mm", values)
        """)
    # one colouring (~12 structures x 20 ms) fits; two, or the limits' second pass, do not
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "overlays=0.6")
    reg = plugin_registry(folder, entry_points=[])
    w = make_twin_window()
    v = w.view3d
    n = len(v.actors)
    messages = []
    w.state.message.connect(lambda level, text: messages.append((level, text)))
    v.set_overlay("fast")
    calls = sys.modules["tv_fast_overlay"].CALLS
    start = len(calls)
    v._apply_overlay()
    one = len(calls) - start
    assert 0 < one <= n  # each structure once per colouring, limits included
    for _ in range(30):  # e.g. the opacity slider dragged while paused
        v._apply_overlay()
        qtbot.wait(1)
    assert v.overlay == "fast", messages
    assert reg.plugins["tv-fast-overlay"].status != "disabled"
    assert len(calls) - start == 31 * one
    assert not any("did not finish" in text for _, text in messages), messages

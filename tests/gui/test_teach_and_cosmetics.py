"""The Teach step as a teacher meets it (review12 #9): a hint line says what to do first, the
lesson list comes first, the sliders' loop is named apart from the open twin's, and at
1280×720 the teaching plots are whole (the Wiggers diagram was cut at the right edge)."""

from __future__ import annotations

import os

import pytest

SHOTS = os.environ.get("TV_SHOTS")  # a folder: save the step's screenshots there


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_teach_step_names_its_heart_and_fits(make_twin_window, qtbot, size):
    from twinviewer.gui.panels import STEP_HINTS
    from twinviewer.gui.teaching_controls import TEACHING_TITLE

    w = make_twin_window(load_demo=False)
    w.resize(*size)
    w._default_sizes()
    w.show_step("Teach")
    page = w.step_pages["Teach"]
    qtbot.waitUntil(lambda: page.widget() is not None and page.widget().isVisible())
    assert "lesson" in STEP_HINTS["Teach"].lower()
    from PySide6.QtWidgets import QLabel

    assert any(STEP_HINTS["Teach"] in lab.text() for lab in page.widget().findChildren(QLabel))
    lessons, controls = w.panels["Lessons"], w.panels["Teaching controls"]
    # the lesson player above the sliders
    top = page.widget()
    assert lessons.mapTo(top, lessons.rect().topLeft()).y() < \
        controls.mapTo(top, controls.rect().topLeft()).y()
    # the sliders' loop says whose it is; the open twin's loop tab says it is the twin's
    view = controls.view
    assert view.pv.titleLabel.text == TEACHING_TITLE
    tabs = w.panels["PV loops"].tabs
    assert tabs.tabText(0) == "LV loop (open twin)"
    page.ensureWidgetVisible(view)
    qtbot.waitUntil(lambda: view.isVisible() and view.width() > 0)
    qtbot.wait(50)
    # both plots inside the view's width (no plot cut at the right edge)
    for plot in (view.pv, view.wig):
        g = plot.geometry()
        assert g.right() <= view.glw.width() + 1 and g.width() >= 150, (size, g)
    assert page.horizontalScrollBar().maximum() == 0
    # the lesson's step list is whole: above the text in a narrow column, beside it else
    steps = lessons.steps
    assert steps.horizontalScrollBar().maximum() == 0, steps.width()
    if SHOTS:
        page.verticalScrollBar().setValue(0)
        qtbot.wait(100)
        w.grab().save(os.path.join(SHOTS, f"teach_{size[0]}.png"))
        page.ensureWidgetVisible(view)
        qtbot.wait(100)
        w.grab().save(os.path.join(SHOTS, f"teach_loop_{size[0]}.png"))


def test_pv_band_is_the_phase_band_with_its_inside_open(qtbot):
    """review12 #11 / session-12 closing note: the 90 % band filled the loop's inside (a fill
    between per-sample curves, then per-sample strokes mixing phases). It is the phase band
    of :mod:`twinviewer.physiology.pv_band`: an odd-even path of its outlines (the loop's
    inside is a hole of it), the outline curve, and the median loop over the members' phase."""
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QGraphicsPathItem

    from twinviewer.gui import cycle
    from twinviewer.gui.plots import PVLoopPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.physiology.pv_band import loop_centroid
    from twinviewer.twins import simulate_twin, twin_from_preset

    st = TwinState()
    twin = twin_from_preset("healthy", n=8)
    st.session.set_twin(twin)
    st.session.set_results(simulate_twin(twin))
    panel = PVLoopPanel(st)
    qtbot.addWidget(panel)
    panel.set_results(st.results)
    p = panel.plots["LV"]
    assert not any(isinstance(it, pg.FillBetweenItem) for it in p.items)
    band = cycle.pv_band(st.results, "LV")
    fill = next(it for it in p.items if isinstance(it, QGraphicsPathItem))
    centre = loop_centroid(band.v_median, band.p_median)
    assert not fill.path().contains(QPointF(*centre))  # the loop's inside is left open
    assert fill.path().contains(QPointF(band.v_low[0] + 0.01, band.p_median[0]))
    median = next(it for it in p.items if isinstance(it, pg.PlotDataItem)
                  and it.name() == "median loop")
    np.testing.assert_allclose(median.getData()[0][:-1], band.v_median)
    panel.set_time(0.0)  # the dot sits on the drawn median loop, at end-diastole's phase
    (x,), (y,) = panel.markers["LV"].getData()
    assert (x, y) == band.median_at(0.0)


@pytest.mark.parametrize("quiet", [True, False])
def test_a_superseded_job_is_not_announced_as_cancelled(qtbot, quiet):
    """review12 #11: "Explaining MAP: cancelled" in the status bar while in What-if: the
    Explain panel replaces its own job when the twin changes; only a stop the user asked for
    is said."""
    import time

    from twinviewer.gui.state import JobCancelled, TwinState

    st = TwinState()
    said: list[str] = []
    st.message.connect(lambda level, text: said.append(text))

    def work(progress, is_cancelled):
        while not is_cancelled():
            time.sleep(0.01)
        raise JobCancelled("superseded")

    job = st.run_job("Explaining MAP", work, lambda r: None)
    job.supersede() if quiet else job.cancel()
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    qtbot.wait(20)
    assert any("cancelled" in s for s in said) is not quiet, said

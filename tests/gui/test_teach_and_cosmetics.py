"""The Teach step as a teacher meets it (review12 #9): a hint line says what to do first, the
lesson list comes first, the sliders' loop is named apart from the open twin's, and at
1280×720 the teaching plots are whole (the Wiggers diagram was cut at the right edge). A
lesson step is seen whole without scrolling, its heart's plots in the main plot area
(review14 #9)."""

from __future__ import annotations

import os

import pytest

from twinviewer.teaching.lesson import lesson_files, load_lesson

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
    # the lesson player first, open; the other tools folded under one-line headers
    top = page.widget()
    sections = w.step_sections["Teach"]
    assert sections.panels[0] is lessons and sections.current is lessons
    assert lessons.isVisible() and not controls.isVisible()
    assert [h.text() for h in sections.heads][:2] == ["Lessons", "Teaching controls"]
    # the sliders' loop says whose it is; the open twin's loop tab says it is the twin's
    sections.heads[1].click()
    assert sections.current is controls and not lessons.isVisible()
    view = controls.view
    assert view.pv.titleLabel.text == TEACHING_TITLE
    tabs = w.panels["PV loops"].tabs
    assert tabs.tabText(0) == "LV loop (open twin)"
    # the sliders' plots in the main plot area, beside the sliders
    assert w.plots_column.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: view.isVisible() and view.width() > 0)
    assert _shown_whole(view, w) and _shown_whole(controls.sliders["afterload"], w)
    qtbot.wait(50)
    # both plots inside the view's width (no plot cut at the right edge)
    for plot in (view.pv, view.wig):
        g = plot.geometry()
        assert g.right() <= view.glw.width() + 1 and g.width() >= 150, (size, g)
    assert page.horizontalScrollBar().maximum() == 0
    # the lesson's steps (a one-line list to jump to any step) are inside the column
    sections.open(lessons)
    steps = lessons.steps
    assert steps.count() == len(lessons.lesson.steps)
    assert steps.mapTo(top, steps.rect().topRight()).x() <= top.width()
    if SHOTS:
        page.verticalScrollBar().setValue(0)
        qtbot.wait(100)
        w.grab().save(os.path.join(SHOTS, f"teach_{size[0]}.png"))
        sections.open(controls)
        qtbot.wait(100)
        w.grab().save(os.path.join(SHOTS, f"teach_sliders_{size[0]}.png"))


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


def _shown_whole(widget, window) -> bool:
    """``widget`` is on screen whole, unscrolled: its rectangle, clipped by each ancestor's
    (a scroll area's viewport clips what is scrolled away), is all of it, inside the window."""
    from PySide6.QtCore import QRect

    def rect(wid):
        return QRect(wid.mapTo(window, wid.rect().topLeft()), wid.size())

    if not widget.isVisible() or widget.width() == 0 or widget.height() == 0:
        return False
    shown, p = rect(widget), widget.parentWidget()
    while p is not None and p is not window:
        shown = shown.intersected(rect(p))
        p = p.parentWidget()
    return shown == rect(widget) and window.rect().contains(shown)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_a_lesson_step_is_seen_whole_without_scrolling(make_twin_window, qtbot, monkeypatch,
                                                       size):
    """Review14 #9: at 1280×720 the Teach step was one 350-px column ~4 300 px tall (the
    lesson heart's loop 0 % on screen, below the step list and the text); an educator
    scrolled ~6 screens a lesson. Now the lesson's text, its question, Back/Next and the
    lesson heart's loop and Wiggers diagram are on screen together, unscrolled, at 1280×720
    and 1920×1080; the open twin's plots stay one tab away and keep their minimum sizes."""
    from tests.gui.test_layout import _area, _bring_forward
    from twinviewer.gui import teaching_controls
    from twinviewer.gui.lesson_player import PLOTS_TITLE
    from twinviewer.gui.main_window import MIN_PV, MIN_WIGGERS_H

    # the lesson's heart is not opened as the window's twin here (200 members in a worker;
    # tested in test_teaching.py)
    monkeypatch.setattr(teaching_controls, "open_virtual_heart", lambda *a, **k: False)
    w = make_twin_window(load_demo=False)
    w.resize(*size)
    qtbot.wait(50)
    w._default_sizes()
    w.show_step("Teach")
    lp, col = w.panels["Lessons"], w.plots_column
    lp.open_lesson(load_lesson(lesson_files()[2]))  # aortic stenosis: its question step
    lp.go(3)
    assert lp.lesson.steps[3].question is not None and lp.progress.text() == \
        f"Step 4 of {len(lp.lesson.steps)}"
    page = w.step_pages["Teach"]
    qtbot.waitUntil(lambda: lp.view.isVisible())
    qtbot.wait(100)
    # the other Teach tools folded under one-line headers: the page does not scroll at all
    assert page.verticalScrollBar().maximum() == 0, page.verticalScrollBar().maximum()
    # the lesson heart's plots in the main plot area, in front; the open twin's one tab away
    assert col.tabs.currentWidget() is lp.view and col.tabs.tabText(0) == PLOTS_TITLE
    titles = [col.tabs.tabText(i) for i in range(col.tabs.count())]
    assert "PV loops" in titles and "Wiggers diagram" in titles, titles
    seen = {"text": lp.text, "Back": lp.prev_btn, "Next": lp.next_btn, "where": lp.progress,
            "steps": lp.steps, "answers": lp.choices, "check": lp.check_btn,
            "loop and Wiggers": lp.view.glw, "key": lp.view.key}
    hidden = [k for k, wid in seen.items() if not _shown_whole(wid, w)]
    assert not hidden, (size, hidden)
    width, height = _area(lp.view.pv)
    assert width >= 250 and height >= 180, (width, height)
    width, height = _area(lp.view.wig)
    assert width >= 250 and height >= 180, (width, height)
    # the only PV plots on screen are the lesson heart's: the open twin's are behind a tab
    assert not w.panels["PV loops"].isVisible() and not w.panels["Wiggers diagram"].isVisible()
    # answering is as before
    lp.group.buttons()[3].setChecked(True)
    lp.check()
    assert lp.feedback.text() and _shown_whole(lp.feedback, w)

    # another step: the plots go back under the lesson's text, the column as it was, the
    # open twin's plots at their minimum sizes (issue 15 item 3)
    w.show_step("What-if")
    qtbot.wait(100)
    assert col.extra is None and lp.isAncestorOf(lp.view)
    assert all(col.tabs.widget(i) is not lp.view for i in range(col.tabs.count()))
    pv, wig = w.panels["PV loops"], w.panels["Wiggers diagram"]
    for panel in (pv, wig):
        _bring_forward(panel)  # its tab, when the column shows tabs
        qtbot.wait(30)
        assert panel.isVisible() and panel.width() >= MIN_PV, (panel, panel.size())
    assert pv.height() >= MIN_PV and wig.height() >= MIN_WIGGERS_H
    assert col.stacked == (col.height() >= 960)
    # and back: the lesson heart's plots in front again
    w.show_step("Teach")
    assert col.tabs.currentWidget() is lp.view
    if SHOTS:
        w.grab().save(os.path.join(SHOTS, f"lesson_{size[0]}.png"))

"""Teach step: teaching controls, lesson player, presenter keys, diagnose, side by side."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from twinviewer.gui.state import TwinState
from twinviewer.teaching.lesson import lesson_files, load_lesson, parse_lesson


@pytest.fixture()
def state():
    s = TwinState()
    yield s
    s.close()


def test_panels_are_declared_in_the_teach_step():
    from twinviewer.gui.panels import panel_entries

    teach = [c for step, c in panel_entries() if step == "Teach"]
    assert len(teach) == 4


def test_controls_move_the_loop_and_its_espvr(qtbot, state):
    from twinviewer.gui.teaching_controls import TeachingControlsPanel

    p = TeachingControlsPanel(state)
    qtbot.addWidget(p)
    ees0 = p.view.espvr_curve.getData()[1][-1] / p.view.espvr_curve.getData()[0][-1]
    esv0 = p.view.results.metrics["LVESV"][0]
    p.sliders["contractility"].setValue(160)
    qtbot.waitUntil(lambda: p.view.results.metrics["LVESV"][0] < esv0 - 1)
    x, y = p.view.espvr_curve.getData()
    assert y[-1] / x[-1] > ees0  # steeper line
    assert "160 %" in p.value_labels["contractility"].text()
    # review6: "(V_total)", "(SYS.R_AR)" beside the sliders; now the model's own labels
    shown = [lab.text() + lab.toolTip() for lab in p.value_labels.values()]
    shown += [s.toolTip() for s in p.sliders.values()]
    for code in ("V_total", "SYS.R_AR", "LV.EA", "SYS.C_AR"):
        assert not any(code in t for t in shown), code
    assert p.value_labels["afterload"].toolTip() == "Systemic arterial resistance"
    assert "acute, unregulated" in p.readout.text().lower()
    p.heart_box.setCurrentIndex(p.heart_box.findData("severe_as"))
    assert p.view.results.metrics["AV_mean_gradient"][0] > 40
    p.reset()
    assert p.sliders["contractility"].value() == 100
    big = p.pop_out()
    qtbot.addWidget(big)
    assert big.isWindow() and big.heart_box.currentData() == "severe_as"


def test_lesson_player_checks_answers_against_the_simulation(qtbot, state):
    from twinviewer.gui.lesson_player import LessonPlayer

    p = LessonPlayer(state)
    qtbot.addWidget(p)
    assert p.box.count() >= 6
    p.open_lesson(parse_lesson("""\
title: T
steps:
  - load_heart: healthy
  - highlight: {plot: pv_loop, region: ejection}
  - apply: {intervention: inotrope, settings: {dose: 10}}
  - question:
      prompt: ESPVR?
      kind: direction
      metric: Ees
      answer: increases
      labels: {increases: steeper, decreases: flatter}
"""))
    p.go(1)
    assert p.view.hl_curve.getData()[0] is not None and len(p.view.hl_curve.getData()[0])
    p.next_btn.click()
    p.next_btn.click()
    assert p.current == 3 and not p.next_btn.isEnabled()
    labels = [b.text() for b in p.group.buttons()]
    assert labels == ["steeper", "flatter", "unchanged"]
    p.group.buttons()[1].setChecked(True)
    assert p.check() is False and "steeper" in p.feedback.text()
    p.group.buttons()[0].setChecked(True)
    assert p.check() is True and "End-systolic elastance" in p.feedback.text()
    assert "[acute, unregulated]" in p.feedback.text()
    p.prev_btn.click()
    assert p.current == 2


def test_lesson_player_reports_a_failing_step(qtbot, state):
    from twinviewer.gui.lesson_player import LessonPlayer

    msgs = []
    state.message.connect(lambda level, text: msgs.append(text))
    p = LessonPlayer(state)
    qtbot.addWidget(p)
    p.open_lesson(parse_lesson("title: T\nsteps:\n  - load_heart: healthy\n  - question: "
                               "{prompt: w, kind: value, metric: LVEF, statistic: "
                               "interval_width, choices: [{label: a, range: [0, 100]}], "
                               "answer: a}\n", "w.yaml"))
    p.go(1)
    assert p.current == 0  # stays on the last good step
    assert any("members > 1" in m for m in msgs)


def test_presenter_is_keyboard_driven(qtbot, state):
    from twinviewer.gui.presenter import Presenter

    les = load_lesson(lesson_files()[2])  # aortic stenosis
    p = Presenter(state, les)
    qtbot.addWidget(p)
    qtbot.keyClick(p, Qt.Key.Key_Space)
    qtbot.keyClick(p, Qt.Key.Key_Right)
    assert p.current == 2
    qtbot.keyClick(p, Qt.Key.Key_Left)
    assert p.current == 1
    qtbot.keyClick(p, Qt.Key.Key_4)
    assert p.current == 3 and les.steps[3].question is not None
    qtbot.keyClick(p, Qt.Key.Key_D)  # "severe"
    assert p.reveal.startswith("Right")
    assert "A  none" in p.body.text()
    qtbot.keyClick(p, Qt.Key.Key_5)
    qtbot.keyClick(p, Qt.Key.Key_C)  # review6: "median AV_mean_gradient = 43.9 mmHg"
    assert "Aortic valve mean gradient = 4" in p.body.text()
    assert "AV_mean_gradient" not in p.body.text()
    qtbot.keyClick(p, Qt.Key.Key_6)  # TAVI: the change says no reflex acted
    assert "[acute, unregulated]" in p.body.text() and "tavi" not in p.body.text()


def test_diagnose_panel_scores(qtbot, state):
    from twinviewer.gui.diagnose_panel import DiagnosePanel

    p = DiagnosePanel(state)
    qtbot.addWidget(p)
    p.seed.setValue(3)
    p.pressures.setChecked(False)
    p.new_case()
    assert p.table.rowCount() > 8
    shown = " ".join(p.table.item(i, 0).text() for i in range(p.table.rowCount()))
    assert "Catheter" not in shown and "95" not in shown
    assert "(" in p.table.item(0, 1).text()  # an interval beside every value
    truth = p.case.truth
    p.diagnosis.setCurrentText(truth.diagnosis)
    p.severity.setCurrentText(truth.severity)
    assert p.answer() == 3
    assert "Score 3/3" in p.result.text()


def test_loop_view_key_sits_under_the_plots_and_is_read_whole(qtbot):
    """edu6/session 6: the legend inside a 230–250 px plot was cut at its right edge and
    covered the loop; the key is a wrapped label under the plots."""
    from twinviewer.gui.teaching_controls import LiveHeart, LoopView

    live = LiveHeart("healthy")
    v = LoopView()
    qtbot.addWidget(v)
    v.set_vertical(True)
    v.resize(250, 560)
    v.setVisible(True)
    v.show(live.predict({"contractility": 140}), live.baseline)
    qtbot.waitUntil(lambda: v.key.height() > 0)
    qtbot.wait(20)
    assert v.pv.legend is None and v.wig.legend is None  # nothing drawn over the curves
    text = v.key.text()
    for label in ("ESPVR (end-systolic)", "EDPVR (end-diastolic, passive)",
                  "LV loop (one member)", "before (loop, ESPVR)", "aortic root pressure",
                  "LA pressure"):
        assert label in text, label
    # every line of the wrapped key is inside the view
    assert v.key.heightForWidth(v.key.width()) <= v.key.height()
    assert v.rect().contains(v.key.geometry())
    v.show(live.baseline)  # no reference: no "before" entry
    assert "before" not in v.key.text()


def test_diagnose_3d_view_opens_in_a_window_of_its_own(make_twin_window, qtbot):
    """edu6/session 6: the hidden heart's native 3D view sat inside the Teach step's scroll
    area (where a native window draws over the widgets around it)."""
    from twinviewer.gui.heart_anatomy import HIDDEN
    from twinviewer.teaching.hearts import heart

    w = make_twin_window(load_demo=True)
    w.show_step("Teach")
    p = w.panels["Diagnose the hidden lesion"]
    p.seed.setValue(5)
    p.new_case()
    p.show_3d.blockSignals(True)  # the case's own anatomy is a slow worker job (slow test)
    p.show_3d.setChecked(True)
    p.show_3d.blockSignals(False)
    p._shown_case = p.case  # (ticking the box again makes no anatomy job)
    p._show_anatomy(p.case, w.state.twin.anatomy)
    assert p.window3d.isWindow() and p.window3d.isVisible()
    assert p.view3d.window() is p.window3d and not w.isAncestorOf(p.view3d)
    assert p._state3d.twin.pseudonym == HIDDEN
    title = p.window3d.windowTitle() + p.window3d.titles[0].text()
    assert heart(p.case.heart_name).title.lower() not in title.lower()
    p.window3d.close()  # closing it unticks the box; ticking shows it again
    assert not p.show_3d.isChecked()
    p.show_3d.setChecked(True)
    assert p.window3d.isVisible()
    p.show_3d.setChecked(False)
    assert not p.window3d.isVisible()


def test_side_by_side_steps_together(qtbot, state):
    from twinviewer.gui.side_by_side import SideBySidePanel

    p = SideBySidePanel(state)
    qtbot.addWidget(p)
    p.hearts[0].setCurrentIndex(p.hearts[0].findData("severe_as"))
    p.ivs[1].setCurrentIndex(p.ivs[1].findData("tavi"))
    p.same_heart()
    a, b = p.results
    assert a.metrics["AV_mean_gradient"][0] > 40 > b.metrics["AV_mean_gradient"][0]
    p.clock.setValue(50)
    ta = p.views[0].cursor.value() / a.time[0, -1]
    tb = p.views[1].cursor.value() / b.time[0, -1]
    assert ta == pytest.approx(tb, abs=0.02)


@pytest.fixture()
def asked_anatomy(monkeypatch) -> list[str]:
    # the hearts whose own anatomy the window asked for (built in test_heart_anatomy_gui)
    from twinviewer.gui.main_window import MainWindow

    asked: list[str] = []
    monkeypatch.setattr(MainWindow, "follow_heart_anatomy", lambda self, n: asked.append(n))
    return asked


def _library_heart_opened(w, qtbot, asked: list[str]) -> None:
    # review7: education mode left an empty window; it opens the library's healthy heart
    qtbot.waitUntil(lambda: w.state.twin is not None and w.state.results is not None,
                    timeout=180_000)
    assert w.state.twin.origin == "preset:healthy"
    assert w.state.twin.pseudonym == "virtual-healthy" and asked == ["healthy"]


def test_education_mode_in_the_main_window(make_twin_window, qtbot, asked_anatomy):
    import dataclasses

    from twinviewer.teaching.education import mark_for_teaching
    from twinviewer.twins import twin_from_preset

    w = make_twin_window(load_demo=False)
    assert "Teach" in w.steps
    w.education_action.setChecked(True)
    _library_heart_opened(w, qtbot, asked_anatomy)
    patient = dataclasses.replace(twin_from_preset("healthy", n=2, pseudonym="TW-0123456789"),
                                  origin="import")
    w.show_twin(patient, simulate=False)
    assert w.state.twin.origin == "preset:healthy"  # refused, the app keeps running
    assert "education mode opens virtual hearts only" in (w.last_error or "")
    virtual = twin_from_preset("severe_as", n=2)
    w.show_twin(virtual, simulate=False)
    assert w.state.twin is virtual
    w.show_twin(mark_for_teaching(patient), simulate=False)
    assert w.state.twin.pseudonym == "TW-0123456789"
    w.education_action.setChecked(False)


def test_education_mode_refuses_a_patient_twin_file(make_twin_window, tmp_path, qtbot,
                                                    asked_anatomy):
    """File → Open (and recent files, recovery) go through the same refusal as show_twin."""
    import dataclasses

    from twinviewer.gui.twin_file_actions import open_twin
    from twinviewer.io.twinfile import save_twin
    from twinviewer.twins import twin_from_preset

    patient = dataclasses.replace(twin_from_preset("healthy", n=2, pseudonym="TW-0123456789"),
                                  origin="import")
    path = save_twin(tmp_path / "patient.twin", patient) or tmp_path / "patient.twin"
    w = make_twin_window(load_demo=False)
    w.education_action.setChecked(True)
    _library_heart_opened(w, qtbot, asked_anatomy)
    assert open_twin(w, path) is None
    assert w.state.twin.origin == "preset:healthy"
    assert "education mode opens virtual hearts only" in w.last_error
    w.education_action.setChecked(False)
    assert open_twin(w, path) is not None and w.state.twin.pseudonym == "TW-0123456789"


def test_side_by_side_linked_3d_views(make_twin_window, qtbot):
    from twinviewer.gui.side_by_side import SideBySidePanel

    bare = SideBySidePanel(TwinState())
    qtbot.addWidget(bare)
    bare.link3d.setChecked(True)  # no virtual anatomy on screen: refused, not fatal
    assert not bare.link3d.isChecked() and not bare.views3d

    w = make_twin_window(load_demo=True)
    p = SideBySidePanel(w.state)
    qtbot.addWidget(p)
    p.hearts[0].setCurrentIndex(p.hearts[0].findData("severe_as"))
    p.ivs[1].setCurrentIndex(p.ivs[1].findData("tavi"))
    p.same_heart()
    p.link3d.setChecked(True)
    a, b = p.views3d
    assert a.plotter.renderer.GetActiveCamera() is b.plotter.renderer.GetActiveCamera()
    assert a._clim["pressure"] == b._clim["pressure"]  # one colour scale
    p.clock.setValue(30)
    assert p._states3d[0].time == p._states3d[1].time == pytest.approx(30 / 99)
    # review6: the native 3D window drew over the sliders in the Teach step's scroll area;
    # now the views live in a window of their own, each under its own title
    win = p.window3d
    assert win.isWindow() and win.isVisible() and a.window() is win and b.window() is win
    assert not win.isAncestorOf(p) and not p.isAncestorOf(a)
    assert win.titles[1].text().startswith("Severe aortic stenosis + Aortic valve replacement")
    # changing a heart changes its 3D heart and colours at once
    p.hearts[0].setCurrentIndex(p.hearts[0].findData("hfref"))
    assert p._states3d[0].twin.origin == "preset:hfref"
    assert p._states3d[0].results is p.results[0]
    assert win.titles[0].text() == "Heart failure with reduced ejection fraction"
    win.close()  # closing the window unticks the box
    assert not p.link3d.isChecked()

    # a lesson's structure highlight fades the main 3D view to that structure
    from twinviewer.gui.lesson_player import LessonPlayer

    lp = LessonPlayer(w.state)
    qtbot.addWidget(lp)
    lp.window = lambda: w
    lp.open_lesson(parse_lesson("title: T\nsteps:\n  - load_heart: severe_as\n  - highlight: "
                                "{structure: aortic_valve}\n  - text: done\n"))
    lp.go(1)
    assert w.view3d.opacity["aorta"] == 1.0 and w.view3d.opacity["ra"] < 0.2
    lp.go(2)
    assert w.view3d.opacity["ra"] == 1.0


def test_open_a_virtual_heart_in_the_workflow(make_twin_window, qtbot, monkeypatch):
    from tests.gui.conftest import wait_jobs
    from twinviewer.gui.main_window import MainWindow
    from twinviewer.teaching.predictions import cached

    # the heart's own anatomy (seconds of CPU in a worker when not cached) is tested in
    # tests/gui/test_heart_anatomy_gui.py (slow)
    opened = []
    monkeypatch.setattr(MainWindow, "follow_heart_anatomy", lambda self, n: opened.append(n))
    w = make_twin_window(load_demo=False)
    w.show_step("Teach")
    panel = w.panels["Teaching controls"]
    panel.heart_box.setCurrentIndex(panel.heart_box.findData("severe_mr"))
    wait_jobs(qtbot, w.state)  # predictions prepared in the background
    assert cached("severe_mr") is not None
    panel.open_in_workflow()
    assert w.state.twin.origin == "preset:severe_mr"
    assert w.state.results is cached("severe_mr")
    assert w.state.twin.ensemble.shape[0] == w.state.results.n == 200
    assert opened == ["severe_mr"]  # its own anatomy asked for


def test_a_lesson_opens_its_heart_in_the_window(make_twin_window, qtbot, monkeypatch):
    from tests.gui.conftest import wait_jobs
    from twinviewer.gui.main_window import MainWindow

    opened = []  # the heart's own anatomy: asked for (built in test_heart_anatomy_gui)
    monkeypatch.setattr(MainWindow, "follow_heart_anatomy", lambda self, n: opened.append(n))
    w = make_twin_window(load_demo=False)
    w.show_step("Teach")
    lp = w.panels["Lessons"]
    assert w.state.twin is None  # building the Teach step opens nothing
    lp.open_lesson(parse_lesson("title: T\nsteps:\n  - load_heart: hfref\n  - text: a\n"
                                "  - load_heart: severe_as\n  - text: b\n"))
    wait_jobs(qtbot, w.state)
    assert w.state.twin.origin == "preset:hfref" and opened == ["hfref"]
    lp.go(1)  # the same heart: not opened again
    assert opened == ["hfref"]
    lp.go(3)
    wait_jobs(qtbot, w.state)
    assert w.state.twin.origin == "preset:severe_as" and opened == ["hfref", "severe_as"]
    # review7: the teaching controls kept the healthy heart while the lesson showed severe AS
    controls = w.panels["Teaching controls"]
    assert controls.heart_box.currentData() == "severe_as"
    assert controls.live.name == "severe_as"


@pytest.mark.slow  # the hidden heart's 25-frame anatomy is deformed in a worker (~5–10 s)
def test_diagnose_shows_the_hidden_hearts_anatomy_without_naming_it(make_twin_window, qtbot):
    from tests.gui.conftest import wait_jobs
    from twinviewer.gui.diagnose_panel import DiagnosePanel
    from twinviewer.gui.heart_anatomy import HIDDEN
    from twinviewer.teaching.hearts import heart

    w = make_twin_window(load_demo=True)
    said = []
    w.state.message.connect(lambda level, text: said.append(text))
    p = DiagnosePanel(w.state)
    qtbot.addWidget(p)
    p.seed.setValue(11)
    p.new_case()
    p.show_3d.setChecked(True)
    wait_jobs(qtbot, w.state, timeout=300_000)
    anatomy = p._state3d.twin.anatomy
    assert p.view3d is not None and anatomy.pseudonym == HIDDEN
    name, title = p.case.heart_name, heart(p.case.heart_name).title
    # its own volumes: the LV mesh at its largest holds the case's end-diastolic volume
    lv = p.case.results.series["V_LV"][0]
    vols = [m.volume_ml() for m in anatomy.structures["lv_blood"].meshes.values()]
    assert max(vols) == pytest.approx(lv.max(), rel=0.03)
    # nothing shown names the heart: messages, job titles, notes, tooltips, window titles
    words = said + anatomy.notes + [p._state3d.twin.pseudonym, p.window3d.windowTitle(),
                                    w.windowTitle()]
    words += [c.toolTip() for c in p.findChildren(type(p.show_3d))]
    for text in words:
        assert name not in text and title.lower() not in text.lower(), text


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_side_by_side_loops_are_readable(make_twin_window, qtbot, size):
    from twinviewer.gui.side_by_side import MIN_PLOT

    w = make_twin_window(load_demo=False)
    w.resize(*size)
    w._default_sizes()
    w.show_step("Teach")
    p = w.panels["Side by side"]
    w.step_sections["Teach"].open(p)  # its section (the Teach tools fold, review14 #9)
    page = w.step_pages["Teach"]
    page.ensureWidgetVisible(p)
    qtbot.waitUntil(lambda: p.isVisible() and p.width() > 0)
    qtbot.wait(50)
    for v in p.views:
        g = v.pv.geometry()  # the PV plot with its axes, in pixels
        assert g.width() >= MIN_PLOT and g.height() >= MIN_PLOT, (size, g)
        assert v.pv.vb.width() >= 0.6 * MIN_PLOT  # the plotting area itself
    assert page.horizontalScrollBar().maximum() == 0  # nothing hidden sideways
    if size[0] < 1920:
        return
    # review6: at 1920×1080 the hearts were stacked, so the two loops were never on screen
    # together; now they stand in two columns with both PV loops in view at once
    page.ensureWidgetVisible(p.views[0], 0, 0)
    qtbot.wait(50)
    assert p._columns == 2
    port = page.viewport().rect()
    for v in p.views:
        top_left = v.mapTo(page.viewport(), v.pv.geometry().topLeft().toPoint())
        bottom = top_left.y() + int(v.pv.geometry().height())
        assert port.contains(top_left) and bottom <= port.bottom(), (top_left, bottom, port)


def test_presenter_colour_bar_is_readable_on_a_projector(qtbot, state):
    """The 3D colour bar's title and labels are twice the desktop size in presenter mode
    (teach4: tiny on a 1920×1080 projector); the desktop view keeps 14/12 px."""
    import numpy as np

    from twinviewer.core.anatomy import Anatomy, Structure
    from twinviewer.gui.presenter import BAR_FONT_SCALE, Presenter
    from twinviewer.gui.view3d import View3D
    from twinviewer.imaging.disease_anatomy import sphere_mesh
    from twinviewer.twins import simulate_twin, twin_from_preset

    a = Anatomy("virtual-heart", rr_ms=800.0)
    for key, r, dx in (("lv_blood", 30.0, 0.0), ("rv_blood", 25.0, 70.0)):
        m = sphere_mesh(r, 12)
        m.points = m.points + np.array([dx, 0.0, 0.0])
        a.structures[key] = Structure(key, key, (1.0, 0.0, 0.0), {0: m})
    twin = twin_from_preset("healthy", n=4, anatomy=a)
    state.session.open_twin(twin, results=simulate_twin(twin))

    def bar_sizes(view):
        view.set_overlay("pressure")
        (bar,) = view.scalar_bars.values()
        return (bar.GetTitleTextProperty().GetFontSize(),
                bar.GetLabelTextProperty().GetFontSize())

    p = Presenter(state, load_lesson(lesson_files()[0]))
    qtbot.addWidget(p)
    p.resize(1920, 1080)
    qtbot.keyClick(p, Qt.Key.Key_H)  # the full-screen 3D heart
    assert p.stack.currentWidget() is p.view3d
    assert bar_sizes(p.view3d) == (round(14 * BAR_FONT_SCALE), round(12 * BAR_FONT_SCALE))
    desk = View3D(state)
    qtbot.addWidget(desk)
    desk.set_anatomy(a)
    assert bar_sizes(desk) == (14, 12)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_diagnose_table_is_readable(make_twin_window, qtbot, size):
    """The diagnose table in the Teach step's column: no column is cut or scrolled
    sideways; the values keep their full width; in a narrow column the measurement wraps
    and the method is in each row's tooltip (teach4 saw the columns cut at 1280×720)."""
    w = make_twin_window(load_demo=False)
    w.resize(*size)
    w._default_sizes()
    w.show_step("Teach")
    p = w.panels["Diagnose the hidden lesion"]
    w.step_sections["Teach"].open(p)  # its section (the Teach tools fold, review14 #9)
    p.seed.setValue(11)
    p.new_case()
    w.step_pages["Teach"].ensureWidgetVisible(p.table)
    t = p.table
    qtbot.waitUntil(lambda: t.isVisible() and t.viewport().width() > 0)
    qtbot.wait(50)
    assert t.horizontalScrollBar().maximum() == 0  # nothing hidden sideways
    shown = [c for c in range(3) if not t.isColumnHidden(c)]
    assert sum(t.columnWidth(c) for c in shown) <= t.viewport().width()
    assert t.columnWidth(1) >= t.sizeHintForColumn(1)  # values and intervals in full
    if t.narrow:
        assert shown == [0, 1]
        assert t.horizontalHeader().sectionSizeFromContents(0).width() <= t.columnWidth(0)
        assert all(t.item(i, 0).toolTip().endswith(p.case.readings[i].method)
                   for i in range(t.rowCount()))
        fm = t.fontMetrics()
        for i in range(t.rowCount()):  # each label wrapped within its cell, not cut
            r = fm.boundingRect(0, 0, t.columnWidth(0) - 8, 10_000,
                                int(Qt.TextFlag.TextWordWrap), t.item(i, 0).text())
            assert r.height() <= t.rowHeight(i), (i, t.item(i, 0).text())
    else:
        assert all(t.columnWidth(c) >= t.sizeHintForColumn(c) - 1 for c in (0, 1))
    print(size, "narrow" if t.narrow else "wide", t.viewport().width(),
          [t.columnWidth(c) for c in range(3)])


def _patient_twin():
    """A patient's twin (imported, a TwinViewer pseudonym, its own anatomy), not marked for
    teaching."""
    import dataclasses

    import numpy as np

    from twinviewer.core.anatomy import Anatomy, Structure
    from twinviewer.imaging.disease_anatomy import sphere_mesh
    from twinviewer.twins import twin_from_preset

    a = Anatomy("TW-0123456789", rr_ms=800.0)
    m = sphere_mesh(30.0, 12)
    m.points = m.points + np.array([1.0, 2.0, 3.0])
    a.structures["lv_blood"] = Structure("lv_blood", "LV", (1.0, 0.0, 0.0), {0: m})
    return dataclasses.replace(twin_from_preset("healthy", n=2, pseudonym="TW-0123456789",
                                                anatomy=a), origin="import")


@pytest.mark.parametrize("answer", ["Cancel", "Discard"])
def test_education_mode_closes_an_open_patient_twin(make_twin_window, monkeypatch, answer,
                                                    qtbot, asked_anatomy):
    """review6: turning education mode on left the patient's images and numbers on screen.
    Now it closes the twin after the save prompt (Discard), or stays off (Cancel)."""
    from PySide6.QtWidgets import QLabel, QMessageBox

    w = make_twin_window(load_demo=False)
    w.show_twin(_patient_twin(), simulate=False, dirty=True)
    assert w.view3d.anatomy is not None and "TW-0123456789" in w.windowTitle()
    assert "TW-0123456789" in w.log_panel.text.toPlainText()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (
        asked.append(a[2]), getattr(QMessageBox.StandardButton, answer))[1])
    w.education_action.setChecked(True)
    assert asked and "education mode" in asked[0]
    if answer == "Cancel":  # the user keeps the patient's unsaved work: the mode stays off
        assert not w.education_mode and not w.education_action.isChecked()
        assert w.state.twin.pseudonym == "TW-0123456789"
        return
    assert w.education_mode and w.education_action.isChecked()
    _library_heart_opened(w, qtbot, asked_anatomy)  # in place of the patient's: not empty
    assert w.view3d.anatomy is None or w.view3d.anatomy.pseudonym.startswith("virtual-")
    shown = [w.windowTitle(), w.log_panel.text.toPlainText()]
    shown += [lab.text() for lab in w.findChildren(QLabel) if lab.isVisible()]
    assert not any("TW-0123456789" in t for t in shown)


def test_presenter_draws_the_lessons_heart_never_the_windows_twin(make_twin_window, qtbot):
    """review6: with a patient's twin open (education mode off, save prompt cancelled),
    Present → H showed the patient's heart under "Aortic stenosis and TAVI"."""
    from twinviewer.gui.presenter import Presenter

    w = make_twin_window(load_demo=False)
    w.show_twin(_patient_twin(), simulate=False, dirty=True)
    patient_anatomy = w.state.twin.anatomy
    les = load_lesson(lesson_files()[2])  # aortic stenosis and TAVI
    p = Presenter(w.state, les, start=4)
    qtbot.addWidget(p)
    qtbot.keyClick(p, Qt.Key.Key_H)
    shown = p.state3d.twin
    assert p.view3d.state is p.state3d and p.view3d.anatomy is not patient_anatomy
    assert shown.origin == "preset:severe_as" and shown.pseudonym.startswith("virtual-")
    assert shown.anatomy is None or shown.anatomy.pseudonym.startswith("virtual-")
    assert p.state3d.results is p.session.results  # this step's heart, not the window's
    qtbot.keyClick(p, Qt.Key.Key_6)  # after TAVI: the 3D heart follows the lesson
    assert p.state3d.results is p.session.results
    assert w.state.twin.pseudonym == "TW-0123456789"  # the window's twin is untouched


def test_presenter_shows_no_heart_before_the_lesson_loads_one(make_twin_window, qtbot):
    """final15 #7: back to a text step before the lesson's first heart, the presenter's 3D
    view kept the heart of the later step."""
    from twinviewer.gui.presenter import Presenter

    w = make_twin_window(load_demo=False)
    les = parse_lesson("title: T\nsteps:\n  - text: a\n  - load_heart: severe_as\n")
    p = Presenter(w.state, les, start=1)
    qtbot.addWidget(p)
    qtbot.keyClick(p, Qt.Key.Key_H)
    assert p.state3d.twin.origin == "preset:severe_as"
    p.go(0)
    assert p.state3d.twin is None and p.view3d.anatomy is None


def test_side_by_side_refreshes_when_a_combo_changes(qtbot, state):
    """review6: changing the heart or intervention did nothing until "Show both"; under
    "Severe aortic stenosis" it showed a healthy heart's EF 60 % and gradient 3 mmHg. Every
    change now re-simulates that side, and each title is written with its own numbers."""
    from twinviewer.gui.side_by_side import SideBySidePanel, predict, side_title

    p = SideBySidePanel(state)
    qtbot.addWidget(p)

    def consistent():
        for i in range(2):
            name, iv = p.hearts[i].currentData(), p.ivs[i].currentData() or None
            want = predict(name, iv).metrics["AV_mean_gradient"][0]
            assert p.results[i].metrics["AV_mean_gradient"][0] == pytest.approx(want)
            assert p.summaries[i].text().startswith(side_title(name, iv) + ":")
            assert p.views[i].results is p.results[i]
            assert p.heads[i].text() == side_title(name, iv)

    p.hearts[0].setCurrentIndex(p.hearts[0].findData("severe_as"))
    assert p.results[0].metrics["AV_mean_gradient"][0] > 40
    consistent()
    p.ivs[0].setCurrentIndex(p.ivs[0].findData("tavi"))
    assert p.results[0].metrics["AV_mean_gradient"][0] < 20
    assert "[acute, unregulated]" in p.summaries[0].text()
    consistent()
    p.hearts[1].setCurrentIndex(p.hearts[1].findData("severe_mr"))
    consistent()


"""review16 #4: opening a Teach lesson closed a saved twin without a question, while the same
twin with unsaved changes got "save them?" and, on Cancel, a lesson on its own page.

One rule now: a twin that holds anything of the user's (opened from or saved to a file, or with
unsaved changes) stays open without a question, and the lesson shows its heart on its own page;
only a virtual heart the app made and nobody touched is replaced by the lesson's.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from twinviewer.teaching.lesson import parse_lesson

LESSON = "title: T\nsteps:\n  - load_heart: severe_as\n  - text: a\n"


def _no_question(monkeypatch) -> list:
    asked: list = []

    def ask(*a, **k):
        asked.append(a)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", ask)
    return asked


def _lesson_shown_beside(w, kept) -> None:
    centre = w.lesson_centre
    assert w.state.twin is kept  # not replaced
    assert centre is not None and w.centre_stack.currentWidget() is centre
    assert centre.state3d.twin.origin == "preset:severe_as"
    assert kept.pseudonym in centre.header.text() and "hidden" in centre.header.text()
    w.show_step(w.steps[0])  # leaving Teach: the twin again
    assert w.state.twin is kept and w.centre_stack.currentWidget() is w.centre_stack.widget(0)


def test_a_saved_virtual_twin_stays_open(saved_healthy_window, qtbot, monkeypatch):
    w = saved_healthy_window
    asked = _no_question(monkeypatch)
    kept = w.state.twin
    assert w.state.session.file.path is not None and not w.state.session.dirty
    w.show_step("Teach")
    w.panels["Lessons"].open_lesson(parse_lesson(LESSON))
    assert asked == []  # nothing to ask: nothing is replaced
    _lesson_shown_beside(w, kept)


def test_an_unsaved_virtual_twin_stays_open_without_a_question(make_twin_window, qtbot,
                                                               monkeypatch):
    from twinviewer.twins import twin_from_preset

    w = make_twin_window(load_demo=False)
    asked = _no_question(monkeypatch)
    w.show_twin(twin_from_preset("healthy", n=8), simulate=False)
    w.state.session.add_note("for Tuesday's class")
    kept = w.state.twin
    assert w.state.session.dirty
    w.show_step("Teach")
    w.panels["Lessons"].open_lesson(parse_lesson(LESSON))
    assert asked == []
    _lesson_shown_beside(w, kept)


def test_an_untouched_virtual_heart_is_replaced(make_twin_window, qtbot, monkeypatch):
    from tests.gui.conftest import wait_jobs
    from twinviewer.gui.main_window import MainWindow
    from twinviewer.twins import twin_from_preset

    monkeypatch.setattr(MainWindow, "follow_heart_anatomy", lambda self, n: None)
    w = make_twin_window(load_demo=False)
    asked = _no_question(monkeypatch)
    w.show_twin(twin_from_preset("healthy", n=8), simulate=False)
    assert not w.state.session.dirty and w.state.session.file.path is None
    w.show_step("Teach")
    w.panels["Lessons"].open_lesson(parse_lesson(LESSON))
    wait_jobs(qtbot, w.state)
    assert asked == [] and w.state.twin.origin == "preset:severe_as"

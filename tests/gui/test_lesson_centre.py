"""review15 #6: in the Teach step the 3D view and slices kept showing the open twin (a
patient's cine MR with its contours) beside a lesson's "A healthy adult heart at rest". The
centre now shows the lesson's heart on a state of its own while the lesson is shown, and the
twin's views again when Teach is left; the patient's twin is never replaced or drawn."""

from __future__ import annotations

from tests.gui.test_teaching import _patient_twin
from twinviewer.teaching.lesson import parse_lesson

LESSON = ("title: T\nsteps:\n  - load_heart: healthy\n  - text: a healthy adult heart\n"
          "  - load_heart: severe_as\n  - text: b\n")


def test_teach_shows_the_lessons_heart_never_the_patients(make_twin_window, qtbot):
    w = make_twin_window(load_demo=False)
    w.show_twin(_patient_twin(), simulate=False, dirty=True)
    patient = w.state.twin
    twin_views = w.centre_stack.widget(0)
    assert w.centre_stack.currentWidget() is twin_views
    w.show_step("Teach")
    lp = w.panels["Lessons"]
    lp.open_lesson(parse_lesson(LESSON))
    centre = w.lesson_centre
    assert centre is not None and w.centre_stack.currentWidget() is centre
    assert not w.view3d.isVisible() and not w.slices.isVisible()  # no patient image shown
    shown = centre.state3d.twin
    assert shown.origin == "preset:healthy" and shown.pseudonym.startswith("virtual-")
    assert shown.anatomy is None or shown.anatomy.pseudonym.startswith("virtual-")
    assert centre.view3d.state is centre.state3d and centre.view3d.anatomy is not patient.anatomy
    assert centre.state3d.results is lp.session.results
    assert "Healthy adult at rest" in centre.header.text()
    assert "TW-0123456789" in centre.header.text() and "hidden" in centre.header.text()
    lp.go(3)  # the lesson loads severe AS: the centre follows it (its anatomy in a worker)
    assert centre.state3d.twin.origin == "preset:severe_as"
    assert centre.state3d.results is lp.session.results
    assert "Severe aortic stenosis" in centre.header.text()
    assert w.state.twin is patient  # a lesson never closes a patient's twin
    # another Teach tool folds the lesson away: the twin's views come back
    sections = w.step_sections["Teach"]
    sections.open(w.panels["Teaching controls"])
    assert w.centre_stack.currentWidget() is twin_views
    sections.open(lp)
    assert w.centre_stack.currentWidget() is centre
    # leaving Teach: the twin's views again, with the twin still open and untouched
    w.show_step(w.steps[0])
    assert w.centre_stack.currentWidget() is twin_views
    assert w.view3d.isVisible() and w.state.twin is patient
    assert w.state.twin.pseudonym == "TW-0123456789"


TEXT_FIRST = ("title: U\nsteps:\n  - text: before any heart\n  - load_heart: severe_as\n"
              "  - text: c\n")


def test_a_lesson_opening_with_text_shows_no_heart_not_the_previous_one(make_twin_window,
                                                                         qtbot):
    """final15 #7: a user-written lesson whose first step is text showed the previous
    lesson's heart (and named it) until a step loaded one; the shipped lessons all open with
    a heart, so nobody saw it."""
    w = make_twin_window(load_demo=False)
    w.show_twin(_patient_twin(), simulate=False, dirty=True)
    w.show_step("Teach")
    lp = w.panels["Lessons"]
    lp.open_lesson(parse_lesson(LESSON))
    centre = w.lesson_centre
    assert centre.state3d.twin.origin == "preset:healthy"
    lp.open_lesson(parse_lesson(TEXT_FIRST))
    assert centre.state3d.twin is None  # no heart drawn, least of all the previous one
    assert centre.view3d.anatomy is None
    text = centre.header.text()
    assert "Healthy" not in text
    assert "No lesson heart yet" in text and "step 2" in text
    assert "Severe aortic stenosis" in text
    lp.go(1)  # the lesson's own heart once it is loaded
    assert centre.state3d.twin.origin == "preset:severe_as"
    assert centre.header.text().startswith("Lesson heart: Severe aortic stenosis")
    lp.go(0)  # and none again before it
    assert centre.state3d.twin is None and "No lesson heart yet" in centre.header.text()
    lp.open_lesson(parse_lesson("title: V\nsteps:\n  - text: only words\n"))
    assert centre.state3d.twin is None
    assert centre.header.text() == "This lesson shows no heart."


def test_the_header_does_not_answer_the_open_question(make_twin_window, qtbot):
    """newuser17b G6: "Lesson heart: Severe primary mitral regurgitation" stood above "How
    severe is the mitral regurgitation?"; the header hides the title during the lesson's
    questions it would answer, and the step list does too."""
    from twinviewer.teaching.lesson import lesson_files, load_lesson

    w = make_twin_window(load_demo=False)
    w.show_step("Teach")
    lp = w.panels["Lessons"]
    lp.open_lesson(load_lesson(next(p for p in lesson_files() if "mitral" in p.stem)))
    q = next(i for i, s in enumerate(lp.lesson.steps) if s.question is not None)
    lp.go(q)
    header = w.lesson_centre.header.text()
    assert "How severe" in lp.text.text() and "Lesson heart:" in header
    assert "severe" not in header.lower(), header
    assert not any("severe" in lp.steps.itemText(i).lower() for i in range(lp.steps.count()))

"""The lesson runner checks every answer key against the simulation."""

from __future__ import annotations

import pytest

from twinviewer.teaching.lesson import LessonError, lesson_files, load_lesson, parse_lesson
from twinviewer.teaching.runner import LessonSession, check_lesson


@pytest.mark.parametrize("path", lesson_files(), ids=lambda p: p.stem)
def test_every_shipped_answer_key_agrees_with_the_simulation(path):
    outcomes = check_lesson(load_lesson(path))
    assert outcomes
    wrong = [(o.question.line, o.question.answer, o.simulated) for o in outcomes
             if not o.key_ok]
    assert not wrong


LESSON = """\
title: Dobutamine
steps:
  - load_heart: healthy
  - apply: {intervention: inotrope, settings: {dose: 10}}
  - question:
      prompt: ESPVR?
      kind: direction
      metric: Ees
      answer: ANSWER
      labels: {increases: steeper, decreases: flatter}
"""


def test_a_wrong_answer_key_is_caught():
    right = check_lesson(parse_lesson(LESSON.replace("ANSWER", "increases")))
    wrong = check_lesson(parse_lesson(LESSON.replace("ANSWER", "decreases")))
    assert right[0].key_ok and right[0].label == "steeper"
    assert not wrong[0].key_ok and wrong[0].simulated == "increases"
    assert "End-systolic elastance" in wrong[0].detail and "→" in wrong[0].detail
    assert "Ees" not in wrong[0].detail and wrong[0].detail.endswith("[acute, unregulated]")


def test_stepping_back_replays_from_the_start():
    s = LessonSession(parse_lesson(LESSON.replace("ANSWER", "increases")))
    s.step_to(1)
    after = s.results.metrics["Ees"][0]
    s.step_to(0)
    assert s.results.metrics["Ees"][0] < after
    s.step_to(2)
    assert s.outcomes[2].key_ok


def test_stepping_back_before_the_first_heart_leaves_no_heart():
    """final15 #7: back to a text step before the lesson's first heart kept the later
    heart's name (and so the view showed it)."""
    s = LessonSession(parse_lesson("title: T\nsteps:\n  - text: a\n  - load_heart: severe_as\n"))
    s.step_to(1)
    assert s.heart_name == "severe_as"
    s.step_to(0)
    assert s.heart_name == "" and s.results is None and s.params is None


def test_interval_question_needs_an_ensemble():
    les = parse_lesson("""\
title: W
steps:
  - load_heart: healthy
  - question:
      prompt: width?
      kind: value
      metric: LVEF
      statistic: interval_width
      choices: [{label: narrow, range: [0, 5]}, {label: wide, range: [5, 100]}]
      answer: wide
""", "w.yaml")
    with pytest.raises(LessonError, match="members > 1"):
        check_lesson(les)


def test_direction_from_zero():
    outcomes = check_lesson(parse_lesson("""\
title: Z
steps:
  - load_heart: healthy
  - set: {control: preload, percent: 110}
  - question: {prompt: "MR?", kind: direction, metric: VAD_flow, answer: unchanged}
  - apply: {intervention: inotrope, settings: {dose: 5}}
  - question: {prompt: "MR?", kind: direction, metric: VAD_flow, answer: unchanged}
"""))
    assert [o.simulated for o in outcomes] == ["unchanged", "unchanged"]


def test_results_name_quantities_as_students_read_them():
    """review6: the presenter showed "median AV_mean_gradient = 43.9 mmHg". Every shipped
    lesson's answers use the metrics' labels, and every result after a change says it is
    the acute, unregulated response."""
    import re

    from twinviewer.teaching.lesson import lesson_files, load_lesson

    for f in lesson_files():
        session = LessonSession(load_lesson(f))
        for out in session.run_all():
            q = out.question
            assert not re.search(r"\w_\w", out.detail), (f.name, out.detail)
            if q.metric and q.kind != "grade":
                assert not re.search(rf"\b{re.escape(q.metric)}\b", out.detail), out.detail
            if q.kind == "direction":
                assert out.detail.endswith("[acute, unregulated]"), out.detail


BETA = """\
title: Beta-blocker in a failing heart
steps:
  - load_heart: hfref
  - apply: {intervention: beta_blocker, settings: {dose: 10}}
  - question:
      prompt: ESPVR?
      kind: direction
      metric: Ees
      answer: decreases
"""


def test_a_beta_blocker_costs_a_failing_heart_contractility_in_a_lesson():
    """The lesson's (acute) β-blocker withdraws the failing heart's resting sympathetic
    support, from the heart's run just before the step (physio12b), as the what-if does."""
    from twinviewer.interventions.baroreflex import resting_support

    s = LessonSession(parse_lesson(BETA))
    s.step_to(0)
    lvef, ees = float(s.results.metrics["LVEF"][0]), float(s.results.metrics["Ees"][0])
    s.step_to(2)
    assert s.outcomes[2].key_ok
    ea = s.model.index("LV.EA")
    from twinviewer.interventions.drugs import bb_block  # 10 mg: 0.97 of full (review16b #1)

    assert s.params[0, ea] == pytest.approx(
        s.base[0, ea] * (1 - resting_support(lvef) * bb_block({"dose": 10.0})))
    assert s.results.metrics["Ees"][0] < 0.9 * ees

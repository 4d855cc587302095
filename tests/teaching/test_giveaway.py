"""newuser17b G6: the mitral lesson titled its heart "Severe primary mitral regurgitation"
right above "How severe is the mitral regurgitation?". No shipped lesson may show, while a
question is open, a heart title (header or step list) that names one of its choices."""

from __future__ import annotations

import pytest

from twinviewer.gui.lesson_centre import header_text
from twinviewer.gui.lesson_player import step_caption
from twinviewer.teaching.giveaway import HIDDEN_TITLE, gives_away, shown_title, title_hidden
from twinviewer.teaching.hearts import heart
from twinviewer.teaching.lesson import lesson_files, load_lesson, parse_lesson

LESSONS = lesson_files()


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_no_question_is_answered_by_the_heart_title_shown_with_it(path):
    lesson = load_lesson(path)
    loaded = ""
    for i, s in enumerate(lesson.steps):
        if s.action == "load_heart":
            loaded = s.args["heart"]
        if s.question is None or not loaded:
            continue
        visible = [header_text(loaded, None, shown_title(lesson, i))] + [
            step_caption(lesson, j) for j in range(len(lesson.steps))
            if lesson.steps[j].action == "load_heart"]
        for text in visible:
            assert not gives_away(s.question, text), (path.name, i + 1, text)


def test_the_mitral_lesson_names_its_heart_once_its_questions_are_done():
    lesson = load_lesson(next(p for p in LESSONS if "mitral" in p.stem))
    first = next(i for i, s in enumerate(lesson.steps) if s.question is not None)
    assert shown_title(lesson, first) == HIDDEN_TITLE
    assert "Severe" not in step_caption(lesson, 0)
    # a lesson whose questions the title does not answer keeps the title
    healthy = load_lesson(LESSONS[0])
    assert shown_title(healthy, 0) == heart("healthy").title


def test_a_later_heart_ends_the_hiding():
    les = parse_lesson("title: T\nsteps:\n  - load_heart: severe_as\n  - question:\n"
                       "      prompt: How severe?\n      kind: grade\n"
                       "      diagnosis: aortic stenosis\n      answer: severe\n"
                       "  - load_heart: healthy\n  - question:\n      prompt: SV?\n"
                       "      kind: direction\n      metric: LVSV\n      answer: unchanged\n")
    assert [title_hidden(les, i) for i in range(4)] == [True, True, False, False]
    assert shown_title(les, 2) == "Healthy adult at rest"

"""The shipped lessons' prose against the model and its card (``lessons check`` checks the
answers, not the sentences): review6 found lesson 6 teaching "linear passive chambers" of a
model whose EDPVR is exponential."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.teaching.controls import edpvr
from twinviewer.teaching.hearts import heart
from twinviewer.teaching.lesson import lesson_files, load_lesson


def _prose(lesson) -> str:
    parts = [lesson.title, getattr(lesson, "summary", "") or ""]
    for s in lesson.steps:
        parts.append(s.text or "")
        if s.question is not None:
            parts += [s.question.prompt, s.question.explain or ""]
    return " ".join(" ".join(parts).split())


LESSONS = {f.stem: load_lesson(f) for f in lesson_files()}


def _hearts(lesson) -> list[str]:
    return [s.args["heart"] for s in lesson.steps if s.action == "load_heart"]


@pytest.mark.parametrize("name", sorted(LESSONS))
def test_no_lesson_calls_an_exponential_edpvr_linear(name):
    lesson = LESSONS[name]
    text = _prose(lesson).lower()
    for h in _hearts(lesson):
        p = heart(h)
        v = np.linspace(20.0, 250.0, 40)
        curve = edpvr(p.model, p.vector(), v)
        curved = bool(np.all(np.diff(curve, 2) > 0))  # stiffens as it fills
        assert curved == ("LV.KB" in p.model.parameter_names)
        if curved:
            assert "linear passive" not in text and "no stiffening" not in text, name


@pytest.mark.parametrize("name", sorted(LESSONS))
def test_a_lesson_that_speaks_of_reflexes_says_its_results_are_acute(name):
    """The model has no baroreflex; a what-if can run one. Lessons run acute, and say so
    wherever they speak of reflexes (the model card's wording)."""
    text = _prose(LESSONS[name]).lower()
    card = " ".join(heart("healthy").model.assumptions).lower()
    assert "acute, unregulated" in card
    if "reflex" in text:
        assert "acute, unregulated" in text, name


def test_numbers_in_the_lessons_are_the_models():
    text = {n: _prose(les) for n, les in LESSONS.items()}
    names = list(heart("healthy").model.parameter_names)

    def value(h: str, p: str) -> float:
        return float(heart(h).vector()[names.index(p)])

    assert "0.70 cm²" in text["03_aortic_stenosis_tavi"] and value("severe_as", "AV.EOA") == 0.70
    assert "3.5 cm²" in text["03_aortic_stenosis_tavi"] and value("healthy", "AV.EOA") == 3.5
    assert "force–frequency" in text["06_intervals_and_trust"] and value("healthy", "FFR") > 0
    assert "40–180 bpm" in text["06_intervals_and_trust"]
    assert "HR 40–180 bpm" in heart("healthy").model.context_of_use
    assert "52–72 %" in text["01_pv_loop_basics"]  # the grader's normal LVEF starts at 52

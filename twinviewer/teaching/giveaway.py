"""Keep a lesson's questions honest: a heart's title must not answer them (newuser17b G6).

The mitral lesson showed "Lesson heart: Severe primary mitral regurgitation" right above
"How severe is the mitral regurgitation?". A heart's title is hidden from the step that loads
it until the last question it would answer: one whose choices the title names (a choice
that is not the answer, "severe" above "how severe after repair?", misleads as much).
"""

from __future__ import annotations

import re

from twinviewer.teaching.hearts import heart
from twinviewer.teaching.lesson import Lesson, Question

#: What the lesson shows in place of a heart's title while it is hidden, and why.
HIDDEN_TITLE = "heart A"
HIDDEN_WHY = "its name is hidden while it would answer a question of this lesson"


def gives_away(question: Question, title: str) -> bool:
    """Whether ``title`` names one of ``question``'s choices, as a whole word.

    Examples
    --------
    >>> from twinviewer.teaching.lesson import Question
    >>> q = Question("How severe is the MR?", "grade", "severe", diagnosis="mitral regurgitation")
    >>> gives_away(q, "Severe primary mitral regurgitation"), gives_away(q, "Healthy adult")
    (True, False)
    """
    return any(re.search(rf"(?<!\w){re.escape(option)}(?!\w)", title, re.IGNORECASE)
               for option in question.options())


def title_hidden(lesson: Lesson, index: int) -> bool:
    """Whether at step ``index`` the heart loaded last (at or before it) is shown without
    its title: a question from the step that loaded it on, up to the next heart, names one
    of its choices in that title, at or after ``index``.

    Examples
    --------
    >>> from twinviewer.teaching.lesson import parse_lesson
    >>> les = parse_lesson("title: T\\nsteps:\\n  - load_heart: severe_as\\n  - question:\\n"
    ...     "      prompt: How severe?\\n      kind: grade\\n      diagnosis: aortic stenosis\\n"
    ...     "      answer: severe\\n  - text: Done.\\n")
    >>> [title_hidden(les, i) for i in range(3)]
    [True, True, False]
    """
    steps = lesson.steps
    loads = [j for j in range(index + 1) if steps[j].action == "load_heart"]
    if not loads:
        return False
    title = heart(steps[loads[-1]].args["heart"]).title
    for s in steps[index:]:
        if s.action == "load_heart" and s is not steps[index]:
            return False
        if s.question is not None and gives_away(s.question, title):
            return True
    return False


def shown_title(lesson: Lesson, index: int) -> str:
    """The title the lesson shows at step ``index`` for the heart it has loaded: its own,
    or :data:`HIDDEN_TITLE` (:func:`title_hidden`); '' before any heart is loaded.

    Examples
    --------
    >>> from twinviewer.teaching.lesson import parse_lesson
    >>> shown_title(parse_lesson("title: T\\nsteps:\\n  - load_heart: healthy\\n"), 0)
    'Healthy adult at rest'
    """
    loads = [j for j in range(index + 1) if lesson.steps[j].action == "load_heart"]
    if not loads:
        return ""
    return HIDDEN_TITLE if title_hidden(lesson, index) else \
        heart(lesson.steps[loads[-1]].args["heart"]).title

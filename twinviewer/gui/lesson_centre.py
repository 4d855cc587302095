"""The centre of the main window while a lesson is open in the Teach step: the lesson's heart
in a 3D view of its own (review15 #6).

The window's 3D view and slices show the open twin (a patient's cine MR, say); beside a
lesson's "A healthy adult heart at rest" they taught the wrong heart and, projected in a
class, showed a patient's images. While the Teach step is chosen the centre shows this page
instead: a header naming the lesson's heart and a 3D view holding its own
:class:`~twinviewer.gui.state.TwinState` (as the presenter's does), never the window's twin.
Leaving Teach brings the twin's views back, untouched.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from twinviewer.gui.state import TwinState
from twinviewer.teaching.giveaway import HIDDEN_TITLE, HIDDEN_WHY
from twinviewer.teaching.hearts import heart


def header_text(name: str, twin_name: str | None, title: str | None = None) -> str:
    """What the lesson page's header says; ``title`` in place of the heart's own where the
    lesson hides it (:func:`~twinviewer.teaching.giveaway.shown_title`).

    Examples
    --------
    >>> header_text("healthy", None)
    'Lesson heart: Healthy adult at rest (a virtual heart).'
    >>> "open twin TW-01 is hidden" in header_text("healthy", "TW-01")
    True
    >>> header_text("severe_mr", None, HIDDEN_TITLE)[:58]
    'Lesson heart: heart A (a virtual heart; its name is hidden'
    """
    why = f"; {HIDDEN_WHY}" if title == HIDDEN_TITLE else ""
    text = f"Lesson heart: {title or heart(name).title} (a virtual heart{why})."
    if twin_name:
        text += (f" The open twin {twin_name} is hidden while the lesson is shown; leave "
                 f"Teach to see it.")
    return text


def no_heart_text(first: tuple[int, str] | None) -> str:
    """What the header says before the lesson has loaded a heart (a lesson may open with
    text): ``first`` is the step number (from 1) and name of the heart it loads first, or
    None when it loads none.

    Examples
    --------
    >>> no_heart_text((2, "severe_as"))
    'No lesson heart yet: step 2 loads Severe aortic stenosis.'
    >>> no_heart_text(None)
    'This lesson shows no heart.'
    """
    if first is None:
        return "This lesson shows no heart."
    return f"No lesson heart yet: step {first[0]} loads {heart(first[1]).title}."


class LessonCentre(QWidget):
    """The lesson's heart in 3D, on a state of its own; ``view3d`` is built on first use."""

    def __init__(self, window_state: TwinState, parent: QWidget | None = None, *,
                 multi_samples: int = 0) -> None:
        super().__init__(parent)
        self.window_state = window_state
        self.state3d = TwinState(parent=self)  # the lesson's heart, never the window's twin
        self._multi_samples = multi_samples
        self.view3d = None
        self.name = ""
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setObjectName("lesson_heart_header")
        self.header.setStyleSheet("font-weight: 600; padding: 4px")
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.addWidget(self.header)

    def _ensure_view(self) -> None:
        if self.view3d is not None:
            return
        from twinviewer.gui.view3d import View3D

        self.view3d = View3D(self.state3d, multi_samples=self._multi_samples)
        self._lay.addWidget(self.view3d, 1)

    def show_heart(self, name: str, results, *,
                   first: tuple[int, str] | None = None, title: str | None = None) -> None:
        """Show lesson heart ``name`` with this step's ``results`` (a new heart gets its own
        anatomy; the same heart only its new results). No ``name`` (a step before the lesson
        loads a heart) shows none, never the heart shown before (final15 #7); the header
        says which step loads ``first`` (:func:`no_heart_text`); ``title`` stands for the
        heart's own while a question would be answered by it."""
        if not name:
            self.header.setText(no_heart_text(first))
            if self.name or self.state3d.twin is not None:
                self.state3d.session.open_twin(None)
                self.name = ""
            return
        if results is None:
            return
        self._ensure_view()
        twin = self.window_state.twin
        twin_name = None
        if twin is not None and not str(getattr(twin, "origin", "")).startswith(
                f"preset:{name}"):
            twin_name = getattr(twin, "pseudonym", None) or "(unnamed)"
        self.header.setText(header_text(name, twin_name, title))
        if name != self.name:
            from twinviewer.gui.virtual_heart_3d import show_virtual_heart

            # the stand-in anatomy is the base heart's, never a patient's (initial_anatomy)
            show_virtual_heart(self.state3d, self.window_state, name, results,
                               getattr(twin, "anatomy", None))
            self.name = name
        else:
            self.state3d.session.set_results(results)

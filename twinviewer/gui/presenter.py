"""Presenter mode: one lesson on a projector — large fonts, the step's text, the heart's loop
and Wiggers diagram (or the 3D heart) filling the screen, driven from the keyboard.

Keys: Space / → / Page Down next step; ← / Page Up back; 1–9 jump to that step; A–D answer
a question (the simulation's answer is revealed); H toggles the full-screen 3D heart; Esc
closes.

The 3D heart is the lesson's own heart (its state at the current step, on its own anatomy),
in a document of the presenter's own: never the window's twin, which may be a patient's.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from twinviewer.gui.state import TwinState
from twinviewer.gui.teaching_controls import LoopView
from twinviewer.teaching.lesson import Lesson, LessonError
from twinviewer.teaching.runner import LessonSession

#: Point sizes readable from the back of a lecture room at 1920×1080.
TITLE_PT, TEXT_PT, PLOT_PT = 30, 24, 18
#: The 3D colour bar's title and labels: twice the desktop's 14/12 px (28/24 px, about
#: PLOT_PT at 96 dpi).
BAR_FONT_SCALE = 2.0
LETTERS = "ABCD"


class Presenter(QWidget):
    """A full-screen, keyboard-driven view of one lesson."""

    def __init__(self, state: TwinState, lesson: Lesson, start: int = 0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"TwinViewer — {lesson.title}")
        self.state = state
        self.lesson = lesson
        self.session = LessonSession(lesson)
        self.current = -1
        self.reveal = ""
        self.setStyleSheet("background: white; color: #111")
        self.heading = QLabel()
        self.heading.setStyleSheet(f"font-size: {TITLE_PT}pt; font-weight: 600")
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setStyleSheet(f"font-size: {TEXT_PT}pt")
        self.footer = QLabel()
        self.footer.setStyleSheet(f"font-size: {int(TEXT_PT * 0.6)}pt; color: #555")
        self.view = LoopView(font_pt=PLOT_PT)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.view3d = None
        self.state3d: TwinState | None = None  # the lesson's heart in 3D, not the window's
        self._heart3d = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(40, 24, 40, 16)
        lay.addWidget(self.heading)
        lay.addWidget(self.body)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.footer)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.go(start)

    def go(self, index: int) -> None:
        """Show step ``index``."""
        if not 0 <= index < len(self.lesson.steps):
            return
        try:
            self.session.step_to(index)
        except LessonError as exc:
            self.state.error(str(exc))
            return
        self.current, self.reveal = index, ""
        step = self.lesson.steps[index]
        self.view.show(self.session.results,
                       self.session.previous if step.action in ("set", "apply", "reset")
                       else None)
        if step.action == "highlight" and "plot" in step.args:
            self.view.highlight(step.args["plot"], step.args["region"])
        else:
            self.view.highlight(None)
        self._show_heart_3d()
        self._text()

    def _show_heart_3d(self) -> None:
        """The 3D view follows the lesson: its heart, with this step's results; none before
        the lesson loads one (final15 #7)."""
        if self.state3d is None:
            return
        name = self.session.heart_name
        if not name:
            if self._heart3d:
                self.state3d.session.open_twin(None)
                self._heart3d = ""
            return
        if self.session.results is None:
            return
        if name != self._heart3d:
            from twinviewer.gui.virtual_heart_3d import show_virtual_heart

            show_virtual_heart(self.state3d, self.state, name, self.session.results,
                               getattr(self.state.twin, "anatomy", None))
            self._heart3d = name
        else:
            self.state3d.session.set_results(self.session.results)

    def _text(self) -> None:
        step = self.lesson.steps[self.current]
        self.heading.setText(self.lesson.title)
        lines = [step.text] if step.text else []
        if step.action in ("set", "apply"):  # what changed, and that no reflex acted
            from twinviewer.gui.lesson_player import step_caption

            lines.append("→ " + step_caption(self.lesson, self.current).split(". ", 1)[1])
        if step.question is not None:
            lines.append(step.question.prompt)
            lines += [f"   {LETTERS[i]}  {o}" for i, o in
                      enumerate(step.question.options()[:len(LETTERS)])]
        if self.reveal:
            lines.append(self.reveal)
        self.body.setText("\n".join(lines))
        n = len(self.lesson.steps)
        self.footer.setText(f"step {self.current + 1} of {n} · Space/→ next · ← back · 1–9 "
                            f"step · A–D answer · H heart in 3D · Esc close · research use, "
                            f"not for clinical decisions")

    def answer(self, choice: int) -> bool | None:
        """Answer the current question with option ``choice``; reveals the simulation's."""
        out = self.session.outcomes.get(self.current)
        if out is None:
            return None
        opts = out.question.options()
        if not 0 <= choice < len(opts):
            return None
        ok = opts[choice] == out.label
        self.reveal = (f"{'Right' if ok else 'Not quite'} — the simulation says {out.label}: "
                       f"{out.detail}")
        self._text()
        return ok

    def toggle_3d(self) -> None:
        """Switch the centre between the plots and the 3D heart (built on first use)."""
        if self.view3d is None:
            try:
                from twinviewer.gui.view3d import View3D

                self.state3d = TwinState(parent=self)
                self.view3d = View3D(self.state3d)
                self.view3d.set_bar_font_scale(BAR_FONT_SCALE)
                self._show_heart_3d()
            except Exception as exc:  # noqa: BLE001 - no 3D must not end the lecture
                self.state.warn(f"3D view unavailable in the presenter: {exc}")
                return
            # the mouse turns the heart; the keyboard stays with the presenter
            self.view3d.plotter.interactor.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.stack.addWidget(self.view3d)
        self.stack.setCurrentIndex(1 - self.stack.currentIndex())
        self.setFocus()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt naming
        k = event.key()
        text = event.text().upper()
        if k in (Qt.Key.Key_Space, Qt.Key.Key_Right, Qt.Key.Key_PageDown):
            self.go(self.current + 1)
        elif k in (Qt.Key.Key_Left, Qt.Key.Key_PageUp):
            self.go(self.current - 1)
        elif text and text in "123456789":
            self.go(int(text) - 1)
        elif text and text in LETTERS:
            self.answer(LETTERS.index(text))
        elif text == "H":
            self.toggle_3d()
        elif k == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)

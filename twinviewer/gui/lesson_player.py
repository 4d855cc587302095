"""The lesson player: pick a lesson, step through it, answer its questions.

Each step is played by :class:`twinviewer.teaching.runner.LessonSession` (the same code the
``twinviewer lessons check`` command runs headless), so the answer the player accepts is the
one the simulation gives. Highlights mark a phase on the loop or Wiggers diagram, or fade the
3D view to the named structure.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from twinviewer.core.twin import Scenario
from twinviewer.gui.flow_layout import FlowLayout, compact
from twinviewer.gui.state import TwinState
from twinviewer.gui.teaching_controls import LoopView, MainPlots
from twinviewer.interventions.scenario import shown_name
from twinviewer.teaching.controls import control
from twinviewer.teaching.education import is_virtual
from twinviewer.teaching.giveaway import shown_title
from twinviewer.teaching.lesson import STRUCTURES, Lesson, LessonError, lesson_files, load_lesson
from twinviewer.teaching.runner import LessonSession, Outcome


def step_caption(lesson: Lesson, i: int) -> str:
    """A short line for step ``i`` in the step list, in the words a student reads (the
    heart's and the intervention's titles, not their names in the files); a change says it
    is the acute, unregulated response.

    Examples
    --------
    >>> from twinviewer.teaching.lesson import parse_lesson
    >>> les = parse_lesson("title: T\\nsteps:\\n  - load_heart: severe_as\\n"
    ...                    "  - apply: {intervention: tavi, settings: {eoa: 1.8}}\\n")
    >>> step_caption(les, 1)
    '2. Aortic valve replacement, prosthesis given by its EOA [acute, unregulated]'
    """
    from twinviewer.gui.teaching_controls import parameter_label
    from twinviewer.interventions.library import LIBRARY

    s = lesson.steps[i]
    a = s.args

    def change() -> str:
        if s.action == "apply":
            name = LIBRARY[a["intervention"]].title if a["intervention"] in LIBRARY \
                else a["intervention"]
        elif "control" in a:
            name = f"{control(a['control']).label} {float(a['percent']):g} %"
        else:
            name = f"set {parameter_label(a['parameter'])}"
        return shown_name(Scenario(name, (), "acute"))

    def region() -> str:
        key = str(a.get("region") or a.get("structure"))
        return {"espvr": "ESPVR line", "edpvr": "EDPVR line"}.get(key, key.replace("_", " "))

    what = {"load_heart": lambda: f"heart: {shown_title(lesson, i)}",
            "set": change, "apply": change,
            "reset": lambda: "back to the heart as loaded",
            "highlight": lambda: f"look at the {region()}",
            "question": lambda: "question",
            "text": lambda: (s.text[:40] + "…") if len(s.text) > 40 else s.text}[s.action]()
    return f"{i + 1}. {what}"


#: The lesson heart's plots' tab in the main plot area, while the Teach step is chosen.
PLOTS_TITLE = "Lesson heart"



def replaceable_by_lesson(twin, document) -> bool:
    """Whether a lesson may put its heart in place of the open ``twin``: only a virtual
    heart the app made that holds nothing of the user's (never opened from or saved to a
    file, no unsaved change). Anything else stays open; the lesson shows on its own page.

    Examples
    --------
    >>> from twinviewer.document import Document
    >>> from twinviewer.twins import twin_from_preset
    >>> doc = Document()
    >>> doc.open_twin(twin_from_preset("healthy", n=1))
    >>> replaceable_by_lesson(doc.twin, doc)
    True
    >>> _ = doc.add_note("for Tuesday's class")
    >>> replaceable_by_lesson(doc.twin, doc)
    False
    """
    return (is_virtual(twin) and document.file.path is None and not document.dirty)

class LessonPlayer(QWidget):
    """Play a lesson: text, the heart's loop and Wiggers diagram, questions checked against
    the simulation.

    Compact, so that a 1280×720 window shows a lesson step whole without scrolling (review14
    #9: the step list, the text and both plots made a column ~4 300 px tall): Back, Next and
    where the lesson is ("Step 4 of 10", a list to jump to any step) on top, then the step's
    text and question. In the main window the lesson heart's loop and Wiggers diagram take
    the main plot area while the Teach step is chosen (:meth:`show_plots_in`); standalone,
    they are under the text.
    """

    title = "Lessons"
    step = "Teach"

    def __init__(self, state: TwinState, parent: QWidget | None = None, *,
                 font_pt: int = 10) -> None:
        super().__init__(parent)
        self.state = state
        self.lesson: Lesson | None = None
        self.session: LessonSession | None = None
        self.current = -1
        self.answered: dict[int, bool] = {}
        self._opened = ""  # the lesson heart last opened in the window
        self._ready = False  # building the Teach step must not replace the open twin
        self.centre = None  # the window's lesson page while this lesson is shown
        self.box = QComboBox()
        self.files = []
        for f in lesson_files():
            try:
                les = load_lesson(f)
            except LessonError as exc:
                state.warn(f"lesson skipped: {exc}")
                continue
            self.files.append(f)
            self.box.addItem(les.title, str(f))
        self.box.currentIndexChanged.connect(self._open_selected)
        # the lesson's steps: a one-line list to jump to any step (was a list widget taking
        # 130 px of the column), with "Step n of N" beside Back and Next
        self.steps = compact(QComboBox(), 20)
        self.steps.setToolTip("Jump to a step of the lesson")
        self.steps.currentIndexChanged.connect(self.go)
        self.progress = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.choices = QWidget()
        self.choice_lay = QVBoxLayout(self.choices)
        self.choice_lay.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(self)
        self.check_btn = QPushButton("Check my answer")
        self.check_btn.clicked.connect(self.check)
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.prev_btn, self.next_btn = QPushButton("◀ Back"), QPushButton("Next ▶")
        self.prev_btn.clicked.connect(lambda: self.go(self.current - 1))
        self.next_btn.clicked.connect(lambda: self.go(self.current + 1))
        self.present_btn = QPushButton("Present (full screen)")
        self.present_btn.clicked.connect(self.present)
        # the plots' row height; the Wiggers diagram under the loop in a narrow column
        self.view = LoopView(font_pt=font_pt - 1, title="Lesson heart: LV loop",
                             row_height=260)
        nav = FlowLayout()  # wraps in a narrow step column (1280×720)
        nav.addWidget(self.prev_btn)
        nav.addWidget(self.next_btn)
        nav.addWidget(self.progress)
        nav.addStretch(1)
        nav.addWidget(self.present_btn)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Lesson:"))
        top.addWidget(compact(self.box, 16), 1)
        lay.addLayout(top)
        lay.addLayout(nav)
        lay.addWidget(self.steps)
        lay.addWidget(self.text)
        lay.addWidget(self.choices)
        lay.addWidget(self.check_btn)
        lay.addWidget(self.feedback)
        self.view_slot = QVBoxLayout()  # the plots, when not in the main plot area
        self.view_slot.setContentsMargins(0, 0, 0, 0)
        self.view_slot.addWidget(self.view)
        lay.addLayout(self.view_slot, 1)
        self.plots = MainPlots(self.view, self.view_slot, PLOTS_TITLE)
        lay.addStretch(0)
        self.set_font(font_pt)
        if self.files:
            self._open_selected()
        self._ready = True

    def show_plots_in(self, column) -> None:
        """The lesson heart's loop and Wiggers diagram in the main plot area (``column``,
        in front of the open twin's plots, which stay as tabs) while the Teach step shows
        the lesson, else under the lesson's text (None). The window's centre follows: the
        lesson's heart while the lesson is shown, the open twin's views otherwise."""
        self.plots.show_in(column)
        show_centre = getattr(self.window(), "show_lesson_centre", None)
        if show_centre is not None:
            self.centre = show_centre(column is not None)
            self._show_centre()

    def _show_centre(self) -> None:
        if self.centre is not None and self.session is not None:
            first = next(((i + 1, s.args["heart"]) for i, s in enumerate(self.lesson.steps)
                          if s.action == "load_heart"), None)
            self.centre.show_heart(self.session.heart_name, self.session.results,
                                   first=first,
                                   title=shown_title(self.lesson, max(self.current, 0)))

    def set_font(self, pt: int) -> None:
        f = self.font()
        f.setPointSize(pt)
        self.setFont(f)
        big = self.text.font()
        big.setPointSize(int(pt * 1.3))
        self.text.setFont(big)

    def _open_selected(self, *_args) -> None:
        path = self.box.currentData()
        if path is None:
            return
        try:
            self.open_lesson(load_lesson(path))
        except LessonError as exc:
            self.state.error(str(exc))

    def open_lesson(self, lesson: Lesson) -> None:
        """Start ``lesson`` at its first step."""
        self.lesson = lesson
        self.session = LessonSession(lesson)
        self.answered = {}
        self.current = -1
        self.steps.blockSignals(True)
        self.steps.clear()
        for i in range(len(lesson.steps)):
            caption = step_caption(lesson, i)
            self.steps.addItem(caption)
            # a narrow column cuts a long caption
            self.steps.setItemData(i, caption, Qt.ItemDataRole.ToolTipRole)
        self.steps.blockSignals(False)
        self.go(0)

    def go(self, index: int) -> None:
        """Show step ``index`` (playing the steps before it)."""
        if self.lesson is None or not 0 <= index < len(self.lesson.steps):
            return
        try:
            self.session.step_to(index)
        except LessonError as exc:
            self.state.error(str(exc))
            return
        self.current = index
        self.steps.blockSignals(True)
        self.steps.setCurrentIndex(index)
        self.steps.blockSignals(False)
        self.progress.setText(f"Step {index + 1} of {len(self.lesson.steps)}")
        step = self.lesson.steps[index]
        self.text.setText(step.text or (step.question.prompt if step.question else ""))
        self.feedback.setText("")
        self._set_choices(step.question)
        self._open_heart()
        self._show_centre()
        r = self.session.results
        ref = self.session.previous if step.action in ("set", "apply", "reset") else None
        self.view.show(r, ref)
        self._highlight(step)
        self.prev_btn.setEnabled(index > 0)
        self.next_btn.setEnabled(index < len(self.lesson.steps) - 1)

    def _open_heart(self) -> None:
        """Show the lesson's heart in the window (its own disease anatomy in 3D and the
        ensemble in every step) when the lesson has loaded another heart than the one open.
        The open twin is replaced only when it holds nothing of the user's
        (:func:`replaceable_by_lesson`): a patient's twin, a twin opened from or saved to a
        file, or one with unsaved changes stays open, without a question (review16 #4), and
        the window's centre shows the lesson's heart on a page of its own
        (:mod:`twinviewer.gui.lesson_centre`), the twin again when Teach is left."""
        name = self.session.heart_name if self.session else ""
        twin = self.state.twin
        if not self._ready:
            return
        if twin is not None and not replaceable_by_lesson(twin, self.state.session):
            return
        if not name or name == self._opened or (
                twin is not None and getattr(twin, "origin", "") == f"preset:{name}"):
            self._opened = name or self._opened
            return
        from twinviewer.gui.teaching_controls import open_virtual_heart

        if open_virtual_heart(self.window(), self.state, name,
                              doing=f"showing the lesson's heart "
                                    f"({shown_title(self.lesson, max(self.current, 0))})"):
            self._opened = name

    def _highlight(self, step) -> None:
        if step.action != "highlight":
            self.view.highlight(None)
            self._fade_3d(None)
            return
        if "plot" in step.args:
            self.view.highlight(step.args["plot"], step.args["region"])
        else:
            self.view.highlight(None)
            self._fade_3d(step.args["structure"])

    def _fade_3d(self, structure: str | None) -> None:
        view = self.centre.view3d if self.centre is not None else getattr(
            self.window(), "view3d", None)
        if view is None or not getattr(view, "actors", None):
            return
        keep = STRUCTURES.get(structure, ()) if structure else tuple(view.actors)
        for key in view.actors:
            view.set_structure_opacity(key, 1.0 if key in keep else 0.12)
        view.request_render()

    def _set_choices(self, question) -> None:
        for b in self.group.buttons():
            self.group.removeButton(b)
            b.deleteLater()
        self.choices.setVisible(question is not None)
        self.check_btn.setVisible(question is not None)
        if question is None:
            return
        for i, label in enumerate(question.options()):
            b = QRadioButton(label)
            self.group.addButton(b, i)
            self.choice_lay.addWidget(b)

    def outcome(self) -> Outcome | None:
        return self.session.outcomes.get(self.current) if self.session else None

    def check(self) -> bool | None:
        """Compare the chosen option with the simulation's answer; show why."""
        out = self.outcome()
        b = self.group.checkedButton()
        if out is None or b is None:
            self.feedback.setText("Choose an answer first.")
            return None
        ok = b.text() == out.label
        self.answered[self.current] = ok
        q = out.question
        self.feedback.setText(
            f"{'Right' if ok else 'Not quite'} — the simulation says: {out.label}. "
            f"{out.detail}. {q.explain}".strip())
        return ok

    def present(self) -> None:
        """Open the presenter (full screen, large fonts, keyboard-driven) on this lesson."""
        from twinviewer.gui.presenter import Presenter

        if self.lesson is None:
            return
        self._presenter = Presenter(self.state, self.lesson, start=max(self.current, 0))
        self._presenter.showFullScreen()

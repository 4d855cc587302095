"""Side by side: two virtual hearts — or one heart and an intervention on it — with their PV
loops and Wiggers diagrams stepping through the same fraction of the cycle together."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.gui.state import TwinState
from twinviewer.gui.teaching_controls import LoopView
from twinviewer.interventions.library import LIBRARY
from twinviewer.interventions.scenario import apply_scenario
from twinviewer.physiology import Results, simulate
from twinviewer.teaching.hearts import heart, heart_names

NONE = "(no intervention)"
FRAMES = 100


def predict(name: str, intervention: str | None = None) -> Results:
    """Heart ``name``'s point estimate, with ``intervention`` at its default settings.

    Examples
    --------
    >>> r = predict("severe_as", "tavi")
    >>> bool(r.metrics["AV_mean_gradient"][0] < 20)
    True
    """
    p = heart(name)
    v = p.vector()[None, :]
    if intervention:
        sc = Scenario(intervention, (InterventionStep(intervention, {}),))
        v = apply_scenario(p.model, v, sc, point=True)
    return simulate(p.model, v)


class SideBySidePanel(QWidget):
    """Two hearts, one cycle clock."""

    title = "Side by side"
    step = "Teach"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.hearts: list[QComboBox] = []
        self.ivs: list[QComboBox] = []
        self.views: list[LoopView] = []
        self.summaries: list[QLabel] = []
        grid = QGridLayout()
        for col, default in enumerate(("healthy", "severe_as")):
            h = QComboBox()
            for n in heart_names():
                h.addItem(heart(n).title, n)
            h.setCurrentIndex(max(0, h.findData(default)))
            iv = QComboBox()
            iv.addItem(NONE, "")
            for k, v in LIBRARY.items():
                iv.addItem(v.title, k)
            view = LoopView(title="LV pressure–volume loop")
            view.setMinimumHeight(220)
            s = QLabel()
            s.setWordWrap(True)
            grid.addWidget(h, 0, col)
            grid.addWidget(iv, 1, col)
            grid.addWidget(view, 2, col)
            grid.addWidget(s, 3, col)
            grid.setColumnStretch(col, 1)
            self.hearts.append(h)
            self.ivs.append(iv)
            self.views.append(view)
            self.summaries.append(s)
        grid.setRowStretch(2, 1)
        show = QPushButton("Show both")
        show.clicked.connect(self.refresh)
        same = QPushButton("Right = left heart + intervention")
        same.clicked.connect(self.same_heart)
        self.play = QPushButton("Play")
        self.play.setCheckable(True)
        self.play.toggled.connect(self._play)
        self.clock = QSlider(Qt.Orientation.Horizontal)
        self.clock.setRange(0, FRAMES - 1)
        self.clock.valueChanged.connect(self.set_frame)
        self._timer = QTimer(self)
        self._timer.setInterval(40)
        self._timer.timeout.connect(lambda: self.clock.setValue((self.clock.value() + 1)
                                                                 % FRAMES))
        bar = QHBoxLayout()
        for w in (show, same, self.play):
            bar.addWidget(w)
        bar.addWidget(QLabel("time in the cycle"))
        bar.addWidget(self.clock, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addLayout(grid, 1)
        note = QLabel("One member each (point estimates): a teaching comparison. Both step "
                      "through the same fraction of their cycle.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555")
        lay.addWidget(note)
        self.results: list[Results | None] = [None, None]
        self.refresh()

    def same_heart(self) -> None:
        """Compare the left heart with itself after an intervention chosen on the right."""
        self.hearts[1].setCurrentIndex(self.hearts[0].currentIndex())
        if not self.ivs[1].currentData():
            self.ivs[1].setCurrentIndex(1)
        self.ivs[0].setCurrentIndex(0)
        self.refresh()

    def refresh(self) -> None:
        """Simulate both sides and draw them."""
        for i in range(2):
            name, iv = self.hearts[i].currentData(), self.ivs[i].currentData() or None
            try:
                r = predict(name, iv)
            except Exception as exc:  # noqa: BLE001 - an intervention the heart refuses
                self.state.error(f"{heart(name).title}"
                                 f"{' + ' + iv if iv else ''}: {exc}")
                continue
            self.results[i] = r
            self.views[i].show(r)
            m = {k: float(x[0]) for k, x in r.metrics.items()}
            self.summaries[i].setText(
                f"EF {m['LVEF']:.0f} % · SV {m['LVSV']:.0f} mL · BP {m['SBP']:.0f}/"
                f"{m['DBP']:.0f} mmHg · LVSP {m['LVSP']:.0f} mmHg · AV mean gradient "
                f"{m['AV_mean_gradient']:.0f} mmHg · MR volume {m['MR_volume']:.0f} mL")
        self.set_frame(self.clock.value())

    def set_frame(self, frame: int) -> None:
        """Put both cursors at the same fraction of the cycle."""
        f = frame / (FRAMES - 1)
        for v in self.views:
            v.set_time(f)

    def _play(self, on: bool) -> None:
        self._timer.start() if on else self._timer.stop()

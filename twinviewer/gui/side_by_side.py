"""Side by side: two virtual hearts — or one heart and an intervention on it — with their PV
loops and Wiggers diagrams stepping through the same fraction of the cycle together."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
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
from twinviewer.gui.flow_layout import FlowLayout, compact
from twinviewer.gui.state import TwinState
from twinviewer.gui.teaching_controls import LoopView
from twinviewer.interventions.library import LIBRARY
from twinviewer.interventions.scenario import apply_scenario
from twinviewer.physiology import Results, simulate
from twinviewer.teaching.hearts import heart, heart_names

NONE = "(no intervention)"
FRAMES = 100
#: Least width and height (px) of each PV loop plot, axes included: readable in the
#: 1280×720 window's step column (the hearts then stack) and on a projector.
MIN_PLOT = 250


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
        for default in ("healthy", "severe_as"):
            h = compact(QComboBox())  # two columns fit a narrow step column
            for n in heart_names():
                h.addItem(heart(n).title, n)
            h.setCurrentIndex(max(0, h.findData(default)))
            iv = compact(QComboBox())
            iv.addItem(NONE, "")
            for k, v in LIBRARY.items():
                iv.addItem(v.title, k)
            view = LoopView(title="LV pressure–volume loop")
            s = QLabel()
            s.setWordWrap(True)
            self.hearts.append(h)
            self.ivs.append(iv)
            self.views.append(view)
            self.summaries.append(s)
        self._columns = 0
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
        self.link3d = QCheckBox("linked 3D views")
        self.link3d.setToolTip("Both hearts on the open virtual anatomy, coloured by their own "
                               "chamber pressures, one camera, one clock")
        self.link3d.toggled.connect(self.set_3d)
        self.views3d: list = []
        self._states3d: list[TwinState] = []
        self.grid = grid
        bar = FlowLayout()  # wraps onto further lines at 1280×720
        for w in (show, same, self.play, self.link3d):
            bar.addWidget(w)
        clock_row = QHBoxLayout()
        clock_row.addWidget(QLabel("time in the cycle"))
        clock_row.addWidget(self.clock, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addLayout(clock_row)
        lay.addLayout(grid, 1)
        note = QLabel("One member each (point estimates): a teaching comparison. Both step "
                      "through the same fraction of their cycle.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555")
        lay.addWidget(note)
        self.results: list[Results | None] = [None, None]
        self._arrange(1)
        self.refresh()

    def _arrange(self, columns: int) -> None:
        """Hearts in two columns when each gets room for its loop beside its Wiggers
        diagram or at least for a :data:`MIN_PLOT` loop, else one above the other; in a
        column narrower than two plots, the Wiggers diagram goes below the loop."""
        if columns == self._columns:
            return
        self._columns = columns
        per = 5  # rows per heart: heart, intervention, plots, summary, 3D
        for i in range(2):
            col, row = (i, 0) if columns == 2 else (0, i * per)
            widgets = [self.hearts[i], self.ivs[i], self.views[i], self.summaries[i]]
            if i < len(self.views3d):
                widgets.append(self.views3d[i])
            for k, w in enumerate(widgets):
                self.grid.addWidget(w, row + k, col)
        for c in range(2):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)
        self._fit_views()

    def _fit_views(self) -> None:
        col_w = self.width() / max(self._columns, 1)
        for v in self.views:
            v.set_vertical(col_w < 2 * (MIN_PLOT + 20))
            v.setMinimumHeight(2 * MIN_PLOT + 60 if v.vertical else MIN_PLOT + 30)
            v.setMinimumWidth(MIN_PLOT)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._arrange(2 if self.width() >= 2 * (MIN_PLOT + 30) else 1)
        self._fit_views()

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
            if self.views3d:
                self._states3d[i].session.set_results(r)
                self._follow_anatomy(i)
            m = {k: float(x[0]) for k, x in r.metrics.items()}
            self.summaries[i].setText(
                f"EF {m['LVEF']:.0f} % · SV {m['LVSV']:.0f} mL · BP {m['SBP']:.0f}/"
                f"{m['DBP']:.0f} mmHg · LVSP {m['LVSP']:.0f} mmHg · AV mean gradient "
                f"{m['AV_mean_gradient']:.0f} mmHg · MR volume {m['MR_volume']:.0f} mL")
        self._share_colour_scale()
        self.set_frame(self.clock.value())

    def set_frame(self, frame: int) -> None:
        """Put both cursors at the same fraction of the cycle."""
        f = frame / (FRAMES - 1)
        for v in self.views:
            v.set_time(f)
        for st, v in zip(self._states3d, self.views3d, strict=True):
            st.session.set_time(f)  # the view follows its state's clock (and says the time)
            v.request_render()

    def set_3d(self, on: bool) -> None:
        """Show (build on first use) or hide two 3D views sharing one camera.

        They need a virtual anatomy on screen (the demo heart's, or a virtual heart's); a
        patient's images are never put under a virtual heart."""
        if on and not self.views3d:
            anatomy = getattr(self.state.twin, "anatomy", None)
            if anatomy is None or not str(anatomy.pseudonym).startswith("virtual-"):
                self.state.warn("linked 3D views need a virtual heart's anatomy on screen "
                                "(File → Load demo heart)")
                self.link3d.setChecked(False)
                return
            try:
                self._build_3d(anatomy)
            except Exception as exc:  # noqa: BLE001 - no 3D must not close the panel
                self.state.error(f"3D views unavailable: {exc}")
                self.link3d.setChecked(False)
                return
        for v in self.views3d:
            v.setVisible(on)

    def _build_3d(self, anatomy) -> None:
        from twinviewer.gui.heart_anatomy import initial_anatomy
        from twinviewer.gui.view3d import View3D
        from twinviewer.twins import twin_from_preset

        for i in range(2):
            st = TwinState(parent=self)
            name = self.hearts[i].currentData()
            own = initial_anatomy(name, anatomy) or anatomy
            st.session.open_twin(twin_from_preset(name, n=1, anatomy=own),
                                 results=self.results[i])
            v = View3D(st)
            v.setMinimumHeight(260)
            self.grid.addWidget(v, 4, i) if self._columns == 2 else \
                self.grid.addWidget(v, 4 + 5 * i, 0)
            self._states3d.append(st)
            self.views3d.append(v)
        # one camera for both: turning one turns the other
        a, b = (v.plotter for v in self.views3d)
        b.renderer.camera = a.renderer.camera
        for src, dst in ((a, b), (b, a)):
            src.iren.add_observer("InteractionEvent", lambda *_, d=dst: d.render())
        self._share_colour_scale()
        self.set_frame(self.clock.value())
        for i in range(2):
            self._follow_anatomy(i)

    def _follow_anatomy(self, i: int) -> None:
        """Side ``i``'s 3D heart on its own disease anatomy
        (:func:`~twinviewer.gui.heart_anatomy.heart_anatomy`): at once when already made,
        else swapped in when a worker has made it."""
        from twinviewer.gui.heart_anatomy import heart_anatomy, remembered

        name = self.hearts[i].currentData()
        own = remembered(name)
        if own is not None:
            self._set_anatomy(i, name, own)
            return
        self.state.run_job(f"Anatomy of the virtual heart {name}",
                           lambda p, c: heart_anatomy(name, progress=p, cancel=c),
                           lambda a: self._set_anatomy(i, name, a),
                           lambda e: self.state.warn(f"virtual heart {name}: its own anatomy "
                                                     f"could not be made ({e})"))

    def _set_anatomy(self, i: int, name: str, anatomy) -> None:
        if i >= len(self._states3d) or self.hearts[i].currentData() != name:
            return  # the 3D views were closed or the heart changed meanwhile
        doc = self._states3d[i].session
        if doc.twin is not None and doc.twin.anatomy is not anatomy:
            doc.set_computed_anatomy(anatomy)
            self.set_frame(self.clock.value())

    def _share_colour_scale(self) -> None:
        # one colour scale for both hearts, or equal colours would mean different pressures
        # (reaches into View3D's limits: it has no public setter yet)
        if len(self.views3d) != 2:
            return
        for key in ("pressure", "volume"):
            lims = [v._clim.get(key) for v in self.views3d]
            if all(lims):
                shared = (0.0, max(hi for _, hi in lims))
                for v in self.views3d:
                    v._clim[key] = shared
        for v in self.views3d:
            v._apply_overlay()
            v.request_render()

    def _play(self, on: bool) -> None:
        self._timer.start() if on else self._timer.stop()

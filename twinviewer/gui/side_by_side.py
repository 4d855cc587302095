"""Side by side: two virtual hearts — or one heart and an intervention on it — with their PV
loops and Wiggers diagrams stepping through the same fraction of the cycle together.

Changing either side's heart or intervention re-simulates that side at once (one member, a
few milliseconds), and every label is written with the numbers it names: no title stands over
another heart's loop. The linked 3D views open in a window of their own: a native 3D window
inside the Teach step's scroll area would draw over the widgets around it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
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
from twinviewer.interventions.scenario import apply_scenario, shown_name
from twinviewer.physiology import Results, simulate
from twinviewer.teaching.hearts import heart, heart_names

NONE = "(no intervention)"
FRAMES = 100
#: Least width and height (px) of each PV loop plot, axes included: readable in the
#: 1280×720 window's step column (the hearts then stack) and on a projector; at 1920×1080
#: the step column (~520 px) holds two of them side by side.
MIN_PLOT = 230
#: Horizontal room (px) a heart's column needs beside its PV plot (margins, spacing).
COLUMN_MARGIN = 20


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


def side_title(name: str, intervention: str | None) -> str:
    """What one side shows: the heart's title, and the intervention with its response mode.

    Examples
    --------
    >>> side_title("severe_as", "tavi")
    'Severe aortic stenosis + Aortic valve replacement, prosthesis given by its EOA [acute, \
unregulated]'
    """
    title = heart(name).title
    if not intervention:
        return title
    what = LIBRARY[intervention].title if intervention in LIBRARY else intervention
    return f"{title} + {shown_name(Scenario(what, (), 'acute'))}"


class Linked3DWindow(QWidget):
    """The two hearts' 3D views side by side in a window of their own, each under the title
    of what it shows; closing it unticks "linked 3D views"."""

    closed = Signal()

    def __init__(self, views: list, parent: QWidget | None = None, *,
                 title: str = "TwinViewer — side by side in 3D") -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(title)
        self.titles = [QLabel() for _ in views]
        grid = QGridLayout(self)
        for i, (title, view) in enumerate(zip(self.titles, views, strict=True)):
            title.setWordWrap(True)
            title.setStyleSheet("font-weight: 600")
            grid.addWidget(title, 0, i)
            grid.addWidget(view, 1, i)
            grid.setColumnStretch(i, 1)
        grid.setRowStretch(1, 1)
        self.resize(1200, 600)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().closeEvent(event)
        self.closed.emit()


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
        self.heads: list[QLabel] = []  # what each side shows, above its plots
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
            side = len(self.hearts)
            h.currentIndexChanged.connect(lambda _i, k=side: self.refresh_side(k))
            iv.currentIndexChanged.connect(lambda _i, k=side: self.refresh_side(k))
            s = QLabel()
            s.setWordWrap(True)
            head = QLabel()  # wraps: the plot's own title would widen a narrow column
            head.setWordWrap(True)
            head.setStyleSheet("font-weight: 600")
            self.heads.append(head)
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
        self.window3d: Linked3DWindow | None = None
        self._shown3d: list[str] = ["", ""]  # the heart each 3D view holds
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
        self._quiet = False  # same_heart sets three combos: one refresh, not three
        self._arrange(1)
        self.refresh()

    def _arrange(self, columns: int) -> None:
        """Hearts in two columns when each gets room for a :data:`MIN_PLOT` loop, else one
        above the other; in a column narrower than two plots, the Wiggers diagram goes below
        the loop."""
        if columns == self._columns:
            return
        self._columns = columns
        per = 5  # rows per heart: heart, intervention, title, plots, summary
        for i in range(2):
            col, row = (i, 0) if columns == 2 else (0, i * per)
            for k, w in enumerate([self.hearts[i], self.ivs[i], self.heads[i], self.views[i],
                                   self.summaries[i]]):
                self.grid.addWidget(w, row + k, col)
        for c in range(2):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)
        self._fit_views()

    def _fit_views(self) -> None:
        col_w = self.width() / max(self._columns, 1)
        for v in self.views:
            v.set_vertical(col_w < 2 * (MIN_PLOT + COLUMN_MARGIN))
            v.glw.setMinimumHeight(2 * MIN_PLOT + 60 if v.vertical else MIN_PLOT + 30)  # + key
            v.setMinimumWidth(MIN_PLOT)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._arrange(2 if self.width() >= 2 * (MIN_PLOT + COLUMN_MARGIN) else 1)
        self._fit_views()

    def same_heart(self) -> None:
        """Compare the left heart with itself after an intervention chosen on the right."""
        self._quiet = True
        try:
            self.hearts[1].setCurrentIndex(self.hearts[0].currentIndex())
            if not self.ivs[1].currentData():
                self.ivs[1].setCurrentIndex(1)
            self.ivs[0].setCurrentIndex(0)
        finally:
            self._quiet = False
        self.refresh()

    def refresh(self) -> None:
        """Simulate both sides and draw them."""
        for i in range(2):
            self._simulate_side(i)
        self._after_change()

    def refresh_side(self, i: int) -> None:
        """Side ``i``'s heart or intervention changed: simulate and draw it at once."""
        if self._quiet:
            return
        self._simulate_side(i)
        self._after_change()

    def _after_change(self) -> None:
        self._share_colour_scale()
        self.set_frame(self.clock.value())

    def _simulate_side(self, i: int) -> None:
        """Side ``i``: its results, loop, title and numbers (all of the same heart), and its
        3D view; a heart that refuses the intervention is shown as not simulated."""
        name, iv = self.hearts[i].currentData(), self.ivs[i].currentData() or None
        title = side_title(name, iv)
        why = ""
        try:
            r = predict(name, iv)
        except Exception as exc:  # noqa: BLE001 - an intervention the heart refuses
            self.state.error(f"{title}: {exc}")
            r, why = None, str(exc)
        self.results[i] = r
        self.views[i].show(r)
        self.heads[i].setText(title if r is not None else f"{title}: not simulated")
        if r is None:
            self.summaries[i].setText(f"{title}: not simulated ({why})")
        else:
            m = {k: float(x[0]) for k, x in r.metrics.items()}
            self.summaries[i].setText(
                f"{title}: EF {m['LVEF']:.0f} % · SV {m['LVSV']:.0f} mL · BP "
                f"{m['SBP']:.0f}/{m['DBP']:.0f} mmHg · LVSP {m['LVSP']:.0f} mmHg · AV mean "
                f"gradient {m['AV_mean_gradient']:.0f} mmHg · MR volume "
                f"{m['MR_volume']:.0f} mL")
        if self.views3d:
            self._show_3d(i, title)

    def set_frame(self, frame: int) -> None:
        """Put both cursors at the same fraction of the cycle."""
        f = frame / (FRAMES - 1)
        for v in self.views:
            v.set_time(f)
        for st in self._states3d:
            # the view follows its state's clock (and says the time); it draws the frame
            # itself (ahead of its paint: another request would draw it twice)
            st.session.set_time(f)

    def set_3d(self, on: bool) -> None:
        """Show (build on first use) or hide two 3D views sharing one camera, in a window of
        their own (:class:`Linked3DWindow`).

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
                self._build_3d()
            except Exception as exc:  # noqa: BLE001 - no 3D must not close the panel
                self.state.error(f"3D views unavailable: {exc}")
                self.link3d.setChecked(False)
                return
        if self.window3d is not None:
            self.window3d.setVisible(on)
            if on:
                self.window3d.raise_()

    def _build_3d(self) -> None:
        from twinviewer.gui.view3d import View3D

        for _ in range(2):
            st = TwinState(parent=self)
            v = View3D(st)
            v.setMinimumSize(320, 260)
            self._states3d.append(st)
            self.views3d.append(v)
            # after the view's own limits (connected first): one colour scale again
            st.twinChanged.connect(lambda _t: self._share_colour_scale())
            st.resultsChanged.connect(lambda _r: self._share_colour_scale())
        self.window3d = Linked3DWindow(self.views3d)
        self.window3d.closed.connect(lambda: self.link3d.setChecked(False))
        for i in range(2):
            self._show_3d(i, side_title(self.hearts[i].currentData(),
                                        self.ivs[i].currentData() or None))
        # one camera for both: turning one turns the other
        a, b = (v.plotter for v in self.views3d)
        b.renderer.SetActiveCamera(a.renderer.GetActiveCamera())
        for src, dst in ((a, b), (b, a)):
            src.ren_win.GetInteractor().AddObserver("InteractionEvent",
                                                    lambda *_, d=dst: d.render())
        self._after_change()

    def _show_3d(self, i: int, title: str) -> None:
        """Side ``i``'s 3D view: its heart (on its own disease anatomy: at once when made,
        else the base's stand-in until a worker has made it) coloured by its own results,
        under its title; a side that was not simulated shows no heart."""
        from twinviewer.gui.virtual_heart_3d import show_virtual_heart

        name, r = self.hearts[i].currentData(), self.results[i]
        doc = self._states3d[i]
        if r is None:
            doc.session.open_twin(None)
            self._shown3d[i] = ""
        elif name != self._shown3d[i]:
            show_virtual_heart(doc, self.state, name, r,
                               getattr(self.state.twin, "anatomy", None))
            self._shown3d[i] = name
        else:
            doc.session.set_results(r)
        self.window3d.titles[i].setText(title if r is not None else f"{title}: not simulated")

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

"""Direct teaching controls: a virtual heart, five sliders, and its live PV loop (with the
ESPVR and EDPVR lines) and Wiggers diagram.

Each slider is a percentage of one model parameter of the heart as loaded
(:data:`twinviewer.teaching.controls.CONTROLS` says which, with units). Moving one re-runs the
heart's point estimate (one member, warm-started from the last cycle: the fast single-twin
path) in the GUI thread — a few milliseconds — so the loop follows the hand. This view shows
that one member, labelled so; the ensemble's intervals are on the workflow's plots.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from twinviewer.gui import plots  # noqa: F401 - the app's pyqtgraph colours (white background)
from twinviewer.gui.axes import plain_axes
from twinviewer.gui.flow_layout import FlowLayout, compact, labelled
from twinviewer.gui.state import TwinState
from twinviewer.physiology import Results, simulate
from twinviewer.teaching.controls import CONTROLS, apply_controls, edpvr, espvr
from twinviewer.teaching.hearts import heart, heart_names
from twinviewer.teaching.phases import phase_masks
from twinviewer.teaching.runner import RESPONSE

HIGHLIGHT = (255, 170, 0)
ESPVR_PEN = (200, 30, 40)
EDPVR_PEN = (40, 150, 90)
LOOP_PEN = (30, 90, 200)
REFERENCE_PEN = (150, 150, 150)
#: The Wiggers diagram's lines: (series, colour, label).
WIGGERS_LINES = (("p_AO", (200, 30, 40), "aortic root"), ("p_LV", (30, 90, 200), "LV"),
                 ("p_LA", (230, 140, 20), "LA"))
UNITS = {"mmHg*s/mL": "mmHg·s/mL", "cm^2": "cm²"}


def unit_text(unit: str) -> str:
    """A unit as shown (``cm^2`` → ``cm²``)."""
    return UNITS.get(unit, unit)


def parameter_label(name: str, model=None) -> str:
    """A model parameter as a student reads it (``'SYS.R_AR'`` → ``'Systemic arterial
    resistance'``), from the reference heart's model unless ``model`` is given.

    Examples
    --------
    >>> parameter_label("V_total")
    'Blood volume held by the loop'
    """
    try:
        return (model or heart("healthy").model).parameter(name).label
    except (KeyError, ValueError):
        return name


#: The teaching loop's title: which heart the sliders drive (not the open twin's).
TEACHING_TITLE = "Teaching heart (sliders): LV loop"
#: The sliders' plots' tab in the main plot area, while the controls are in front.
PLOTS_TITLE = "Sliders' heart"
#: Height of one row of the teaching plots (px), and the panel width under which the
#: Wiggers diagram goes below the loop rather than beside it.
LOOP_H, SIDE_BY_SIDE_W = 280, 600


class LoopView(QWidget):
    """One heart's LV pressure–volume loop with ESPVR/EDPVR, and its Wiggers diagram.

    ``show(results, reference=None)`` draws one member; ``reference`` (e.g. the heart before a
    change) is drawn dashed grey. ``highlight(plot, region)`` marks a phase or a line;
    ``set_time(fraction)`` moves the cursor (side-by-side views step together).
    """

    def __init__(self, parent: QWidget | None = None, *, font_pt: int = 9,
                 title: str = "", row_height: int = 0) -> None:
        """``row_height`` > 0: the plots' minimum height a row, and the Wiggers diagram goes
        under the loop whenever the view is narrower than :data:`SIDE_BY_SIDE_W` (in the
        1280×720 step column both were cut at the right edge, review12 #9)."""
        super().__init__(parent)
        self.row_height = row_height
        self.results: Results | None = None
        self.reference: Results | None = None
        self._highlight: tuple[str, str] | None = None
        self.glw = pg.GraphicsLayoutWidget()
        self.pv = self.glw.addPlot(row=0, col=0, title=title or "LV pressure–volume loop")
        self.wig = self.glw.addPlot(row=0, col=1, title="Wiggers diagram")
        self.pv.setLabel("bottom", "LV volume (mL)")
        self.pv.setLabel("left", "pressure (mmHg)")
        self.wig.setLabel("bottom", "time in the beat (s)")
        self.wig.setLabel("left", "pressure (mmHg)")
        for p in (self.pv, self.wig):
            # no grid: in software rendering it tripled the repaint (51 vs 17 ms CPU)
            plain_axes(p, ("left", "bottom"))
        # the key is a wrapped label under the plots: a legend inside a 230–250 px plot was
        # cut at its right edge and covered the loop
        self.key = QLabel()
        self.key.setWordWrap(True)
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self._titles = {self.pv: title or "LV pressure–volume loop",
                        self.wig: "Wiggers diagram"}
        self.set_font(font_pt)
        self.vertical = False
        if row_height:
            self.glw.setMinimumHeight(row_height)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.glw, 1)
        lay.addWidget(self.key)
        self.dot = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(0, 0, 0))
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(0, 0, 0, 120))
        self._make_items()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.row_height:
            self.set_vertical(self.width() < SIDE_BY_SIDE_W)

    def set_font(self, pt: int) -> None:
        """Axis and title font size (the presenter uses large fonts)."""
        font = pg.QtGui.QFont()
        font.setPointSize(pt)
        for p in (self.pv, self.wig):
            for ax in ("left", "bottom"):
                p.getAxis(ax).setStyle(tickFont=font, tickTextOffset=max(3, pt // 3))
                p.getAxis(ax).label.setFont(font)
            # room for large tick labels and the axis title beside them
            p.getAxis("left").setWidth(int(pt * 5.5))
            p.getAxis("bottom").setHeight(int(pt * 4))
            p.setTitle(self._titles[p], size=f"{int(pt * 1.2)}pt")
        self.key.setStyleSheet(f"font-size: {pt}pt;")
        self._pen = max(2, pt // 5)

    def set_vertical(self, vertical: bool) -> None:
        """Wiggers diagram below the loop (a narrow column) or beside it."""
        if vertical == self.vertical:
            return
        self.vertical = vertical
        if self.row_height:
            self.glw.setMinimumHeight(self.row_height * (2 if vertical else 1))
        self.glw.ci.removeItem(self.wig)
        self.glw.ci.addItem(self.wig, row=1 if vertical else 0, col=0 if vertical else 1)

    def _make_items(self) -> None:
        # items are made once and updated with setData: clearing and re-adding (and the
        # legend with them) costs ~100 ms a frame, setData a few ms
        w = self._pen
        dash, dot = Qt.PenStyle.DashLine, Qt.PenStyle.DotLine
        self.ref_curve = self.pv.plot(pen=pg.mkPen(*REFERENCE_PEN, width=w, style=dash))
        self.ref_espvr = self.pv.plot(pen=pg.mkPen(*REFERENCE_PEN, width=w, style=dot))
        self.espvr_curve = self.pv.plot(pen=pg.mkPen(*ESPVR_PEN, width=w, style=dot),
                                        name="ESPVR (end-systolic)")
        self.edpvr_curve = self.pv.plot(pen=pg.mkPen(*EDPVR_PEN, width=w, style=dot),
                                        name="EDPVR (end-diastolic, passive)")
        self.loop_curve = self.pv.plot(pen=pg.mkPen(*LOOP_PEN, width=w + 1),
                                       name="LV loop (one member)")
        self.hl_curve = self.pv.plot(pen=pg.mkPen(*HIGHLIGHT, width=w * 4), connect="finite")
        self.sv_band = pg.LinearRegionItem((0, 1), movable=False,
                                           brush=pg.mkBrush(*HIGHLIGHT, 60))
        self.sv_band.setVisible(False)
        self.pv.addItem(self.sv_band)
        self.wig_curves = {}
        for name, rgb, label in WIGGERS_LINES:
            self.wig_curves[name] = self.wig.plot(pen=pg.mkPen(*rgb, width=w), name=label)
        self.wig_bands = []
        self.pv.addItem(self.dot)
        self.wig.addItem(self.cursor)

    def key_entries(self) -> list[tuple[str, tuple[int, int, int], str]]:
        """``(mark, colour, text)`` of each line drawn: the loop's, then the Wiggers'."""
        out = [("┅", ESPVR_PEN, "ESPVR (end-systolic)"),
               ("┅", EDPVR_PEN, "EDPVR (end-diastolic, passive)"),
               ("━", LOOP_PEN, "teaching heart's LV loop (one member)")]
        if self.reference is not None:
            out.append(("╍", REFERENCE_PEN, "before (loop, ESPVR)"))
        return out + [("━", rgb, f"{label} pressure") for _n, rgb, label in WIGGERS_LINES]

    def _update_key(self) -> None:
        def entry(mark: str, rgb: tuple[int, int, int], text: str) -> str:
            return f"<span style='color: rgb{rgb}'>{mark}</span>&nbsp;{text}"

        entries = self.key_entries() if self.results is not None else []
        n_loop = len(entries) - len(WIGGERS_LINES)
        loop = " &nbsp; ".join(entry(*e) for e in entries[:n_loop])
        wig = " &nbsp; ".join(entry(*e) for e in entries[n_loop:])
        self.key.setText(f"<b>Loop</b>: {loop}<br><b>Wiggers</b>: {wig}"
                         if entries else "")

    def show(self, results: Results | None, reference: Results | None = None) -> None:
        """Draw ``results`` (one member), with ``reference`` dashed grey."""
        self.results, self.reference = results, reference
        self._update_key()
        self._draw()

    def highlight(self, plot: str | None, region: str | None = None) -> None:
        """Mark ``region`` of ``plot`` (``'pv_loop'`` or ``'wiggers'``); None clears."""
        self._highlight = (plot, region) if plot else None
        self._draw()

    def _draw(self) -> None:
        r = self.results
        if r is None:
            for c in (self.ref_curve, self.ref_espvr, self.espvr_curve, self.edpvr_curve,
                      self.loop_curve, self.hl_curve, *self.wig_curves.values()):
                c.setData([], [])
            return
        w = self._pen
        if self.reference is not None:
            rv, rp = self.reference.series["V_LV"][0], self.reference.series["p_LV"][0]
            self.ref_curve.setData(np.r_[rv, rv[:1]], np.r_[rp, rp[:1]])
            rpar = self.reference.params[0]
            rv0 = float(rpar[list(self.reference.model.parameter_names).index("LV.V0")])
            vr = np.linspace(rv0, max(rv.max() * 1.15, 60.0), 50)
            er = espvr(self.reference.model, rpar, vr)
            keep_r = er <= max(rp.max() * 1.3, 50)
            self.ref_espvr.setData(vr[keep_r], er[keep_r])
        else:
            self.ref_curve.setData([], [])
            self.ref_espvr.setData([], [])
        V, P = r.series["V_LV"][0], r.series["p_LV"][0]
        hl = self._highlight
        on = hl is not None and hl[0] == "pv_loop"
        params = r.params[0]
        v0 = float(params[list(r.model.parameter_names).index("LV.V0")])
        vv = np.linspace(v0, max(V.max() * 1.15, 60.0), 50)
        ee = espvr(r.model, params, vv)
        keep = ee <= max(P.max() * 1.3, 50)
        self.espvr_curve.setData(vv[keep], ee[keep])
        self.espvr_curve.setPen(pg.mkPen(*ESPVR_PEN, width=w * (3 if on and hl[1] == "espvr"
                                                                 else 1),
                                         style=Qt.PenStyle.DotLine))
        self.edpvr_curve.setData(vv, edpvr(r.model, params, vv))
        self.edpvr_curve.setPen(pg.mkPen(*EDPVR_PEN, width=w * (3 if on and hl[1] == "edpvr"
                                                                 else 1),
                                         style=Qt.PenStyle.DotLine))
        self.loop_curve.setData(np.r_[V, V[:1]], np.r_[P, P[:1]])
        masks = phase_masks(r) if hl is not None else {}
        if on and hl[1] in masks:
            m = masks[hl[1]]
            self.hl_curve.setData(np.where(m, V, np.nan), np.where(m, P, np.nan))
        else:
            self.hl_curve.setData([], [])
        self.sv_band.setVisible(on and hl[1] == "stroke_volume")
        self.sv_band.setRegion((float(V.min()), float(V.max())))
        t = r.time[0]
        for name, c in self.wig_curves.items():
            c.setData(t, r.series[name][0]) if name in r.series else c.setData([], [])
        for b in self.wig_bands:
            self.wig.removeItem(b)
        self.wig_bands = []
        if hl is not None and hl[0] == "wiggers" and hl[1] in masks:
            m = masks[hl[1]]
            edges = np.flatnonzero(np.diff(np.r_[0, m.astype(int), 0]))
            for a, b in zip(edges[::2], edges[1::2], strict=True):
                band = pg.LinearRegionItem((float(t[a]), float(t[b - 1])), movable=False,
                                           brush=pg.mkBrush(*HIGHLIGHT, 70))
                self.wig.addItem(band)
                self.wig_bands.append(band)

    def set_time(self, fraction: float) -> None:
        """Move the dot on the loop and the cursor on the Wiggers diagram to ``fraction`` of
        the beat."""
        r = self.results
        if r is None:
            return
        n = r.time.shape[1]
        i = int(np.clip(round(fraction * (n - 1)), 0, n - 1))
        self.dot.setData([r.series["V_LV"][0, i]], [r.series["p_LV"][0, i]])
        self.cursor.setPos(float(r.time[0, i]))


class MainPlots:
    """A panel's plots (``widget``) in the main window's plot column while the panel is the
    one in front (:meth:`show_in` with the column), else back in the panel's ``slot`` layout:
    a teaching heart's loop and Wiggers diagram get the main plot area's height, beside the
    tool that drives them, instead of below it in a narrow column (review14 #9).

    Examples
    --------
    >>> plots = MainPlots(view, slot, "Lesson heart")  # doctest: +SKIP
    >>> plots.show_in(window.plots_column); plots.show_in(None)  # doctest: +SKIP
    """

    def __init__(self, widget: QWidget, slot: QVBoxLayout, title: str) -> None:
        self.widget, self.slot, self.title = widget, slot, title
        self.column = None  # the plot column holding the widget, if any

    def show_in(self, column) -> None:
        """Into ``column`` (a :class:`~twinviewer.gui.plots_column.PlotsColumn`: the first
        tab, the open twin's plots the other tabs), or back into the panel (None)."""
        if column is not None:
            self.column = column
            column.show_extra(self.widget, self.title)
            return
        if self.column is None:
            return
        if self.column.extra is self.widget:
            self.column.hide_extra()
        self.column = None
        self.slot.addWidget(self.widget)
        self.widget.setVisible(True)  # not show(): LoopView.show draws results


def readout_text(percent: float, value: float, unit: str) -> str:
    r"""A slider's readout: its percent, then on a second line the parameter's value with its
    unit (3 significant figures, whole numbers from 100), so that a narrow column never
    wraps a number away from its unit.

    Examples
    --------
    >>> readout_text(100, 0.90381, "mmHg*s/mL"), readout_text(150, 1744.6, "mL")
    ('100 %\n0.904 mmHg·s/mL', '150 %\n1745 mL')
    """
    number = f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{percent:.0f} %\n{number} {unit_text(unit)}"


def open_virtual_heart(window, state: TwinState, name: str, *,
                       doing: str = "opening a virtual heart") -> bool:
    """Open virtual heart ``name`` as ``window``'s twin: its 200-member predictions (cached
    per process, else computed in a worker) on its own disease anatomy — at once if already
    made, else the demo heart's until its own is ready (``window.follow_heart_anatomy``).

    Returns False (nothing opened) when ``window`` is not the main window or the user keeps
    unsaved work. A patient's images never go with a virtual heart.
    """
    from twinviewer.gui.heart_anatomy import initial_anatomy
    from twinviewer.teaching.predictions import cached, fresh_twin, virtual_twin

    if not hasattr(window, "show_twin") or not window.maybe_save(doing):
        return False
    anatomy = initial_anatomy(name, getattr(state.twin, "anatomy", None))

    def show(results) -> None:
        from twinviewer.io import audit_log

        twin = fresh_twin(name, 200, anatomy=anatomy)
        audit_log(twin).record(twin, "create", {"preset": name})
        window.show_twin(twin, results=results, simulate=False)
        if hasattr(window, "follow_heart_anatomy"):
            window.follow_heart_anatomy(name)

    r = cached(name)
    if r is not None:
        show(r)
    else:
        state.run_job(f"Predicting {heart(name).title} (200 members)",
                      lambda p, c: virtual_twin(name, progress=p, cancel=c)[1], show)
    return True


class LiveHeart:
    """One heart's point estimate re-simulated on demand, warm-started from its last cycle.

    Examples
    --------
    >>> live = LiveHeart("healthy")
    >>> r = live.predict({"contractility": 150})
    >>> bool(r.metrics["Ees"][0] > live.baseline.metrics["Ees"][0])
    True
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.preset = heart(name)
        self.base = self.preset.vector()[None, :]
        self.baseline = simulate(self.preset.model, self.base)
        self._state = self.baseline.final_state

    def predict(self, percent: dict[str, float]) -> Results:
        p = apply_controls(self.preset.model, self.base, percent)
        r = simulate(self.preset.model, p, warm_start=self._state)
        if r.ok[0]:
            self._state = r.final_state
        return r


class TeachingControlsPanel(QWidget):
    """Pick a virtual heart and move preload, afterload, contractility, heart rate and
    compliance; the loop, the ESPVR/EDPVR and the Wiggers diagram follow."""

    title = "Teaching controls"
    step = "Teach"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.live: LiveHeart | None = None
        self.heart_box = QComboBox()
        for n in heart_names():
            self.heart_box.addItem(heart(n).title, n)
        self.heart_box.currentIndexChanged.connect(self._load)
        state.twinChanged.connect(self.follow_twin)
        self.sliders: dict[str, QSlider] = {}
        self.value_labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        for row, c in enumerate(CONTROLS):
            s = QSlider(Qt.Orientation.Horizontal)
            s.setRange(int(c.low), int(c.high))
            s.setValue(100)
            s.setToolTip(f"{c.meaning}; scales the model's parameter "
                         f"“{parameter_label(c.parameter)}” ({unit_text(c.unit)})")
            s.valueChanged.connect(self._schedule)
            lab = QLabel()
            lab.setWordWrap(False)  # two set lines (the value was wrapped inside its unit)
            lab.setMinimumWidth(max(lab.fontMetrics().horizontalAdvance(t) for t in
                                    readout_text(c.high, 0.888, c.unit).split("\n")) + 4)
            s.setMinimumWidth(90)  # the slider stays usable in a 350 px step column
            name = QLabel(c.label)
            name.setWordWrap(True)
            grid.addWidget(name, row, 0)
            grid.addWidget(s, row, 1)
            grid.addWidget(lab, row, 2)
            self.sliders[c.name], self.value_labels[c.name] = s, lab
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 2)
        reset = QPushButton("Reset sliders")
        reset.clicked.connect(self.reset)
        open_btn = QPushButton("Open in the workflow")
        open_btn.setToolTip("Make this virtual heart the open twin (its ensemble, with "
                            "intervals, in every step)")
        open_btn.clicked.connect(self.open_in_workflow)
        pop_btn = QPushButton("Own window")
        pop_btn.setToolTip("The same controls in a window of their own (e.g. on a projector)")
        pop_btn.clicked.connect(self.pop_out)
        # named apart from the open twin's loop beside it (review12 #9: both said "LV loop")
        self.view = LoopView(title=TEACHING_TITLE, row_height=LOOP_H)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        top = FlowLayout()  # wraps onto two lines in a narrow step column (1280×720)
        top.addWidget(labelled("Virtual heart:", compact(self.heart_box, 16)))
        top.addWidget(reset)
        top.addWidget(open_btn)
        top.addWidget(pop_btn)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(grid)
        lay.addWidget(self.readout)
        note = QLabel(f"One member (the heart's point estimate), no interval: a teaching view "
                      f"of the mechanics, {RESPONSE} (no baroreflex acts on a slider's "
                      f"change). Dashed grey: the heart as loaded.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555")
        lay.addWidget(note)
        slot = QVBoxLayout()  # the plots, when not in the main plot area
        slot.setContentsMargins(0, 0, 0, 0)
        slot.addWidget(self.view)
        lay.addLayout(slot, 1)
        lay.addStretch(0)  # the room the plots leave, when in the main plot area
        self.plots = MainPlots(self.view, slot, PLOTS_TITLE)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)  # coalesce a burst of slider events into one prediction
        self._timer.timeout.connect(self.update_loop)
        self.last_ms = float("nan")
        self._load()

    def show_plots_in(self, column) -> None:
        """The sliders' loop and Wiggers diagram in the main plot area (``column``) while
        these controls are in front, else here (None)."""
        self.plots.show_in(column)

    def pop_out(self) -> TeachingControlsPanel:
        """A second, top-level copy of these controls on the same heart, larger fonts."""
        w = TeachingControlsPanel(self.state)
        w.setWindowTitle("TwinViewer — teaching controls")
        w.heart_box.setCurrentIndex(self.heart_box.currentIndex())
        w.view.set_font(14)
        w.resize(1280, 900)
        w.show()
        self._popped = w
        return w

    def prefetch(self, name: str) -> None:
        """Compute heart ``name``'s ensemble predictions in the background (once per
        process), so opening it in the workflow is immediate."""
        from twinviewer.teaching.predictions import cached, virtual_twin

        if cached(name) is None:
            self.state.run_job(f"Predicting {heart(name).title} (200 members)",
                               lambda p, c: virtual_twin(name, progress=p, cancel=c)[1],
                               lambda r: None, lambda e: None)

    def open_in_workflow(self) -> None:
        """Open the chosen heart as the window's twin, with its ensemble predictions (from
        the background computation when it has finished)."""
        open_virtual_heart(self.window(), self.state, self.heart_box.currentData())

    def follow_twin(self, twin) -> None:
        """Show the virtual heart the window opened (a lesson's heart, a library heart) in
        these controls; another twin (a patient's) leaves them as they are."""
        name = str(getattr(twin, "origin", "") or "").removeprefix("preset:")
        i = self.heart_box.findData(name)
        if i >= 0 and i != self.heart_box.currentIndex():
            self.heart_box.setCurrentIndex(i)  # loads it (_load)

    def percent(self) -> dict[str, float]:
        return {k: float(s.value()) for k, s in self.sliders.items()}

    def _load(self, *_args) -> None:
        name = self.heart_box.currentData()
        try:
            self.live = LiveHeart(name)
        except Exception as exc:  # noqa: BLE001 - a heart that fails must not close the panel
            self.state.error(f"virtual heart {name!r} could not be simulated: {exc}")
            self.live = None
            return
        self.update_loop()
        self.prefetch(name)

    def reset(self) -> None:
        for s in self.sliders.values():
            s.blockSignals(True)
            s.setValue(100)
            s.blockSignals(False)
        self.update_loop()

    def _schedule(self, *_args) -> None:
        self._timer.start()

    def update_loop(self) -> None:
        """Re-simulate with the sliders' values and redraw (timed in ``last_ms``)."""
        import time

        if self.live is None:
            return
        t0 = time.perf_counter()
        pct = self.percent()
        model = self.live.preset.model
        names = list(model.parameter_names)
        for c in CONTROLS:
            v = self.live.base[0, names.index(c.parameter)] * pct[c.name] / 100
            self.value_labels[c.name].setText(readout_text(pct[c.name], v, c.unit))
            self.value_labels[c.name].setToolTip(parameter_label(c.parameter, model))
        r = self.live.predict(pct)
        if not r.ok[0]:
            self.readout.setText(f"No periodic beat at these settings: "
                                 f"{(r.errors() or ['unknown'])[0]}")
            return
        self.view.show(r, self.live.baseline)
        m = {k: float(x[0]) for k, x in r.metrics.items()}
        self.readout.setText(
            f"{RESPONSE.capitalize()} response (no baroreflex): EF {m['LVEF']:.0f} % · "
            f"SV {m['LVSV']:.0f} mL · CO {m['CO']:.1f} L/min · "
            f"BP {m['SBP']:.0f}/{m['DBP']:.0f} mmHg · LVEDP {m['LVEDP']:.0f} mmHg · "
            f"Ees {m['Ees']:.2f} mmHg/mL · Ea {m['Ea']:.2f} mmHg/mL")
        self.last_ms = (time.perf_counter() - t0) * 1000

"""Pressure–volume loops and the Wiggers diagram of the ensemble, with a time cursor.

On the Wiggers diagram, bands are the central 90 % of the ensemble at each sample of the beat
(5th–95th percentile of each signal separately over periodic members); the thick line is the
per-sample median. On the PV loops, the median loop and the 90 % band are taken over each
member's own cycle phase, its valve events aligned (:mod:`twinviewer.physiology.pv_band`): the
band is the region the 5–95 % boxes of volume and pressure sweep round the loop, drawn as its
outline with a light fill, so it leaves the loop's inside clear wherever the members do. The
PV panel also draws a subset of member loops, translucent, so the spread of loop *shapes*
shows.
Dragging a time cursor sets the time in the cycle for every view.

Measured volumes (from the twin's 4D segmentation or meshes,
:func:`twinviewer.imaging.curves.volume_curve`) are drawn *beside* the predictions in their own
style — black open circles with ±1 SD bars, labelled "measured (segmentation)" — never blended
into a predicted curve or band. On the Wiggers LV and RV volume plots the measured curve's
times are scaled from the measured R-R to the model's beat and its largest volume (ED) placed
at the model's median ED, as the calibration aligns them, with thin dashed lines for the 90 %
predictive interval of a measured volume (ensemble ⊕ model error ⊕ segmentation error: the
interval the curve fit's z is judged against, :func:`measured_band`); on the PV loop,
where no measured pressure exists, the measured EDV and ESV are vertical lines with their
±1 SD bands.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QPainterPath, QPolygonF
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPathItem,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import twinviewer
from twinviewer.gui import cycle
from twinviewer.gui.axes import plain_axis
from twinviewer.gui.no_range import NoRangeUpdate
from twinviewer.gui.state import TwinState
from twinviewer.interventions.scenario import shown_name

pg.setConfigOptions(antialias=False, background="w", foreground="k")


def _guard_widget_walk() -> None:
    """pyqtgraph's ``WidgetGroup.autoAdd`` walks a new plot's control widgets by
    ``children()``; once in CI (session 10) a child came back typed as ``QSurface`` (no
    ``children``), the walk raised and the What-if panel was not built. Objects without
    children are skipped instead: they hold no widgets to add."""
    from pyqtgraph.WidgetGroup import WidgetGroup

    walk = WidgetGroup.autoAdd
    if getattr(walk, "_guarded", False):
        return

    def auto_add(self, obj):
        if not hasattr(obj, "children"):
            return
        walk(self, obj)

    auto_add._guarded = True
    WidgetGroup.autoAdd = auto_add


_guard_widget_walk()

COLOURS = {"p_AO": (200, 30, 40), "p_LV": (30, 90, 200), "p_LA": (230, 140, 20),
           "p_RV": (120, 60, 170), "V_LV": (30, 90, 200), "V_RV": (120, 60, 170),
           "Q_MV": (230, 140, 20), "Q_AV": (200, 30, 40), "Q_TV": (120, 60, 170),
           "Q_PV": (40, 150, 90)}
LABELS = {"p_AO": "Aortic root", "p_LV": "LV", "p_LA": "LA", "p_RV": "RV", "V_LV": "LV",
          "V_RV": "RV", "Q_MV": "Mitral", "Q_AV": "Aortic", "Q_TV": "Tricuspid",
          "Q_PV": "Pulmonary"}
N_MEMBER_LOOPS = 40
#: ms from a document event to the plots' redraw (:class:`_RedrawOnce`).
REDRAW_AFTER_MS = 1
#: Text lines the PV panel's status line keeps, whatever its text (a longer one scrolls): a
#: new text never resizes the plot (:func:`_capped`).
STATUS_LINES = 4
#: Text lines the Wiggers key keeps (the signals, the scenarios on one line, the measured
#: volumes' note): the scenarios' results never resize the five plots under it (stall13b).
WIGGERS_KEY_LINES = 3
#: Colours of scenario overlays (median curves), in the order scenarios were run.
SCENARIO_COLOURS = [(0, 150, 136), (233, 30, 99), (121, 85, 72), (63, 81, 181),
                    (255, 152, 0), (96, 125, 139)]


def scenario_colour(name: str, scenario_results) -> tuple[int, int, int]:
    """The colour of scenario ``name`` in every plot (the main PV plot's overlays and the
    What-if step's loops): its place among the document's scenario results.

    Examples
    --------
    >>> scenario_colour("b", {"a": None, "b": None}) == SCENARIO_COLOURS[1]
    True
    """
    names = list(scenario_results or {})
    n = names.index(name) if name in names else len(names)
    return SCENARIO_COLOURS[n % len(SCENARIO_COLOURS)]


def scenario_medians(scenario_results, scenarios=()
                     ) -> list[tuple[str, object, tuple[int, int, int]]]:
    """``(shown name, results, colour)`` of each scenario to overlay (live previews
    excluded); the name as :func:`~twinviewer.interventions.scenario.shown_name` writes it,
    with the response mode, for the scenarios the document defines."""
    by_name = {s.name: s for s in scenarios}
    out = []
    for name, r in (scenario_results or {}).items():
        if r is None or not getattr(r, "series", None):  # stored results: no waveforms
            continue
        shown = shown_name(by_name[name]) if name in by_name else name
        out.append((shown, r, scenario_colour(name, scenario_results)))
    return out


def activation_trace(results, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A schematic ECG-like trace from the model's activation timing (not a recorded ECG).

    The median member's heart rate and atrioventricular delay place a P wave at atrial
    onset, the QRS complex at ventricular onset (t = 0, the model's R wave) and a T wave as
    the LV relaxes (onset + contraction time, scaled to the heart rate as in the model).
    Returns ``(t, trace)`` over one beat, or None if the model has no such timing.
    """
    model = getattr(results, "model", None)
    names = getattr(model, "parameter_names", ())
    if not {"HR", "LV.TC", "LV.TR"} <= set(names):
        return None
    ok = cycle.ok_members(results)
    p = np.median(np.asarray(results.params)[ok], axis=0)
    ix = {k: names.index(k) for k in names}
    period = 60.0 / p[ix["HR"]]
    scale = min(np.sqrt(period / 0.8), 0.9 * period / (p[ix["LV.TC"]] + p[ix["LV.TR"]]))
    avd = p[ix["AVD"]] if "AVD" in ix else 0.16
    t = np.linspace(0.0, period, n)

    def wave(centre: float, width: float, height: float) -> np.ndarray:
        d = (t - centre + period / 2) % period - period / 2  # cyclic
        return height * np.exp(-0.5 * (d / width) ** 2)

    trace = (wave(period - avd, 0.025, 0.15)             # P: atria depolarise
             + wave(-0.02, 0.008, -0.12) + wave(0.0, 0.010, 1.0)  # Q, R
             + wave(0.025, 0.010, -0.25)                  # S
             + wave(p[ix["LV.TC"]] * scale + 0.35 * p[ix["LV.TR"]] * scale, 0.045, 0.3))  # T
    return t, trace


def _band(plot: pg.PlotItem, x, lo, hi, rgb) -> pg.FillBetweenItem:
    # PlotCurveItem, not PlotDataItem: a PlotDataItem without a pen holds no curve in
    # pyqtgraph ≥ 0.14, and the fill between two empty curves is empty.
    a = pg.PlotCurveItem(np.asarray(x), np.asarray(lo), pen=pg.mkPen(None))
    b = pg.PlotCurveItem(np.asarray(x), np.asarray(hi), pen=pg.mkPen(None))
    fill = pg.FillBetweenItem(a, b, brush=pg.mkBrush(*rgb, 50))
    plot.addItem(fill)
    return fill


def band_path(band) -> QPainterPath:
    """The PV band's region (:class:`~twinviewer.physiology.pv_band.PhaseBand` rings: its
    outer and inner edges) as one odd-even path, so the fill leaves the band's holes open."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for ring in band.rings:
        path.addPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in ring]))
        path.closeSubpath()
    return path


def _band_path_item() -> QGraphicsPathItem:
    item = QGraphicsPathItem()
    item.setPen(pg.mkPen(None))
    item.setZValue(-5)
    return item


def _same_data(old: tuple | None, new: tuple) -> bool:
    """Whether ``new`` ``(x, y, opts)`` equals ``old`` (NaN gaps equal)."""
    if old is None:
        return False
    (x0, y0, o0), (x1, y1, o1) = old, new
    try:
        return (x0.shape == x1.shape and y0.shape == y1.shape and o0 == o1
                and np.array_equal(x0, x1, equal_nan=True)
                and np.array_equal(y0, y1, equal_nan=True))
    except (TypeError, ValueError):  # opts that do not compare, arrays of objects: redraw
        return False


class _KeptItems:
    """Plot items kept between redraws, keyed by what they show: a redraw gives them new data
    in place (creating a pyqtgraph item costs ~10× updating one; a heart switch redrew ~50).

    ``begin`` removes every item of the plots that is not kept (items added directly with
    ``plot.plot`` / ``addItem`` are redrawn as before), ``curve`` / ``band`` / ``item`` reuse
    or create a kept item, ``end`` removes the kept items this redraw did not use.
    """

    def __init__(self) -> None:
        self.items: dict[tuple, tuple[pg.PlotItem, object]] = {}
        self._used: set[tuple] = set()

    def begin(self, plots) -> None:
        kept = {id(it) for _p, it in self.items.values()}
        for p in plots:
            for it in list(p.items):
                if id(it) not in kept:
                    p.removeItem(it)
        self._used = set()

    def item(self, plot: pg.PlotItem, key: tuple, make, *, ignore_bounds: bool = False):
        """The kept item ``key`` of ``plot`` (made by ``make()`` and added the first time;
        left out of the plot's auto-range when ``ignore_bounds``)."""
        key = (id(plot), *key)
        self._used.add(key)
        if key not in self.items:
            it = make()
            plot.addItem(it, ignoreBounds=ignore_bounds)
            self.items[key] = (plot, it)
        return self.items[key][1]

    def curve(self, plot: pg.PlotItem, key: tuple, x, y, **opts) -> pg.PlotDataItem:
        """A kept line ``key`` through ``(x, y)`` (``opts`` as for ``PlotItem.plot``); left
        as it is when they are those it shows already."""
        it = self.item(plot, key, pg.PlotDataItem)
        x, y = np.asarray(x), np.asarray(y)
        if not _same_data(getattr(it, "_kept_data", None), (x, y, opts)):
            # setData drops the curve's cached path: the next paint re-paths it (the
            # members' 8000 points were re-pathed when only a scenario changed, whatif13)
            it.setData(x, y, **opts)
            it._kept_data = (x, y, opts)
        return it

    def band(self, plot: pg.PlotItem, key: tuple, x, lo, hi, rgb) -> pg.FillBetweenItem:
        """A kept shaded band ``key`` between ``lo`` and ``hi`` (see :func:`_band`)."""
        def make() -> pg.FillBetweenItem:
            return pg.FillBetweenItem(pg.PlotCurveItem(pen=pg.mkPen(None)),
                                      pg.PlotCurveItem(pen=pg.mkPen(None)))

        fill = self.item(plot, key, make)
        first = fill.curves[0]
        first.blockSignals(True)  # the fill's outline is remade once, on the second curve
        try:
            first.setData(np.asarray(x), np.asarray(lo))
        finally:
            first.blockSignals(False)
        fill.curves[1].setData(np.asarray(x), np.asarray(hi))
        fill.setBrush(pg.mkBrush(*rgb, 50))
        return fill

    def end(self) -> None:
        for key in [k for k in self.items if k not in self._used]:
            plot, it = self.items.pop(key)
            plot.removeItem(it)


class TimeCursor(NoRangeUpdate, pg.InfiniteLine):
    """A draggable vertical time cursor (see :class:`NoRangeUpdate`)."""


class NowDot(NoRangeUpdate, pg.ScatterPlotItem):
    """The dot at the current time on a pressure–volume loop (see :class:`NoRangeUpdate`)."""


MEASURED_LABEL = "measured (segmentation)"
_MEASURED_PEN = (20, 20, 20)


def measured_curve(anatomy, chamber: str):
    """The anatomy's measured volume curve of ``chamber`` ('LV'/'RV'), or None (cached).

    Examples
    --------
    >>> measured_curve(None, "LV") is None
    True
    """
    if anatomy is None:
        return None
    cache = anatomy.__dict__.setdefault("_volume_curve_cache", {})
    if chamber not in cache:
        from twinviewer.imaging.curves import volume_curve

        try:
            cache[chamber] = volume_curve(anatomy, chamber)
        except ValueError:  # inconsistent phase times: nothing to draw, said elsewhere
            cache[chamber] = None
    return cache[chamber]


#: Legend of the band a measured volume is judged against (the curve fit's z).
PREDICTIVE_LABEL = "90 % predictive interval of a measurement"


def measured_band(results, curve, stored=None):
    """``(phase, lo, hi)``: the 90 % interval a measured volume of ``curve`` is judged
    against — the ensemble ``results`` ⊕ model and phase error ⊕ segmentation error, as the
    calibration's curve check (:func:`twinviewer.personalize.volume_curve.summarise`) — at
    the curve's phases (fractions of R-R from ED); None if it cannot be formed (cached).
    ``stored``: this band, kept from an earlier computation, is cached instead (the demo's).

    >>> measured_band(None, None) is None
    True
    """
    if results is None or curve is None or not np.isfinite(curve.rr_ms):
        return None
    cache = results.__dict__.setdefault("_measured_band_cache", {})
    key = (curve.chamber, id(curve))
    if stored is not None:
        cache.setdefault(key, stored)
    if key not in cache:
        from twinviewer.personalize.volume_curve import (
            calibration_data,
            observation,
            summarise,
        )

        try:
            ob = observation(calibration_data(curve))
            s = summarise(ob, ob.model_volumes(results))
            cache[key] = (s.phase, s.meas_lo, s.meas_hi)
        except (KeyError, ValueError, np.linalg.LinAlgError):  # no such chamber, no members
            cache[key] = None
    return cache[key]


def _measured_points(kept: _KeptItems, plot: pg.PlotItem, x, y, sd, name: str) -> None:
    """Measured values as open circles with ±1 SD error bars (distinct from predictions)."""
    kept.item(plot, ("error bars", name), lambda: pg.ErrorBarItem(
        beam=0.0, pen=pg.mkPen(*_MEASURED_PEN, 160))).setData(
        x=np.asarray(x), y=np.asarray(y), top=np.asarray(sd), bottom=np.asarray(sd))
    kept.curve(plot, ("points", name), x, y, pen=None, symbol="o", symbolSize=6,
               symbolBrush=pg.mkBrush(255, 255, 255),
               symbolPen=pg.mkPen(*_MEASURED_PEN, width=1.5), name=name)


def _cache_axes(plot: pg.PlotItem) -> None:
    """Keep each axis as a pixmap: a moving time cursor then repaints a strip of the plot
    instead of re-playing every axis's drawing (a large share of a playback frame)."""
    from PySide6.QtWidgets import QGraphicsItem

    for name in ("left", "bottom", "right", "top"):
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def _capped(label: QLabel, lines: int, px: int) -> QScrollArea:
    """``label`` (word-wrapped) in a box ``lines`` of its text high, scrolling when the text is
    longer: a longer text (the scenarios' key, once a what-if's results arrive) never resizes
    the plots beside it. That relayout repainted the PV plot three times in one turn, with its
    axes drawn anew (about 40 ms of GUI-thread CPU against 10, whatif13). ``px``: the label's
    font size (its style sheet's) in pixels."""
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    box = QScrollArea()
    box.setWidget(label)
    box.setWidgetResizable(True)
    box.setFrameShape(QFrame.Shape.NoFrame)
    box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    font = QFont(label.font())
    font.setPixelSize(px)
    m = label.contentsMargins()
    # a rich text's lines can be a pixel taller than the font's (the key's ■ glyphs): that
    # pixel showed a scroll bar beside a text that fitted (stall13b)
    text = label.text()
    label.setText("<br>".join(["■ ○ - -"] * lines))
    sample = label.heightForWidth(10_000)
    label.setText(text)
    box.setFixedHeight(max(lines * QFontMetrics(font).lineSpacing() + m.top() + m.bottom() + 2,
                           sample + 1))
    return box


def _research_label() -> QLabel:
    lab = QLabel(twinviewer.RESEARCH_USE)
    lab.setWordWrap(True)
    lab.setStyleSheet("color: #8a5a00; font-size: 9px;")
    return lab


class _RedrawOnce:
    """Redraw a plot panel once per event-loop turn however many document events ask for it.

    Opening another twin fires ``twin``, ``results`` and ``scenario_results`` in a row; each
    redrew every curve (a third of a heart switch). The signal handlers here only record the
    new data and schedule one :meth:`set_results` at the end of the turn (skipped if nothing
    it draws changed); calling ``set_results`` directly still draws at once.
    """

    results: object
    scenario_results: dict
    state: TwinState
    _redraw_pending = False
    _drawn: tuple | None = None

    def _connect_redraw(self, state: TwinState) -> None:
        state.resultsChanged.connect(self._on_results)
        state.scenarioResultsChanged.connect(self._on_scenarios)
        state.twinChanged.connect(lambda _t: self._redraw_soon())

    def _on_results(self, results) -> None:
        self.results = results
        self._redraw_soon()

    def _on_scenarios(self, scenario_results) -> None:
        self.scenario_results = dict(scenario_results or {})
        self._redraw_soon()

    def _redraw_soon(self) -> None:
        if not self._redraw_pending:
            self._redraw_pending = True
            # a timer, not a zero-delay call: the turn that changed the data (a what-if's
            # results: the table, the step's curves) and this redraw are two turns with the
            # other timers' turns between them, not one long one (whatif13)
            QTimer.singleShot(REDRAW_AFTER_MS, self._redraw_now)

    def _scenarios(self) -> list:
        """The document's scenario definitions (their response modes name the overlays)."""
        session = getattr(self.state, "session", None)
        return list(getattr(session, "scenarios", None) or ())

    def _drawn_key(self) -> tuple:
        anatomy = getattr(self.state.twin, "anatomy", None)
        return (self.results, anatomy, *self.scenario_results.items())

    def _redraw_now(self) -> None:
        if not self._redraw_pending:
            return
        self._redraw_pending = False
        old = self._drawn
        if old is not None and len(old) == len(key := self._drawn_key()) and all(
                a is b or (isinstance(a, tuple) and a[0] == b[0] and a[1] is b[1])
                for a, b in zip(old, key, strict=True)):
            return  # the same results, anatomy and scenarios are on screen
        self.set_results(self.results)

    def _mark_drawn(self) -> None:
        self._drawn = self._drawn_key()


class PVLoopPanel(_RedrawOnce, QWidget):
    """LV and RV pressure–volume loops: median loop, member loops, 90 % band, time marker."""

    title = "PV loops"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.results = None
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.plots: dict[str, pg.PlotItem] = {}
        self.markers: dict[str, pg.ScatterPlotItem] = {}
        self.scenario_results: dict = {}
        self._kept = _KeptItems()
        # each chamber's tab holds its plot from when it is first shown (ensure_built): the
        # RV loop's PlotItem and first draw stay off the start path
        self._pages: dict[str, QWidget] = {}
        for side in ("LV", "RV"):
            page = self._pages[side] = QWidget()
            QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
            # "(open twin)": the Teach step's sliders drive a loop of their own (review12 #9)
            self.tabs.addTab(page, f"{side} loop (open twin)")
        self._build_plot("LV")
        self.glw = self._pages["LV"].layout().itemAt(0).widget()
        self.tabs.currentChanged.connect(lambda _i: self._build_shown())
        # one short line under the plot (it took a fifth of the plot's height at 1280×720);
        # the full key in the tooltip
        self.status = QLabel("waiting for predictions…")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("font-size: 10px;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 2)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(_capped(self.status, STATUS_LINES, 10))
        lay.addWidget(_research_label())
        self._connect_redraw(state)
        state.timeChanged.connect(self.set_time)
        if state.results is not None:
            self.set_results(state.results)

    def _build_plot(self, side: str) -> pg.PlotItem:
        glw = pg.GraphicsLayoutWidget()
        glw.ci.setContentsMargins(0, 4, 2, 0)  # the width goes to the plot area
        p = glw.addPlot(row=0, col=0)  # the tab names the chamber: no title row
        p.setLabel("bottom", f"{side} volume (mL)")
        p.setLabel("left", f"{side} pressure (mmHg)")
        p.showGrid(x=True, y=True, alpha=0.2)
        for ax in ("left", "bottom"):
            plain_axis(p.getAxis(ax))
            p.getAxis(ax).setStyle(tickTextOffset=3)  # a narrower axis, a wider plot
        _cache_axes(p)
        self._pages[side].layout().addWidget(glw)
        self.plots[side] = p
        self.plots = {s: self.plots[s] for s in self._pages if s in self.plots}  # LV, RV
        return p

    def _build_shown(self) -> None:
        side = self.tabs.tabText(self.tabs.currentIndex()).split()[0]
        if side not in self.plots:
            self._build_plot(side)
            self.set_results(self.results)

    def ensure_built(self) -> None:
        """Build every chamber's plot (and draw the results on it) if not yet done.

        The RV loop's tab is built when first shown; code that reads or grabs its plot
        calls this first.

        Examples
        --------
        >>> panel = PVLoopPanel(state); panel.ensure_built(); panel.plots["RV"]  # doctest: +SKIP
        """
        missing = [side for side in self._pages if side not in self.plots]
        for side in missing:
            self._build_plot(side)
        if missing:
            self.set_results(self.results)

    def _draw_measured(self, side: str, p: pg.PlotItem | None) -> str:
        """Measured EDV and ESV (±1 SD) as vertical lines on ``p`` (None: a plot not built
        yet, only the text); returns the status text part."""
        curve = measured_curve(getattr(self.state.twin, "anatomy", None), side)
        if curve is None:
            return ""
        from twinviewer.personalize.volume_curve import entered_ends

        # an entered EDV/ESV replaces the images' one here as in the calibration
        entered = entered_ends(getattr(self.state.twin, "measurements", ()), side,
                               curve.source)
        if p is None:
            return self._measured_text(side, curve, entered)
        dot = pg.QtCore.Qt.PenStyle.DotLine

        def region() -> pg.LinearRegionItem:
            item = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(*_MEASURED_PEN, 25),
                                       pen=pg.mkPen(None))
            item.setZValue(-10)
            return item

        for idx, what in ((curve.ed_index, "EDV"), (curve.es_index, "ESV")):
            v, sd = float(curve.volumes_ml[idx]), float(curve.sd_ml[idx])
            if what in entered:
                v, sd = float(entered[what].value), float(entered[what].uncertainty)
            # kept between redraws (a calibration's result redrew them all in one turn)
            self._kept.item(p, ("region", what), region).setRegion((v - sd, v + sd))
            self._kept.item(p, ("line", what), lambda what=what: pg.InfiniteLine(
                angle=90, pen=pg.mkPen(*_MEASURED_PEN, width=1.5, style=dot), label=what,
                name=f"{what} {MEASURED_LABEL}",
                labelOpts={"position": 0.95, "color": _MEASURED_PEN})).setValue(v)
        return self._measured_text(side, curve, entered)

    @staticmethod
    def _measured_text(side: str, curve, entered=None) -> str:
        """The status part of the measured marks; an entered EDV/ESV is said as replacing
        the images' one (as the Measurements step says)."""
        entered = entered or {}
        ed, es = (float(entered[k].value) if k in entered else float(curve.volumes_ml[i])
                  for k, i in (("EDV", curve.ed_index), ("ESV", curve.es_index)))
        text = f" · dotted: {side} EDV and ESV {MEASURED_LABEL} ± 1 SD, {ed:.0f} / {es:.0f} mL"
        if entered:
            srcs = sorted({m.source for m in entered.values() if m.source})
            text += (f" ({' and '.join(side + k for k in entered)} entered"
                     + (f", {', '.join(srcs)}" if srcs else "")
                     + f"; they replace the images' {curve.volumes_ml[curve.ed_index]:.0f} / "
                     f"{curve.volumes_ml[curve.es_index]:.0f} mL)")
        return text

    def set_scenarios(self, scenario_results) -> None:
        """Overlay each scenario's median loop (dashed, its own colour) on the baseline."""
        self.scenario_results = dict(scenario_results or {})
        self.set_results(self.results)

    def set_results(self, results) -> None:
        self.results = results
        self._redraw_pending = False
        self._mark_drawn()
        kept = self._kept
        kept.begin(self.plots.values())
        self.markers = {}
        if results is None:
            kept.end()
            self.status.setText("waiting for predictions…" if self.state.twin is not None
                                else "No twin is open.")
            return
        ok = cycle.ok_members(results)
        idx = np.flatnonzero(ok)
        pick = idx[np.linspace(0, len(idx) - 1, min(N_MEMBER_LOOPS, len(idx))).astype(int)]
        measured: dict[str, str] = {}
        for side in self._pages:
            V, P = cycle.signal(results, f"V_{side}"), cycle.signal(results, f"p_{side}")
            p = self.plots.get(side)
            if V is None or P is None:  # the model has no such chamber (its roles say so)
                if p is not None:
                    p.setTitle(f"no {side} in model {results.model.name}")
                continue
            if p is None:  # its tab not shown yet: only its part of the status text
                measured[side] = self._draw_measured(side, None)
                continue
            p.setTitle(None)
            rgb = COLOURS[f"p_{side}"]
            # all member loops as one NaN-separated curve: one path to paint per frame
            nan = np.full((len(pick), 1), np.nan)
            xs = np.hstack([V[pick], V[pick, :1], nan]).ravel()
            ys = np.hstack([P[pick], P[pick, :1], nan]).ravel()
            kept.curve(p, ("members",), xs, ys, pen=pg.mkPen(*rgb, 35), connect="finite",
                       name=f"{len(pick)} of {int(ok.sum())} members")
            # the 90 % band over each member's own phase (valve events aligned), drawn as its
            # outline and a light fill between the outlines: a band per time sample mixed
            # phases and filled the loop's inside (review12 #11, session-12 closing note)
            pb = cycle.pv_band(results, side)
            fill = kept.item(p, ("band fill",), _band_path_item)
            if getattr(fill, "band", None) is not pb:  # a new path re-ranges the view: only
                fill.setPath(band_path(pb))            # when the band changed
                fill.band = pb
            fill.setBrush(pg.mkBrush(*rgb, 45))
            kept.curve(p, ("band",), *pb.outline(), pen=pg.mkPen(*rgb, 150, width=1),
                       connect="finite", name="90 % band of the ensemble (5–95 %)")
            kept.curve(p, ("median",), np.r_[pb.v_median, pb.v_median[:1]],
                       np.r_[pb.p_median, pb.p_median[:1]], pen=pg.mkPen(*rgb, width=3),
                       name="median loop")
            for name, r, rgb_s in scenario_medians(self.scenario_results, self._scenarios()):
                sb = cycle.pv_band(r, side)
                if sb is not None:
                    kept.curve(p, ("scenario", name), np.r_[sb.v_median, sb.v_median[:1]],
                               np.r_[sb.p_median, sb.p_median[:1]],
                               pen=pg.mkPen(*rgb_s, width=2.5,
                                            style=pg.QtCore.Qt.PenStyle.DashLine), name=name)
            measured[side] = self._draw_measured(side, p)
            mk = kept.item(p, ("marker",), lambda: NowDot(
                size=12, brush=pg.mkBrush(0, 0, 0), pen=pg.mkPen("w")), ignore_bounds=True)
            mk.setZValue(10)  # over the loops added after it
            self.markers[side] = mk
        kept.end()
        scen = scenario_medians(self.scenario_results, self._scenarios())
        key = "".join(f" · <span style='color: rgb{c}'>- - {n}</span>" for n, _, c in scen)
        self.status.setToolTip(f"Thick: median loop · thin: {len(pick)} of {int(ok.sum())} "
                               f"periodic members (of {results.n}) · shaded band: where the "
                               f"5–95 % of volume and of pressure lie at each phase of the "
                               f"members' own cycles (valve events aligned) · dot: now"
                               + "".join(measured.values()))
        self.status.setText("Median loop, 90 % band, members (hover: key)"
                            + (f" · dotted: EDV, ESV {MEASURED_LABEL}" if any(measured.values())
                               else "") + key)
        self.set_time(self.state.time)

    def set_time(self, fraction: float) -> None:
        r = self.results
        if r is None:
            return
        for side, mk in self.markers.items():
            v, p = cycle.pv_band(r, side).median_at(fraction)  # on the drawn median loop
            mk.setData([v], [p])


def _wiggers_key(results) -> str:
    """The Wiggers legend: the pressures and flows drawn (all when ``results`` is None)."""
    def has(n: str) -> bool:
        return results is None or cycle.signal(results, n) is not None

    key = "  ".join(f"<span style='color: rgb{COLOURS[n]}'>■ {LABELS[n]}"
                    f"{' pressure' if n.startswith('p_') else ''}</span>"
                    for n in ("p_AO", "p_LV", "p_LA") if has(n))
    return key + "  ·  flows: " + "  ".join(f"<span style='color: rgb{COLOURS[n]}'>■ "
                                            f"{LABELS[n]}</span>" for n in ("Q_MV", "Q_AV")
                                            if has(n))


class WiggersPanel(_RedrawOnce, QWidget):
    """Wiggers diagram: pressures (aortic root, LV, LA), LV volume and valve flows vs time."""

    title = "Wiggers diagram"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.results = None
        self.period = 1.0
        self.scenario_results: dict = {}
        self._kept = _KeptItems()
        self.cursors: list[pg.InfiniteLine] = []
        self.built = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        key = _wiggers_key(None)
        self.measured_note = ""
        self.measured_chambers: list[str] = []
        self.measured_tip = ""
        self._key_text = key
        self.key = QLabel(key)
        self.key.setWordWrap(True)
        self.key.setStyleSheet("font-size: 10px;")
        # fixed height: a Run's scenarios used to add a line each, and each resized the five
        # plots (and repainted them) as the results came (whatif13, at ≥ 1080 px tall)
        lay.addWidget(_capped(self.key, WIGGERS_KEY_LINES, 10))  # the plots go under it

        note = QLabel("Median, 90 % band; dashed: scenarios; *ECG: schematic (hover: key)")
        note.setToolTip("Median with 90 % band (5–95 % of the ensemble at each sample); dashed: "
                        "the scenarios' medians; thin dashed lines beside measured volumes: "
                        "the 90 % predictive interval of a measured volume (ensemble ⊕ model "
                        "error ⊕ segmentation error), the interval the curve fit is judged "
                        "against; drag the black line to move in time. *The "
                        "top trace is a schematic activation trace placed by the model's "
                        "timing (P wave at atrial onset, QRS at ventricular onset, T wave as "
                        "the LV relaxes), not a recorded ECG.")
        note.setWordWrap(True)
        note.setStyleSheet("font-size: 10px;")
        lay.addWidget(note)
        lay.addWidget(_research_label())
        self._connect_redraw(state)
        state.timeChanged.connect(self.set_time)
        if state.results is not None:
            self.set_results(state.results)

    def ensure_built(self) -> None:
        """Build the five plots (and draw the results on them) if not yet done.

        The panel is built empty and fills itself when first shown: at the default window
        size it is a hidden tab, and its plots cost ~0.05 s of GUI-thread CPU before the
        first frame. Code that reads or grabs the plots calls this first.

        Examples
        --------
        >>> panel = WiggersPanel(state); panel.ensure_built(); panel.p_press  # doctest: +SKIP
        """
        if self.built:
            return
        self.built = True
        self.glw = pg.GraphicsLayoutWidget()
        self.p_ecg = self.glw.addPlot(row=0, col=0)
        self.p_ecg.setLabel("left", "ECG*")
        self.p_ecg.hideAxis("bottom")
        self.p_ecg.getAxis("left").setTicks([[]])
        self.p_press = self.glw.addPlot(row=1, col=0)
        # two-line titles: a 60-px rotated title ran into the next row at 720 px height
        self.p_press.setLabel("left", "p<br>(mmHg)")
        self.p_vol = self.glw.addPlot(row=2, col=0)
        self.p_vol.setLabel("left", "LV V<br>(mL)")
        self.p_rvol = self.glw.addPlot(row=3, col=0)
        self.p_rvol.setLabel("left", "RV V<br>(mL)")
        self.p_flow = self.glw.addPlot(row=4, col=0)
        self.p_flow.setLabel("left", "Q<br>(mL/s)")
        self.p_flow.setLabel("bottom", "Time in beat (s)")
        # tighter than pyqtgraph's 9-px margins and 6-px row gaps: the height the fixed
        # 3-line key above takes (rows ≥ 60 px at 1920×1080 stacked, test_layout)
        self.glw.ci.layout.setContentsMargins(9, 3, 9, 3)
        self.glw.ci.layout.setVerticalSpacing(2)
        self.glw.ci.layout.setRowStretchFactor(0, 2)
        self.glw.ci.layout.setRowStretchFactor(1, 3)
        self.glw.ci.layout.setRowStretchFactor(2, 2)
        self.glw.ci.layout.setRowStretchFactor(3, 2)
        self.glw.ci.layout.setRowStretchFactor(4, 2)
        for p in (self.p_ecg, self.p_press, self.p_vol, self.p_rvol, self.p_flow):
            p.showGrid(x=True, y=True, alpha=0.2)
            for ax in ("left", "bottom"):
                plain_axis(p.getAxis(ax))
            _cache_axes(p)
            small = QFont()
            small.setPointSizeF(max(small.pointSizeF() - 1.5, 6.5))
            p.getAxis("left").setStyle(tickFont=small, tickTextOffset=2)
            p.getAxis("left").label.setFont(small)
            if p is not self.p_press:
                p.setXLink(self.p_press)
            if p is not self.p_flow:  # the rows share the time axis: its values once, below
                p.getAxis("bottom").setStyle(showValues=False)
                p.getAxis("bottom").setHeight(4)
        self.p_ecg.setMouseEnabled(x=False, y=False)
        self.layout().insertWidget(1, self.glw, 1)
        self.set_results(self.results)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.ensure_built()  # before the first paint: the tab shows its plots at once
        super().showEvent(event)

    def _draw_measured(self, t_model: np.ndarray, chamber: str = "LV") -> None:
        """The measured LV (or RV) volume curve beside the model's V(t): time scaled to the
        beat and, as in the calibration (:mod:`twinviewer.personalize.volume_curve`), its
        largest volume (ED) placed at the model's median ED; with the predictive interval the
        curve fit is judged against (:func:`measured_band`)."""
        plot = self.p_vol if chamber == "LV" else self.p_rvol
        curve = measured_curve(getattr(self.state.twin, "anatomy", None), chamber)
        if curve is None or cycle.signal(self.results, f"V_{chamber}") is None:
            return
        rr = curve.rr_ms if np.isfinite(curve.rr_ms) else None
        if rr is None:  # untimed phases: spread over the beat
            t = np.arange(len(curve.times_ms)) / len(curve.times_ms) * self.period
            how = "untimed"
        else:
            t_ed = float(t_model[int(np.argmax(cycle.band(self.results, f"V_{chamber}")[0]))])
            t = ((curve.times_ms - curve.times_ms[curve.ed_index]) / rr * self.period
                 + t_ed) % self.period
            how = f"scaled from R-R {rr:.0f} ms, aligned at ED as fitted"
            band = measured_band(self.results, curve)
            if band is not None:
                tb = (t_ed + band[0] * self.period) % self.period
                o = np.argsort(tb)
                pen = pg.mkPen(*COLOURS[f"V_{chamber}"], width=1.2,
                               style=pg.QtCore.Qt.PenStyle.DashLine)
                self._kept.curve(plot, ("predictive low",), tb[o], band[1][o], pen=pen,
                                 name=PREDICTIVE_LABEL)
                self._kept.curve(plot, ("predictive high",), tb[o], band[2][o], pen=pen)
                how += ("; thin dashed: the 90 % predictive interval of a measured volume "
                        "(ensemble ⊕ model error ⊕ segmentation error), which the curve fit "
                        "is judged against")
        _measured_points(self._kept, plot, t, curve.volumes_ml, curve.sd_ml, MEASURED_LABEL)
        self.measured_chambers.append(chamber)
        self.measured_tip += (f"{chamber} volume {MEASURED_LABEL} ± 1 SD ({curve.source}; "
                              f"times {how}). ")

    def set_scenarios(self, scenario_results) -> None:
        """Overlay each scenario's median aortic and LV pressure, LV volume (dashed)."""
        self.scenario_results = dict(scenario_results or {})
        self.set_results(self.results)

    def _series(self, plot, names, t) -> None:
        for name in names:
            if cycle.signal(self.results, name) is None:  # not among the model's roles
                continue
            med, lo, hi = cycle.band(self.results, name)
            self._kept.band(plot, ("band", name), t, lo, hi, COLOURS[name]).setZValue(-5)
            self._kept.curve(plot, ("median", name), t, med,
                             pen=pg.mkPen(*COLOURS[name], width=2), name=LABELS[name])

    def set_results(self, results) -> None:
        self.results = results
        self._redraw_pending = False
        if not self.built:  # drawn when first shown
            self._drawn = None
            if results is not None:
                self.period = cycle.beat_period_s(results)
            return
        self._mark_drawn()
        self.cursors = []
        self._kept.begin((self.p_ecg, self.p_press, self.p_vol, self.p_rvol, self.p_flow))
        if results is None:
            self._kept.end()
            return
        self.period = cycle.beat_period_s(results)
        n = results.time.shape[1]
        t = np.linspace(0.0, self.period, n)
        ecg = activation_trace(results, 4 * n)
        if ecg is not None:
            self._kept.curve(self.p_ecg, ("ecg",), *ecg, pen=pg.mkPen(20, 120, 40, width=1.5))
        self._series(self.p_press, ("p_AO", "p_LV", "p_LA"), t)
        self._series(self.p_vol, ("V_LV",), t)
        self._series(self.p_rvol, ("V_RV",), t)
        has_rv = cycle.signal(results, "V_RV") is not None
        self.p_rvol.setVisible(has_rv)  # a single-ventricle model: no RV row
        self.glw.ci.layout.setRowStretchFactor(3, 2 if has_rv else 0)
        self.measured_chambers = []
        self.measured_tip = ""
        self._draw_measured(t)
        self._draw_measured(t, "RV")
        # one short line (the plots need the height at 1280×720); the details in the tooltip
        self.measured_note = (f"○ {' and '.join(self.measured_chambers)} volume measured ± 1 SD"
                              "; thin dashed: 90 % predictive interval"
                              if self.measured_chambers else "")
        self.key.setToolTip(self.measured_tip)
        self._series(self.p_flow, ("Q_MV", "Q_AV"), t)
        dash = pg.QtCore.Qt.PenStyle.DashLine
        overlays = scenario_medians(self.scenario_results, self._scenarios())
        for name, r, rgb in overlays:
            ts = np.linspace(0.0, cycle.beat_period_s(r), r.time.shape[1])
            for plot, sig in ((self.p_press, "p_AO"), (self.p_press, "p_LV"),
                              (self.p_vol, "V_LV"), (self.p_rvol, "V_RV")):
                if cycle.signal(r, sig) is not None:
                    self._kept.curve(plot, ("scenario", name, sig), ts, cycle.band(r, sig)[0],
                                     pen=pg.mkPen(*rgb, width=2, style=dash))
        self._key_text = _wiggers_key(results)  # only the signals the model's roles give
        if overlays:  # one line, as in the PV panel's status line
            self._key_text += "<br>" + " · ".join(
                f"<span style='color: rgb{c}'>- - {n}</span>" for n, _, c in overlays)
        self.key.setText(self._key_text + (f"<br>{self.measured_note}" if self.measured_note
                                           else ""))
        for p in (self.p_ecg, self.p_press, self.p_vol, self.p_rvol, self.p_flow):
            self.cursors.append(self._kept.item(p, ("cursor",), self._cursor,
                                                ignore_bounds=True))
        self._kept.end()
        self.set_time(self.state.time)

    def _cursor(self) -> pg.InfiniteLine:
        line = TimeCursor(angle=90, movable=True, pen=pg.mkPen((0, 0, 0), width=2),
                               hoverPen=pg.mkPen((200, 0, 0), width=3))
        line.setZValue(10)  # over the curves added after it
        line.sigPositionChanged.connect(self._on_drag)
        return line

    def _on_drag(self, line) -> None:
        if getattr(self, "_setting", False):
            return
        self.state.session.set_time(float(np.clip(line.value() / self.period, 0, 0.999999)))

    def set_time(self, fraction: float) -> None:
        self._setting = True
        try:
            for c in self.cursors:
                c.setValue(fraction * self.period)
        finally:
            self._setting = False

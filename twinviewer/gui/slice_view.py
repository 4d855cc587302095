"""Three orthogonal slices of the twin's image with the meshes' contours on them.

Each pane shows one index plane of the image (keys axial: slice ``k``, coronal: row ``j``,
sagittal: column ``i``) at its physical aspect ratio, titled by the plane's true orientation
(e.g. "Short axis" for a cine stack, see :func:`twinviewer.imaging.planes.pane_titles`).
The structure meshes of the phase on show are cut by the pane's plane (VTK cutter) and drawn
as contours. A click sets the linked cursor in all three panes; the mouse wheel scrolls
slices (Ctrl+wheel zooms). The image phase follows the model's time in the cycle (see
:func:`twinviewer.gui.cycle.image_phase_at`).
An editor (the Segment step's) can take over clicks and left-drags and draw an RGBA overlay
on the panes with :meth:`SliceView.set_edit_hooks`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from twinviewer.gui import cycle
from twinviewer.gui.elided import ElidedComboBox, ElidedLabel
from twinviewer.gui.flow_layout import FlowLayout, labelled
from twinviewer.gui.no_range import NoRangeUpdate
from twinviewer.gui.plane_cut import plane_segments
from twinviewer.gui.state import TwinState

# name -> (window, level) in HU; None = robust auto range (1st–99th percentile)
WINDOW_PRESETS: dict[str, tuple[float, float] | None] = {
    "CT cardiac (W 800 / L 200)": (800.0, 200.0),
    "CT soft tissue (W 400 / L 40)": (400.0, 40.0),
    "CT lung (W 1500 / L -600)": (1500.0, -600.0),
    "CT bone (W 1800 / L 400)": (1800.0, 400.0),
    "MR / auto (1–99 %)": None,
}
# pane -> (fixed index axis, horizontal axis, vertical axis, invert vertical); axes index (k, j, i)
PANES = {"axial": (0, 2, 1, True), "coronal": (1, 2, 0, False), "sagittal": (2, 1, 0, False)}


_LETTERS = (("L", "R"), ("P", "A"), ("S", "I"))  # +x, +y, +z of DICOM patient space (LPS)


def direction_letter(vector) -> str:
    """The patient direction a vector in LPS points to, by its largest component.

    Examples
    --------
    >>> direction_letter((0.1, -0.9, 0.2)), direction_letter((0, 0, 1))
    ('A', 'S')
    """
    v = np.asarray(vector, dtype=float)
    k = int(np.argmax(np.abs(v)))
    return _LETTERS[k][0] if v[k] >= 0 else _LETTERS[k][1]


def pane_letters(affine: np.ndarray, h: int, v: int, invert_y: bool) -> dict[str, str]:
    """Letters at the left, right, top and bottom edges of a pane showing index axes ``h``
    (to the right) and ``v`` (up, or down when ``invert_y``)."""
    a = np.asarray(affine, dtype=float)[:3, :3]
    right, down = direction_letter(a[:, h]), direction_letter(a[:, v] * (1 if invert_y else -1))
    opp = {x: y for pair in _LETTERS for x, y in (pair, pair[::-1])}
    return {"right": right, "left": opp[right], "bottom": down, "top": opp[down]}


def auto_levels(a: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(a[:: max(1, a.size // 200_000)], [1, 99])
    return float(lo), float(hi if hi > lo else lo + 1)


def contour_segments(mesh_poly, origin: np.ndarray, normal: np.ndarray
                     ) -> np.ndarray:
    """``(m, 2, 3)`` line segments where ``mesh_poly`` (a ``pyvista.PolyData``) crosses the
    plane (patient mm): VTK's cutter, the reference the views' own cut
    (:func:`~twinviewer.gui.plane_cut.plane_segments`) is tested against."""
    cut = mesh_poly.slice(normal=normal, origin=origin, generate_triangles=False)
    if cut.n_points == 0 or cut.n_lines == 0:
        return np.empty((0, 2, 3))
    pts = np.asarray(cut.points)
    lines = np.asarray(cut.lines)
    segs, n = [], 0
    while n < len(lines):
        k = int(lines[n])
        ids = lines[n + 1:n + 1 + k]
        segs.append(np.stack([ids[:-1], ids[1:]], axis=1))
        n += k + 1
    idx = np.concatenate(segs)
    return pts[idx]


class _SliceBox(pg.ViewBox):
    """A ViewBox where the wheel scrolls slices; Ctrl+wheel zooms.

    With :attr:`drag_hook` set, a left-button drag paints instead of panning: the hook gets
    each view-coordinate point and whether the drag ended.
    """

    scrolled = Signal(int)
    drag_hook = None  # Callable[[QPointF, bool], None] | None

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 - Qt naming
        if self.drag_hook is not None and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.drag_hook(self.mapToView(ev.pos()), ev.isFinish())
        else:
            super().mouseDragEvent(ev, axis)

    def wheelEvent(self, ev, axis=None):  # noqa: N802 - Qt naming
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
        else:
            self.scrolled.emit(1 if ev.delta() > 0 else -1)
            ev.accept()


class _Contours(NoRangeUpdate, pg.GraphicsObject):
    """Every structure's outline on a slice pane, in one item: each is a set of line
    segments painted with one ``drawLines``. A cine frame swaps in the phase's segments, kept
    as Qt line arrays per cut; a pyqtgraph curve per structure rebuilt its segments and
    re-measured its bounds every frame (a sixth of a frame's GUI work). The image sets the
    view's range (the item is added with ``ignoreBounds``).
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: list[tuple[QPen, object]] = []
        self._rect = QRectF()
        self._lines: dict[int, tuple[np.ndarray, object]] = {}
        self._pens: dict[tuple, QPen] = {}
        self._sets: dict[tuple, tuple[list, QRectF, list]] = {}

    def _line_array(self, segs: np.ndarray):
        hit = self._lines.get(id(segs))
        if hit is not None and hit[0] is segs:
            return hit[1]
        from pyqtgraph.Qt.internals import PrimitiveArray

        arr = PrimitiveArray(QLineF, 4)
        arr.resize(len(segs))
        arr.ndarray()[:] = segs.reshape(-1, 4)
        if len(self._lines) > 4000:  # cuts of another anatomy or slice: dropped
            self._lines.clear()
        self._lines[id(segs)] = (segs, arr)  # the segments kept alive: their id stays theirs
        return arr

    def set_contours(self, contours: dict[str, tuple[np.ndarray, tuple]]) -> None:
        """``{key: ((m, 2, 2) segments, rgb)}`` (rgb 0–1), replacing what is shown.

        The pens, line arrays and bounds of a set of cuts are kept by the cuts' identity: a
        cine frame shows a phase's kept cuts again (measuring their bounds every frame was
        about 1 ms of a frame's GUI work)."""
        cuts = [(np.ascontiguousarray(segs, dtype=float), tuple(rgb))
                for segs, rgb in contours.values()]
        key = tuple((id(segs), rgb) for segs, rgb in cuts)
        hit = self._sets.get(key)
        if hit is None or any(a is not b for a, (b, _rgb) in zip(hit[2], cuts, strict=True)):
            hit = self._measure(cuts)
            if len(self._sets) > 1000:  # cuts of another anatomy or slice: dropped
                self._sets.clear()
            self._sets[key] = hit
        shown, rect, _kept = hit
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self._shown = shown
        self.update()

    def _measure(self, cuts: list[tuple[np.ndarray, tuple]]) -> tuple[list, QRectF, list]:
        """Pens and line arrays of ``cuts``, their bounds, and the cuts (kept alive: their
        ids stay theirs while they key the cache)."""
        shown = []
        for segs, rgb in cuts:
            rgb = tuple(int(255 * x) for x in rgb)
            pen = self._pens.get(rgb) or self._pens.setdefault(rgb, pg.mkPen(rgb, width=2))
            shown.append((pen, self._line_array(segs)))
        pts = [segs.reshape(-1, 2) for segs, _rgb in cuts]
        rect = QRectF()
        if pts:
            a = np.concatenate(pts)
            lo, hi = a.min(axis=0), a.max(axis=0)
            rect = QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]).adjusted(-1, -1, 1, 1)
        return shown, rect, [segs for segs, _rgb in cuts]

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt naming
        return self._rect

    def paint(self, painter, *_args) -> None:
        for pen, lines in self._shown:
            painter.setPen(pen)
            painter.drawLines(*lines.drawargs())


class SlicePane(QWidget):
    """One orthogonal slice with contours and a crosshair."""

    clicked = Signal(object)  # (k, j, i) float index
    dragged = Signal(object, bool)  # (k, j, i) float index, drag finished (edit tools only)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.axis, self.h, self.v, invert = PANES[name]
        self.glw = pg.GraphicsLayoutWidget()
        # images on black (as the long-axis view): pyqtgraph's default background is white
        # once plots.py is imported, which a loading worker may do before this is built
        self.glw.setBackground("k")
        self.glw.setMinimumSize(100, 100)
        self.box = _SliceBox(lockAspect=True, invertY=invert, enableMenu=False)
        self.glw.addItem(self.box)
        self.image = pg.ImageItem()
        self.box.addItem(self.image)
        self.overlay = pg.ImageItem()  # label map being edited (RGBA), above the image
        self.overlay.setZValue(5)
        self.box.addItem(self.overlay)
        self.vline = pg.InfiniteLine(angle=90, pen=pg.mkPen((255, 255, 0, 150), width=1))
        self.hline = pg.InfiniteLine(angle=0, pen=pg.mkPen((255, 255, 0, 150), width=1))
        self.box.addItem(self.vline)
        self.box.addItem(self.hline)
        self.curves: dict[str, np.ndarray] = {}  # the segments on show, by structure
        self.contours = _Contours()
        self.box.addItem(self.contours, ignoreBounds=True)  # the image sets the range
        self.invert_y = invert
        # orientation letters at the pane's edges (screen-fixed, not panned with the image)
        self.letters: dict[str, pg.TextItem] = {}
        for edge, anchor in (("left", (0, 0.5)), ("right", (1, 0.5)), ("top", (0.5, 0)),
                             ("bottom", (0.5, 1))):
            t = pg.TextItem("", color=(255, 220, 0), anchor=anchor)
            t.setParentItem(self.box)
            self.letters[edge] = t
        self.box.sigResized.connect(lambda *_: self._place_letters())
        self.label = QLabel(name.capitalize())
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(40)
        self.slider.setObjectName(f"slider_{name}")
        top = QHBoxLayout()
        top.addWidget(self.label)
        top.addWidget(self.slider, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.glw, 1)
        self.box.scrolled.connect(lambda d: self.slider.setValue(self.slider.value() + d))
        self.glw.scene().sigMouseClicked.connect(self._on_click)
        self.spacing = np.ones(3)

    def _on_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        self.clicked.emit(self.view_to_index(self.box.mapSceneToView(ev.scenePos())))

    def set_drag_tool(self, on: bool) -> None:
        """Left-drag emits :attr:`dragged` (painting) instead of panning when ``on``."""
        self.box.drag_hook = (lambda p, end: self.dragged.emit(self.view_to_index(p), end)) \
            if on else None

    def set_overlay(self, rgba: np.ndarray | None) -> None:
        """``(h, v, 4)`` uint8 overlay on the pixel grid of the image on show, or none."""
        if rgba is None:
            if self.overlay.image is not None:  # clearing re-ranges the view: only once
                self.overlay.clear()
            return
        sh, sv = self.spacing[self.h], self.spacing[self.v]
        self.overlay.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.overlay.setRect(QRectF(-0.5 * sh, -0.5 * sv, rgba.shape[0] * sh,
                                    rgba.shape[1] * sv))

    def view_to_index(self, p) -> np.ndarray:
        """Float index ``(k, j, i)`` of a view-coordinate point on the slice on show."""
        kji = np.full(3, np.nan)
        kji[self.h] = p.x() / self.spacing[self.h]
        kji[self.v] = p.y() / self.spacing[self.v]
        kji[self.axis] = self.slider.value()
        return kji

    def set_image(self, plane: np.ndarray, spacing, levels) -> None:
        """``plane`` as ``(h, v)`` array; ``spacing`` (k, j, i) mm."""
        self.spacing = np.asarray(spacing, float)
        sh, sv = self.spacing[self.h], self.spacing[self.v]
        self.image.setImage(plane, levels=levels, autoLevels=False)
        rect = (-0.5 * sh, -0.5 * sv, plane.shape[0] * sh, plane.shape[1] * sv)
        if rect != getattr(self, "_rect", None):  # a new rect re-ranges the view: only if moved
            self._rect = rect
            self.image.setRect(QRectF(*rect))

    def set_orientation(self, affine: np.ndarray | None) -> None:
        """Show the patient direction (L/R, A/P, S/I) at each edge, from the image's affine."""
        key = None if affine is None else np.asarray(affine, float).tobytes()
        if key is not None and key == getattr(self, "_affine_key", None):
            return  # the same image orientation (every cine frame): letters in place
        self._affine_key = key
        letters = pane_letters(affine, self.h, self.v, self.invert_y) if affine is not None \
            else dict.fromkeys(self.letters, "")
        for edge, t in self.letters.items():
            t.setText(letters[edge])
        self._place_letters()

    def _place_letters(self) -> None:
        r = self.box.rect()
        pos = {"left": (r.left() + 2, r.center().y()), "right": (r.right() - 2, r.center().y()),
               "top": (r.center().x(), r.top() + 1), "bottom": (r.center().x(), r.bottom() - 1)}
        for edge, t in self.letters.items():
            t.setPos(*pos[edge])

    def set_cursor(self, kji: np.ndarray) -> None:
        self.vline.setPos(kji[self.h] * self.spacing[self.h])
        self.hline.setPos(kji[self.v] * self.spacing[self.v])

    def set_contours(self, contours: dict[str, tuple[np.ndarray, tuple]]) -> None:
        """``{key: ((m, 2, 2) display-coordinate segments, rgb)}``."""
        self.curves = {key: segs for key, (segs, _rgb) in contours.items()}
        self.contours.set_contours(contours)


def cine_order(phases: list[int], current: int) -> list[int]:
    """Indices of ``phases`` in the order a playing cine reaches them from ``current`` (the
    next phase first, ``current`` last; ties keep their order).

    >>> cine_order([0, 1, 2, 3, 0, 1, 2, 3], 2)
    [3, 7, 0, 4, 1, 5, 2, 6]
    """
    n = max(phases, default=0) + 1
    return sorted(range(len(phases)), key=lambda i: (phases[i] - current - 1) % n)


#: The slices' cursor position, in patient coordinates (DICOM LPS).
CURSOR_TEXT = "cursor ({:.0f}, {:.0f}, {:.0f}) mm LPS"


class SliceView(QWidget):
    """Axial, coronal and sagittal slices of ``twin.anatomy.image`` with mesh contours."""

    title = "Slices"
    #: The first fill of the contour cache (every phase at the slices on show) waits this
    #: long (ms), so that it does not compete with the window's first frame.
    first_prefill_delay_ms = 1000

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.anatomy = None
        self.results = None
        self.phase = 0
        self.cursor = np.zeros(3)
        self._cut_cache: dict[tuple, np.ndarray] = {}
        self._prefill_key: tuple | None = None
        self._prefill_gen = 0
        self._pool = None  # one worker thread that cuts the other phases ahead of the cine
        self._pending_prefill = None  # the first prefill, until it starts
        self._prefill_done = None  # the last prefill submitted (a Future)
        self.levels = (0.0, 1.0)
        # edit hooks (segmentation editor): tool(kji, "click" | "drag" | "end", pane) replaces the
        # cursor click; overlay(pane, slice index) -> (h, v, 4) uint8 RGBA or None
        self.tool = None
        self.overlay = None
        self.panes = {n: SlicePane(n) for n in PANES}
        # elided: "CT cardiac (W 800 / L 200)" left no room for the cursor at 1280×720
        self.preset = ElidedComboBox(chars=9)
        self.preset.setObjectName("window_preset")
        self.preset.addItems(list(WINDOW_PRESETS))
        self.preset.currentTextChanged.connect(self.set_window_preset)
        self.phase_box = QComboBox()
        self.phase_box.setMinimumContentsLength(12)
        self.phase_box.setToolTip("Image phase (moves the model time to it)")
        self.phase_box.activated.connect(self._on_phase_chosen)
        # the cursor: whole; the bar wraps it onto its own line in a narrow column (1280×720:
        # "cursor (12,…" was all one saw), elided only if even a line of its own is too narrow
        self.info = ElidedLabel("")
        self.info.setMinimumWidth(  # its widest text: the bar does not re-wrap as it moves
            self.info.fontMetrics().horizontalAdvance(CURSOR_TEXT.format(-888, -888, -888)) + 4)
        bar = FlowLayout()
        bar.addWidget(labelled("Window", self.preset))
        bar.addWidget(labelled("Phase", self.phase_box))
        bar.addWidget(self.info)
        panes = QHBoxLayout()
        for p in self.panes.values():
            panes.addWidget(p, 1)
            p.slider.valueChanged.connect(lambda v, p=p: self._on_slider(p, v))
            p.clicked.connect(lambda kji, p=p: self._on_pane_click(p, kji))
            p.dragged.connect(lambda kji, end, p=p: self.tool(kji, "end" if end else "drag", p)
                              if self.tool is not None else None)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addLayout(panes, 1)
        state.twinChanged.connect(lambda t: self.set_anatomy(getattr(t, "anatomy", None)))
        state.resultsChanged.connect(self._on_results)
        state.timeChanged.connect(self.set_time)
        if state.twin is not None:
            self.set_anatomy(state.twin.anatomy)

    @property
    def image(self):
        return getattr(self.anatomy, "image", None)

    def set_anatomy(self, anatomy) -> None:
        if anatomy is self.anatomy:
            return
        self.anatomy = anatomy
        self._prefill_gen += 1
        self._cut_cache = {}  # a new dict: a worker still cutting the old anatomy cannot mix in
        self._prefill_key = None
        img = self.image
        if img is None:
            for p in self.panes.values():
                p.image.clear()
                p.set_contours({})
                p.slider.setEnabled(False)
            self.info.setText("no image (mesh-only anatomy)" if anatomy is not None else "")
            return
        self.phase_box.blockSignals(True)
        self.phase_box.clear()
        for ph in range(img.n_phases):
            name = ("ED" if ph == img.ed_index else "ES" if ph == img.es_index else "") \
                if img.n_phases > 1 else ""
            t = img.phase_times_ms[ph]
            self.phase_box.addItem(f"{ph}{' ' + name if name else ''}"
                                   f"{f' ({t:.0f} ms)' if np.isfinite(t) else ''}", ph)
        self.phase_box.blockSignals(False)
        self.cursor = (np.array(img.shape, float) - 1) / 2
        lv = anatomy.structures.get("lv_blood")
        if lv is not None and lv.meshes:  # centre the cursor on the LV
            c = next(iter(lv.meshes.values())).points.mean(axis=0)
            self.cursor = np.clip(img.patient_to_index(c)[0], 0, np.array(img.shape) - 1)
        for p in self.panes.values():
            p.slider.blockSignals(True)
            p.slider.setEnabled(True)
            p.slider.setRange(0, img.shape[p.axis] - 1)
            p.slider.setValue(int(round(self.cursor[p.axis])))
            p.slider.blockSignals(False)
        # the new image's phase first: choosing a window preset reads the current phase. With
        # the session's results: a twin that arrives with its results has both set before
        # either signal, so the phase drawn now is the one shown after both (start8: the
        # demo's slices were cut at end-diastole, then again at t = 0)
        self.results = self.state.results
        self.phase = cycle.image_phase_at(anatomy, self.results, self.state.time)
        if img.modality.upper() == "CT":
            self.preset.setCurrentIndex(0)
        else:
            self.preset.setCurrentText("MR / auto (1–99 %)")
        self.set_window_preset(self.preset.currentText())
        self.refresh()

    def _on_results(self, results) -> None:
        self.results = results
        self.set_time(self.state.time)

    def set_window_preset(self, name: str) -> None:
        wl = WINDOW_PRESETS[name]
        img = self.image
        if img is None:
            return
        if wl is None:
            self.levels = auto_levels(img.array[min(self.phase, img.n_phases - 1)])
        else:
            w, level = wl
            self.levels = (level - w / 2, level + w / 2)
        for p in self.panes.values():
            p.image.setLevels(self.levels)

    def set_time(self, fraction: float) -> None:
        if self.image is None:
            return
        phase = cycle.image_phase_at(self.anatomy, self.results, fraction)
        if phase != self.phase:
            self.phase = phase
            self.refresh()

    def _on_phase_chosen(self, index: int) -> None:
        ph = self.phase_box.itemData(index)
        self.phase = ph
        self.state.session.set_time(cycle.time_of_phase(self.anatomy, self.results, ph))
        self.refresh()

    def _on_slider(self, pane: SlicePane, value: int) -> None:
        self.cursor[pane.axis] = value
        self.refresh(only=pane.name)
        for p in self.panes.values():
            p.set_cursor(self.cursor)

    def set_edit_hooks(self, tool=None, overlay=None) -> None:
        """Route clicks and left-drags to ``tool(kji, event, pane)`` and draw ``overlay(pane, c)``
        on the panes (``None``, ``None`` restores cursor clicks, panning, no overlay)."""
        self.tool, self.overlay = tool, overlay
        for p in self.panes.values():
            p.set_drag_tool(tool is not None)
        self.refresh()

    def _on_pane_click(self, pane: SlicePane, kji: np.ndarray) -> None:
        if self.tool is not None:
            self.tool(kji, "click", pane)
        else:
            self.set_cursor(kji)

    def set_cursor(self, kji: np.ndarray) -> None:
        """Move the linked cursor to index ``(k, j, i)`` (NaN entries keep their value)."""
        img = self.image
        if img is None:
            return
        kji = np.where(np.isfinite(kji), kji, self.cursor)
        self.cursor = np.clip(kji, 0, np.array(img.shape) - 1)
        for p in self.panes.values():
            p.slider.blockSignals(True)
            p.slider.setValue(int(round(self.cursor[p.axis])))
            p.slider.blockSignals(False)
        self.refresh()

    def step_slice(self, pane: str, delta: int) -> None:
        s = self.panes[pane].slider
        s.setValue(s.value() + delta)

    def refresh(self, only: str | None = None) -> None:
        img = self.image
        if img is None:
            return
        if self.phase_box.currentData() != self.phase:
            self.phase_box.setCurrentIndex(max(0, self.phase_box.findData(self.phase)))
        vol = img.array[min(self.phase, img.n_phases - 1)]
        for name, p in self.panes.items():
            if only is not None and name != only:
                p.set_cursor(self.cursor)
                continue
            c = int(round(self.cursor[p.axis]))
            plane = np.take(vol, c, axis=p.axis)
            rest = [a for a in (0, 1, 2) if a != p.axis]
            plane = np.transpose(plane, (rest.index(p.h), rest.index(p.v)))
            p.set_image(plane, img.spacing, self.levels)
            p.set_orientation(img.affine)
            p.set_contours(self._contours(p, c))
            p.set_overlay(self.overlay(p, c) if self.overlay is not None else None)
            p.set_cursor(self.cursor)
            title = self._pane_titles(img)[p.axis]  # not the pane's key
            p.label.setText(f"{title[0].upper()}{title[1:]} {c + 1}/{vol.shape[p.axis]}")
        pos = img.index_to_patient(self.cursor)[0]
        self.info.setText(CURSOR_TEXT.format(*pos[:3]))

    def _pane_titles(self, img) -> tuple[str, str, str]:
        """:func:`~twinviewer.imaging.planes.pane_titles` of ``img`` (kept per image: a cine
        frame asks three times)."""
        if getattr(self, "_titles", (None,))[0] is not img:
            from twinviewer.imaging.planes import pane_titles  # no pydicom

            self._titles = (img, pane_titles(img.affine, img.description))
        return self._titles[1]

    def _cut(self, key: str, ph: int, pane: SlicePane, c: int, anatomy=None,
             cache: dict | None = None) -> np.ndarray:
        """Contour of one structure's phase-``ph`` mesh on slice ``c`` of ``pane``, as
        ``(m, 2, 2)`` display segments (mm in the pane). Cached; a worker thread passes the
        ``anatomy`` and ``cache`` it was started with."""
        anatomy = self.anatomy if anatomy is None else anatomy
        cache = self._cut_cache if cache is None else cache
        ck = (key, ph, pane.name, c)
        hit = cache.get(ck)
        if hit is not None:
            return hit
        img = anatomy.image
        a = img.affine[:3, :3]
        rest = [x for x in (0, 1, 2) if x != pane.axis]
        normal = np.cross(a[:, rest[0]], a[:, rest[1]])
        kji = np.zeros(3)
        kji[pane.axis] = c
        origin = img.index_to_patient(kji)[0]
        mesh = anatomy.structures[key].meshes[ph]
        segs = plane_segments(mesh.points, mesh.faces, origin, normal)
        idx = img.patient_to_index(segs.reshape(-1, 3)) if len(segs) else np.empty((0, 3))
        disp = np.stack([idx[:, pane.h] * img.spacing[pane.h],
                         idx[:, pane.v] * img.spacing[pane.v]], axis=1).reshape(-1, 2, 2)
        cache[ck] = disp
        return disp

    def _contours(self, pane: SlicePane, c: int) -> dict:
        out = {}
        for key, s in self.anatomy.structures.items():
            ph = self.phase if self.phase in s.meshes else (min(s.meshes) if s.meshes else None)
            if ph is None:
                continue
            segs = self._cut(key, ph, pane, c)
            if len(segs):
                out[key] = (segs, s.color)
        self._prefill()
        return out

    def _prefill(self) -> None:
        """Cut every phase at the slices on show in a worker thread, so that playing the
        cine finds each phase's contours ready (25 phases × structures × panes)."""
        if self.anatomy is None or self.image is None:
            return
        want = tuple((p.name, int(round(self.cursor[p.axis]))) for p in self.panes.values())
        key = (id(self.anatomy), want)
        if key == self._prefill_key:
            return
        self._prefill_key = key
        self._prefill_gen += 1
        gen, anatomy, cache = self._prefill_gen, self.anatomy, self._cut_cache
        jobs = [(k, ph, self.panes[name], c) for name, c in want
                for k, s in anatomy.structures.items() for ph in s.meshes]
        # the phases the cine shows next first: a Play pressed as the first fill starts
        # found every pane but the first uncut, and the GUI thread cut them itself (25–50 ms
        # a frame for the first beat, stall12)
        order = cine_order([ph for _k, ph, _p, _c in jobs], self.phase)
        jobs = [jobs[i] for i in order]

        def run() -> None:
            for k, ph, pane, c in jobs:
                if gen != self._prefill_gen or anatomy is not self.anatomy:
                    return  # the slice or the anatomy changed: stale work is dropped
                try:
                    self._cut(k, ph, pane, c, anatomy, cache)
                except Exception:  # noqa: BLE001 - the GUI thread cuts (and reports) itself
                    return

        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slice-cuts")
            # the first fill starts after the window's first frame, which it would otherwise
            # slow (~0.16 s of CPU and the interpreter while the heart is first drawn), or
            # when the cine starts playing (prefill_now); the cuts on show are made on this
            # thread anyway (start8)
            self._pending_prefill = run
            QTimer.singleShot(self.first_prefill_delay_ms, self, self.prefill_now)
            return
        self._pending_prefill = None  # superseded (it would stop at once: a new generation)
        self._prefill_done = self._pool.submit(run)

    def prefill_now(self) -> None:
        """Start the first contour prefill now if it is still waiting (see
        :attr:`first_prefill_delay_ms`): the cine is about to play."""
        run, self._pending_prefill = self._pending_prefill, None
        if run is not None:
            self._prefill_done = self._pool.submit(run)

    def prefill_pending(self) -> bool:
        """Whether a contour prefill waits to start or runs (work in a worker thread that
        shares the interpreter with the window's).

        Examples
        --------
        >>> SliceView(state).prefill_pending()  # doctest: +SKIP
        False
        """
        done = self._prefill_done
        return self._pending_prefill is not None or (done is not None and not done.done())

    def grab_png(self, path: str) -> bool:
        return self.grab().save(path)

"""Long-axis cine planes (2CH, 3CH, 4CH, RVOT …) as their own 2D views, in step with the cine.

Each :class:`~twinviewer.core.anatomy.ImagePlane` of the open anatomy gets a pane: its image at
the phase nearest in time to the model's beat (the same choice as the planes in the 3D view,
:func:`twinviewer.gui.planes3d.plane_phase_at`), windowed once for the whole series so the
brightness does not pump, with the anatomy's meshes cut by the plane drawn on it (the phase of
the meshes is the stack's phase on show, so image and contours move together). Frames are made
8-bit once per anatomy; a time step only swaps the image of a pane whose phase changed.
"""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from twinviewer.gui import cycle
from twinviewer.gui.plane_cut import plane_segments
from twinviewer.gui.state import TwinState


def plane_frames(plane) -> np.ndarray:
    """``(phases, rows, cols)`` uint8 frames of a plane, windowed at its 1st–99th percentile
    over all phases.

    Examples
    --------
    >>> from twinviewer.core.anatomy import ImagePlane, ImageVolume
    >>> a = np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 1, 4, 5)
    >>> f = plane_frames(ImagePlane("4CH", ImageVolume(a, np.eye(4), (1, 1, 1))))
    >>> f.shape, f.dtype.name, int(f[0, 0, 0]), int(f[1, -1, -1])
    ((2, 4, 5), 'uint8', 0, 255)
    """
    arr = np.asarray(plane.image.array[:, 0], dtype=np.float32)
    lo, hi = np.percentile(arr, [1.0, 99.0])
    scale = 255.0 / max(float(hi - lo), 1e-6)
    return np.clip((arr - lo) * scale, 0, 255).astype(np.uint8)


def plane_contour(plane, mesh) -> np.ndarray:
    """``(m, 2, 2)`` segments where ``mesh`` crosses ``plane``, in the pane's mm
    (x = column × column spacing, y = row × row spacing)."""
    img = plane.image
    a = img.affine[:3, :3]
    normal = np.cross(a[:, 1], a[:, 2])  # row and column directions span the plane
    origin = img.index_to_patient(np.zeros(3))[0]
    segs = plane_segments(mesh.points, mesh.faces, origin, normal)
    if not len(segs):
        return np.empty((0, 2, 2))
    kji = img.patient_to_index(segs.reshape(-1, 3))
    xy = np.stack([kji[:, 2] * img.spacing[2], kji[:, 1] * img.spacing[1]], axis=1)
    return xy.reshape(-1, 2, 2)


_WORDS = {"cor": "coronal", "sag": "sagittal", "tra": "axial", "ax": "axial",
          "obl": "oblique", "lax": "long axis"}


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", (text or "").lower()) if t]


def pane_names(planes) -> list[str]:
    """Distinct pane names for planes that share a view name.

    First what their series descriptions do not share (``cine_rvot`` and ``cine_rvot_cor``:
    ``'RVOT'`` and ``'RVOT (coronal)'``), then the patient plane nearest to each
    (``'RVOT (sagittal)'``), then a number.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> def p(view, rows, cols, desc=""):  # the plane's row and column directions (LPS)
    ...     a = np.eye(4)
    ...     a[:3, 1], a[:3, 2] = rows, cols
    ...     return NS(view=view, image=NS(affine=a, description=desc))
    >>> x, y, z = np.eye(3)
    >>> pane_names([p("4CH", x, y, "cine_4ch"), p("RVOT", y, z, "cine_rvot"),
    ...             p("RVOT", x, z, "cine_rvot_cor")])
    ['4CH', 'RVOT', 'RVOT (coronal)']
    >>> pane_names([p("RVOT", y, z), p("RVOT", x, z), p("RVOT", z, x)])
    ['RVOT (sagittal)', 'RVOT (coronal) #1', 'RVOT (coronal) #2']
    """
    names = [p.view or "plane" for p in planes]
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        groups.setdefault(name, []).append(i)
    for group in groups.values():
        if len(group) < 2:
            continue
        tokens = [_tokens(getattr(planes[i].image, "description", "")) for i in group]
        shared = set.intersection(*(set(t) for t in tokens))
        extra = {i: " ".join(_WORDS.get(t, t) for t in tok if t not in shared)
                 for i, tok in zip(group, tokens, strict=True)}
        trial = {i: f"{names[i]} ({extra[i]})" if extra[i] else names[i] for i in group}
        if len(set(trial.values())) == len(group):
            for i, t in trial.items():
                names[i] = t
            continue
        for i in group:  # no telling description: the nearest patient plane
            a = np.asarray(planes[i].image.affine, dtype=float)[:3, :3]
            normal = np.cross(a[:, 1], a[:, 2])  # rows and columns span the plane
            axis = int(np.argmax(np.abs(normal)))  # LPS x, y, z
            names[i] = f"{names[i]} ({('sagittal', 'coronal', 'axial')[axis]})"
    seen: dict[str, int] = {}
    counts = {name: names.count(name) for name in names}
    for i, name in enumerate(names):
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            names[i] = f"{name} #{seen[name]}"
    return names


def grid_columns(n: int, width: float, height: float, label_h: float = 0.0) -> int:
    """Columns for ``n`` panes in a ``width``×``height`` area: the largest square pane.

    Examples
    --------
    >>> grid_columns(5, 470, 210), grid_columns(5, 1200, 200), grid_columns(1, 300, 300)
    (3, 5, 1)
    """
    if n <= 1:
        return 1

    def side(cols: int) -> float:
        rows = -(-n // cols)
        return min(width / cols, height / rows - label_h)

    return max(range(1, n + 1), key=lambda c: (side(c), -c))


#: The smallest side of a pane (px) worth reading: below it the view shows one plane at a
#: time, chosen in a box (review9 #12: five 70-px panes at 1280×720).
MIN_PANE = 150


class _PlanePane:
    """One plane: a ViewBox with the image and one curve per structure."""

    def __init__(self, glw: pg.GraphicsLayoutWidget, plane, col: int, name: str = "") -> None:
        self.plane = plane
        self.name = name or plane.view
        self.frames = plane_frames(plane)
        self.phase = -1
        self.box = glw.addViewBox(row=0, col=col, lockAspect=True, invertY=True,
                                  enableMenu=False)
        # the name sits on the image (top left, fixed pixel size): a label row above each
        # pane took height, and its width forced five panes wider than the column
        self.label = pg.TextItem(self.name, color="w", anchor=(0, 0), fill=(0, 0, 0, 160))
        self.label.setParentItem(self.box)
        self.label.setZValue(5)
        self.box.setMinimumSize(40, 40)
        self.image = pg.ImageItem()
        self.box.addItem(self.image)
        img = plane.image
        _, rows, cols = img.shape
        # pixel centres at (i, j) × spacing: the rectangle spans the pixel edges
        self.rect = QRectF(-0.5 * img.spacing[2], -0.5 * img.spacing[1],
                           cols * img.spacing[2], rows * img.spacing[1])
        self.curves: dict[str, pg.PlotCurveItem] = {}
        self.contour_key = None

    def show_phase(self, p: int) -> bool:
        if p == self.phase:
            return False
        self.phase = p
        # ImageItem's default axis order: first index = x, so columns go first
        self.image.setImage(self.frames[p].T, levels=(0, 255), autoLevels=False)
        self.image.setRect(self.rect)
        img = self.plane.image
        t = img.phase_times_ms[p] if p < len(img.phase_times_ms) else float("nan")
        when = f" {t:.0f} ms" if np.isfinite(t) else ""
        # short: four panes share a ~470-px column on a 1280-px screen
        # phases counted from 0, as in the phase box and --json
        self.label.setText(f"{self.name} phase {p}{when}")
        return True

    def set_contours(self, contours: dict[str, tuple[np.ndarray, tuple]]) -> None:
        for key in list(self.curves):
            if key not in contours:
                self.box.removeItem(self.curves.pop(key))
        for key, (segs, colour) in contours.items():
            curve = self.curves.get(key)
            if curve is None:
                rgb = tuple(int(255 * c) for c in colour[:3])
                curve = pg.PlotCurveItem(pen=pg.mkPen(rgb, width=1.5))
                curve.setZValue(2)
                self.box.addItem(curve)
                self.curves[key] = curve
            xy = segs.reshape(-1, 2)
            curve.setData(xy[:, 0], xy[:, 1], connect="pairs")


class LongAxisView(QWidget):
    """The anatomy's long-axis planes side by side, each at the cine's current phase."""

    title = "Long-axis planes"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.anatomy = None
        self.results = None
        self.panes: list[_PlanePane] = []
        self._cols = 0
        self._cuts: dict[tuple[int, str, int], np.ndarray] = {}
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground("k")
        self.glw.ci.setContentsMargins(2, 2, 2, 2)  # the panes get the pixels (1280×720)
        self.glw.ci.setSpacing(3)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        # one plane at a time when the grid's panes would be smaller than MIN_PANE
        self.chooser = QComboBox()
        self.chooser.setToolTip("The long-axis plane shown (the area is too small for all "
                                "of them side by side; a larger area shows them all)")
        self.chooser.currentIndexChanged.connect(lambda _i: self.arrange(force=True))
        self.chooser.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.chooser)
        lay.addWidget(self.glw, 1)
        lay.addWidget(self.info)
        state.twinChanged.connect(lambda t: self.set_anatomy(getattr(t, "anatomy", None)))
        state.resultsChanged.connect(self._on_results)
        state.timeChanged.connect(self.set_time)
        if state.twin is not None:
            self.set_anatomy(state.twin.anatomy)

    def _on_results(self, results) -> None:
        self.results = results
        self.set_time(self.state.time)

    def set_anatomy(self, anatomy) -> None:
        """Build one pane per plane of ``anatomy`` (none: an explanatory line)."""
        if anatomy is self.anatomy:
            return
        self.anatomy = anatomy
        self.glw.clear()
        self.panes, self._cuts = [], {}
        planes = list(getattr(anatomy, "planes", None) or [])
        self._cols = 0
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for n, (plane, name) in enumerate(zip(planes, pane_names(planes), strict=True)):
            try:
                self.panes.append(_PlanePane(self.glw, plane, n, name))
            except (ValueError, IndexError) as exc:  # a malformed plane is skipped, said
                self.state.warn(f"long-axis plane {plane.view}: not shown ({exc})")
        self.chooser.addItems([p.name for p in self.panes])
        self.chooser.blockSignals(False)
        self.info.setText("" if self.panes else
                          "This study has no long-axis planes (2CH, 3CH, 4CH, RVOT).")
        self.info.setVisible(not self.panes)  # an empty line took the panes' pixels
        self.arrange()
        self.set_time(self.state.time)

    def shown_panes(self) -> list[_PlanePane]:
        """The panes on screen: all of them, or the chosen one when space is short."""
        if self._cols == -1:
            return [self.panes[max(self.chooser.currentIndex(), 0)]]
        return list(self.panes)

    def arrange(self, force: bool = False) -> None:
        """Lay the panes in the grid that gives each the largest square (5 panes in a
        ~470×230 px area: 3 + 2 rather than five 90-px strips); if that square is below
        :data:`MIN_PANE`, show the chosen plane alone (``_cols`` = -1)."""
        if not self.panes:
            self.chooser.hide()
            return
        w, h = max(self.glw.width(), 1), max(self.glw.height(), 1)
        if self.chooser.isVisible():  # the grid would also get the chooser's height
            h += self.chooser.height() + 1
        cols = grid_columns(len(self.panes), w, h)
        rows = -(-len(self.panes) // cols)
        if len(self.panes) > 1 and min(w / cols, h / rows) < MIN_PANE:
            cols = -1
        if cols == self._cols and not force:
            return
        self._cols = cols
        self.chooser.setVisible(cols == -1)
        layout = self.glw.ci
        for pane in self.panes:
            if pane.box in layout.items:
                layout.removeItem(pane.box)
            pane.box.setVisible(False)
        for n, pane in enumerate(self.shown_panes()):
            row, col = divmod(n, max(cols, 1))
            layout.addItem(pane.box, row=row, col=col)
            pane.box.setVisible(True)
        # the layout shrinks to its panes' minimum when items leave it: back to the view
        layout.setGeometry(QRectF(self.glw.rect()))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self.arrange()

    def mesh_phase(self) -> int | None:
        """The anatomy's image phase at the current time (the meshes' phase on show)."""
        if self.anatomy is None:
            return None
        return cycle.image_phase_at(self.anatomy, self.results, self.state.time)

    def set_time(self, fraction: float) -> None:
        """Show each plane's phase nearest to ``fraction`` of the model's beat."""
        if not self.panes:
            return
        period = cycle.beat_period_s(self.results) * 1000.0 if self.results is not None \
            else None
        from twinviewer.gui.planes3d import plane_phase_at

        mesh_phase = self.mesh_phase()
        for n, pane in enumerate(self.panes):
            pane.show_phase(plane_phase_at(pane.plane, fraction, period))
            if pane.contour_key != mesh_phase:
                pane.contour_key = mesh_phase
                pane.set_contours(self._contours(n, pane.plane, mesh_phase))

    def _contours(self, n: int, plane, phase: int | None) -> dict:
        out = {}
        if self.anatomy is None or phase is None:
            return out
        for key, s in self.anatomy.structures.items():
            ph = phase if phase in s.meshes else (min(s.meshes) if s.meshes else None)
            if ph is None:
                continue
            ck = (n, key, ph)
            if ck not in self._cuts:
                self._cuts[ck] = plane_contour(plane, s.meshes[ph])
            if len(self._cuts[ck]):
                out[key] = (self._cuts[ck], s.color)
        return out

"""Long-axis cine planes (2CH, 3CH, 4CH, RVOT …) as their own 2D views, in step with the cine.

Each :class:`~twinviewer.core.anatomy.ImagePlane` of the open anatomy gets a pane: its image at
the phase nearest in time to the model's beat (the same choice as the planes in the 3D view,
:func:`twinviewer.gui.planes3d.plane_phase_at`), windowed once for the whole series so the
brightness does not pump, with the anatomy's meshes cut by the plane drawn on it (the phase of
the meshes is the stack's phase on show, so image and contours move together). Frames are made
8-bit once per anatomy; a time step only swaps the image of a pane whose phase changed.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

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


class _PlanePane:
    """One plane: a ViewBox with the image and one curve per structure."""

    def __init__(self, glw: pg.GraphicsLayoutWidget, plane, col: int) -> None:
        self.plane = plane
        self.frames = plane_frames(plane)
        self.phase = -1
        self.label = glw.addLabel(plane.view, row=0, col=col, color="w", size="8pt")
        self.label.setMinimumWidth(10)
        self.box = glw.addViewBox(row=1, col=col, lockAspect=True, invertY=True,
                                  enableMenu=False)
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
        self.label.setText(f"{self.plane.view} {p + 1}/{img.n_phases}{when}")
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
        self._cuts: dict[tuple[int, str, int], np.ndarray] = {}
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground("k")
        self.info = QLabel("")
        self.info.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
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
        for n, plane in enumerate(planes):
            try:
                self.panes.append(_PlanePane(self.glw, plane, n))
            except (ValueError, IndexError) as exc:  # a malformed plane is skipped, said
                self.state.warn(f"long-axis plane {plane.view}: not shown ({exc})")
        self.info.setText("" if self.panes else
                          "This study has no long-axis planes (2CH, 3CH, 4CH, RVOT).")
        self.set_time(self.state.time)

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

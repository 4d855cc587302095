"""The 3D view: the heart's structures, the model's predictions on them, a clipping plane.

Overlays (colour by):

* ``none``: each structure in its own colour;
* ``pressure``: each chamber/vessel coloured by its model pressure (mmHg or kPa);
* ``volume``: each chamber by its model volume (mL);
* ``stress``: LV myocardium by Laplace wall stress σ = P·r/(2h) in kPa (see
  :mod:`twinviewer.gui.cycle`);
* ``uncertainty``: per-vertex boundary uncertainty of the segmentation (mm).

Model overlays show the 5th, 50th or 95th percentile across the ensemble (``which``) at the
current time; colour limits are fixed over the cycle so colours stay comparable.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from vtkmodules.vtkCommonDataModel import vtkPlane

from twinviewer.gui import colour_tables, cycle, overlay_menu, view3d_scene
from twinviewer.gui.cardiac_frame import CardiacFrame
from twinviewer.gui.flow_layout import FlowLayout, compact
from twinviewer.gui.motion import (
    PhaseMotion,
    closed_outward,
    frame_of,
    motion_of,
    moving_structures,
    phase_weights,
)
from twinviewer.gui.state import TwinState

OVERLAYS = {
    "none": "Structure colours",
    "pressure": "Pressure",
    "volume": "Chamber volume",
    "stress": "LV wall stress (Laplace)",
    "uncertainty": "Boundary uncertainty",
}
VIEWS = {"reset": ("Reset", "Reset the camera (R)"),
         "anterior": ("Ant", "Anterior view: superior up, the patient's left on the right"),
         "short_axis": ("SA", "Short-axis view, from the apex (1)"),
         "four_chamber": ("4CH", "Four-chamber view, base up (4)"),
         "two_chamber": ("2CH", "Two-chamber view, base up (2)")}


#: The 3D legend's panel and its text: each structure's colour is on its swatch; the text is
#: dark, as yellow (valve annuli) on the light panel could not be read (review 8 #7).
LEGEND_BACKGROUND = (0.93, 0.93, 0.93)


def legend_colour(colour) -> tuple[float, float, float]:
    """``colour`` darkened (same hue) until it reads at WCAG AA contrast (≥ 4.5:1) on the
    legend's :data:`LEGEND_BACKGROUND`; colours that already do are kept.

    vtkLegendBoxActor draws an entry's text and square in one colour. Symbols carrying
    their own RGB scalars would let the text be dark, but cost ~3 ms of every playback frame
    under llvmpipe (measured, session 8), so a light colour (the valve annuli's yellow) is
    darkened instead.

    >>> legend_colour((0.2, 0.2, 0.8))
    (0.2, 0.2, 0.8)
    >>> [round(c, 2) for c in legend_colour((1.0, 1.0, 0.0))]
    [0.42, 0.42, 0.0]
    """
    if isinstance(colour, str):
        from PySide6.QtGui import QColor

        colour = QColor(colour).getRgbF()[:3]
    rgb = np.round(np.asarray(colour[:3], float) * 255) / 255  # 8-bit, as the colour shows
    bg = _luminance(LEGEND_BACKGROUND)
    while (bg + 0.05) / (_luminance(rgb) + 0.05) < 4.5 and rgb.max() > 0.0:
        rgb = rgb * 0.96
    return tuple(float(c) for c in rgb)


def _luminance(rgb) -> float:
    # WCAG 2 relative luminance of an sRGB colour in [0, 1]
    c = np.asarray(rgb, float)
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def to_polydata(mesh) -> view3d_scene.Surface:
    """``mesh`` as the surface the view draws (point arrays ``uncertainty_mm``, ``overlay``)."""
    return view3d_scene.polydata(mesh.points, mesh.faces, mesh.uncertainty_mm)


@functools.cache
def _legend_square():
    """The legend's square symbol, made once."""
    return view3d_scene.legend_square()


def _surfaces_closed(anatomy, key: str, structure) -> bool:
    if len(structure.meshes) > 1:  # drawn as one triangulation moved through the phases
        m = motion_of(anatomy, key, moving_structures(anatomy)[key])
        return closed_outward(m.points[0], m.faces)
    return all(closed_outward(m.points, m.faces) for m in structure.meshes.values())


def closed_structures(anatomy) -> dict[str, bool]:
    """Structure key → whether every surface the 3D view draws it with is closed and faces
    outward (its back faces are then culled). Computed once per anatomy and cached on it, so
    the loading worker can do it (12 structures of the demo heart: ~30 ms of GUI thread).

    Examples
    --------
    >>> from twinviewer.gui.demo_heart import demo_anatomy
    >>> closed_structures(demo_anatomy())["lv_blood"]  # doctest: +SKIP
    True
    """
    cache = anatomy.__dict__.setdefault("_closed_cache", {})
    for key, s in anatomy.structures.items():
        if s.meshes and key not in cache:
            cache[key] = _surfaces_closed(anatomy, key, s)
    return cache


def make_plotter(parent: QWidget, multi_samples: int = 0):
    """The 3D widget (``renderer``, ``ren_win``, ``render()``, ``interactor``): a native
    child window with a plain VTK renderer where the window system has native
    child windows VTK can draw into (X11, Windows; see
    :mod:`twinviewer.gui.native_interactor`), else pyvistaqt's ``QOpenGLWidget`` (Wayland,
    macOS, Qt's offscreen platform). ``TWINVIEWER_3D_WIDGET=opengl`` forces the latter."""
    import os

    from PySide6.QtGui import QGuiApplication

    native = QGuiApplication.platformName() in ("xcb", "windows") \
        and os.environ.get("TWINVIEWER_3D_WIDGET", "native") != "opengl"
    if native:
        from twinviewer.gui.native_interactor import NativeInteractor

        return NativeInteractor(parent, multi_samples=multi_samples)
    from pyvistaqt import QtInteractor  # here: it imports qtpy, which makes every Qt class

    return QtInteractor(parent, multi_samples=multi_samples, auto_update=False)


class View3D(QWidget):
    """pyvistaqt view of the twin's anatomy with model overlays.

    Parameters
    ----------
    state : TwinState
    multi_samples : int, default: 0
        MSAA samples of the render window (0 = off; faster under software rendering).
    cmap : str, default: 'viridis'
    pressure_unit : {'mmHg', 'kPa'}
    """

    title = "3D view"
    structuresChanged = Signal()
    #: Colour-bar title and label size relative to the desktop's 14/12 px (presenter mode
    #: sets it larger for a projector: :meth:`set_bar_font_scale`).
    bar_font_scale = 1.0
    #: The corner text's time and image phase change every playback frame, and each change
    #: re-renders its glyphs and re-fits its size (~3 ms of GUI thread a frame, measured):
    #: while only they change, and faster than this (s), the text is redrawn at most this
    #: often. A single change (a step, a screenshot's time) shows at once; the cine bar shows
    #: the exact time throughout.
    status_interval_s = 0.25
    #: Draw each new time's frame at once, ahead of this view's paint, so that llvmpipe
    #: rasterises it while the other views update and paint (see
    #: :mod:`twinviewer.gui.native_interactor`); False: render at the paint only.
    draw_ahead = True

    def __init__(self, state: TwinState, parent: QWidget | None = None, *,
                 multi_samples: int = 0, cmap: str = "viridis",
                 pressure_unit: str = "mmHg") -> None:
        super().__init__(parent)
        self.state = state
        self.cmap = cmap
        self.pressure_unit = pressure_unit
        self.overlay = "pressure"
        self.which = "median"
        self.anatomy = None
        self.results = None
        self.phase = 0
        self.frame: CardiacFrame | None = None
        self.polys: dict[str, dict[int, view3d_scene.Surface]] = {}
        # moving anatomy: one surface per structure whose points (and normals) are rewritten
        # in place each frame, blended between phases
        self.motion: dict[str, PhaseMotion] = {}
        self.live: dict[str, view3d_scene.Surface] = {}
        self._live_arrays: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.ref_phase = 0
        self.actors: dict[str, Any] = {}
        self.visible: dict[str, bool] = {}
        self.opacity: dict[str, float] = {}
        self.colour: dict[str, tuple[float, float, float]] = {}
        # structures whose surfaces are closed and face outward: their back faces are not
        # drawn (see _update_culling)
        self._closed: dict[str, bool] = {}
        self._walls: dict[int, cycle.WallGeometry] | None = None  # measured when first needed
        self._clim: dict[str, tuple[float, float]] = {}
        # (results, {(overlay, structure): the signal it shows or None}): see _chamber_value
        self._signal_names: tuple[Any, dict] = (None, {})
        self._envelope_actors: list = []
        self._plane = vtkPlane()
        # long-axis image planes: (plane, actor, textures per phase, phase shown)
        self.image_planes: list[list] = []
        self._clipping = False
        self._lut = view3d_scene.lookup_table(colour_tables.colour_table(cmap))
        self._legend = None
        self._bars: dict[str, Any] = {}  # colour bar title -> its actor (one at a time)
        self._plane_widgets: list = []
        self._status_shown: tuple[str, str] | None = None  # (text, its part without time)
        self._status_at = 0.0  # when the corner text last changed
        self._status_time_at = 0.0  # when its time parts were last asked to change
        self._status_pending: str | None = None
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.timeout.connect(self._flush_status)

        # no auto-update timer: it re-renders 5×/s even when nothing changed (~50–80 ms each
        # under software GL); the view renders on request instead
        self.plotter = make_plotter(self, multi_samples)
        if not multi_samples and hasattr(self.plotter, "disable_anti_aliasing"):
            self.plotter.disable_anti_aliasing()  # pyvistaqt's widget (the native one has none)
        ren = self.plotter.renderer
        ren.SetBackground(0x1e / 255, 0x1f / 255, 0x24 / 255)
        ren.SetBackground2(0x3a / 255, 0x3d / 255, 0x46 / 255)
        ren.GradientBackgroundOn()
        # no frustum culling: every structure is in view, and the culler measured each moved
        # surface's bounds every frame through its cells (~1.5 ms of GUI thread, measured)
        self.plotter.renderer.GetCullers().RemoveAllItems()
        self._light()
        # the legend and colour bar follow the render area's size (readable from 1280×720
        # to 4K); checked as each render starts, cheap when the size is unchanged
        ren.AddObserver("StartEvent", self._fit_text)

        bar = FlowLayout(spacing=3)  # wraps rather than truncate "Pressure" at 1280×720
        self.overlay_box = QComboBox()
        self.overlay_box.setToolTip("Colour the heart by")
        compact(self.overlay_box, 9)  # the toolbar fits one line of a 476-px view
        overlay_menu.fill_overlay_box(self)  # the registry's overlays: core and plugins'
        self.overlay_box.currentIndexChanged.connect(
            lambda _: self.set_overlay(self.overlay_box.currentData()))
        bar.addWidget(self.overlay_box)
        self.which_box = QComboBox()
        for k, lab in (("low", "5th pct (low)"), ("median", "median"), ("high", "95th pct (high)")):
            self.which_box.addItem(lab, k)
        self.which_box.setCurrentIndex(1)
        compact(self.which_box, 8)
        self.which_box.setToolTip("Which percentile of the ensemble the colours show")
        self.which_box.currentIndexChanged.connect(
            lambda _: self.set_percentile(self.which_box.currentData()))
        bar.addWidget(self.which_box)
        self.envelope_box = QCheckBox("Envelope")
        self.envelope_box.setToolTip("Translucent outer bound of each surface: the vertex moved "
                                     "outward by its boundary uncertainty (mm)")
        self.envelope_box.toggled.connect(self.set_envelope)
        bar.addWidget(self.envelope_box)
        self.clip_box = QCheckBox("Clip")
        self.clip_box.setToolTip("Cut the heart open with a plane you can drag")
        self.clip_box.toggled.connect(self.set_clipping)
        bar.addWidget(self.clip_box)
        self.planes_box = QCheckBox("Planes")
        self.planes_box.setToolTip("The study's long-axis image planes (2CH, 4CH, RVOT …) at "
                                   "their true position, in step with the cine")
        # Off at first: opaque image planes in front of the heart hide it (a reviewer saw a
        # sliver of the LV behind five planes); the long-axis views show them anyway.
        self.planes_box.setChecked(False)
        self.planes_box.setVisible(False)  # shown only when the anatomy has planes
        self.planes_box.toggled.connect(self.set_planes_visible)
        bar.addWidget(self.planes_box)
        bar.addStretch(1)
        for k, (lab, tip) in VIEWS.items():
            b = QPushButton(lab)
            b.setToolTip(tip)
            b.setMaximumWidth(44)
            b.setObjectName(f"view_{k}")
            b.clicked.connect(lambda _=False, k=k: self.set_view(k))
            bar.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.plotter.interactor, 1)

        state.twinChanged.connect(self._on_twin)
        state.resultsChanged.connect(self._on_results)
        state.timeChanged.connect(self.set_time)
        if state.twin is not None:
            self._on_twin(state.twin)
        if state.results is not None:
            self._on_results(state.results)

    # -- state ---------------------------------------------------------------------------
    def _light(self) -> None:
        """One headlight (a light at the camera, as in most medical viewers): under software
        GL each light is shaded per pixel, and the five-light kit doubled the render's CPU
        (77 → 40 ms per frame at 476×402 px, measured)."""
        self.plotter.renderer.RemoveAllLights()
        self.plotter.renderer.AddLight(view3d_scene.headlight())

    @contextmanager
    def _one_render(self) -> Iterator[None]:
        """Hold back pyvista's own renders (each add_actor, legend, scalar bar and camera reset
        renders at once, ~0.1–0.2 s each under software GL) and render once, at the next paint.
        """
        if "render" in vars(self.plotter):  # nested: the outer one renders
            yield
            return
        self.plotter.render = lambda *a, **k: None
        try:
            yield
        finally:
            del self.plotter.render
            self.request_render()

    def _on_twin(self, twin) -> None:
        self.set_anatomy(getattr(twin, "anatomy", None))

    def _on_results(self, results) -> None:
        self.results = results
        with self._one_render():
            self._compute_limits()
            if self.anatomy is not None:
                # the image phase and the moving anatomy follow the new beat: before any
                # results the phase is the image's ED (review9 #17: paused at t = 0 the
                # corner read "image phase 24 ED" while the slices showed phase 0)
                self.set_time(self.state.time)
            else:
                self._apply_overlay()

    def set_anatomy(self, anatomy) -> None:
        """Show ``anatomy`` (or nothing); keeps camera orientation if the frame is unchanged."""
        if anatomy is self.anatomy:
            return
        with self._one_render():
            if not self._swap_points(anatomy):
                self._set_anatomy(anatomy)

    def _shown_faces(self, anatomy, key: str) -> list:
        """The triangles structure ``key`` of ``anatomy`` would be drawn with: the moving
        surface's shared faces, or each phase's own."""
        s = anatomy.structures[key]
        if len(s.meshes) > 1:
            img = anatomy.image
            ref = img.ed_index if img is not None else 0
            return [motion_of(anatomy, key, ref if ref in s.meshes else min(s.meshes)).faces]
        return [np.asarray(m.faces) for m in s.meshes.values()]

    def _same_surfaces(self, anatomy) -> bool:
        """True if ``anatomy`` draws the same structures on the same triangles as the one
        shown (every virtual heart deforms the shared base heart): only points differ."""
        old = self.anatomy
        if old is None or anatomy is None or not self.actors or self.image_planes \
                or getattr(anatomy, "planes", None):
            return False
        keys = [k for k, s in anatomy.structures.items() if s.meshes]
        if keys != list(self.actors) or any(
                anatomy.structures[k].name != old.structures[k].name
                or set(anatomy.structures[k].meshes) != set(old.structures[k].meshes)
                or (len(anatomy.structures[k].meshes) > 1) != (k in self.live)
                for k in keys):
            return False
        for k in keys:
            new_f, old_f = self._shown_faces(anatomy, k), self._shown_faces(old, k)
            if any(a is not b and (a.shape != b.shape or not np.array_equal(a, b))
                   for a, b in zip(new_f, old_f, strict=True)):
                return False
        return True

    def _swap_points(self, anatomy) -> bool:
        """Show ``anatomy`` on the actors already on screen, if its surfaces match (see
        :meth:`_same_surfaces`): rewrite point coordinates and per-vertex data in place, keep
        actors, legend and lights (a heart switch: ~4× less than rebuilding the scene).
        Returns False (nothing changed) if the surfaces differ."""
        if not self._same_surfaces(anatomy):
            return False
        self.anatomy = anatomy
        self._walls = None
        img = anatomy.image
        self.ref_phase = img.ed_index if img is not None else 0
        self.phase = cycle.image_phase_at(anatomy, self.results, self.state.time)
        for key in self.actors:
            s = anatomy.structures[key]
            if key not in self.live:
                self.polys[key] = {p: to_polydata(m) for p, m in s.meshes.items()}
                continue
            ref = self.ref_phase if self.ref_phase in s.meshes else min(s.meshes)
            m = motion_of(anatomy, key, ref)
            live = self.live[key]
            self.motion[key] = m
            live["uncertainty_mm"][:] = m.vertex_data(s.meshes[ref].uncertainty_mm)
            live.GetPointData().GetArray("uncertainty_mm").Modified()
        for key in self.actors:  # same triangles; a deformation could still turn one inside out
            self._closed[key] = self._is_closed(key)
        self._update_culling()
        self.frame = frame_of(anatomy)
        self._compute_limits()
        if self.motion:
            self._move(self.state.time)
        self._apply_overlay()
        if self.envelope_box.isChecked():
            self._rebuild_envelope()
        self.set_view("anterior" if self.frame is not None else "reset")
        return True

    def _set_anatomy(self, anatomy) -> None:
        self.anatomy = anatomy
        self._clear_scene()
        self.polys, self.actors, self._closed = {}, {}, {}
        self.motion, self.live, self._live_arrays = {}, {}, {}
        self._walls = None
        self._bar_key = None
        self._envelope_actors = []
        self._clim = {}
        self.image_planes = []
        self.planes_box.setVisible(bool(getattr(anatomy, "planes", None)))
        if anatomy is None or not anatomy.structures:
            self.frame = None
            self.request_render()
            self.structuresChanged.emit()
            return
        self.phase = cycle.image_phase_at(anatomy, self.results, self.state.time)
        img = anatomy.image
        self.ref_phase = img.ed_index if img is not None else 0
        for key, s in anatomy.structures.items():
            if not s.meshes:
                continue
            if len(s.meshes) > 1:  # drawn as one moving surface: no per-phase polydata
                self._make_live(key, s.meshes)
                self.polys[key] = {}
            else:
                self.polys[key] = {p: to_polydata(m) for p, m in s.meshes.items()}
            self.colour.setdefault(key, tuple(s.color))
            self.visible.setdefault(key, True)
            self.opacity.setdefault(key, 1.0)
            poly = self._poly(key, self.phase)
            actor = view3d_scene.surface_actor(poly, self.colour[key], self.opacity[key],
                                               self._lut)
            self.plotter.renderer.AddActor(actor)
            if key != "lv_myocardium":  # shared boundaries: draw cavities in front of walls
                actor.GetMapper().SetResolveCoincidentTopologyToPolygonOffset()
                actor.GetMapper().SetRelativeCoincidentTopologyPolygonOffsetParameters(-2, -2)
            actor.SetVisibility(self.visible[key])
            self.actors[key] = actor
            self._closed[key] = self._is_closed(key)
        self._update_culling()
        self._add_image_planes(anatomy)
        self.frame = frame_of(anatomy)
        self._status = view3d_scene.corner_text(font_size=10)
        self.plotter.renderer.AddViewProp(self._status)
        self._status_shown = None
        self._update_legend()
        self._compute_limits()
        if self.motion:
            self._move(self.state.time)
        self._apply_overlay()
        if self._clipping:
            self._clipping = False
            self.set_clipping(True)
        self.set_view("anterior" if self.frame is not None else "reset")
        self.structuresChanged.emit()

    def _is_closed(self, key: str) -> bool:
        """Whether every surface ``key`` is drawn with is closed and faces outward (see
        :func:`closed_structures`)."""
        return closed_structures(self.anatomy)[key]

    def _update_culling(self) -> None:
        """Draw only the front faces of closed, outward-facing surfaces (back-face culling).

        Seen from outside, their back faces lie behind their own front faces; under software
        GL skipping them cut the 3D render's CPU by about a third (measured on the demo heart,
        docs/notes/render6.md), and a translucent ghost shows one sheet, not two. A clipping
        plane opens the surfaces: then every face is drawn, so the inside shows.
        """
        for key, actor in self.actors.items():
            actor.GetProperty().SetBackfaceCulling(bool(self._closed.get(key))
                                                   and not self._clipping)

    def _update_translucency(self) -> None:
        """Order-independent translucency only where plain blending could go wrong.

        VTK's order-independent pass draws translucent surfaces into float buffers and
        composes them in extra full-view passes, about a sixth of the render under software
        GL. When every visible translucent surface is closed and back-face culled (the
        overlay's ghosted structures, unclipped), each shows one sheet over opaque
        surfaces, and plain alpha blending gives the same picture (compared pixel by pixel,
        docs/notes/render6.md).
        """
        ren = self.plotter.renderer
        plain = not self._clipping and not self._envelope_actors and all(
            self._closed.get(key) for key, a in self.actors.items()
            if a.GetVisibility() and a.GetProperty().GetOpacity() < 1.0)
        if bool(ren.GetUseOIT()) == plain:
            ren.SetUseOIT(not plain)

    def _add_image_planes(self, anatomy) -> None:
        """Each long-axis plane as a textured quad (unlit, not pickable)."""
        planes = getattr(anatomy, "planes", None) or []
        if not planes:
            return
        from twinviewer.gui.planes3d import plane_quad, plane_textures  # imports pyvista

        for plane in planes:
            try:
                quad, textures = plane_quad(plane), plane_textures(plane)
            except (ValueError, IndexError) as exc:  # a malformed plane is skipped, said
                self.state.warn(f"image plane {plane.view}: not shown ({exc})")
                continue
            actor = view3d_scene.surface_actor(quad, (1.0, 1.0, 1.0))
            actor.SetTexture(textures[0])
            actor.GetProperty().SetLighting(False)
            actor.SetPickable(False)
            self.plotter.renderer.AddActor(actor)
            actor.SetVisibility(self.planes_box.isChecked())
            self.image_planes.append([plane, actor, textures, 0])
        self._move_planes(self.state.time)

    def _move_planes(self, fraction: float) -> None:
        """Show each plane's phase nearest to ``fraction`` of the beat (swap its texture)."""
        if not self.image_planes:
            return
        from twinviewer.gui.planes3d import plane_phase_at

        period = cycle.beat_period_s(self.results) * 1000.0 if self.results is not None \
            else None
        for entry in self.image_planes:
            plane, actor, textures, shown = entry
            p = plane_phase_at(plane, fraction, period)
            if p != shown:
                actor.SetTexture(textures[p])
                entry[3] = p

    def set_planes_visible(self, on: bool) -> None:
        """Show or hide the long-axis image planes."""
        if self.planes_box.isChecked() != bool(on):
            self.planes_box.setChecked(bool(on))
            return
        for _plane, actor, _tex, _p in self.image_planes:
            actor.SetVisibility(bool(on))
        self.request_render()

    def _poly(self, key: str, phase: int) -> view3d_scene.Surface:
        if key in self.live:
            return self.live[key]
        by_phase = self.polys[key]
        return by_phase[phase] if phase in by_phase else by_phase[min(by_phase)]

    def _make_live(self, key: str, meshes: dict) -> None:
        """One moving surface for ``key``: positions and normals per phase, blended later."""
        ref = self.ref_phase if self.ref_phase in meshes else min(meshes)
        m = motion_of(self.anatomy, key, ref)
        # single precision, as the GL buffers hold them: each frame's upload is then a copy
        k = m.phases.index(ref)
        live = view3d_scene.polydata(m.points[k].astype(np.float32), m.faces,
                                     m.vertex_data(meshes[ref].uncertainty_mm))
        live.add_array("Normals", m.normals[k].astype(np.float32), normals=True)
        self.motion[key], self.live[key] = m, live
        self._live_arrays[key] = (live.points, live["Normals"], np.empty_like(m.normals[0]))

    def _move(self, fraction: float) -> None:
        """Put every moving surface where the beat is at ``fraction`` (in place)."""
        weights: dict[tuple[int, ...], tuple[int, int, float]] = {}
        for key, m in self.motion.items():
            if m.phases not in weights:
                weights[m.phases] = phase_weights(self.anatomy, self.results, fraction,
                                                  m.phases)
            i, j, w = weights[m.phases]
            pts, nrm, tmp = self._live_arrays[key]
            m.at(i, j, w, out=tmp)
            pts[:] = tmp
            a, b = m.normals[i], m.normals[j]
            np.subtract(b, a, out=tmp)
            tmp *= w
            tmp += a
            nrm[:] = tmp
            live = self.live[key]
            live.GetPoints().Modified()
            live.GetPointData().GetArray("Normals").Modified()

    @property
    def walls(self) -> dict[int, cycle.WallGeometry]:
        """LV wall thickness per phase (measured on first use: ~0.1 s per phase)."""
        if self._walls is None:
            self._walls = self._measure_walls() if self.anatomy is not None else {}
        return self._walls

    def _measure_walls(self) -> dict[int, cycle.WallGeometry]:
        a = self.anatomy
        walls: dict[int, cycle.WallGeometry] = {}
        if "lv_myocardium" not in a.structures or "lv_blood" not in a.structures:
            return walls
        myo, cav = a.structures["lv_myocardium"].meshes, a.structures["lv_blood"].meshes
        # a moving wall keeps the reference phase's vertices: thickness measured there (the
        # stress model scales it with the cavity volume through the beat)
        phases = [self.ref_phase] if "lv_myocardium" in self.live else list(myo)
        for p in phases:
            if p in cav:
                walls[p] = cycle.wall_geometry(myo[p].points, myo[p].faces,
                                               cav[p].points, cav[p].faces)
        return walls

    # -- overlays ------------------------------------------------------------------------
    def _pressure_scale(self) -> float:
        return cycle.MMHG_TO_KPA if self.pressure_unit == "kPa" else 1.0

    def _compute_limits(self) -> None:
        self._clim = {}
        r = self.results
        if self.anatomy is None:
            return
        # from the meshes' numpy arrays (the polydata hold the same values; reading 200 VTK
        # arrays cost ~0.3 s of a heart switch)
        u = [float(np.max(m.uncertainty_mm)) for key in self.polys
             for m in self.anatomy.structures[key].meshes.values() if m.n_points]
        self._clim["uncertainty"] = (0.0, max(float(max(u, default=0.0)), 1e-3))
        if r is None:
            return
        ok = cycle.ok_members(r)
        pmax, vmax = 0.0, 0.0
        for key in self.polys:
            pname, vname = cycle.STRUCTURE_SIGNALS.get(key, (None, None))
            if pname and cycle.signal(r, pname) is not None:
                pmax = max(pmax, cycle.upper_value(r, pname))
            if vname and cycle.signal(r, vname) is not None:
                vmax = max(vmax, cycle.upper_value(r, vname))
        self._clim["pressure"] = (0.0, max(pmax, 1.0) * self._pressure_scale())
        self._clim["volume"] = (0.0, max(vmax, 1.0))
        p_lv, v_lv = cycle.signal(r, "p_LV"), cycle.signal(r, "V_LV")
        if self.overlay == "stress" and self.walls and p_lv is not None and v_lv is not None:
            smax = 0.0
            for w in self.walls.values():
                f = w.member_factor(p_lv[ok], v_lv[ok])
                smax = max(smax, float(np.nanpercentile(f, 99)) /
                           float(np.percentile(w.thickness_mm, 25)))
            self._clim["stress"] = (0.0, max(smax, 1e-3))

    def _title(self) -> str:
        pu = self.pressure_unit
        if self.overlay not in OVERLAYS:
            return overlay_menu.title(self.overlay)
        return {"pressure": f"Pressure ({pu})", "volume": "Volume (mL)",
                "stress": "Wall stress (kPa)", "uncertainty": "Uncertainty (mm)"
                }.get(self.overlay, "")

    def overlay_values(self, key: str) -> np.ndarray | None:
        """The overlay scalars of structure ``key`` at the current time, or None (uncoloured)."""
        if self.overlay not in OVERLAYS:  # a plugin's
            return overlay_menu.plugin_values(self, key)
        poly = self._poly(key, self.phase)
        if self.overlay == "uncertainty":
            return np.asarray(poly["uncertainty_mm"])
        r = self.results
        if r is None or self.overlay == "none":
            return None
        t = self.state.time
        v = self._chamber_value(key)
        if v is not None:
            return np.full(poly.n_points, v)
        wall_phase = self.ref_phase if key in self.live else self.phase
        p_lv, v_lv = cycle.signal(r, "p_LV"), cycle.signal(r, "V_LV")
        if self.overlay == "stress" and key == "lv_myocardium" and wall_phase in self.walls \
                and p_lv is not None and v_lv is not None:
            w = self.walls[wall_phase]
            i = cycle.sample_index(r, t)
            ok = cycle.ok_members(r)
            f = w.member_factor(p_lv[ok, i], v_lv[ok, i])
            q = float(np.nanpercentile(f, cycle.PERCENTILES[self.which]))
            h = self.motion[key].vertex_data(w.thickness_mm) if key in self.motion \
                else w.thickness_mm
            return q / h
        return None

    def _chamber_value(self, key: str) -> float | None:
        """The pressure or volume overlay's one value for structure ``key`` at the current
        time (a chamber or vessel), or None (another overlay, or ``key`` has no signal).

        Which signal a structure shows is looked up once per results and overlay (the model's
        role lookup cost about 1 ms a frame over 12 structures); the value is the cached
        percentile curve at the frame's sample."""
        r = self.results
        if r is None or self.overlay not in ("pressure", "volume") or key == "lv_myocardium":
            return None
        k = (self.overlay, key)
        if self._signal_names[0] is not r:
            self._signal_names = (r, {})
        names = self._signal_names[1]
        if k not in names:
            pname, vname = cycle.STRUCTURE_SIGNALS.get(key, (None, None))
            name = pname if self.overlay == "pressure" else vname
            names[k] = name if name and cycle.signal(r, name) is not None else None
        name = names[k]
        if name is None:
            return None
        v = cycle.percentile_at(r, name, self.state.time, self.which)
        return v * self._pressure_scale() if self.overlay == "pressure" else v

    def _apply_overlay(self) -> None:
        """Colour every structure for the current overlay and time (called every frame).

        A chamber's pressure or volume is one value over its surface: it becomes the actor's
        colour (through the colour map), not per-vertex scalars, so a frame re-maps no
        scalars and re-uploads only the moved points. Raw VTK setters are used here (pyvista's
        property wrappers cost ~4 ms a frame); they do nothing when the value is unchanged.
        """
        if not self.actors:
            return
        if self.overlay not in OVERLAYS:
            overlay_menu.begin_colouring(self)
            self._clim[self.overlay] = overlay_menu.plugin_limits(self,
                                                                  self._clim.get(self.overlay))
        clim = self._clim.get(self.overlay)
        if clim is not None and getattr(self, "_lut_key", None) != (self.cmap, clim):
            view3d_scene.set_table(self._lut, colour_tables.colour_table(self.cmap))
            self._lut.SetTableRange(*clim)
            self._lut_key = (self.cmap, clim)
        coloured = None
        for key, actor in self.actors.items():
            poly = self._poly(key, self.phase)
            mapper, prop = actor.GetMapper(), actor.GetProperty()
            if mapper.GetInput() is not poly:
                mapper.SetInputData(poly)
            one = self._chamber_value(key) if clim is not None else None
            vals = None if clim is None or one is not None else self.overlay_values(key)
            # the LV wall would hide the cavity's pressure/volume colours: hide it then
            hide = key == "lv_myocardium" and self.overlay in ("pressure", "volume") \
                and clim is not None
            actor.SetVisibility(self.visible.get(key, True) and not hide)
            if one is not None:  # a chamber's one value: the actor's colour
                opacity, coloured, scalars = self.opacity[key], actor, False
                rgb = [0.0, 0.0, 0.0]
                self._lut.GetColor(one, rgb)
                rgb = tuple(rgb)
            elif vals is None:
                rgb, scalars = tuple(self.colour[key]), False
                # structures the overlay does not colour are ghosted (translucent)
                opacity = self.opacity[key] * (0.3 if clim is not None else 1.0)
            else:
                opacity, coloured = self.opacity[key], actor
                if vals.size and vals.min() == vals.max():  # uniform: the actor's colour
                    rgb, scalars = [0.0, 0.0, 0.0], False
                    self._lut.GetColor(float(vals[0]), rgb)
                    rgb = tuple(rgb)
                else:
                    rgb, scalars = None, True
                    poly["overlay"][:] = vals
                    poly.GetPointData().GetArray("overlay").Modified()
                    poly.Modified()
            mapper.SetScalarVisibility(scalars)
            if rgb is not None and prop.GetColor() != rgb:
                prop.SetColor(rgb)
            prop.SetOpacity(opacity)
        self._update_translucency()
        self._update_scalar_bar(coloured)
        self._update_status()
        self.request_render()

    def request_render(self) -> None:
        """Schedule one render at the next paint; several requests in an event-loop turn
        coalesce into one frame (a direct render costs ~50–100 ms under software GL)."""
        discard = getattr(self.plotter, "discard_ahead", None)
        if discard is not None:  # a frame drawn ahead no longer shows the scene
            discard()
        QWidget.update(self.plotter)

    def set_bar_font_scale(self, scale: float) -> None:
        """Scale the colour bar's title and labels (e.g. 2 in presenter mode)."""
        self.bar_font_scale = float(scale)
        if self.actors:
            self._apply_overlay()

    def _update_scalar_bar(self, actor) -> None:
        key = (self._title(), self.cmap, self._clim.get(self.overlay), actor is None,
               self.bar_font_scale)
        if key == getattr(self, "_bar_key", None):
            return  # unchanged: rebuilding the bar every frame costs a render
        self._bar_key = key
        for bar in self._bars.values():
            self.plotter.renderer.RemoveViewProp(bar)
        self._bars = {}
        if actor is None:
            return
        title = self._title()
        title_px, label_px = self._bar_font_sizes()
        bar = view3d_scene.scalar_bar(
            actor.GetMapper().GetLookupTable(), title, position=(0.78, 0.2), size=(0.06, 0.6),
            title_font_size=title_px, label_font_size=label_px, n_labels=5,
            fmt="%.2f" if self.overlay == "uncertainty" else "%.0f"
            if self.overlay in OVERLAYS else "%.3g")
        self.plotter.renderer.AddViewProp(bar)
        self._bars[title] = bar

    @property
    def scalar_bars(self) -> dict[str, Any]:
        """The colour bar on show, by its title (empty or one)."""
        return dict(self._bars)

    @property
    def legend(self):
        """The legend on show (``vtkLegendBoxActor``), or None."""
        return self._legend

    def _clear_scene(self) -> None:
        """Remove every actor, the legend, colour bar, corner text, clipping widget and lights,
        and put the headlight back."""
        for w in self._plane_widgets:
            w.Off()
        self._plane_widgets = []
        self.plotter.renderer.RemoveAllViewProps()
        self._legend, self._bars = None, {}
        self._light()

    def _update_status(self) -> None:
        if not hasattr(self, "_status"):
            return
        parts = [OVERLAYS.get(self.overlay) or self._title()]
        if self.overlay in ("pressure", "volume") and "lv_myocardium" in self.actors:
            parts.append("LV wall hidden")
        if self.overlay == "stress" and not self.walls:
            parts.append("not shown: this anatomy has no LV myocardium surface")
        timed = []  # the parts that change as the beat plays
        if self.overlay in ("pressure", "volume", "stress"):
            if self.results is None:
                parts.append("(waiting for predictions)")
            else:
                n = int(cycle.ok_members(self.results).sum())
                # a virtual heart is one member: no percentile of an ensemble to name
                parts.append(f"{self.which} of {n} members" if n > 1 else
                             "one parameter set (no ensemble)")
                t = self.state.time * cycle.beat_period_s(self.results)
                timed.append(f"t = {t:.2f} s")
        img = getattr(self.anatomy, "image", None)
        if img is not None and img.n_phases > 1:
            tag = " ED" if self.phase == img.ed_index else " ES" if self.phase == img.es_index \
                else ""
            timed.append(f"image phase {self.phase}{tag}")
        self._show_status(" · ".join(parts + timed), " · ".join(parts))

    def _show_status(self, text: str, fixed: str, *, now: bool = False) -> None:
        """Put ``text`` in the upper-left corner, or later: when only its time parts change
        (``fixed`` is the rest), for the second time within :attr:`status_interval_s`, it
        waits until that long after the last change (:meth:`_flush_status`)."""
        if self._status_shown is not None and self._status_shown[0] == text:
            self._status_pending = None
            self._status_timer.stop()
            return
        t = time.perf_counter()
        timed_only = self._status_shown is not None and self._status_shown[1] == fixed
        rapid = timed_only and t - self._status_time_at < self.status_interval_s
        if timed_only:
            self._status_time_at = t
        wait = self._status_at + self.status_interval_s - t
        if not now and rapid and wait > 0:
            self._status_pending = text
            if not self._status_timer.isActive():
                self._status_timer.start(int(1000 * wait) + 1)
            return
        self._status_timer.stop()
        self._status_pending = None
        self._status.SetText(2, text)  # 2 = upper-left corner
        self._status_shown, self._status_at = (text, fixed), time.perf_counter()

    def _flush_status(self) -> None:
        """Show the corner text held back by :meth:`_show_status`."""
        if self._status_pending is not None and self._status_shown is not None:
            self._show_status(self._status_pending, self._status_shown[1], now=True)
            self.request_render()

    def status_text(self) -> str:
        """The corner text as it will read once any held-back update is shown."""
        if self._status_pending is not None:
            return self._status_pending
        return self._status_shown[0] if self._status_shown is not None else ""

    def set_overlay(self, name: str) -> None:
        if name not in OVERLAYS and not overlay_menu.is_plugin_overlay(name):
            names = [n for n, _ in overlay_menu.overlay_entries()]
            raise ValueError(f"unknown overlay {name!r}; choose from {', '.join(names)}")
        self.overlay = name
        if name == "stress" and "stress" not in self._clim:
            self._compute_limits()
        if self.overlay_box.findData(name) < 0:  # enabled since the box was filled
            overlay_menu.fill_overlay_box(self)
        i = self.overlay_box.findData(name)
        if self.overlay_box.currentIndex() != i:
            self.overlay_box.setCurrentIndex(i)
        with self._one_render():
            self._apply_overlay()

    def set_percentile(self, which: str) -> None:
        if which not in cycle.PERCENTILES:
            raise ValueError(f"unknown percentile {which!r}; use low, median or high")
        self.which = which
        i = list(cycle.PERCENTILES).index(which)
        if self.which_box.currentIndex() != i:
            self.which_box.setCurrentIndex(i)
        with self._one_render():
            self._apply_overlay()

    def set_cmap(self, cmap: str) -> None:
        self.cmap = cmap
        self._apply_overlay()

    def set_pressure_unit(self, unit: str) -> None:
        self.pressure_unit = unit
        self._compute_limits()
        self._apply_overlay()

    def set_time(self, fraction: float) -> None:
        """Show the cycle at ``fraction``: the image phase in step and overlays updated."""
        if self.anatomy is None:
            return
        self.phase = cycle.image_phase_at(self.anatomy, self.results, fraction)
        if self.motion:
            self._move(fraction)
        self._move_planes(fraction)
        self._apply_overlay()
        if self.envelope_box.isChecked():
            self._rebuild_envelope()
        # draw now: llvmpipe rasterises while the other views follow the time and paint;
        # this view's paint then only shows the frame (NativeInteractor.render_ahead)
        ahead = getattr(self.plotter, "render_ahead", None)
        if ahead is not None and self.draw_ahead:
            ahead()

    # -- structures ----------------------------------------------------------------------
    def set_structure_visible(self, key: str, visible: bool) -> None:
        self.visible[key] = bool(visible)
        self._update_legend()
        self._apply_overlay()
        if self.envelope_box.isChecked():
            self._rebuild_envelope()

    def set_structure_opacity(self, key: str, opacity: float) -> None:
        self.opacity[key] = float(opacity)
        self._apply_overlay()

    def set_structure_colour(self, key: str, rgb: tuple[float, float, float]) -> None:
        self.colour[key] = tuple(rgb)
        self._update_legend()
        self._apply_overlay()

    def _update_legend(self) -> None:
        if self._legend is not None:
            self.plotter.renderer.RemoveViewProp(self._legend)
            self._legend = None
        if self.anatomy is None:
            return
        labels = [[view3d_scene.short_name(k, self.anatomy.structures[k].name), self.colour[k]]
                  for k in self.actors if self.visible.get(k)]
        if labels:
            # light panel, readable size: dark red on near-black was unreadable at 720 px;
            # every entry shares one square; light colours darkened to read
            self._legend = view3d_scene.legend_box(
                [(text, legend_colour(colour)) for text, colour in labels], _legend_square(),
                LEGEND_BACKGROUND, self._legend_size([t for t, _ in labels]))
            self.plotter.renderer.AddViewProp(self._legend)

    def _fit_camera(self) -> None:
        """Reset the camera to the heart, fitted beside the legend and the colour bar (they
        covered the heart at 1280×720, polish12); a resize refits it while the user has not
        moved the camera since (:meth:`_fit_text`)."""
        ren = self.plotter.renderer
        legend = None
        if self._legend is not None:
            legend = (*self._legend.GetPosition(), *self._legend.GetPosition2())
        view3d_scene.fit_beside(ren, legend)
        self._camera_fitted = ren.GetActiveCamera().GetMTime()

    def _view_px(self) -> tuple[int, int]:
        """The render area's size in the pixels VTK draws (the widget's before it is shown)."""
        w, h = self.plotter.renderer.GetSize()
        if w <= 1 or h <= 1:
            dpr = self.devicePixelRatioF()
            w, h = round(self.width() * dpr), round(self.height() * dpr)
        return int(w), int(h)

    def _legend_size(self, texts: list[str]) -> tuple[float, float]:
        view = self._view_px()
        return view3d_scene.legend_extent(
            texts, view3d_scene.LEGEND_FONT_PX * view3d_scene.text_scale(view[1]), view)

    def _bar_font_sizes(self) -> tuple[int, int]:
        """The colour bar's title and label sizes (px): 14/12 at 1280×720, in proportion to
        a taller view (1920×1080, 4K), and at least :attr:`bar_font_scale` times that."""
        scale = max(self.bar_font_scale, view3d_scene.text_scale(self._view_px()[1]))
        return round(14 * scale), round(12 * scale)

    def _fit_text(self, *_args) -> None:
        """Resize the legend and the colour bar's text to the render area, when it changed
        size (called as a render starts: a dict look-up when it did not)."""
        view = self._view_px()
        if view == getattr(self, "_text_fitted_to", None):
            return
        self._text_fitted_to = view
        if self._legend is not None:
            n = self._legend.GetNumberOfEntries()
            self._legend.SetPosition2(*self._legend_size(
                [self._legend.GetEntryString(i) for i in range(n)]))
        if getattr(self, "_camera_fitted", None) == self.plotter.renderer.GetActiveCamera(
                ).GetMTime():
            self._fit_camera()  # the legend's share of the view changed with its size
        title, label = self._bar_font_sizes()
        for bar in self._bars.values():
            bar.GetTitleTextProperty().SetFontSize(title)
            for prop in (bar.GetLabelTextProperty(), bar.GetAnnotationTextProperty()):
                prop.SetFontSize(label)

    # -- envelope and clipping -----------------------------------------------------------
    def set_envelope(self, on: bool) -> None:
        if on:
            self._rebuild_envelope()
        else:
            for a in self._envelope_actors:
                self.plotter.renderer.RemoveActor(a)
            self._envelope_actors = []
            self._update_translucency()
            self.request_render()

    def _rebuild_envelope(self) -> None:
        from vtkmodules.util.numpy_support import vtk_to_numpy
        from vtkmodules.vtkFiltersCore import vtkPolyDataNormals

        for a in self._envelope_actors:
            self.plotter.renderer.RemoveActor(a)
        self._envelope_actors = []
        for key in self.actors:
            if not self.visible.get(key):
                continue
            poly = self._poly(key, self.phase)
            normals = vtkPolyDataNormals()  # as pyvista's compute_normals(point_normals=True,
            normals.SetInputData(poly)  # cell_normals=False, auto_orient_normals=True)
            normals.ComputePointNormalsOn()
            normals.ComputeCellNormalsOff()
            normals.AutoOrientNormalsOn()
            normals.SplittingOff()
            normals.ConsistencyOn()
            normals.Update()
            out = normals.GetOutput()
            n = vtk_to_numpy(out.GetPointData().GetNormals())
            outer = view3d_scene.Surface(vtk_to_numpy(out.GetPoints().GetData()).astype(float)
                                         + n * poly["uncertainty_mm"][:, None], poly.faces)
            env = view3d_scene.surface_actor(outer, self.colour[key], 0.2)
            env.GetProperty().SetInterpolationToFlat()  # add_mesh's default: not smooth
            env.GetProperty().SetRepresentationToWireframe()
            env.GetProperty().SetLineWidth(1.0)
            env.SetPickable(False)
            self.plotter.renderer.AddActor(env)
            if self._clipping:
                env.GetMapper().AddClippingPlane(self._plane)
            self._envelope_actors.append(env)
        self._update_translucency()
        self.request_render()

    def set_clipping(self, on: bool, widget: bool = True) -> None:
        """Cut every structure with a plane (draggable when ``widget``), or stop cutting."""
        if on == self._clipping:
            return
        self._clipping = on
        if self.clip_box.isChecked() != on:
            self.clip_box.setChecked(on)
        mappers = [a.GetMapper() for a in list(self.actors.values()) + self._envelope_actors]
        if on and self.anatomy is not None:
            normal = self.frame.four_chamber_normal if self.frame is not None else (1, 0, 0)
            ren = self.plotter.renderer
            bounds = ren.ComputeVisiblePropBounds()
            origin = self.frame.centre if self.frame is not None else \
                [(bounds[2 * i] + bounds[2 * i + 1]) / 2 for i in range(3)]
            self._plane.SetNormal(*normal)
            self._plane.SetOrigin(*origin)
            for m in mappers:
                m.AddClippingPlane(self._plane)
            if widget:
                iren = self.plotter.ren_win.GetInteractor()
                self._plane_widgets.append(view3d_scene.plane_widget(
                    iren, ren, self._on_plane, normal=normal, origin=origin, bounds=bounds,
                    factor=1.1))
        else:
            for w in self._plane_widgets:
                w.Off()
            self._plane_widgets = []
            for m in mappers:
                m.RemoveAllClippingPlanes()
        self._update_culling()
        self._update_translucency()
        self.request_render()

    def _on_plane(self, normal, origin) -> None:
        self._plane.SetNormal(*normal)
        self._plane.SetOrigin(*origin)

    # -- camera --------------------------------------------------------------------------
    def set_view(self, name: str) -> None:
        """``'reset'``, ``'anterior'`` (the heart seen from the front, the default) or a
        standard cardiac view (``'short_axis'``, ``'four_chamber'``, ``'two_chamber'``)
        derived from the LV long axis."""
        with self._one_render():
            self._set_view(name)

    def _set_view(self, name: str) -> None:
        ren = self.plotter.renderer
        if name == "reset" or self.frame is None:
            self._fit_camera()
            self.request_render()
            return
        cam = self.frame.view(name)
        camera = ren.GetActiveCamera()
        camera.SetFocalPoint(*cam["focal_point"])
        camera.SetPosition(*cam["position"])
        camera.SetViewUp(*cam["view_up"])
        self._fit_camera()
        if self._clipping:  # cut along the view's plane so the chambers open
            self._plane.SetNormal(*cam["normal"])
            self._plane.SetOrigin(*self.frame.centre)
            for w in self._plane_widgets:
                w.SetNormal(*cam["normal"])
                w.SetOrigin(*self.frame.centre)
        self.request_render()

    def screenshot(self, path: str | None = None) -> np.ndarray:
        """Render and return the view as an ``(h, w, 3)`` uint8 array; save PNG if ``path``."""
        self._flush_status()
        self.plotter.render()
        img = view3d_scene.screenshot(self.plotter.ren_win)
        if path is not None:
            view3d_scene.save_png(img, path)
        return img

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.plotter.close()
        super().closeEvent(event)


class StructuresPanel(QWidget):
    """Per-structure visibility, colour and opacity for a :class:`View3D`."""

    title = "Structures"

    def __init__(self, view: View3D, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtWidgets import QGridLayout

        self.view = view
        self.grid = QGridLayout(self)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        view.structuresChanged.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        from PySide6.QtGui import QColor
        from PySide6.QtWidgets import QColorDialog, QSlider

        while self.grid.count():
            w = self.grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        a = self.view.anatomy
        if a is None:
            return
        for row, key in enumerate(self.view.actors):
            box = QCheckBox(a.structures[key].name)
            box.setObjectName(f"show_{key}")
            box.setChecked(self.view.visible[key])
            box.toggled.connect(lambda on, k=key: self.view.set_structure_visible(k, on))
            colour = QPushButton()
            colour.setFixedWidth(28)
            c = QColor.fromRgbF(*self.view.colour[key])
            colour.setStyleSheet(f"background-color: {c.name()}")
            colour.setToolTip("Colour")

            def pick(_=False, k=key, b=colour):
                chosen = QColorDialog.getColor(QColor.fromRgbF(*self.view.colour[k]), self)
                if chosen.isValid():
                    b.setStyleSheet(f"background-color: {chosen.name()}")
                    self.view.set_structure_colour(k, (chosen.redF(), chosen.greenF(),
                                                       chosen.blueF()))
            colour.clicked.connect(pick)
            op = QSlider(Qt.Orientation.Horizontal)
            op.setRange(5, 100)
            op.setMinimumWidth(60)
            op.setValue(int(self.view.opacity[key] * 100))
            op.setToolTip("Opacity")
            op.valueChanged.connect(lambda v, k=key: self.view.set_structure_opacity(k, v / 100))
            self.grid.addWidget(box, row, 0)
            self.grid.addWidget(colour, row, 1)
            self.grid.addWidget(op, row, 2)

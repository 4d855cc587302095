"""The 3D view's scene pieces on plain VTK: surfaces, headlight, corner text, legend, colour
bar, clipping-plane widget and screenshot.

The view used to build them through pyvista's plotter (``add_mesh``, ``add_legend``,
``add_scalar_bar``, ``add_text``, ``add_plane_widget``). Importing pyvista and its plotting
package, and the 23 VTK modules they load that the view does not use, cost about 0.2 s of
the window thread's CPU at every start (measured, docs/notes/start9.md), so the pieces are
made here with the settings pyvista 0.49 gives them for the arguments the view passed;
``tests/gui/test_view3d_scene.py`` checks each against the one pyvista makes.
"""

from __future__ import annotations

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkCommand, vtkLookupTable, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPlane, vtkPolyData
from vtkmodules.vtkRenderingAnnotation import (
    vtkCornerAnnotation,
    vtkLegendBoxActor,
    vtkScalarBarActor,
)
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkLight,
    vtkPolyDataMapper,
    vtkWindowToImageFilter,
)


class Surface(vtkPolyData):
    """A triangle surface whose points and point arrays are numpy views of VTK's memory.

    Parameters
    ----------
    points : (n, 3) array
        Vertex coordinates (kept in their dtype: float32 for the moving surfaces).
    faces : (m, 3) int array
        Triangles.

    Examples
    --------
    >>> s = Surface(np.eye(3), np.array([[0, 1, 2]]))
    >>> s.n_points, s.GetNumberOfCells()
    (3, 1)
    >>> s.add_array("overlay", np.zeros(3), scalars=True)
    >>> s["overlay"][:] = 2.0; float(s.GetPointData().GetScalars().GetValue(0))
    2.0
    """

    def __init__(self, points: np.ndarray, faces: np.ndarray) -> None:
        super().__init__()
        pts = vtkPoints()
        pts.SetData(numpy_to_vtk(np.ascontiguousarray(points), deep=True))
        self.SetPoints(pts)
        faces = np.asarray(faces, np.int64)
        cells = vtkCellArray()
        offsets = np.arange(0, faces.size + 1, faces.shape[1] if faces.size else 3, np.int64)
        cells.SetData(numpy_to_vtkIdTypeArray(offsets, deep=True),
                      numpy_to_vtkIdTypeArray(faces.ravel(), deep=True))
        self.SetPolys(cells)
        self.faces = faces
        self._arrays: dict[str, np.ndarray] = {}

    @property
    def points(self) -> np.ndarray:
        """``(n, 3)`` view of the vertex coordinates (writes move the surface: call
        ``GetPoints().Modified()``)."""
        return vtk_to_numpy(self.GetPoints().GetData())

    @property
    def n_points(self) -> int:
        return int(self.GetNumberOfPoints())

    def add_array(self, name: str, values: np.ndarray, *, scalars: bool = False,
                  normals: bool = False) -> None:
        """Add point array ``name`` (a copy of ``values``), as the active scalars or normals."""
        arr = numpy_to_vtk(np.ascontiguousarray(values), deep=True)
        arr.SetName(name)
        pd = self.GetPointData()
        pd.AddArray(arr)
        if scalars:
            pd.SetActiveScalars(name)
        if normals:
            pd.SetActiveNormals(name)
        self._arrays[name] = vtk_to_numpy(arr)

    def __getitem__(self, name: str) -> np.ndarray:
        """The point array ``name`` as a numpy view (writes reach VTK; call ``Modified``)."""
        return self._arrays[name]


def polydata(points: np.ndarray, faces: np.ndarray, uncertainty_mm: np.ndarray | None = None
             ) -> Surface:
    """A :class:`Surface` with the 3D view's point arrays: ``uncertainty_mm`` (zeros if
    None) and ``overlay`` (the active scalars, zeros).

    Examples
    --------
    >>> s = polydata(np.eye(3), np.array([[0, 1, 2]]))
    >>> sorted(s._arrays)
    ['overlay', 'uncertainty_mm']
    """
    s = Surface(points, faces)
    n = len(points)
    s.add_array("uncertainty_mm", np.zeros(n) if uncertainty_mm is None
                else np.asarray(uncertainty_mm, float))
    s.add_array("overlay", np.zeros(n), scalars=True)
    return s


def _rgb8(colour) -> tuple[float, float, float]:
    # pyvista's Color keeps 8-bit channels: the colour a surface first shows
    return tuple(round(float(c) * 255) / 255 for c in colour[:3])


def surface_actor(poly: vtkPolyData, colour, opacity: float = 1.0,
                  lut: vtkLookupTable | None = None) -> vtkActor:
    """A smooth-shaded, lit surface actor (pyvista's ``add_mesh(smooth_shading=True)``
    property: diffuse 1, no ambient or specular, Phong interpolation), scalars hidden.

    Examples
    --------
    >>> a = surface_actor(polydata(np.eye(3), np.array([[0, 1, 2]])), (1.0, 0.0, 0.0))
    >>> a.GetProperty().GetInterpolation()  # 2 = Phong
    2
    """
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(poly)
    mapper.SetInterpolateScalarsBeforeMapping(True)
    mapper.SetScalarVisibility(False)
    if lut is not None:
        mapper.SetLookupTable(lut)
        mapper.SetUseLookupTableScalarRange(True)
    actor = vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetColor(_rgb8(colour))
    prop.SetAmbient(0.0)
    prop.SetDiffuse(1.0)
    prop.SetSpecular(0.0)
    prop.SetSpecularPower(100.0)
    prop.SetInterpolationToPhong()
    prop.SetPointSize(5.0)
    prop.SetOpacity(float(opacity))
    return actor


def lookup_table(values: np.ndarray) -> vtkLookupTable:
    """A lookup table holding ``values`` ((256, 4) RGBA bytes), as
    ``pyvista.LookupTable(values=values)`` makes it.

    Examples
    --------
    >>> lookup_table(np.zeros((256, 4), np.uint8)).GetNumberOfTableValues()
    256
    """
    lut = vtkLookupTable()
    set_table(lut, values)
    return lut


def set_table(lut: vtkLookupTable, values: np.ndarray) -> None:
    """Put ``values`` ((n, 4) RGBA bytes) into ``lut``."""
    lut.SetTable(numpy_to_vtk(np.ascontiguousarray(values, np.uint8), deep=True))


def table_values(lut: vtkLookupTable) -> np.ndarray:
    """``lut``'s ``(n, 4)`` RGBA bytes."""
    return vtk_to_numpy(lut.GetTable()).copy()


def headlight() -> vtkLight:
    """A white light at the camera (pyvista's ``Light(light_type='headlight')``)."""
    light = vtkLight()
    light.SetLightTypeToHeadlight()
    light.SetIntensity(1.0)
    light.SetPositional(False)
    return light


def corner_text(font_size: int = 10) -> vtkCornerAnnotation:
    """White text in the view's corners (pyvista's ``add_text(position='upper_left',
    font_size=...)``: a corner annotation scaled linearly by ``font_size // 2``)."""
    text = vtkCornerAnnotation()
    text.SetLinearFontScaleFactor(font_size // 2)
    prop = text.GetTextProperty()
    prop.SetColor(1.0, 1.0, 1.0)
    prop.SetFontFamilyToArial()
    prop.SetItalic(False)
    prop.SetBold(False)
    text.SetPickable(False)
    return text


#: Render-window height (px) up to which the 3D view's text keeps its desktop size; a taller
#: view (1920×1080, 4K) scales it in proportion, so it keeps its share of the picture.
TEXT_REFERENCE_PX = 540
#: The structure legend's entry text height at the reference size (px; it was ~6 px at
#: 1280×720, review12 #11, when the box was a fixed fraction of the view).
LEGEND_FONT_PX = 11


def text_scale(view_height: int) -> float:
    """How much the 3D view's text grows for a render window ``view_height`` px high.

    Examples
    --------
    >>> text_scale(360), text_scale(540), text_scale(1620)
    (1.0, 1.0, 3.0)
    """
    return max(1.0, float(view_height) / TEXT_REFERENCE_PX)


def legend_extent(texts: list[str], font_px: float, view: tuple[int, int],
                  most: tuple[float, float] = (0.45, 0.6)) -> tuple[float, float]:
    """(width, height) of a :func:`legend_box` in view fractions, so that ``texts`` show at
    about ``font_px`` px (vtkLegendBoxActor fits its text into the box it is given); never
    more than ``most`` of the view (the text is then smaller).

    Examples
    --------
    >>> w, h = legend_extent(["Left atrium"] * 12, 12, (435, 360))
    >>> round(w, 2), round(h, 2)
    (0.22, 0.49)
    >>> legend_extent(["Left atrium"], 12, (435, 360), most=(0.1, 0.02))
    (0.1, 0.02)
    """
    width, height = max(view[0], 1), max(view[1], 1)
    entry = 1.18 * font_px  # one entry's line (the text's ascent and descent)
    chars = max((len(t) for t in texts), default=1)
    w_px = 0.56 * font_px * chars + entry + 8  # Arial's mean advance, the square, padding
    h_px = entry * len(texts) + 6
    return min(w_px / width, most[0]), min(h_px / height, most[1])


#: The legend's short names, by vocabulary key (legend13): the full names ("Biventricular
#: epicardium", 24 characters) made the legend 40 % of the view wide at 1280×720, and the
#: heart beside it ~140 px. The Structures panel keeps the full names.
SHORT_NAMES: dict[str, str] = {
    "lv_blood": "LV blood", "rv_blood": "RV blood", "lv_myocardium": "LV wall",
    "epicardium": "Epicardium", "la": "L atrium", "ra": "R atrium", "aorta": "Aorta",
    "pulmonary_artery": "Pulm. artery", "pulmonary_veins": "Pulm. veins", "svc": "SVC",
    "ivc": "IVC", "valve_annuli": "Valve rings",
}
#: The legend's gap to the view's lower-left corner (view fractions; pyvista's 0.05 left
#: ~22 px of a 435 px view unused beside the heart).
LEGEND_CORNER = 0.015


def short_name(key: str, name: str) -> str:
    """The legend's name for structure ``key``: :data:`SHORT_NAMES`, else its ``name``.

    Examples
    --------
    >>> short_name("epicardium", "Biventricular epicardium"), short_name("x", "Thymus")
    ('Epicardium', 'Thymus')
    """
    return SHORT_NAMES.get(key, name)


def legend_box(entries: list[tuple[str, tuple[float, float, float]]], face: vtkPolyData,
               background, size: tuple[float, float]) -> vtkLegendBoxActor:
    """A legend at the lower left (:data:`LEGEND_CORNER` from the corner): one ``face``
    symbol and text per ``(text, colour)`` entry, on an opaque ``background`` panel without
    border (pyvista's ``add_legend(loc='lower left', border=False)``, nearer the corner).

    Examples
    --------
    >>> leg = legend_box([("LV", (1.0, 0.0, 0.0))], legend_square(), (0.9, 0.9, 0.9),
    ...                  (0.2, 0.05))
    >>> leg.GetNumberOfEntries(), leg.GetEntryString(0)
    (1, 'LV')
    """
    legend = vtkLegendBoxActor()
    legend.SetNumberOfEntries(len(entries))
    for i, (text, colour) in enumerate(entries):
        legend.SetEntry(i, face, str(text), list(colour))
    legend.SetPosition(LEGEND_CORNER, LEGEND_CORNER)
    legend.SetPosition2(size[0], size[1])
    legend.SetUseBackground(True)
    legend.SetBackgroundColor(_rgb8(background))
    legend.SetBorder(False)
    legend.GetEntryTextProperty().SetFontFamilyToArial()
    legend.SetBackgroundOpacity(1.0)
    legend.SetPickable(False)
    return legend


def legend_square() -> vtkPolyData:
    """The legend's square symbol (pyvista's ``make_legend_face('rectangle')``: a unit
    square, its base 0.1 above the text's baseline)."""
    pts = np.array([[0.5, -0.5, 0.0], [0.5, 0.5, 0.0], [-0.5, 0.5, 0.0], [-0.5, -0.5, 0.0]])
    pts[:, 1] += 0.6  # pyvista's offset, in its arithmetic (the base is 0.0999…98)
    return Surface(np.vstack([pts, pts]), np.array([[0, 1, 2, 3]]))  # pyvista's 8 points


def scalar_bar(lut: vtkLookupTable, title: str, *, fmt: str, title_font_size: int,
               label_font_size: int, n_labels: int = 5, position: tuple[float, float],
               size: tuple[float, float]) -> vtkScalarBarActor:
    """A vertical colour bar in white Arial (pyvista's ``add_scalar_bar(vertical=True,
    color='white', ...)``), ``size`` = (width, height) in viewport fractions."""
    bar = vtkScalarBarActor()
    bar.SetLookupTable(lut)
    bar.SetMaximumNumberOfColors(lut.GetNumberOfTableValues())
    bar.SetDrawTickLabels(True)
    bar.SetNumberOfLabels(n_labels)
    bar.SetWidth(size[0])
    bar.SetHeight(size[1])
    bar.SetPosition(*position)
    bar.SetLabelFormat(fmt)
    bar.SetOrientationToVertical()
    bar.SetUnconstrainedFontSize(True)
    bar.SetAnnotationTextScaling(False)
    for prop in (bar.GetLabelTextProperty(), bar.GetAnnotationTextProperty()):
        prop.SetColor(1.0, 1.0, 1.0)
        prop.SetShadow(False)
        prop.SetFontFamilyToArial()
        prop.SetItalic(False)
        prop.SetBold(False)
        prop.SetFontSize(label_font_size)
    bar.SetTitle(title)
    tp = bar.GetTitleTextProperty()
    tp.SetJustificationToCentered()
    tp.SetItalic(False)
    tp.SetBold(False)
    tp.SetShadow(False)
    tp.SetFontSize(title_font_size)
    tp.SetFontFamilyToArial()
    tp.SetColor(1.0, 1.0, 1.0)
    bar.SetUseOpacity(True)
    bar.SetDrawFrame(False)
    bar.SetPickable(False)
    return bar


def plane_widget(interactor, renderer, callback, *, normal, origin, bounds,
                 factor: float = 1.1):
    """A draggable, rotatable implicit plane in white (pyvista's ``add_plane_widget(
    implicit=True, normal_rotation=True, outline_translation=False)``); ``callback(normal,
    origin)`` after each drag. Returns the widget, switched on."""
    from vtkmodules.vtkInteractionWidgets import vtkImplicitPlaneWidget

    w = vtkImplicitPlaneWidget()
    w.GetNormalProperty().SetColor(1.0, 1.0, 1.0)
    w.GetOutlineProperty().SetColor(1.0, 1.0, 1.0)
    w.GetOutlineProperty().SetOpacity(1.0)
    w.SetTubing(False)
    w.SetOutlineTranslation(False)
    w.SetOriginTranslation(True)
    w.SetDrawPlane(False)
    w.AddObserver(vtkCommand.StartInteractionEvent, lambda wid, _e: wid.SetDrawPlane(True))
    w.AddObserver(vtkCommand.EndInteractionEvent, lambda wid, _e: wid.SetDrawPlane(False))
    w.SetPlaceFactor(factor)
    w.PlaceWidget(list(bounds))
    w.SetOrigin(list(origin))
    w.GetPlaneProperty().SetOpacity(0.5)
    w.SetInteractor(interactor)
    w.SetCurrentRenderer(renderer)
    w.SetNormal(list(normal))
    w.Modified()
    w.UpdatePlacement()
    w.On()

    def moved(wid, _event) -> None:
        plane = vtkPlane()
        wid.GetPlane(plane)
        callback(plane.GetNormal(), plane.GetOrigin())

    w.AddObserver(vtkCommand.EndInteractionEvent, moved)
    moved(w, None)
    return w


def screenshot(render_window) -> np.ndarray:
    """The render window's back buffer as an ``(h, w, 3)`` uint8 array, top row first."""
    grab = vtkWindowToImageFilter()
    grab.SetInput(render_window)
    grab.ReadFrontBufferOff()
    grab.SetInputBufferTypeToRGB()
    grab.Update()
    img = grab.GetOutput()
    w, h, _ = img.GetDimensions()
    data = vtk_to_numpy(img.GetPointData().GetScalars()).reshape(h, w, -1)
    return np.ascontiguousarray(data[::-1])


def save_png(image: np.ndarray, path: str) -> None:
    """Write an ``(h, w, 3)`` uint8 image as PNG (through Qt: no imaging library)."""
    from PySide6.QtGui import QImage

    h, w, _ = image.shape
    data = np.ascontiguousarray(image)
    QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).save(str(path))


#: Where the colour bar starts (view fraction from the left; :func:`scalar_bar`'s position)
#: and where the corner text's line ends (from the bottom): the heart is fitted between them.
BAR_LEFT = 0.77
TEXT_BOTTOM = 0.92
#: The camera's view angle (degrees) before :func:`fit_beside` zooms (VTK's default).
VIEW_ANGLE = 30.0


def free_regions(legend: tuple[float, float, float, float] | None, margin: float = 0.02
                 ) -> list[tuple[float, float, float, float]]:
    """The parts of the view (``(x0, y0, x1, y1)`` fractions) the heart may fill without
    covering the legend (``legend``: its ``(x, y, width, height)``), the colour bar or the
    corner text: beside the legend, and above it.

    Examples
    --------
    >>> free_regions((0.05, 0.05, 0.3, 0.4))
    [(0.37, 0.02, 0.75, 0.9), (0.02, 0.47, 0.75, 0.9)]
    >>> free_regions(None)
    [(0.02, 0.02, 0.75, 0.9)]
    """
    x1, y1 = BAR_LEFT - margin, TEXT_BOTTOM - margin
    if legend is None:
        return [(margin, margin, x1, y1)]
    x, y, w, h = legend
    r = [(round(x + w + margin, 6), margin, x1, y1), (margin, round(y + h + margin, 6), x1, y1)]
    return [a for a in r if a[2] > a[0] and a[3] > a[1]]


def projected_box(renderer, most: int = 20000) -> tuple[float, float, float, float] | None:
    """Where the visible surfaces are drawn: ``(x0, y0, x1, y1)`` in view fractions, or
    None for an empty scene (their points, at most ``most`` of each, through the active
    camera: a bounding box's corners overstate a turned heart by about 1.7×)."""
    w, h = renderer.GetSize()
    if w <= 1 or h <= 1:
        return None
    m = np.array([[renderer.GetActiveCamera().GetCompositeProjectionTransformMatrix(
        w / h, -1.0, 1.0).GetElement(i, j) for j in range(4)] for i in range(4)])
    boxes = []
    actors = renderer.GetActors()
    actors.InitTraversal()
    for _ in range(actors.GetNumberOfItems()):
        actor = actors.GetNextActor()
        mapper = actor.GetMapper() if actor.GetVisibility() else None
        data = mapper.GetInput() if mapper is not None else None
        if data is None or not hasattr(data, "GetPoints") or data.GetPoints() is None:
            continue
        pts = vtk_to_numpy(data.GetPoints().GetData())
        if not len(pts):
            continue
        pts = pts[:: max(1, len(pts) // most)]
        a = np.array([[actor.GetMatrix().GetElement(i, j) for j in range(4)] for i in range(4)])
        clip = np.c_[pts, np.ones(len(pts))] @ (m @ a).T
        ndc = clip[:, :2] / clip[:, 3:4]
        boxes.append(np.r_[ndc.min(axis=0), ndc.max(axis=0)])
    if not boxes:
        return None
    b = np.array(boxes)
    x0, y0 = (b[:, :2].min(axis=0) + 1) / 2
    x1, y1 = (b[:, 2:].max(axis=0) + 1) / 2
    return float(x0), float(y0), float(x1), float(y1)


def fit_beside(renderer, legend: tuple[float, float, float, float] | None) -> float:
    """Reset the camera (its orientation kept) and fit the heart into the larger of
    :func:`free_regions` (camera zoom and window centre), so that the legend, the colour bar
    and the corner text do not cover it. Returns the zoom applied (≤ 1: never larger than
    the camera reset made it).

    Examples
    --------
    >>> from vtkmodules.vtkRenderingCore import vtkRenderer
    >>> fit_beside(vtkRenderer(), None)  # an empty scene: nothing to fit
    1.0
    """
    cam = renderer.GetActiveCamera()
    cam.SetWindowCenter(0.0, 0.0)
    cam.SetViewAngle(VIEW_ANGLE)
    renderer.ResetCamera()
    box = projected_box(renderer)
    if box is None:
        return 1.0
    bw, bh = max(box[2] - box[0], 1e-6), max(box[3] - box[1], 1e-6)

    def scale(r: tuple[float, float, float, float]) -> float:
        return min((r[2] - r[0]) / bw, (r[3] - r[1]) / bh)

    region = max(free_regions(legend), key=scale)
    zoom = min(scale(region), 1.0)
    cam.Zoom(zoom)
    # the zoom scales the drawing about the view's centre; the window centre then moves the
    # box's centre to the region's (a window centre of +d moves the drawing by −d/2 of it)
    cx, cy = 0.5 + zoom * ((box[0] + box[2]) / 2 - 0.5), 0.5 + zoom * ((box[1] + box[3]) / 2 - 0.5)
    cam.SetWindowCenter(2 * (cx - (region[0] + region[2]) / 2),
                        2 * (cy - (region[1] + region[3]) / 2))
    return zoom

"""The 3D view's plain-VTK scene pieces against the ones pyvista 0.49's plotter makes for the
same arguments (what the view built before, session 8): every setting that shows."""

from __future__ import annotations

import numpy as np
import pytest

pv = pytest.importorskip("pyvista")

from twinviewer.gui import view3d_scene as scene  # noqa: E402
from twinviewer.gui.colour_tables import colour_table  # noqa: E402


def _same(a, b, getters) -> None:
    for g in getters:
        va, vb = getattr(a, g)(), getattr(b, g)()
        if isinstance(va, tuple | list):
            assert np.allclose(va, vb), (g, va, vb)
        else:
            assert va == vb, (g, va, vb)


TEXT = ("GetFontFamily", "GetFontSize", "GetColor", "GetShadow", "GetBold", "GetItalic",
        "GetOpacity", "GetJustification", "GetVerticalJustification")


@pytest.fixture
def plotter():
    p = pv.Plotter(off_screen=True)
    yield p
    p.close()


def test_surface_actor_is_pyvistas_smooth_shaded_mesh(plotter):
    sphere = pv.Sphere()
    theirs = plotter.add_mesh(sphere, color=(0.8, 0.3, 0.25), opacity=0.7,
                              smooth_shading=True, show_scalar_bar=False, render=False)
    mine = scene.surface_actor(scene.polydata(np.asarray(sphere.points),
                                              np.asarray(sphere.regular_faces)),
                               (0.8, 0.3, 0.25), 0.7)
    _same(mine.GetProperty(), theirs.GetProperty(),
          ("GetInterpolation", "GetAmbient", "GetDiffuse", "GetSpecular", "GetSpecularPower",
           "GetColor", "GetDiffuseColor", "GetAmbientColor", "GetSpecularColor", "GetLighting",
           "GetPointSize", "GetLineWidth", "GetRepresentation", "GetEdgeVisibility",
           "GetBackfaceCulling", "GetOpacity"))
    _same(mine.GetMapper(), theirs.GetMapper(),
          ("GetScalarVisibility", "GetInterpolateScalarsBeforeMapping", "GetColorMode"))
    assert mine.GetPickable() == theirs.GetPickable()


def test_surface_arrays_are_views_of_vtk_memory():
    s = scene.polydata(np.eye(3), np.array([[0, 1, 2]]), np.array([1.0, 2.0, 3.0]))
    s["overlay"][:] = [4.0, 5.0, 6.0]
    assert s.GetPointData().GetScalars().GetName() == "overlay"
    assert s.GetPointData().GetScalars().GetValue(2) == 6.0
    assert s.GetPointData().GetArray("uncertainty_mm").GetValue(1) == 2.0
    s.points[0] = [7.0, 8.0, 9.0]
    assert s.GetPoint(0) == (7.0, 8.0, 9.0)
    assert np.array_equal(pv.wrap(s).regular_faces, [[0, 1, 2]])


def test_lookup_table_is_pyvistas():
    values = colour_table("viridis")
    mine, theirs = scene.lookup_table(values), pv.LookupTable(values=values)
    assert np.array_equal(scene.table_values(mine), np.asarray(theirs.values))
    _same(mine, theirs, ("GetNumberOfTableValues", "GetTableRange", "GetRamp", "GetScale",
                         "GetNanColor", "GetUseBelowRangeColor", "GetUseAboveRangeColor"))
    scene.set_table(mine, colour_table("plasma"))
    assert np.array_equal(scene.table_values(mine), colour_table("plasma"))


def test_corner_text_is_pyvistas(plotter):
    theirs = plotter.add_text("", position="upper_left", font_size=10, color="white",
                              render=False)
    mine = scene.corner_text(font_size=10)
    _same(mine, theirs, ("GetLinearFontScaleFactor", "GetNonlinearFontScaleFactor",
                         "GetMaximumFontSize", "GetMinimumFontSize", "GetMaximumLineHeight"))
    _same(mine.GetTextProperty(), theirs.GetTextProperty(), TEXT)


def test_legend_is_pyvistas(plotter):
    from pyvista.plotting.renderer import make_legend_face

    labels = [["LV blood pool", (0.8, 0.1, 0.1)], ["Aorta", (0.9, 0.4, 0.3)]]
    size = (0.22, 0.096)
    theirs = plotter.add_legend(labels, bcolor=(0.93, 0.93, 0.93), border=False, size=size,
                                loc="lower left", face="rectangle")
    mine = scene.legend_box([(t, tuple(pv.Color(c).float_rgb)) for t, c in labels],
                            scene.legend_square(), (0.93, 0.93, 0.93), size)
    # pyvista's corner gap is 0.05 of the view; ours 0.015, so the heart has more room at
    # 1280×720 (legend13): the same size, the corner nearer
    assert np.allclose(mine.GetPosition(), (0.015, 0.015))
    assert np.allclose(theirs.GetPosition(), (0.05, 0.05))
    _same(mine, theirs, ("GetPosition2", "GetUseBackground",
                         "GetBackgroundColor", "GetBackgroundOpacity", "GetBorder",
                         "GetNumberOfEntries", "GetPadding", "GetScalarVisibility"))
    _same(mine.GetEntryTextProperty(), theirs.GetEntryTextProperty(), TEXT)
    for i in range(2):
        assert mine.GetEntryString(i) == theirs.GetEntryString(i)
        assert np.allclose(mine.GetEntryColor(i), theirs.GetEntryColor(i))
    assert np.array_equal(pv.wrap(mine.GetEntrySymbol(0)).points,
                          make_legend_face("rectangle").points)


def test_scalar_bar_is_pyvistas(plotter):
    lut = scene.lookup_table(colour_table("viridis"))
    lut.SetTableRange(0.0, 120.0)
    actor = plotter.add_mesh(pv.Sphere(), color="red", render=False)
    actor.mapper.lookup_table = pv.LookupTable(values=colour_table("viridis"))
    theirs = plotter.add_scalar_bar("Pressure (mmHg)", mapper=actor.mapper, vertical=True,
                                    position_x=0.78, position_y=0.2, height=0.6, width=0.06,
                                    title_font_size=14, label_font_size=12, n_labels=5,
                                    fmt="%.0f", color="white")
    mine = scene.scalar_bar(lut, "Pressure (mmHg)", fmt="%.0f", title_font_size=14,
                            label_font_size=12, n_labels=5, position=(0.78, 0.2),
                            size=(0.06, 0.6))
    _same(mine, theirs, ("GetTitle", "GetMaximumNumberOfColors", "GetDrawTickLabels",
                         "GetNumberOfLabels", "GetWidth", "GetHeight", "GetPosition",
                         "GetLabelFormat", "GetOrientation", "GetUnconstrainedFontSize",
                         "GetAnnotationTextScaling", "GetUseOpacity", "GetDrawFrame",
                         "GetDrawBackground", "GetDrawAnnotations", "GetTextPosition",
                         "GetBarRatio", "GetTitleRatio"))
    for prop in ("GetTitleTextProperty", "GetLabelTextProperty", "GetAnnotationTextProperty"):
        _same(getattr(mine, prop)(), getattr(theirs, prop)(), TEXT)


def test_headlight_is_pyvistas():
    theirs = pv.Light(light_type="headlight", intensity=1.0)
    _same(scene.headlight(), theirs, ("GetLightType", "GetIntensity", "GetPositional",
                                      "GetDiffuseColor", "GetAmbientColor",
                                      "GetSpecularColor", "GetSwitch"))

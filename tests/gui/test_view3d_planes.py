"""Long-axis image planes in the 3D view: true position, in step with the cine, a toggle."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twinviewer.core.anatomy import Anatomy, ImagePlane, ImageVolume, Structure, SurfaceMesh


def _anatomy_with_plane() -> tuple[Anatomy, ImagePlane]:
    import pyvista as pv

    s = pv.Sphere(radius=30.0)
    lv = Structure("lv_blood", "LV blood pool", (1.0, 0.0, 0.0),
                   {0: SurfaceMesh(np.asarray(s.points, float), np.asarray(s.regular_faces))})
    # an oblique plane: rows along (cos 30°, sin 30°, 0), columns along z, 1.5 mm pixels
    c, si = np.cos(np.pi / 6), np.sin(np.pi / 6)
    affine = np.eye(4)
    affine[:3, :3] = np.column_stack([[si, -c, 0.0], [1.5 * c, 1.5 * si, 0.0],
                                      [0.0, 0.0, 1.5]])
    affine[:3, 3] = [-20.0, -10.0, -30.0]
    arr = np.zeros((3, 1, 40, 50), np.float32)
    for p in range(3):
        arr[p, 0, :, :] = 100.0 * p
    arr[:, 0, 0, :] = 400.0  # a bright first row: the texture's top edge
    img = ImageVolume(arr, affine, (1.0, 1.5, 1.5), [float("nan")] * 3)
    plane = ImagePlane("4CH", img)
    return Anatomy("x", {"lv_blood": lv}, planes=[plane]), plane


@pytest.fixture()
def window(make_twin_window):
    return make_twin_window(load_demo=False)


def test_planes_sit_at_their_true_position_and_follow_the_cine(window):
    a, plane = _anatomy_with_plane()
    v = window.view3d
    v.set_anatomy(a)
    assert len(v.image_planes) == 1 and v.planes_box.isVisibleTo(v)
    _, actor, textures, _ = v.image_planes[0]
    # hidden until asked for (opaque planes would hide the heart), then shown
    assert not actor.GetVisibility() and not v.planes_box.isChecked()
    v.planes_box.setChecked(True)
    assert actor.GetVisibility()
    # corners on the pixel edges, through the image affine (patient mm)
    corners = plane.image.index_to_patient([[0, -0.5, -0.5], [0, 39.5, 49.5]])
    quad = pv.wrap(actor.GetMapper().GetInput())
    assert np.allclose(quad.points[0], corners[0]) and np.allclose(quad.points[2], corners[1])
    # the bright first row is at v = 1 of the texture and at the row -0.5 edge of the quad
    tex = textures[0].to_image()
    top = tex.point_data.active_scalars.reshape(tex.dimensions[1], tex.dimensions[0], -1)
    assert top[-1, :, 0].min() > 250 and top[:-1, :, 0].max() < 50
    assert np.allclose(quad.active_texture_coordinates[0], [0, 1])
    # in step with the model's time (no times: phases spread over the beat)
    assert actor.GetTexture() is textures[0]
    window.state.session.set_time(0.34)
    assert actor.GetTexture() is textures[1]
    window.state.session.set_time(0.67)
    assert actor.GetTexture() is textures[2]
    # the toggle hides and shows them
    v.planes_box.setChecked(False)
    assert not actor.GetVisibility()
    v.set_planes_visible(True)
    assert actor.GetVisibility() and v.planes_box.isChecked()


def test_anatomy_without_planes_hides_the_toggle(window):
    a, _ = _anatomy_with_plane()
    a.planes = []
    window.view3d.set_anatomy(a)
    assert not window.view3d.image_planes
    assert not window.view3d.planes_box.isVisibleTo(window.view3d)

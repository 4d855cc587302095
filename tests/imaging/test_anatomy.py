"""core.anatomy: mesh volume by divergence theorem, index conventions, dict round trips."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, ImageVolume, Structure, SurfaceMesh
from twinviewer.core.measurement import Measurement

CUBE_PTS = np.array([[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0],
                     [0, 0, 10], [10, 0, 10], [10, 10, 10], [0, 10, 10]], float)
CUBE_FACES = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
                       [2, 3, 7], [2, 7, 6], [1, 2, 6], [1, 6, 5], [0, 4, 7], [0, 7, 3]])


def test_cube_volume_is_one_ml_and_translation_invariant():
    m = SurfaceMesh(CUBE_PTS, CUBE_FACES)
    assert m.volume_ml() == pytest.approx(1.0)
    assert SurfaceMesh(CUBE_PTS + [120.0, -300.0, 55.0], CUBE_FACES).volume_ml() == \
        pytest.approx(1.0)
    assert m.area_mm2() == pytest.approx(600.0)


def test_inverted_faces_give_negative_volume():
    assert SurfaceMesh(CUBE_PTS, CUBE_FACES[:, ::-1]).volume_ml() == pytest.approx(-1.0)


def test_bad_mesh_arrays_are_refused():
    with pytest.raises(ValueError, match="faces index points"):
        SurfaceMesh(CUBE_PTS, CUBE_FACES + 8)
    with pytest.raises(ValueError, match="uncertainty_mm has 3 values for 8 points"):
        SurfaceMesh(CUBE_PTS, CUBE_FACES, np.zeros(3))


def test_image_index_patient_round_trip_uses_kji_order():
    affine = np.eye(4)
    affine[:3, 0] = [0, 0, 2.5]   # k -> z
    affine[:3, 1] = [0, 0.7, 0]   # j -> y
    affine[:3, 2] = [0.7, 0, 0]   # i -> x
    affine[:3, 3] = [-50, 20, 100]
    img = ImageVolume(np.zeros((4, 5, 6), np.float32), affine, (2.5, 0.7, 0.7))
    assert img.n_phases == 1 and img.shape == (4, 5, 6)
    xyz = img.index_to_patient([[1, 2, 3]])
    np.testing.assert_allclose(xyz, [[-50 + 2.1, 20 + 1.4, 102.5]])
    np.testing.assert_allclose(img.patient_to_index(xyz), [[1, 2, 3]])


def test_anatomy_dict_round_trip():
    s = Structure("la", "Left atrium", (1.0, 0.5, 0.5), {0: SurfaceMesh(CUBE_PTS, CUBE_FACES)},
                  {0: Measurement("la volume", 40.0, "mL", 3.0, "CT segmentation")})
    img = ImageVolume(np.ones((2, 3, 4, 5), np.float32), np.eye(4), (1, 1, 1), [0.0, 300.0],
                      0, 1, "CT", "x")
    a = Anatomy("TW-1", {"la": s}, img, {0: np.ones((3, 4, 5), np.uint8)}, {"la": 4},
                [Measurement("LVEF", 60.0, "%", 3.0)], ["note"])
    b = Anatomy.from_dict(a.to_dict())
    assert b.pseudonym == "TW-1" and b.notes == ["note"]
    assert b.structures["la"].meshes[0].volume_ml() == pytest.approx(1.0)
    assert b.structures["la"].volumes[0].value == 40.0
    assert b.image.es_index == 1 and b.image.phase_times_ms == [0.0, 300.0]
    assert b.labels[0].dtype == np.uint8
    assert b.measurement("LVEF").value == 60.0

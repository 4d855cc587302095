"""The moving demo heart: biv-me ventricles, our atria and vessels, one topology per structure."""

from __future__ import annotations

import numpy as np

from twinviewer.imaging.demo4d import demo_heart_4d
from twinviewer.imaging.meshing import check_surface


def test_demo_heart_moves_with_shared_topology():
    a = demo_heart_4d()
    assert set(a.structures) == {"lv_blood", "rv_blood", "epicardium", "la", "ra", "aorta",
                                 "pulmonary_artery", "lv_myocardium", "svc", "ivc",
                                 "pulmonary_veins", "valve_annuli"}
    assert len(a.phase_times_ms) == 25 and a.rr_ms == 860.0
    for s in a.structures.values():
        assert sorted(s.meshes) == list(range(25))
        f0 = s.meshes[0].faces
        assert all(np.array_equal(m.faces, f0) for m in s.meshes.values())
        assert all(v.uncertainty > 0 for v in s.volumes.values())
    lv = [a.structures["lv_blood"].volumes[p].value for p in range(25)]
    la = [a.structures["la"].volumes[p].value for p in range(25)]
    es = int(np.argmin(lv))
    assert int(np.argmax(la)) == es  # atria fill while the ventricles eject
    assert check_surface(a.structures["la"].meshes[es].points,
                         a.structures["la"].meshes[es].faces) == []
    # the LA sits on the mitral annulus: its nearest point within 15 mm of the LV base
    from twinviewer.imaging.demo4d import _annulus
    mitral = _annulus(a.structures["lv_blood"].meshes[0], 1)[0]
    d = np.linalg.norm(a.structures["la"].meshes[0].points - mitral, axis=1).min()
    assert d < 15.0


def test_moving_anatomy_survives_a_twin_file(tmp_path):
    """Caps, planes, phase times and R-R are written to and read back from a .twin file."""
    import dataclasses

    from twinviewer.core.anatomy import ImagePlane, ImageVolume
    from twinviewer.imaging.bivme import load_bivme
    from twinviewer.io.twinfile import load_twin, save_twin
    from twinviewer.twins import twin_from_preset

    a = load_bivme()
    for s in a.structures.values():  # three frames keep the file small
        s.meshes = {p: s.meshes[p] for p in range(3)}
        s.volumes = {p: s.volumes[p] for p in range(3)}
    a.phase_times_ms = a.phase_times_ms[:3]
    a.planes = [ImagePlane("4CH", ImageVolume(np.zeros((3, 1, 8, 8), np.float32), np.eye(4),
                                              (1.0, 1.0, 1.0), [0.0, 34.4, 68.8]), "2.25.1")]
    twin = dataclasses.replace(twin_from_preset("healthy", n=1), anatomy=a)
    save_twin(tmp_path / "a.twin", twin)
    b = load_twin(tmp_path / "a.twin").twin.anatomy
    m = b.structures["rv_blood"].meshes[2]
    assert m.cap_mask.dtype == bool and m.cap_mask.sum() == a.structures[
        "rv_blood"].meshes[2].cap_mask.sum()
    assert b.planes[0].view == "4CH" and b.rr_ms == 860.0 and len(b.phase_times_ms) == 3

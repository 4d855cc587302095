"""The moving demo heart: biv-me ventricles, our atria and vessels, one topology per structure."""

from __future__ import annotations

import numpy as np

from twinviewer.imaging.demo4d import demo_heart_4d
from twinviewer.imaging.meshing import check_surface


def test_demo_heart_moves_with_shared_topology():
    a = demo_heart_4d()
    assert set(a.structures) == {"lv_blood", "rv_blood", "epicardium", "la", "ra", "aorta",
                                 "pulmonary_artery"}
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

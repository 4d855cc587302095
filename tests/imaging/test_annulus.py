"""The annulus plane's geometry: depth sign, fitting through hinge points of one or two views."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.imaging.annulus import Annuli, AnnulusPlane, _fill_tricuspid, _fit, _tricuspid


def test_depth_is_positive_towards_the_apex():
    p = AnnulusPlane(np.array([0.0, 0.0, 10.0]), np.array([0.0, 0.0, 1.0]), np.zeros((0, 3)))
    assert p.depth(np.array([[5.0, 5.0, 14.0], [0.0, 0.0, 4.0]])).tolist() == [4.0, -6.0]


def test_four_hinges_give_their_tilted_plane():
    u = np.array([0.0, 0.0, 1.0])
    tilt = np.radians(20.0)
    n = np.array([np.sin(tilt), 0.0, np.cos(tilt)])
    e1 = np.array([np.cos(tilt), 0.0, -np.sin(tilt)])
    e2 = np.array([0.0, 1.0, 0.0])
    c = np.array([3.0, -2.0, 7.0])
    pts = np.array([c + 15 * e1, c - 15 * e1, c + 13 * e2, c - 13 * e2])
    plane = _fit(pts, u, [pts[1] - pts[0]])
    assert plane.normal @ n == pytest.approx(1.0, abs=1e-9)  # oriented towards the apex
    assert plane.depth(c[None])[0] == pytest.approx(0.0, abs=1e-9)


def test_one_view_gives_the_plane_through_its_hinge_line():
    u = np.array([0.0, 0.0, 1.0])
    pts = np.array([[-15.0, 0.0, 2.0], [15.0, 0.0, 8.0]])
    plane = _fit(pts, u, [pts[1] - pts[0]])
    assert np.allclose(plane.depth(pts), 0.0)
    assert plane.normal @ u > 0.9 and abs(plane.normal[1]) < 1e-9
    assert _fit(pts[:1], u, []) is None


def test_a_phase_without_a_septal_tricuspid_hinge_takes_it_interpolated_over_the_cycle():
    u = np.array([0.0, 0.0, 1.0])
    tilt = np.radians(10.0)
    n = np.array([np.sin(tilt), 0.0, np.cos(tilt)])
    out = Annuli()
    for p in range(4):
        out.mitral[p] = AnnulusPlane(np.array([0.0, 0.0, 2.0 * p]), n, np.zeros((0, 3)))
    hinges = {0: [30.0, 0.0, 10.0], 1: [30.0, 0.0, 14.0], 3: [30.0, 0.0, 12.0]}
    for p, h in hinges.items():
        out.tricuspid[p] = _tricuspid(np.array(h), out.mitral[p], u)
    _fill_tricuspid(out, np.array([0.0, 200.0, 400.0, 600.0]), u)
    plane = out.tricuspid[2]
    # halfway (in time) between phases 1 and 3: z = 13 mm; the mitral plane's orientation
    assert plane.point.tolist() == pytest.approx([30.0, 0.0, 13.0])
    assert plane.normal @ n == pytest.approx(1.0)
    assert plane.hinges.shape == (0, 3)  # not seen: no hinge of its own
    assert "not seen in phase(s) 2" in out.notes[-1]
    # without a mitral plane the tricuspid plane is normal to the long axis
    assert _tricuspid(np.array([1.0, 2.0, 3.0]), None, u).normal.tolist() == [0.0, 0.0, 1.0]

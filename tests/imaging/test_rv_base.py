"""The tricuspid orifice (lateral hinge, orifice geometry) and the basal RV cut at it only."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.imaging.rv_base import (
    TricuspidOrifice,
    basal_rv,
    interp_cycle,
    lateral_hinge,
    orifice,
)


def _four_chamber(ra_lateral_mm: float, noise: float = 0.02, seed: int = 0):
    """A 4CH-like frame at 1 mm: rows ``a`` along the long axis (base → apex), columns ``s``.
    The RV pool (blood 0.95) spans s 0–40 mm from a = 0 to the apex; the right atrium above it
    (a < 0) reaches ``ra_lateral_mm`` laterally; tissue 0.42 elsewhere, blurred like a 2 mm
    pixel."""
    from scipy import ndimage

    a = np.arange(-50.0, 90.0)
    s = np.arange(-60.0, 80.0)
    aa, ss = np.meshgrid(a, s, indexing="ij")
    rv = (aa >= 0) & (aa <= 80) & (ss >= 0) & (ss <= 40 - 0.1 * aa)
    ra = (aa < 0) & (aa > -40) & (ss >= 0) & (ss <= ra_lateral_mm)
    img = np.where(rv | ra, 0.95, 0.42)
    img = ndimage.gaussian_filter(img, 1.0)
    img = img + np.random.default_rng(seed).normal(0, noise, img.shape)
    centres = np.c_[np.arange(20.0, 70.0, 10.0), np.full(5, 18.0)]
    return img, a, s, centres


def test_the_lateral_hinge_is_where_the_rv_border_steps_in_to_the_atrium():
    img, a, s, centres = _four_chamber(ra_lateral_mm=25.0)
    hinge = lateral_hinge(img, a, s, centres, side=1, start_a=40.0)
    assert hinge is not None
    assert hinge[0] == pytest.approx(0.0, abs=2.0)  # the row of the annulus
    assert hinge[1] == pytest.approx(40.0, abs=2.0)  # on the RV's lateral border


def test_no_step_no_hinge():
    """An atrium as wide as the RV (no atrioventricular groove in the image), or no bright pool
    at the RV's centres: no hinge, rather than a guess."""
    img, a, s, centres = _four_chamber(ra_lateral_mm=40.0)
    assert lateral_hinge(img, a, s, centres, side=1, start_a=40.0) is None
    dark = np.full_like(img, 0.42)
    assert lateral_hinge(dark, a, s, centres, side=1, start_a=40.0) is None


def test_orifice_between_two_hinges_and_its_atrial_cylinder():
    u = np.array([0.0, 0.0, 1.0])
    o = orifice(np.array([-15.0, 0.0, 0.0]), np.array([15.0, 0.0, 0.0]),
                np.array([0.0, 1.0, 0.0]), u)
    assert o.centre.tolist() == [0.0, 0.0, 0.0] and o.radius == pytest.approx(15.0)
    assert o.normal.tolist() == pytest.approx([0.0, 0.0, 1.0])
    pts = np.array([[0.0, 0.0, -5.0],   # above the orifice: atrium
                    [0.0, 20.0, -5.0],  # above, within the rim
                    [0.0, 30.0, -5.0],  # above, beyond the rim: e.g. the RVOT
                    [0.0, 0.0, 5.0]])   # below: ventricle
    assert o.atrial(pts, rim_mm=8.0, margin_mm=0.0).tolist() == [True, True, False, False]
    assert o.atrial(pts, rim_mm=8.0, margin_mm=6.0).tolist()[3]


def test_a_phase_without_a_lateral_hinge_takes_it_interpolated_over_the_cycle():
    t = np.array([0.0, 200.0, 400.0, 600.0])
    known = {0: np.array([0.0, 0.0, 10.0]), 1: np.array([0.0, 0.0, 14.0]),
             3: np.array([0.0, 0.0, 12.0])}
    assert interp_cycle(t, known, 2).tolist() == pytest.approx([0.0, 0.0, 13.0])


def test_basal_rv_keeps_the_outflow_tract_and_drops_the_atrium_over_the_orifice():
    """A basal slice: the RV below is a crescent; on this slice the blood over it is the
    atrium (over the orifice) on one side and the RVOT on the other."""
    ny = nx = 60
    yy, xx = np.mgrid[0:ny, 0:nx]
    below = (np.hypot(yy - 30, xx - 30) < 20) & (xx > 32)
    ra = (np.hypot(yy - 40, xx - 42) < 7)
    rvot = (np.hypot(yy - 16, xx - 40) < 5)
    img = np.where(ra | rvot, 950.0, 300.0)
    atrial = np.hypot(yy - 40, xx - 42) < 9  # the orifice's cylinder on this slice
    none = np.zeros((ny, nx), bool)
    rv = basal_rv(img, ra | rvot, below, none, none, atrial, 6.0, 2.0)
    assert rv[rvot].all() and not rv[ra].any()
    # the seed found nothing on this slice: the blood over the RV below, minus the atrium
    rv = basal_rv(img, none, below, none, none, atrial, 6.0, 2.0)
    assert rv[rvot].mean() > 0.9 and not rv[ra].any()


def test_orifice_dataclass_holds_its_hinges():
    o = TricuspidOrifice(np.zeros(3), np.array([0.0, 0.0, 1.0]), 10.0, np.zeros((2, 3)))
    assert o.hinges.shape == (2, 3)

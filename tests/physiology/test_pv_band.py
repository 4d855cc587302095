"""The PV-loop band over each member's own cycle phase (:mod:`twinviewer.physiology.pv_band`),
checked against the members themselves: it holds the members' points near each of the loop's
four corners, and it leaves the median loop's inside open where the members do."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.path import Path

from twinviewer.physiology.pv_band import loop_centroid, phase_band
from twinviewer.physiology.virtual_hearts import predict

VALVES = {"LV": ("Q_MV", "Q_AV"), "RV": ("Q_TV", "Q_PV")}


def _band(name: str, side: str):
    r = predict(name)
    s, ok = r.series, r.ok
    q_in, q_out = VALVES[side]
    v, p = s[f"V_{side}"][ok], s[f"p_{side}"][ok]
    return v, p, phase_band(v, p, s[q_in][ok], s[q_out][ok])


@pytest.mark.parametrize("name", ["healthy", "hfref", "severe_mr"])
@pytest.mark.parametrize("side", ["LV", "RV"])
def test_the_band_holds_the_members_near_each_corner(name, side):
    """≥ 90 % of the members' samples within 2 samples of each of their own four events
    (valve closures and openings: the loop's corners) lie in the band."""
    v, p, band = _band(name, side)
    n = v.shape[1]
    rows = np.arange(len(v))[:, None]
    for k in range(4):
        idx = (band.events[:, k][:, None] + np.arange(-2, 3)[None, :]) % n
        inside = band.contains(v[rows, idx].ravel(), p[rows, idx].ravel())
        assert inside.mean() >= 0.9, (name, side, k, inside.mean())


@pytest.mark.parametrize("name", ["healthy", "severe_mr", "severe_as"])
def test_the_median_loops_inside_is_not_in_the_band(name):
    """Where (nearly) every member's loop encloses the median loop's centre, the band leaves
    it open; the band per time sample covered it (session-12 closing note)."""
    v, p, band = _band(name, "LV")
    centre = loop_centroid(band.v_median, band.p_median)
    enclosing = np.mean([Path(np.c_[v[i], p[i]]).contains_point(centre) for i in range(len(v))])
    # ≥ 0.94: the severe_mr prior sat exactly at 0.95 (190 of 200); its normotensive values
    # (fix15d) give 189 of 200, and the band still leaves the centre open (below)
    assert enclosing >= 0.94
    assert not band.contains(*centre)[0]
    assert len(band.rings) >= 2  # an outer and an inner edge


def test_where_members_cross_the_centre_the_band_says_so():
    """The prior HFrEF ensemble's volumes spread over 97 mL at one phase (5–95 %), twice its
    loop's width: over 5 % of the members' loops pass within 3 mL and 3 mmHg of the median
    loop's centre, so an honest 90 % band covers it (it is not hidden to look tidy)."""
    v, p, band = _band("hfref", "LV")
    cx, cy = loop_centroid(band.v_median, band.p_median)
    near = ((np.abs(v - cx) < 3) & (np.abs(p - cy) < 3)).any(axis=1).mean()
    assert near > 0.05
    assert band.contains(cx, cy)[0]


def test_the_events_are_the_valve_events_in_order():
    """Mitral closure, aortic opening, aortic closure, mitral opening, in the cycle's order;
    the median loop's corners have the volumes of end-diastole and end-systole."""
    v, p, band = _band("healthy", "LV")
    e = band.events
    off = (e - e[:, :1]) % v.shape[1]
    assert np.all(np.diff(off, axis=1) > 0)
    m = len(band.v_median) // 4
    assert abs(band.v_median[0] - np.median(v.max(axis=1))) < 3.0  # mL
    assert abs(band.v_median[2 * m] - np.median(v.min(axis=1))) < 3.0
    # isovolumic: volume hardly changes from mitral closure to aortic opening
    assert abs(band.v_median[m] - band.v_median[0]) < 3.0


def test_a_valve_that_never_opens_falls_back_to_the_loops_geometry():
    """Full LVAD support: the aortic valve stays shut (no outflow); the band is still made,
    its events from the loop's geometry, in order."""
    v, p, _ = _band("healthy", "LV")
    r = predict("healthy")
    band = phase_band(v, p, r.series["Q_MV"][r.ok], np.zeros_like(v))
    off = (band.events - band.events[:, :1]) % v.shape[1]
    assert np.all(np.diff(off, axis=1) >= 0)
    assert np.isfinite(band.v_median).all() and band.rings

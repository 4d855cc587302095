"""A cine stack planned from the valve plane, imported without long-axis views (issue 13
point 2, phantom10): its first slab reaches beyond the ventricle, and the import must not
add a basal gap beyond it.

Truth: the analytic phantom (LV pool ``2/3 π R² L`` exactly; RV on a 1.5 mm grid, within
0.2 % of a 1 mm one). Its 13 contiguous 8 mm slices start 2 mm below the mitral plane, so
the first slab spans −2…6 mm: a quarter of it lies beyond the base. Before phantom10 the
coverage step added half a spacing of pool beyond that slab: LVEDV +7.3 %, RVEDV about
+8 % on this import (seg9lv: LV +6.5 to +7.7 %).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.imaging.cine_phantom import CineHeart, sa_stack
from twinviewer.imaging.coverage import (
    BASE_INSIDE,
    EXTRAPOLATED,
    FILL_INSIDE,
    basal_fill,
    base_inside_ml,
    complete_volumes,
    find_gaps,
    is_coverage_note,
)
from twinviewer.imaging.measure import structure_volumes
from twinviewer.imaging.segmentation import LABEL_VALUES
from twinviewer.imaging.study import import_study

KEY = b"basal-slice-test-key-0123456789ab"
N_PHASES = 5  # ED at 0, ES at 0.4 of R-R
Z90 = 1.645
FROM_BASE = tuple(float(a) for a in np.arange(2.0, 106.0, 8.0))  # the phantom's default stack


@pytest.fixture(scope="module")
def planned_from_base(tmp_path_factory):
    root = tmp_path_factory.mktemp("from_base")
    write_cine_study(root, n_phases=N_PHASES, la_views=(), sa_positions_mm=FROM_BASE)
    return import_study(root, key=KEY)


def test_without_long_axis_views_within_5_percent(planned_from_base):
    """End to end (DICOM → import): LV and RV EDV/ESV within 5 % of the phantom's and inside
    their 90 % intervals (the old import read LVEDV 155.6 mL, +7.3 %)."""
    a = planned_from_base
    h, m = CineHeart(), {x.name: x for x in a.measurements}
    ed, es = a.image.ed_index, a.image.es_index
    assert (ed, es) == (0, 2)
    truth = {"LVEDV": h.lv_volume_ml(ed / N_PHASES), "LVESV": h.lv_volume_ml(es / N_PHASES),
             "RVEDV": h.volumes_on_grid(ed / N_PHASES, 1.5)[3],
             "RVESV": h.volumes_on_grid(es / N_PHASES, 1.5)[3]}
    for name, t in truth.items():
        v = m[name]
        assert abs(v.value - t) <= 0.05 * t, (name, v, t)
        assert abs(v.value - t) <= Z90 * v.uncertainty, (name, v, t)
        assert BASE_INSIDE in v.source and EXTRAPOLATED not in v.source, (name, v.source)


def test_the_assumed_plane_is_said(planned_from_base):
    """The notes say where the plane was put and that it is assumed, first (they change the
    numbers); they are recognised as coverage notes (replaced on Accept)."""
    a = planned_from_base
    base = [n for n in a.notes if " base inside the most basal slice (slice 0)" in n]
    assert [n.split(" base")[0] for n in base] == ["LV", "RV", "LV myocardium"]
    assert all("assumed" in n and "no long-axis view gives the plane" in n for n in base)
    assert a.notes[0] in base and all(is_coverage_note(n) for n in base)
    assert not any("base not covered by the stack" in n for n in a.notes)


def _rendered_fraction(first_mm: float, thickness_mm: float = 8.0) -> float:
    """The share of the renderer's three through-slab samples on the ventricle's side."""
    return float(np.mean([first_mm + dz >= 0.0 for dz in (-thickness_mm / 3, 0.0,
                                                           thickness_mm / 3)]))


@pytest.mark.parametrize("first_mm", [2.0, 12.0])
def test_basal_fill_against_the_rendered_slab(first_mm):
    """The fraction read from the signal is within 0.1 of the fraction the phantom rendered
    (its three samples through the slab: 2/3 for a first slice 2 mm below the base, 1 at
    12 mm), on the phantom's own labels, LV and RV."""
    img, truth = sa_stack(n_phases=1, positions_mm=(first_mm, first_mm + 8.0), rows=80,
                          cols=80, pixel_mm=2.0)
    for key in ("lv_blood", "rv_blood"):
        f = basal_fill(img.array[0], truth[0], LABEL_VALUES[key], 0, 1,
                       LABEL_VALUES["lv_myocardium"])
        assert f == pytest.approx(_rendered_fraction(first_mm), abs=0.1), key


def test_full_basal_slab_keeps_the_gap_beyond():
    """A basal slab inside the ventricle (12 mm below the base) reads full: the plane stays
    assumed beyond the stack, as before (the Siemens-like study's 142.9 / 52.0 mL)."""
    img, truth = sa_stack(n_phases=1, positions_mm=(12.0, 24.0, 36.0), rows=80, cols=80,
                          pixel_mm=2.0)
    gaps = find_gaps(truth[0], img.spacing, LABEL_VALUES, img.array[0], 8.0)
    base = [g for g in gaps if g.end == "base"]
    assert {g.chamber for g in base} == {"LV", "RV"}
    assert all(g.fill is None and g.added_ml > 0 for g in base)


def test_base_inside_on_the_phantoms_own_labels():
    """The phantom's own slab-majority labels of the stack from the base, every phase: the
    whole-slab count cut at the plane found is closer to the exact LV than the old uniform
    gap, and within 3 %; below :data:`FILL_INSIDE` only on the basal slice."""
    n = 3
    img, truth = sa_stack(n_phases=n, rows=80, cols=80, pixel_mm=2.0)
    labels = {p: truth[p] for p in range(n)}
    raw = {p: structure_volumes(lab, img.spacing, LABEL_VALUES, "truth labels")
           for p, lab in labels.items()}
    new, gaps = complete_volumes(raw, labels, img.spacing, LABEL_VALUES, image=img)
    old, _ = complete_volumes(raw, labels, img.spacing, LABEL_VALUES)
    h = CineHeart()
    for p in range(n):
        exact = h.lv_volume_ml(p / n)
        lv = new[p]["lv_blood"].value
        assert abs(lv - exact) <= 0.03 * exact, (p, lv, exact)
        assert abs(lv - exact) < abs(old[p]["lv_blood"].value - exact)
        fills = [g.fill for g in gaps[p] if g.end == "base"]
        assert fills and all(f is not None and f < FILL_INSIDE for f in fills)


def test_base_inside_closed_form():
    """The change to a whole-slab count is the pool between the slab's basal face and the
    plane: with slices as thick as their spacing, ``(1 − fill)·t·A`` removed; with 12 mm
    spacing and 8 mm slabs a full slab still overcounts the 4 mm gap's basal half."""
    assert base_inside_ml(1000.0, 0.75, 8.0, 8.0)[0] == pytest.approx(-2.0)
    assert base_inside_ml(1000.0, 1.0, 8.0, 8.0)[0] == pytest.approx(0.0)
    assert base_inside_ml(1000.0, 1.0, 12.0, 8.0)[0] == pytest.approx(-2.0)
    assert base_inside_ml(1000.0, 0.5, 12.0, 8.0) == pytest.approx((-6.0, 0.8))


# -- review11 #10: the same study with its stack shifted along the axis ------------------------
#: First-slice centres (mm below the mitral plane) over a whole period of the 8 mm stack and
#: one slice more: a slice beyond the base (−4), the plane inside the basal slab (−2…+2), a
#: full basal slab with the plane 0…8 mm beyond it (+4…+12). The project's own test tried
#: only −2…+6 (the 2 mm default above).
SHIFTS_MM = (-4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
#: Where a full basal slab meets the 5 % bar only by luck of where the plane lies: without a
#: long-axis view the plane is anywhere within one spacing beyond the slab, so the assumed
#: half spacing of pool is off by up to ``A·s/2`` (±6.3 % of this LVEDV) before the label
#: count's own rim loss (about −2.5 %). Measured: +4: LVESV +5.4 %, RVEDV +5.5 %;
#: +10: LVEDV −5.5 %; +12: LVEDV −8.7 %.
OUT_OF_REACH_MM = (4.0, 10.0, 12.0)


def _import_shifted(tmp_path_factory, prefix: str, **study) -> dict:
    """``{first slice mm: (measurements by name, truth by name, notes)}``: the phantom's study
    (``study``: :func:`write_cine_study`'s options) at each of :data:`SHIFTS_MM`, imported."""
    h, out = CineHeart(), {}
    for start in SHIFTS_MM:
        root = tmp_path_factory.mktemp(f"{prefix}{start:+.0f}")
        pos = tuple(float(a) for a in np.arange(start, start + 104.0, 8.0))
        write_cine_study(root, n_phases=N_PHASES, sa_positions_mm=pos, **study)
        a = import_study(root, key=KEY)
        ed, es = a.image.ed_index, a.image.es_index
        truth = {"LVEDV": h.lv_volume_ml(ed / N_PHASES), "LVESV": h.lv_volume_ml(es / N_PHASES),
                 "RVEDV": h.volumes_on_grid(ed / N_PHASES, 1.5)[3],
                 "RVESV": h.volumes_on_grid(es / N_PHASES, 1.5)[3]}
        out[start] = ({m.name: m for m in a.measurements}, truth, a.notes)
    return out


@pytest.fixture(scope="module")
def shifted(tmp_path_factory):
    """``{first slice mm: (measurements by name, truth by name)}``, imported once each."""
    return _import_shifted(tmp_path_factory, "shift", la_views=())


@pytest.mark.slow
def test_every_stack_position_keeps_the_truth_inside_the_interval(shifted):
    """Wherever the stack sits, each volume's 90 % interval holds the phantom's exact volume,
    and a base left beyond a full slab is said with how far off the volume can be."""
    for start, (m, truth, notes) in shifted.items():
        for name, t in truth.items():
            v = m[name]
            assert abs(v.value - t) <= Z90 * v.uncertainty, (start, name, v, t)
        gap = [n for n in notes if "base not covered by the stack" in n]
        assert bool(gap) == (start >= 4.0), (start, gap)
        assert all("can be off by up to" in n and "long-axis view" in n for n in gap)


@pytest.mark.slow
@pytest.mark.parametrize("start", [pytest.param(s, marks=pytest.mark.xfail(
    strict=True, reason="review11 #10: the plane's place beyond a full basal slab is not in a "
    "short-axis stack; the uniform assumption is off by up to half a spacing of pool"))
    if s in OUT_OF_REACH_MM else s for s in SHIFTS_MM])
def test_every_stack_position_within_5_percent(shifted, start):
    """Issue 13's 5 % bar at each position; the positions in :data:`OUT_OF_REACH_MM` fail it
    (strict: a fix that reaches them must say so)."""
    m, truth, _ = shifted[start]
    for name, t in truth.items():
        assert abs(m[name].value - t) <= 0.05 * t, (start, name, m[name].value, t)


#: With the 2CH/3CH/4CH views the mitral annulus plane is found (imaging/annulus.py) and the
#: LV base is at least there (coverage.annulus_gap: a floor, the outflow tract reaches past
#: it). LVESV at these positions: −5.6 % (first slab −6…+2 mm: the label count's rim loss,
#: about −2.5 %, plus the plane found 0.5–1 mm apical of the phantom's) and +5.4 % (0…+8 mm:
#: the plane gives less pool than the assumed half spacing, which is kept). The RV keeps the
#: short-axis rule (its plane is not reliable, seg8b).
LA_ES_SHORT_MM = (-2.0, 4.0)
#: Where the plane gives more pool than the other rules, so its note replaces theirs.
LA_BY_PLANE_MM = (-2.0, 0.0, 10.0, 12.0)


@pytest.fixture(scope="module")
def shifted_la(tmp_path_factory):
    """As :func:`shifted`, with the study's long-axis views."""
    return _import_shifted(tmp_path_factory, "la")


@pytest.mark.slow
def test_with_long_axis_views_the_lv_base_is_at_least_the_annulus(shifted_la):
    """review11 #10 with the long-axis views: before, the LV base ignored the annulus found in
    them, and a basal slice the annulus took out lost its ventricular part (first slab
    −4…+4 mm: LVEDV −8.1 %, LVESV −9.9 %, outside the 90 % interval; +6…+14 and +8…+16 mm:
    −5.5 % and −8.7 %). Now LVEDV is within 5 % at every position, LVESV except at
    :data:`LA_ES_SHORT_MM`, and every volume's 90 % interval holds the truth."""
    for start, (m, truth, notes) in shifted_la.items():
        for name, t in truth.items():
            assert abs(m[name].value - t) <= Z90 * m[name].uncertainty, (start, name, m[name], t)
        assert abs(m["LVEDV"].value - truth["LVEDV"]) <= 0.05 * truth["LVEDV"], start
        es = abs(m["LVESV"].value - truth["LVESV"]) / truth["LVESV"]
        assert es <= 0.05 or start in LA_ES_SHORT_MM, (start, es)
        assert es <= 0.06, (start, es)
        lv = [n for n in notes if n.startswith("LV base from the mitral annulus")]
        assert all(is_coverage_note(n) for n in lv)
        if start in LA_BY_PLANE_MM:
            assert lv and not any(n.startswith("LV base not covered") for n in notes), start

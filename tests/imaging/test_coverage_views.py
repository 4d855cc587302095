"""review14 #6: the LV base note says what the study's long-axis views gave.

An import that found the mitral annulus in the 2CH/3CH/4CH views in every phase still said of
the assumed LV base "a long-axis view would say where": the plane was found but gave less pool
than the assumed gap, so it was not used (it is a floor: the outflow tract reaches past it),
and the note did not say so. One wording each: views present and the plane used, present and
not used, present without the annulus in that phase, absent; and end to end on the reviewer's
study layout (``/tmp/review14/mkstudy.py``: the factory's six slices, 112 × 112 pixels).
"""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np
import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.imaging.coverage import (
    ASK_VIEW,
    BASE_ANNULUS,
    BASE_UNIFORM,
    complete_volumes,
    coverage_notes,
    is_coverage_note,
)
from twinviewer.imaging.measure import structure_volumes
from twinviewer.imaging.study import import_study

SPACING = (10.0, 1.0, 1.0)
VALUES = {"lv_blood": 1, "rv_blood": 3}
VIEWS = ["RVOT", "2CH", "3CH", "4CH", "coronal"]


def _stack():
    """Three slices, LV and RV pools narrowing from slice 0 (the base) towards the apex."""
    lab = np.zeros((3, 60, 60), np.uint8)
    yy, xx = np.mgrid[:60, :60]
    for k, r in enumerate((14, 12, 9)):
        lab[k][(yy - 20) ** 2 + (xx - 30) ** 2 <= r ** 2] = 1
        lab[k][(yy - 45) ** 2 + (xx - 30) ** 2 <= (r - 4) ** 2] = 3
    image = NS(array=np.where(lab > 0, 1000.0, 100.0)[None], spacing=SPACING,
               slice_thickness_mm=10.0, missing_slabs=(0, 0),
               index_to_patient=lambda kji: np.asarray(kji, float) * SPACING)
    return lab, image


def _plane(beyond_mm: float):
    """A mitral plane ``beyond_mm`` past slice 0's basal face (x = −5 mm), ventricle at +x."""
    return NS(depth=lambda xyz: np.asarray(xyz, float)[..., 0] + 5.0 + beyond_mm)


def _gaps(views=(), mitral=None):
    lab, image = _stack()
    vols = {0: structure_volumes(lab, SPACING, VALUES, "MR seg")}
    _, gaps = complete_volumes(vols, {0: lab}, SPACING, VALUES, image=image,
                               mitral=mitral, views=views)
    base = {g.chamber: g for g in gaps[0] if g.end == "base"}
    notes = coverage_notes(gaps, 0)
    return base, {c: next(n for n in notes if n.startswith(f"{c} base ")) for c in ("LV", "RV")}


def test_without_long_axis_views_the_note_asks_for_one():
    base, notes = _gaps()
    assert base["LV"].method == BASE_UNIFORM and base["LV"].views == ""
    assert notes["LV"].startswith("LV base not covered") and ASK_VIEW in notes["LV"]
    assert ASK_VIEW in notes["RV"]


def test_annulus_found_and_used_is_the_base():
    """8 mm beyond the face: more pool than the assumed half spacing (5 mm), so used."""
    base, notes = _gaps(VIEWS, {0: _plane(8.0)})
    assert base["LV"].method == BASE_ANNULUS and base["LV"].beyond_mm == pytest.approx(8.0)
    assert notes["LV"].startswith("LV base from the mitral annulus in the long-axis views: "
                                  "its plane lies +8.0 mm beyond")
    assert ASK_VIEW not in notes["LV"] and is_coverage_note(notes["LV"])


def test_annulus_found_and_not_used_says_why():
    """2 mm beyond the face: less pool than assumed; the assumed gap is kept and the note says
    where the annulus was and why it was not used, instead of asking for a view."""
    base, notes = _gaps(VIEWS, {0: _plane(2.0)})
    lv = base["LV"]
    assert lv.method == BASE_UNIFORM and lv.views == "2CH/3CH/4CH"
    mm, ml = lv.annulus_not_used
    assert mm == pytest.approx(2.0) and 0.0 < ml < lv.added_ml
    n = notes["LV"]
    assert ASK_VIEW not in n and is_coverage_note(n), n
    assert (f"the mitral annulus in the 2CH/3CH/4CH views lies 2.0 mm beyond that face "
            f"({ml:.1f} mL up to it, less than assumed), but the LV outflow tract reaches past "
            "the annulus, so the assumed volume was kept; the SD of every LV volume") in n, n
    # the RV's plane is not taken from the 4CH view: said, not asked for
    assert ASK_VIEW not in notes["RV"]
    assert "the tricuspid annulus in the 4CH view is not used for this" in notes["RV"]


def test_annulus_inside_the_basal_slice_not_used():
    base, notes = _gaps(VIEWS, {0: _plane(-3.0)})
    assert base["LV"].annulus_not_used[1] < 0.0
    assert "the mitral annulus in the 2CH/3CH/4CH views lies 3.0 mm inside that slice (-" \
        in notes["LV"], notes["LV"]


def test_views_without_the_annulus_in_that_phase():
    base, notes = _gaps(["2CH", "4CH"], {})
    assert base["LV"].annulus_not_used is None
    assert ("the 2CH/4CH views gave no usable mitral annulus at ED, so the plane stays "
            "assumed") in notes["LV"]
    assert ASK_VIEW not in notes["LV"]


@pytest.fixture(scope="module")
def reviewer_layout(tmp_path_factory):
    """The reviewer's study layout (mkstudy.py: 112 × 112 pixels, the factory's six slices
    and long-axis views), 5 phases, imported with and without its long-axis views."""
    out = {}
    for name, la in (("with", None), ("without", ())):
        root = tmp_path_factory.mktemp(f"views_{name}")
        opts = {} if la is None else {"la_views": la}
        write_cine_study(root, n_phases=5, rows=112, cols=112, **opts)
        out[name] = import_study(root, key=b"coverage-views-test-key-0123456789")
    return out


def test_reviewer_layout_end_to_end(reviewer_layout):
    """With the views, the annulus is found at ED but gives less pool than assumed (the
    reviewer's 20-phase study: 4.7 mm, 10.3 against 13.2 mL): the note says so and does not
    ask for a view; without them it asks."""
    a = reviewer_layout["with"]
    assert any(n.startswith("mitral annulus found in the 2CH/3CH/4CH view(s)") for n in a.notes)
    lv = next(n for n in a.notes if n.startswith("LV base "))
    assert ASK_VIEW not in lv and "the mitral annulus in the 2CH/3CH/4CH views" in lv, lv
    rv = next(n for n in a.notes if n.startswith("RV base "))
    assert ASK_VIEW not in rv and "4CH view" in rv, rv
    b = reviewer_layout["without"]
    lv = next(n for n in b.notes if n.startswith("LV base "))
    assert lv.startswith("LV base not covered by the stack") and ASK_VIEW in lv, lv

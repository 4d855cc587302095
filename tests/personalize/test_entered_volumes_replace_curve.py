"""review16 #1: on the demo heart with the example measurements, the entered LVEDV/LVESV
(118/45 mL, CT) replace the images' (179/72 mL), as the Measurements step says: the images'
LV volume curve, which holds those ED/ES volumes, is left out of the fit too (said, with
its numbers), and so are the LVSV/LVEF computed from it; the RV curve is still fitted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from twinviewer.personalize.calibrate import _gather, _unreplaced_curves
from twinviewer.personalize.measurements import load_measurements
from twinviewer.personalize.volume_curve import curves_of

EXAMPLE = "assets/examples/severe_as_measurements.json"


@pytest.fixture(scope="module")
def demo_with_example(tmp_path_factory):
    """The reviewer's steps: the demo heart, Import JSON… the example, Apply to twin (the
    entered values stored beside the images' own)."""
    from twinviewer.gui.demo_heart import demo_anatomy
    from twinviewer.twins import twin_from_preset

    anatomy = demo_anatomy(cache=tmp_path_factory.mktemp("demo"))
    twin = twin_from_preset("healthy", n=1, anatomy=anatomy)
    return replace(twin, measurements=list(load_measurements(EXAMPLE)))


def test_the_entered_volumes_take_the_images_lv_curve_out(demo_with_example):
    twin = demo_with_example
    notes: list[str] = []
    raw = _gather(twin, None, True, notes)
    curves, ms = _unreplaced_curves(curves_of(twin.anatomy), raw, notes)
    assert [c.chamber for c in curves] == ["RV"]
    names = {(m.name, round(m.value)) for m in ms}
    assert ("LVEDV", 118) in names and ("LVESV", 45) in names
    assert not {n for n, _ in names} & {"LVSV", "LVEF", "LV_PER", "LV_PFR"}
    assert ("RVEF", 55) in names  # the RV's own curve-derived values stay (counted once)
    note = notes[-1]
    assert note.startswith("the LV volume curve of the images (biv-me fitted mesh, 25 phases, "
                           "ED 179 mL, ES 72 mL) is left out of the fit")
    assert "replaced by the entered LVEDV 118 mL and LVESV 45 mL (CT segmentation)" in note
    assert any(n.startswith("LVEF (biv-me fitted mesh") and "left out of the fit" in n
               for n in notes)  # said, by one path or other, in the words the report reads


def test_an_image_curve_without_entered_volumes_is_kept(demo_with_example):
    twin = replace(demo_with_example, measurements=[
        m for m in demo_with_example.measurements if not m.name.startswith("LV")])
    notes: list[str] = []
    curves, _ = _unreplaced_curves(curves_of(twin.anatomy), _gather(twin, None, True, notes),
                                   notes)
    assert [c.chamber for c in curves] == ["LV", "RV"] and not notes


@pytest.mark.slow
def test_the_reviewers_calibration_is_no_longer_torn(demo_with_example):
    """Was: the LV curve (ED 179) fitted beside LVEDV 118, twin 153 (136–170), refused at
    z −3.5 with the entered values blamed. Now the entered volumes are fitted and met."""
    from twinviewer.personalize.calibrate import calibrate

    r = calibrate(demo_with_example, n=48, seed=0)
    assert [c.chamber for c in r.curve_fit] == ["RV"]
    fit = {f.name: f for f in r.fit}
    assert abs(fit["LVEDV"].z) < 2 and abs(fit["LVESV"].z) < 2
    assert fit["LVEDV"].measured == 118
    assert any(w.startswith("the LV volume curve of the images") for w in r.warnings)
    assert not r.unreproduced


def test_the_note_says_an_entered_volume_in_the_unit_it_is_used_in():
    """newuser17b G7: an LVEDV typed as 0.179 L is used as 179 mL, but the note said the
    curve was replaced by 'LVEDV 0.18 mL' (the typed number with the used unit)."""
    import numpy as np

    from twinviewer.core.measurement import Measurement
    from twinviewer.personalize.volume_curve import CurveData

    c = CurveData("LV", np.array([0, .3, .6]), np.array([179., 72., 120.]),
                  np.array([8., 5., 6.]), 860.0, "biv-me fitted mesh")
    notes: list[str] = []
    _unreplaced_curves([c], [Measurement("LVEDV", 0.179, "L", 0.008, "echo")], notes)
    assert "replaced by the entered LVEDV 179 mL (echo)" in notes[0], notes[0]

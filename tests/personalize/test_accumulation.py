"""Across visits: provenance accumulates, and no measurement is counted twice."""

from __future__ import annotations

import pytest

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.measurement import Measurement as M
from twinviewer.core.provenance import Source
from twinviewer.personalize import calibrate, updated_twin
from twinviewer.twins import twin_from_preset

N = 48
VISIT1 = [M("HR", 74, "bpm", 2, "ECG"), M("SBP", 132, "mmHg", 8, "cuff"),
          M("DBP", 84, "mmHg", 6, "cuff"), M("CO", 5.6, "L/min", 0.5, "thermodilution")]
MR = [M("LVEDV", 150, "mL", 6, "MR segmentation"), M("LVESV", 65, "mL", 5, "MR segmentation"),
      M("LVSV", 85, "mL", 6, "MR segmentation"), M("LVEF", 56.7, "%", 3, "MR segmentation")]
CT = [M("LVEDV", 140, "mL", 6, "CT segmentation"), M("LVESV", 60, "mL", 5, "CT segmentation")]


@pytest.fixture(scope="module")
def two_visits():
    twin = twin_from_preset("healthy", n=8, anatomy=Anatomy("demo", measurements=MR))
    r1 = calibrate(twin, [*VISIT1, *CT], n=N, seed=1)
    t1 = updated_twin(twin, r1, day=0)
    r2 = calibrate(t1, [M("SBP", 140, "mmHg", 6, "cuff"), M("DBP", 88, "mmHg", 5, "cuff")],
                   n=N, seed=2)
    return r1, t1, r2, updated_twin(t1, r2, day=30)


def test_a_parameter_measured_at_visit_1_stays_measured_with_its_day(two_visits):
    r1, t1, r2, t2 = two_visits
    assert t1.provenance["HR"].source is Source.MEASURED
    assert "visit day 0" in t1.provenance["HR"].detail
    hr = t2.provenance["HR"]
    assert hr.source is Source.MEASURED and "ECG" in hr.detail and "visit day 0" in hr.detail
    assert hr.inputs == ("HR",)
    assert "HR" not in r2.calibrated  # not re-fitted as if it had never been measured


def test_a_parameter_calibrated_earlier_keeps_its_link(two_visits):
    r1, t1, r2, t2 = two_visits
    earlier = [p for p in r1.calibrated if p not in r2.calibrated]
    assert earlier
    for p in earlier:
        prov = t2.provenance[p]
        assert prov.source in (Source.CALIBRATED, Source.IMAGE_DERIVED), p
        assert prov.inputs == t1.provenance[p].inputs
        assert "not re-informed at this visit" in prov.detail
        assert "not informed by this patient's data" not in prov.detail


def test_derived_image_quantities_go_with_their_replaced_volumes(two_visits):
    r1, *_ = two_visits
    used = {(f.name, f.note) for f in r1.fit}
    names = [m.name for m in r1.measurements]
    assert "LVSV" not in names and "LVEF" not in names
    assert ("LVEDV" in n for n, _ in used)
    for q in ("LVSV", "LVEF"):
        assert any(w.startswith(f"{q} (MR segmentation) left out of the fit") and
                   "replaced" in w for w in r1.warnings), q
    src = {m.name: m.source for m in r1.measurements}
    assert src["LVEDV"] == "CT segmentation"


def test_earlier_measurements_are_not_new_data_at_a_later_visit(two_visits):
    _, _, r2, _ = two_visits
    # neither the day-0 MR volumes (the twin's imaging) nor visit 1's values are re-used
    assert sorted(f.name for f in r2.fit) == ["DBP", "SBP"]


def test_imaging_volumes_are_not_re_used_when_only_re_measured_data_are_given(two_visits):
    _, t1, _, _ = two_visits
    r = calibrate(t1, [*VISIT1[:1], M("SBP", 150, "mmHg", 6, "cuff")], n=N, seed=3)
    assert [f.name for f in r.fit] == ["SBP"]
    assert any("already in its posterior" in w for w in r.warnings)


def test_derived_quantity_kept_when_its_volumes_are_kept():
    twin = twin_from_preset("healthy", n=4, anatomy=Anatomy("demo", measurements=MR))
    r = calibrate(twin, VISIT1[1:3], n=N, seed=1)
    names = [m.name for m in r.measurements]
    assert "LVEF" in names and "LVEDV" in names
    assert not any("were replaced" in w for w in r.warnings)


def test_a_parameter_calibrated_at_both_visits_keeps_the_earlier_inputs(two_visits):
    r1, t1, _, _ = two_visits
    # Visit 2 brings a new CO alone: it narrows SYS.R_AR again (visit-1 inputs SBP and DBP,
    # which must stay among its inputs), and a parameter the new data reach without
    # narrowing keeps its earlier state (one state per parameter). (Before the prior's
    # heart-size mode it narrowed LV.EA too; the size now takes CO's volume share.)
    r2 = calibrate(t1, [M("CO", 6.2, "L/min", 0.5, "thermodilution")], n=N, seed=2)
    t2 = updated_twin(t1, r2, day=30)
    both = [p for p in r2.calibrated if p in r1.calibrated
            and set(t1.provenance[p].inputs) - {"CO"}]
    assert both
    for p in both:
        inputs = t2.provenance[p].inputs
        assert set(t1.provenance[p].inputs) <= set(inputs), p
        assert "also informed at earlier visits by" in t2.provenance[p].detail

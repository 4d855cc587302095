"""Diagnose the hidden lesion: seeded cases, grading by ESC/ASE criteria, scoring."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.physiology import simulate
from twinviewer.teaching.diagnose import case_pool, make_case, score
from twinviewer.teaching.grading import findings, primary, values_of
from twinviewer.teaching.hearts import heart

#: What each preset's description claims (physiology/presets.py, REFERENCE.md criteria).
CLAIMED = {"healthy": ("normal", "none"), "moderate_as": ("aortic stenosis", "moderate"),
           "severe_as": ("aortic stenosis", "severe"),
           "severe_mr": ("mitral regurgitation", "severe"),
           "hfref": ("heart failure with reduced EF", "severe"),
           "severe_ar": ("aortic regurgitation", "severe"),
           "mitral_stenosis": ("mitral stenosis", "severe"),
           "hfpef": ("heart failure with preserved EF", "moderate"),
           "hypertensive_heart": ("hypertension", "moderate"),
           "asd": ("atrial septal defect", "moderate"),
           "vsd": ("ventricular septal defect", "moderate"),
           "pulmonary_hypertension": ("pulmonary hypertension", "severe"),
           "atrial_fibrillation": ("atrial fibrillation", "moderate")}


def test_every_heart_of_the_pool_has_a_claim():
    """A reviewer found 9 of 13 hearts graded "normal": the grader knew four diagnoses."""
    assert set(case_pool()) <= set(CLAIMED)


@pytest.mark.parametrize("name", sorted(CLAIMED))
def test_each_heart_grades_as_it_claims(name):
    p = heart(name)
    r = simulate(p.model, p.vector())
    v = values_of({k: x[0] for k, x in r.metrics.items()},
                  dict(zip(p.model.parameter_names, p.vector(), strict=True)))
    f = primary(v)
    assert (f.diagnosis, f.severity) == CLAIMED[name]


def test_a_wrong_normal_scores_nothing_and_ungraded_lesions_say_so():
    htn = make_case(2, "hypertensive_heart", random_severity=False)
    assert score(htn, "normal", "none").points == 0
    assert "grade 2" in score(htn, "hypertension", "moderate").explanation
    af = make_case(2, "atrial_fibrillation", random_severity=False)
    s = score(af, "atrial fibrillation", "mild")
    assert s.points == 3 and "No guideline grades" in s.explanation
    assert "(moderate)" not in s.explanation  # no invented severity shown


def test_secondary_pulmonary_hypertension_does_not_hide_the_valve_lesion():
    """A mitral stenosis with PVR > 5 WU is a mitral stenosis (ESC/ERS group 2).

    Until fix15d the case pool's own mitral stenoses gave such a heart now and then (LAP ≤ 15
    with PVR > 5 at the margin); the normotensive preset (its stressed volume raised) puts
    their LAP 1.5–2 mmHg higher, so none of 60 seeds does. The heart is made here instead: an
    MVA of 1.2 cm² (severe by ACC/AHA 2020, ≤ 1.5: fix15f; "moderate" by the ASE 2009 scheme
    graded before) with a raised pulmonary arterial resistance."""
    h = heart("mitral_stenosis")
    vals = {**h.values, "MV.EOA": 1.2, "PUL.R_AR": 0.6}
    r = simulate(h.model, h.model.vector(vals))
    assert r.ok.all()
    v = values_of({k: float(x[0]) for k, x in r.metrics.items()}, vals)
    assert v["LAP"] <= 15 and v["PVR"] > 5 and v["mPAP"] > 20
    ph = [f for f in findings(v) if f.diagnosis == "pulmonary hypertension"]
    assert ph and ph[0].severity == "severe"  # graded as pre-capillary and severe ...
    main = primary(v)  # ... but the valve lesion is the diagnosis
    assert (main.diagnosis, main.severity) == ("mitral stenosis", "severe")


def test_cases_are_seeded_and_drawn_from_the_pool():
    a, b = make_case(11), make_case(11)
    assert a.heart_name == b.heart_name and a.severity_factor == b.severity_factor
    assert [r.value for r in a.readings] == [r.value for r in b.readings]
    assert {make_case(s).heart_name for s in range(12)} <= set(case_pool())
    assert "regazzoni2022" not in case_pool()


def test_readings_have_intervals_and_units():
    c = make_case(2, "severe_mr", random_severity=False)
    for r in c.readings:
        assert r.unit and r.low <= r.value <= r.high
    eroa = c.reading("EROA")
    assert eroa.low < 0.5 < eroa.high or abs(eroa.value - 0.5) < 0.3


def test_random_severity_moves_the_grade():
    mild = make_case(0, "severe_as", random_severity=False)
    sev = {make_case(s, "severe_as").truth.severity for s in range(10)}
    assert mild.truth.severity == "severe"
    assert np.all([s in ("moderate", "severe") for s in sev])


def test_scoring_and_explanation_use_the_numbers():
    c = make_case(4, "hfref", random_severity=False)
    good = score(c, "heart failure with reduced EF", "severe")
    half = score(c, "heart failure with reduced EF", "mild")
    bad = score(c, "aortic stenosis", "severe")
    assert (good.points, half.points, bad.points) == (3, 2, 0)
    assert "LVEF" in good.explanation and "%" in good.explanation
    assert "severity is severe" in half.explanation
    with pytest.raises(ValueError, match="unknown diagnosis"):
        score(c, "flu", "severe")


def test_no_jet_no_regurgitation_reading():
    c = make_case(1, "hfref", random_severity=False)
    assert c.reading("MR_volume").value == 0 and c.reading("MR_volume").high == 0
    assert c.reading("AR_volume").value == 0 and c.reading("VSD_area").high == 0


@pytest.mark.parametrize("name", sorted(CLAIMED))
def test_a_random_severity_stays_inside_the_lesions_graded_range(name):
    """review6: the randomly scaled hypertensive heart graded "normal" in 4 of 12 draws
    ("the hidden heart is normal — Hypertensive heart disease"). Over 40 draws every heart
    grades as its own lesion, whatever its drawn severity."""
    from twinviewer.teaching.diagnose import SEVERITY_RANGE, graded_range

    lo, hi = graded_range(name)
    assert SEVERITY_RANGE[0] <= lo <= 1.0 <= hi <= SEVERITY_RANGE[1]
    for seed in range(40):
        c = make_case(seed, name)
        assert lo <= c.severity_factor <= hi
        assert c.truth.diagnosis == CLAIMED[name][0], (seed, c.severity_factor)
        assert "the hidden heart is normal" not in score(c, "normal", "none").explanation \
            or name == "healthy"

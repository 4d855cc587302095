"""Grades at their thresholds (review15b #3, #9): an evidence value never sits on the wrong
side of the threshold printed beside it, the heart-failure grades follow one scheme (HFrEF
≤ 40 %, HFmrEF 41–49 %, HFpEF ≥ 50 %) and the stenoses follow ACC/AHA 2020, bounds inclusive."""

import re

import pytest

from twinviewer.teaching.grading import (
    _aortic_stenosis,
    _lv_systolic,
    _mitral_regurgitation,
    _mitral_stenosis,
    findings,
)


def _number_after(text: str, label: str) -> float:
    return float(re.search(re.escape(label) + r" (-?[0-9.]+)", text).group(1))


def test_borderline_aortic_stenosis_shows_values_below_severe():
    f = _aortic_stenosis(dict(AVA=1.2, AV_mean_gradient=39.6, AV_peak_velocity=3.97))
    assert f.severity == "moderate"
    assert _number_after(f.evidence[1], "mean gradient") < 40
    assert _number_after(f.evidence[2], "peak velocity") < 4.0


def test_borderline_mitral_regurgitation_shows_values_below_severe():
    f = _mitral_regurgitation(dict(EROA=0.395, MR_volume=59.6, MR_fraction=49.7))
    assert f.severity == "moderate"
    assert _number_after(f.evidence[0], "EROA") < 0.40
    assert _number_after(f.evidence[1], "regurgitant volume") < 60
    assert _number_after(f.evidence[2], "regurgitant fraction") < 50


@pytest.mark.parametrize("ef, grade", [(29.6, "severe"), (30.0, "moderate"), (40.0, "moderate"),
                                       (40.4, "mild"), (45.0, "mild"), (49.6, "mild"),
                                       (50.0, "none"), (51.0, "none"), (51.6, "none")])
def test_lv_systolic_grade_and_its_shown_value_agree(ef, grade):
    f = _lv_systolic(dict(LVEF=ef))
    assert f.severity == grade
    shown = _number_after(f.evidence[0], "LVEF")
    side = "severe" if shown < 30 else "moderate" if shown <= 40 else \
        "mild" if shown < 50 else "none"
    assert side == grade, f.evidence


@pytest.mark.parametrize("ef", [40.4, 45.0, 49.6, 50.0, 51.0, 55.0])
def test_one_heart_failure_scheme_no_ef_is_both_reduced_and_preserved(ef):
    fs = {f.diagnosis: f for f in findings(dict(LVEF=ef, LVEDP=18, LAP=16))}
    reduced = fs["heart failure with reduced EF"].severity != "none"
    preserved = fs["heart failure with preserved EF"].severity != "none"
    assert reduced != preserved, ef


@pytest.mark.parametrize("mva, grade", [(0.9, "severe"), (1.2, "severe"), (1.5, "severe"),
                                        (1.52, "mild"), (2.0, "mild"), (2.4, "none")])
def test_mitral_stenosis_follows_acc_aha_2020(mva, grade):
    f = _mitral_stenosis(dict(MVA=mva, MV_mean_gradient=8))
    assert f.severity == grade
    assert "ACC/AHA 2020" in f.evidence[0]
    shown = _number_after(f.evidence[0], "MVA")
    assert (shown <= 1.5) == (grade == "severe"), f.evidence


def test_aortic_valve_area_of_exactly_one_is_severe():
    assert _aortic_stenosis(dict(AVA=1.0, AV_mean_gradient=30, AV_peak_velocity=3.5)).severity \
        == "severe"
    assert _aortic_stenosis(dict(AVA=1.01, AV_mean_gradient=30, AV_peak_velocity=3.5)).severity \
        == "moderate"

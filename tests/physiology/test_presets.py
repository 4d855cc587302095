"""Every preset is what it claims: normal ranges and ESC/ASE grading (REFERENCE.md)."""

import pytest

from twinviewer.physiology import PRESETS, get_preset, simulate
from twinviewer.physiology.model import ModelError


def _metrics(name):
    preset = get_preset(name)
    r = simulate(preset.model, preset.vector())
    assert r.ok.all(), r.errors()
    return {k: float(v[0]) for k, v in r.metrics.items()}


NORMAL = {  # REFERENCE.md "Normal adult ranges"
    "HR": (60, 80), "MAP": (90, 100), "LVEDV": (120, 150), "LVESV": (40, 60), "LVEF": (55, 70),
    "LVSV": (60, 100), "CO": (4, 8), "LVEDP": (5, 12), "CVP": (2, 6), "PASP": (15, 30),
    "PADP": (4, 12), "LAP": (6, 12), "SBP": (110, 130), "DBP": (70, 85),
    "AV_peak_velocity": (0.9, 1.7), "AV_mean_gradient": (0, 5), "MV_mean_gradient": (0, 3),
}


def test_healthy_is_normal_everywhere():
    m = _metrics("healthy")
    for name, (lo, hi) in NORMAL.items():
        assert lo <= m[name] <= hi, f"{name} = {m[name]:.2f} outside {lo}–{hi}"
    # Since model 3.0 the valves have inertia: a closing valve lets back its closing volume
    # (mitral 1.5 mL, aortic 1.04 mL), which is not regurgitation and not counted (fix16a).
    assert m["MR_fraction"] < 0.1 and m["AR_volume"] < 0.1


def test_moderate_as_grades_moderate():
    preset = get_preset("moderate_as")
    m = _metrics("moderate_as")
    assert 1.0 <= preset.values["AV.EOA"] <= 1.5
    assert 20 <= m["AV_mean_gradient"] < 40
    assert m["AV_peak_velocity"] < 4.0


def test_severe_as_grades_severe():
    preset = get_preset("severe_as")
    m = _metrics("severe_as")
    assert preset.values["AV.EOA"] < 1.0
    assert m["AV_mean_gradient"] >= 40
    assert m["AV_peak_velocity"] >= 4.0
    assert m["LVEF"] >= 50  # compensated, preserved EF


def test_severe_mr_grades_severe():
    preset = get_preset("severe_mr")
    m = _metrics("severe_mr")
    assert preset.values["MV.EROA"] >= 0.40
    assert m["MR_volume"] >= 60
    assert m["MR_fraction"] >= 50


def test_hfref_has_reduced_ef_and_raised_filling_pressure():
    m = _metrics("hfref")
    assert m["LVEF"] < 40
    assert m["LVEDP"] > 12
    assert m["CO"] > 3.0  # compensated, not in shock


def test_every_preset_converges():
    for name in PRESETS:
        _metrics(name)


def test_unknown_preset_lists_choices():
    with pytest.raises(ModelError, match="choose one of: healthy"):
        get_preset("helthy")

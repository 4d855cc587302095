"""Ivabradine: a pure rate effect, on any model that declares a heart rate."""

from __future__ import annotations

import pytest
from tv_ivabradine.intervention import IVABRADINE

from twinviewer.interventions.intervention import InterventionError
from twinviewer.physiology.presets import MODELS
from twinviewer.testing import assert_intervention


@pytest.mark.parametrize("model_name", ["four_chamber_eoa", "regazzoni2022"])
def test_contract_on_builtin_models(model_name):
    assert_intervention(IVABRADINE, MODELS[model_name])


def test_contract_on_a_model_of_another_structure():
    sv = pytest.importorskip("tv_single_ventricle.model")
    assert_intervention(IVABRADINE, sv.MODEL)
    hr = sv.MODEL.index("HR")
    P = IVABRADINE.apply(sv.MODEL, sv.MODEL.default_vector(), {"dose": 5.0})
    assert P[0, hr] == pytest.approx(75.0 - 10.9 * 5.0 / 7.5)


def test_refuses_a_slow_heart_and_an_overdose():
    m = MODELS["four_chamber_eoa"]
    with pytest.raises(InterventionError, match="resting heart rate is 60 bpm"):
        IVABRADINE.apply(m, m.vector({"HR": 60.0}))
    with pytest.raises(InterventionError, match="licensed maximum"):
        IVABRADINE.apply(m, m.default_vector(), {"dose": 10.0})

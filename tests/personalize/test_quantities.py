"""Measurement ↔ model mapping: metrics, directly measured parameters, derived quantities."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.personalize import QUANTITIES, predict, quantity
from twinviewer.personalize.quantities import supported
from twinviewer.physiology import get_preset, simulate


@pytest.fixture(scope="module")
def results():
    presets = [get_preset(n) for n in ("healthy", "severe_as")]
    return simulate(presets[0].model, np.vstack([p.vector() for p in presets]))


def test_every_quantity_is_predicted_by_the_clinical_model(results):
    for q in QUANTITIES:
        assert supported(q.name, results) is None, q.name
        x = predict(q.name, results)
        assert x.shape == (2,) and np.all(np.isfinite(x)), q.name


def test_metrics_and_parameters_map_one_to_one(results):
    assert np.array_equal(predict("SBP", results), results.metrics["SBP"])
    assert np.array_equal(predict("PCWP", results), results.metrics["LAP"])
    assert predict("AVA", results) == pytest.approx([3.5, 0.70])
    assert quantity("AVA").target == "AV.EOA"


def test_tr_velocity_is_the_simplified_bernoulli_of_the_rv_ra_gradient(results):
    v = predict("TR_velocity", results)
    dp = (results.series["p_RV"] - results.series["p_RA"]).max(axis=1)
    assert 4 * v**2 == pytest.approx(dp)
    # a normal heart: RV systolic minus RA pressure ≈ 15–30 mmHg → 2–2.8 m/s
    assert 1.9 < v[0] < 2.8


def test_e_over_a_separates_early_and_atrial_filling(results):
    ea = predict("E/A", results)
    assert 0.8 < ea[0] < 2.5
    q = results.series["Q_MV"][0]
    assert ea[0] * 1.0 <= q.max() / q[q > 0].min()  # a ratio of two real peaks


def test_la_volume_is_the_largest_of_the_beat(results):
    assert predict("LAV", results) == pytest.approx(results.series["V_LA"].max(axis=1))


def test_reference_model_without_eoa_says_why(results):
    ref = get_preset("regazzoni2022")
    r = simulate(ref.model, ref.vector())
    reason = supported("AVA", r)
    assert reason and "AV.EOA" in reason
    with pytest.raises(KeyError, match="AV.EOA"):
        predict("AVA", r)


def test_model_error_has_a_floor_and_a_relative_part():
    q = quantity("SBP")
    assert q.model_sd(20.0) == 2.0 and q.model_sd(200.0) == pytest.approx(10.0)
    assert quantity("HR").model_sd(70.0) == 0.0

"""Virtual populations: seeded, correlated as asked, inside plausible ranges; members do not
depend on chunking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from twinviewer.cohort.population import member_ensemble, virtual_population
from twinviewer.cohort.spec import SpecError, parse_spec

SC = [{"name": "tavi", "steps": ["tavi_sapien3:size=26"]}]


def _spec(**pop):
    return parse_spec({"population": {"preset": "severe_as", **pop}, "scenarios": SC,
                       "metrics": ["CO"]})


def test_distributions_and_correlation_are_realised():
    spec = _spec(n=4000, seed=3, vary={
        "AV.EOA": {"dist": "lognormal", "median": 0.7, "sd_log": 0.2},
        "HR": {"dist": "normal", "mean": 70, "sd": 8}},
        correlations=[["AV.EOA", "HR", -0.5]])
    model, P = virtual_population(spec)
    eoa, hr = P[:, model.index("AV.EOA")], P[:, model.index("HR")]
    assert np.median(eoa) == pytest.approx(0.7, rel=0.02)
    assert np.std(np.log(eoa)) == pytest.approx(0.2, rel=0.05)
    assert np.mean(hr) == pytest.approx(70, abs=0.5) and np.std(hr) == pytest.approx(8, rel=0.05)
    # Gaussian copula with ρ = -0.5: Spearman ρ_s = 6/π · asin(ρ/2) = -0.483 (Pearson 1907)
    rho_s = stats.spearmanr(eoa, hr).statistic
    assert rho_s == pytest.approx(6 / np.pi * np.arcsin(-0.25), abs=0.03)
    # untouched parameters keep the preset's value
    assert np.ptp(P[:, model.index("LV.TC")]) == 0


def test_population_is_seeded_and_inside_plausible_ranges():
    a = virtual_population(_spec(n=50, seed=1))[1]
    b = virtual_population(_spec(n=50, seed=1))[1]
    c = virtual_population(_spec(n=50, seed=2))[1]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    model = virtual_population(_spec(n=1))[0]
    lo = np.array([p.plausible[0] for p in model.parameters])
    hi = np.array([p.plausible[1] for p in model.parameters])
    assert np.all((a >= lo) & (a <= hi))


def test_invalid_correlation_matrix_is_refused():
    spec = _spec(n=5, vary=["HR", "LV.EA", "LV.EB"],
                 correlations=[["HR", "LV.EA", 0.9], ["HR", "LV.EB", 0.9],
                               ["LV.EA", "LV.EB", -0.9]])
    with pytest.raises(SpecError, match="not positive definite"):
        virtual_population(spec)


def test_members_depend_on_patient_not_on_chunking():
    model, P = virtual_population(_spec(n=3, seed=5))
    e1 = member_ensemble(model, P[2], 6, seed=5, patient=2)
    e2 = member_ensemble(model, P[2], 6, seed=5, patient=2)
    np.testing.assert_array_equal(e1, e2)
    np.testing.assert_array_equal(e1[0], P[2])  # member 0 is the patient
    assert not np.array_equal(e1, member_ensemble(model, P[2], 6, seed=5, patient=1))
    # an absent regurgitant orifice stays absent in every member
    assert np.all(e1[:, model.index("MV.EROA")] == 0)
    # spread 0: every member is the patient
    assert np.ptp(member_ensemble(model, P[2], 4, seed=5, patient=2, spread=0), axis=0).max() == 0

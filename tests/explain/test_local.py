import numpy as np
import pytest

from twinviewer.explain import local
from twinviewer.explain.local import elasticities, prior_log_spread, screen
from twinviewer.physiology import get_preset


def test_heart_rate_identities(regazzoni):
    """HR is a parameter and a metric: d ln HR / d ln HR = 1 and 0 for every other
    parameter; CO = HR · SV_forward gives E(CO) = E(HR) + E(SV_forward) exactly."""
    model, base, state = regazzoni
    el = elasticities(model, base, ["HR", "CO", "SV_forward"], warm_start=state)
    assert el["HR"].value("HR") == pytest.approx(1.0, abs=1e-9)
    others = [v for n, v in zip(el["HR"].names, el["HR"].values, strict=True) if n != "HR"]
    assert np.max(np.abs(others)) < 1e-9
    for name in ("LV.EA", "SYS.R_AR", "HR", "V_total"):
        assert el["CO"].value(name) == pytest.approx(
            el["HR"].value(name) + el["SV_forward"].value(name), abs=1e-9)


def test_signs_match_physiology(regazzoni):
    model, base, state = regazzoni
    el = elasticities(model, base, ["MAP", "LVEF"], warm_start=state)
    assert el["MAP"].value("SYS.R_AR") > 0.3        # more resistance, higher pressure
    assert el["LVEF"].value("LV.EA") > 0.1          # more contractility, higher EF
    assert el["LVEF"].value("SYS.R_AR") < 0         # more afterload, lower EF
    assert el["MAP"].ranked(1)[0][0] == "V_total"


def test_finite_difference_matches_separate_runs(regazzoni):
    """The one-call ensemble gives the same numbers as two separate simulations."""
    from twinviewer.physiology import simulate

    model, base, state = regazzoni
    j = model.index("SYS.R_AR")
    up, down = base.copy(), base.copy()
    up[j] *= np.exp(0.05)
    down[j] *= np.exp(-0.05)
    fu = simulate(model, up, warm_start=state).metrics["MAP"][0]
    fd = simulate(model, down, warm_start=state).metrics["MAP"][0]
    expected = (np.log(fu) - np.log(fd)) / 0.1
    got = elasticities(model, base, ["MAP"], names=["SYS.R_AR"], warm_start=state)["MAP"]
    assert got.value("SYS.R_AR") == pytest.approx(expected, abs=2e-3)


def test_all_parameters_in_one_ensemble_call(regazzoni, monkeypatch):
    model, base, state = regazzoni
    calls = []
    real = local.simulate

    def spy(m, params, **kw):
        calls.append(np.atleast_2d(params).shape)
        return real(m, params, **kw)

    monkeypatch.setattr(local, "simulate", spy)
    elasticities(model, base, ["MAP"], warm_start=state)
    assert calls == [(2 * len(model.parameters) + 1, len(model.parameters))]


def test_zero_parameters_are_undefined():
    preset = get_preset("healthy")
    el = elasticities(preset.model, preset.vector(), ["LVEF"],
                      names=["MV.EROA", "VAD.speed", "LV.EA"])["LVEF"]
    assert el.names == ("LV.EA",)
    assert "zero" in el.undefined["MV.EROA"] and "VAD.speed" in el.undefined
    assert np.isnan(el.value("MV.EROA"))


def test_bad_input(regazzoni):
    model, base, _ = regazzoni
    with pytest.raises(ValueError, match="shape"):
        elasticities(model, base[:-1], ["MAP"])
    with pytest.raises(ValueError, match="unknown metric 'MAPP'"):
        elasticities(model, base, ["MAPP"])
    with pytest.raises(ValueError, match="step"):
        elasticities(model, base, ["MAP"], step=0.0)
    bad = base.copy()
    bad[model.index("HR")] = 500.0
    with pytest.raises(ValueError, match="HR = 500"):
        elasticities(model, bad, ["MAP"])
    with pytest.raises(ValueError, match="no parameter 'LV.XX'"):
        elasticities(model, base, ["MAP"], names=["LV.XX"])


def test_screening_weights_by_prior_spread(regazzoni):
    model, base, state = regazzoni
    el = elasticities(model, base, ["MAP"], warm_start=state)["MAP"]
    names = screen(model, base, [el], max_parameters=5)
    assert len(names) == 5 and "SYS.R_AR" in names and "V_total" in names
    # LA.tC has a sizeable elasticity but a tight prior (2 % of 0.9 s): screened out.
    assert "LA.tC" not in names
    assert prior_log_spread(model, "LA.tC", base[model.index("LA.tC")]) < 0.03
    assert screen(model, base, [], max_parameters=5) == []

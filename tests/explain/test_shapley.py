import numpy as np
import pytest

from twinviewer.explain import shapley
from twinviewer.explain.shapley import shapley_attribution, shapley_weights
from twinviewer.physiology import simulate


def _scenario(model, base, n=4, **factors):
    B = np.tile(base, (n, 1))
    B[:, model.index("HR")] *= np.linspace(0.95, 1.05, n)
    S = B.copy()
    for name, f in factors.items():
        S[:, model.index(name.replace("_", ".", 1))] *= f
    return B, S


def test_weights_sum_to_one():
    for k in range(1, 7):
        w = shapley_weights(k)
        from math import comb

        assert sum(comb(k - 1, s) * w[s] for s in range(k)) == pytest.approx(1.0)


def test_efficiency_and_two_player_formula(regazzoni):
    model, base, state = regazzoni
    B, S = _scenario(model, base, SYS_R_AR=0.7, LV_EA=1.3)
    att = shapley_attribution(model, B, S, ["MAP", "LVEF"])
    a = att["MAP"]
    assert a.names == ("LV.EA", "SYS.R_AR")
    np.testing.assert_allclose(a.values.sum(axis=1), a.change, atol=1e-9)
    # k = 2 by hand: φ_EA = ½[(f(EA) − f(∅)) + (f(EA,R) − f(R))]
    only_ea, only_r = B.copy(), B.copy()
    only_ea[:, model.index("LV.EA")] = S[:, model.index("LV.EA")]
    only_r[:, model.index("SYS.R_AR")] = S[:, model.index("SYS.R_AR")]
    f = {k: simulate(model, P).metrics["MAP"] for k, P in
         (("0", B), ("ea", only_ea), ("r", only_r), ("both", S))}
    phi_ea = 0.5 * ((f["ea"] - f["0"]) + (f["both"] - f["r"]))
    np.testing.assert_allclose(a.values[:, 0], phi_ea, atol=0.05)
    # vasodilation dominates the fall in MAP; contractility raises it
    assert np.all(a.values[:, 1] < -10) and np.all(a.values[:, 0] > 0)
    med, lo, hi = a.summary()["SYS.R_AR"]
    assert lo <= med <= hi < 0


def test_one_parameter_gets_the_whole_change(regazzoni):
    model, base, state = regazzoni
    B, S = _scenario(model, base, n=3, SYS_R_AR=1.2)
    a = shapley_attribution(model, B, S, ["SBP"], warm_start=np.tile(state, (3, 1)))["SBP"]
    np.testing.assert_allclose(a.values[:, 0], a.change, atol=1e-12)
    assert a.ok.all() and a.to_dict()["members_ok"] == 3


def test_all_subsets_in_one_call(regazzoni, monkeypatch):
    model, base, _ = regazzoni
    B, S = _scenario(model, base, n=2, SYS_R_AR=0.8, LV_EA=1.1, LV_EB=1.2)
    calls = []
    real = shapley.simulate

    def spy(m, params, **kw):
        calls.append(params.shape[0])
        return real(m, params, **kw)

    monkeypatch.setattr(shapley, "simulate", spy)
    a = shapley_attribution(model, B, S, ["LVEF"])["LVEF"]
    assert calls == [2 * 8]
    np.testing.assert_allclose(a.values.sum(axis=1), a.change, atol=1e-9)


def test_bad_input(regazzoni):
    model, base, _ = regazzoni
    B = np.tile(base, (2, 1))
    with pytest.raises(ValueError, match="changes no parameter"):
        shapley_attribution(model, B, B.copy(), ["MAP"])
    with pytest.raises(ValueError, match="shape"):
        shapley_attribution(model, B, B[:, :-1], ["MAP"])
    S = B * 1.01
    with pytest.raises(ValueError, match="limited to 6"):
        shapley_attribution(model, B, S, ["MAP"])
    S = B.copy()
    S[:, 0] += 1
    with pytest.raises(ValueError, match="unknown metric"):
        shapley_attribution(model, B, S, ["MPA"])
    with pytest.raises(ValueError, match="warm start has 3 rows for 2"):
        shapley_attribution(model, B, S, ["MAP"], warm_start=np.zeros((3, 12)))


def test_a_device_setting_is_named_the_scenarios_not_a_prior():
    """newuser17 F8: the LVAD speed chosen in What-if was tagged "[prior]" in the
    attribution (the state of the twin's "0: no device"). A value the scenario sets in every
    member is its setting; a value it scales (a shared one included) stays the twin's."""
    from twinviewer.explain.shapley import SCENARIO_SETTING
    from twinviewer.physiology import get_preset

    p = get_preset("hfref")
    model = p.model
    B, S = _scenario(model, p.vector(), n=3, SYS_R_AR=0.9)  # HR differs between members
    S[:, model.index("VAD.speed")] = 5.5  # the pump at 5500 rpm
    S[:, model.index("HR")] *= 0.95  # each member's own rate, slowed
    att = shapley_attribution(model, B, S, ["MAP"])["MAP"]
    assert set(att.names) == {"HR", "SYS.R_AR", "VAD.speed"}
    assert att.settings == ("VAD.speed",)
    assert att.to_dict()["scenario_settings"] == ["VAD.speed"]
    assert SCENARIO_SETTING == "scenario setting"
    # a pacemaker's AV delay: one value in members whose own delays differed
    B[:, model.index("AVD")] = [0.14, 0.16, 0.18]
    S2 = B.copy()
    S2[:, model.index("AVD")] = 0.15
    assert shapley.scenario_settings(model, B, S2) == ["AVD"]

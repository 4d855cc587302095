"""numbers17 F11: a full-support LVAD what-if (HFrEF, 5500 rpm: the default; the evidence row's
own ramp reaches 5600) was "outside the validated range (LVSP 44 mmHg): do not trust" beside
"checked against the LVAD ramp row". With the aortic valve shut under full continuous-flow
support a low LV peak pressure is the expected physiology: the LVSP floor does not apply to a
member an LVAD supports; its ceiling, LV suction and the shut valve still are flagged.
Each test fails before the fix (LVSP was flagged, by the what-if and by validity)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.explain.validity import prediction_warnings
from twinviewer.interventions.compare import out_of_range, run_scenarios, scenario_flags
from twinviewer.physiology import simulate
from twinviewer.twins import model_of, twin_from_preset


def _results(lvsp, vad=None):
    metrics = {"LVSP": np.asarray(lvsp, float), "MAP": np.full(len(lvsp), 80.0)}
    if vad is not None:
        metrics["VAD_flow"] = np.asarray(vad, float)
    return SimpleNamespace(ok=np.ones(len(lvsp), bool), metrics=metrics)


def test_the_lvsp_floor_does_not_hold_under_lvad_support():
    assert out_of_range(_results([40.0, 44.0, 50.0])) == {"LVSP": 44.0}  # an ejecting LV
    assert out_of_range(_results([40.0, 44.0, 50.0], [4.5, 4.6, 4.4])) == {}
    assert out_of_range(_results([310.0, 320.0], [4.5, 4.6])) == {"LVSP": 315.0}  # ceiling
    # a pump that carries nothing unloads nothing
    assert out_of_range(_results([40.0, 44.0, 50.0], [0.0, 0.0, 0.0])) == {"LVSP": 44.0}


def _lvad_run():
    twin = twin_from_preset("hfref", n=6, seed=0)
    model = model_of(twin)
    base = simulate(model, twin.ensemble)
    sc = Scenario("lvad", (InterventionStep("lvad", {"speed": 5500.0}),), "regulated")
    r = run_scenarios(model, base, [sc])["lvad"]
    assert float(np.median(r.metrics["LVSP"][r.ok])) < 60.0  # the case: a low LV peak
    return twin, model, base, r


def test_an_lvad_what_if_at_the_default_speed_is_not_untrusted_for_its_low_lvsp():
    _, _, base, r = _lvad_run()
    flags = scenario_flags(base, r)
    assert "LVSP" not in flags.outside and "LVSP" not in flags.outside_share, flags
    assert not any("LVSP" in line for line in flags.lines()), flags.lines()
    assert flags.av_closed > 0.5  # what does apply is still said


def test_validity_does_not_hold_an_lvad_supported_lv_to_the_lvsp_floor():
    twin, model, base, r = _lvad_run()
    said = [w.text for w in prediction_warnings(twin, model, r, ["LVSP"])]
    assert not any("LVSP" in t for t in said), said
    # without the pump the same floor still holds (an ejecting LV at 53 mmHg is shock)
    low = SimpleNamespace(**{k: getattr(base, k) for k in ("ok", "n", "messages")},
                          metrics={**base.metrics, "LVSP": base.metrics["LVSP"] * 0.5},
                          summary=lambda m: tuple(np.quantile(base.metrics[m] * 0.5,
                                                              [0.5, 0.05, 0.95])))
    said = [w.text for w in prediction_warnings(twin, model, low, ["LVSP"])]
    assert any("LVSP" in t for t in said), said


def test_a_negative_lv_peak_pressure_is_outside_even_under_lvad_support():
    """review17 F5: the floor was removed (−∞), so LVSP −1.4 mmHg at 9000 rpm was never
    "outside the validated range"; it is relaxed to 0 mmHg. Fails before the fix."""
    assert out_of_range(_results([-1.8, -1.4, -0.8], [9.0, 9.1, 9.2])) == {"LVSP": -1.4}
    assert out_of_range(_results([5.0, 12.0, 40.0], [9.0, 9.1, 9.2])) == {}


def test_validity_holds_an_lvad_supported_lv_to_a_zero_floor():
    twin, model, base, r = _lvad_run()
    neg = r.metrics["LVSP"] * 0.0 - 1.4
    below = SimpleNamespace(**{k: getattr(r, k) for k in ("ok", "n", "messages")},
                            metrics={**r.metrics, "LVSP": neg},
                            summary=lambda m: (-1.4, -1.8, -0.8))
    said = [w.text for w in prediction_warnings(twin, model, below, ["LVSP"])]
    assert any("LVSP" in t and "outside" in t for t in said), said

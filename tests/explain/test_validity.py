import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.explain.validity import context_ranges, validity_ranges, validity_warnings
from twinviewer.physiology import MODELS
from twinviewer.twins import simulate_twin, twin_from_preset


def _kinds(warnings):
    return {(w.kind, w.subject) for w in warnings}


def test_validity_ranges_are_data_of_the_model_contract():
    from dataclasses import replace

    assert context_ranges(MODELS["four_chamber_eoa"])["HR"] == (40.0, 180.0)
    assert validity_ranges(MODELS["regazzoni2022"])["HR"] == (60.0, 90.0)
    # prose is not parsed: a range only in the context of use is not a range
    m = replace(MODELS["four_chamber_eoa"], validity_ranges={},
                context_of_use="Adult resting haemodynamics, HR 40–180 bpm.")
    assert context_ranges(m) == {}
    twin = twin_from_preset("healthy", n=1)
    w = validity_warnings(twin, m)
    assert ("context", "model") in _kinds(w)
    assert "declares no validity ranges" in next(x.text for x in w if x.subject == "model")


def test_healthy_twin_has_no_warnings():
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.append(Measurement("MAP", 96.0, "mmHg", 5.0, "cuff"))
    res = simulate_twin(twin)
    assert validity_warnings(twin, MODELS["four_chamber_eoa"], res) == []


def test_heart_rate_outside_context_and_prior():
    twin = twin_from_preset("healthy", n=1)
    twin.params[MODELS["four_chamber_eoa"].index("HR")] = 200.0
    w = validity_warnings(twin, MODELS["four_chamber_eoa"])
    assert ("context", "HR") in _kinds(w) and ("prior", "HR") in _kinds(w)
    text = next(x.text for x in w if x.kind == "context")
    assert "200 bpm" in text and "40–180" in text


def test_unusual_parameter_and_implausible_value():
    model = MODELS["four_chamber_eoa"]
    healthy = twin_from_preset("healthy", n=1)
    healthy.params[model.index("AV.EOA")] = 0.75
    assert ("prior", "AV.EOA") in _kinds(validity_warnings(healthy, model))
    # the severe-AS twin is judged against the AS prior: its AVA is the disease, not an outlier
    twin = twin_from_preset("severe_as", n=1)
    w = validity_warnings(twin, model)
    assert ("prior", "AV.EOA") not in _kinds(w)
    twin.params[model.index("LV.EB")] *= 5
    w = validity_warnings(twin, model)
    assert ("prior", "LV.EB") in _kinds(w) and "Severe aortic stenosis prior" in next(
        x.text for x in w if x.subject == "LV.EB")
    twin.params[model.index("SYS.R_AR")] = 10.0
    w = validity_warnings(twin, model)
    assert ("plausible", "SYS.R_AR") in _kinds(w)


def test_poor_fit_to_a_measurement():
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.append(Measurement("MAP", 20.0, "kPa", 0.5, "cuff"))  # 150 mmHg
    res = simulate_twin(twin)
    w = validity_warnings(twin, MODELS["four_chamber_eoa"], res, ["MAP"])
    fit = [x for x in w if x.kind == "fit"]
    assert len(fit) == 1 and "150" in fit[0].text and "flagged above |z| 2" in fit[0].text
    assert "z = +6." in fit[0].text  # measured above the twin: positive


def test_fit_checks_non_metric_measurements_too():
    """PCWP (→ LAP), AVA (a parameter) and derived quantities are checked like metrics."""
    twin = twin_from_preset("healthy", n=1)
    twin.measurements += [Measurement("PCWP", 35.0, "mmHg", 2.0, "catheter"),
                          Measurement("AVA", 0.7, "cm^2", 0.1, "echo"),
                          Measurement("TR_velocity", 4.5, "m/s", 0.2, "echo")]
    res = simulate_twin(twin)
    fit = {x.subject for x in validity_warnings(twin, MODELS["four_chamber_eoa"], res)
           if x.kind == "fit"}
    assert fit == {"PCWP", "AVA", "TR_velocity"}


def test_fit_rule_is_the_calibrations():
    """|z| > 2 with σ = spread ⊕ SD ⊕ model error, as the fit table: a value 4 mmHg off with
    SD 1 is not poor (the model error of MAP is ~5 mmHg), 20 mmHg off is."""
    from twinviewer.personalize import fit_check, predict

    twin = twin_from_preset("healthy", n=1)
    res = simulate_twin(twin)
    med = float(res.metrics["MAP"][0])
    model = MODELS["four_chamber_eoa"]
    for offset, poor in ((4.0, False), (20.0, True)):
        m = Measurement("MAP", med + offset, "mmHg", 1.0, "cuff")
        twin.measurements = [m]
        flagged = any(x.kind == "fit" for x in validity_warnings(twin, model, res))
        assert flagged is poor is fit_check(m, predict("MAP", res)).poor


def _calibrated(twin, *names: str) -> None:
    from twinviewer.core.provenance import Provenance, Source

    for n in names:
        twin.provenance[n] = Provenance(Source.CALIBRATED, "test: calibrated")


def test_posterior_pushed_against_bound():
    twin = twin_from_preset("healthy", n=40)
    model = MODELS["four_chamber_eoa"]
    j = model.index("SYS.R_AR")
    twin.ensemble_kind = "posterior"
    twin.ensemble[:, j] = np.linspace(3.97, 4.0, 40)  # plausible upper bound 4.0
    k = model.index("LV.EB")
    twin.ensemble[:, k] = np.linspace(0.2, 0.25, 40)  # prior median 0.068, s 0.2
    _calibrated(twin, "SYS.R_AR", "LV.EB")  # only parameters the data moved are judged
    w = validity_warnings(twin, model)
    assert ("bound", "SYS.R_AR") in _kinds(w) and ("bound", "LV.EB") in _kinds(w)
    twin.ensemble_kind = "prior"
    assert not any(x.kind == "bound" for x in validity_warnings(twin, model))


def test_bound_judged_on_the_posteriors_own_spread():
    """Issue 12: RV.EB 0.007–0.021 is not 'at its plausible bound (0.003–1)'."""
    twin = twin_from_preset("healthy", n=60)
    model = MODELS["four_chamber_eoa"]
    twin.ensemble_kind = "posterior"
    j = model.index("RV.EB")
    _calibrated(twin, "RV.EB")
    twin.ensemble[:, j] = np.geomspace(0.007, 0.021, 60)
    w = [x for x in validity_warnings(twin, model) if x.subject == "RV.EB"]
    assert not any(x.kind == "bound" and "plausible bound" in x.text for x in w), w
    lo = model.parameter("RV.EB").plausible[0]
    twin.ensemble[:, j] = np.geomspace(lo, 2 * lo, 60)  # now it does reach the bound
    w = [x for x in validity_warnings(twin, model) if x.subject == "RV.EB"]
    assert any(f"reaches its plausible bound {lo:g}" in x.text for x in w), w


def test_no_prior_warning_for_a_measured_parameter():
    from twinviewer.core.provenance import Provenance, Source

    model = MODELS["four_chamber_eoa"]
    twin = twin_from_preset("healthy", n=1)
    twin.params[model.index("AV.EOA")] = 0.7
    twin.provenance["AV.EOA"] = Provenance(Source.MEASURED, "AVA = 0.7 cm^2", ("AVA",))
    assert ("prior", "AV.EOA") not in _kinds(validity_warnings(twin, model))


def test_members_that_did_not_become_periodic():
    twin = twin_from_preset("healthy", n=3)
    model = MODELS["four_chamber_eoa"]
    twin.ensemble[1, model.index("HR")] = 1000.0  # refused by the engine
    res = simulate_twin(twin)
    w = [x for x in validity_warnings(twin, model, res) if x.kind == "periodic"]
    assert len(w) == 1 and "1 of 3 members" in w[0].text and "member 1" in w[0].text


def test_prediction_outside_checked_range():
    twin = twin_from_preset("hfref", n=1)
    model = MODELS["four_chamber_eoa"]
    twin.params[model.index("LV.EA")] = 0.15  # EF ≈ 8 %
    twin.ensemble = twin.params[None, :].copy()
    res = simulate_twin(twin)
    w = validity_warnings(twin, model, res, ["LVEF"])
    assert ("context", "LVEF") in _kinds(w)


def test_a_measurement_the_calibration_did_not_use_is_not_called_a_poor_fit():
    """Review 7 #6: HR 66 entered beside HR 72 after the calibration was both 'poor fit' and
    'not used'. Now it is 'not used in the calibration and disagrees with the prediction',
    and the summary says so."""
    from twinviewer.explain.summary import plain_summary
    from twinviewer.io import audit_log

    twin = twin_from_preset("healthy", n=1)
    twin.ensemble_kind = "posterior"
    res = simulate_twin(twin)
    med = float(res.metrics["MAP"][0])
    twin.measurements = [Measurement("MAP", med, "mmHg", 2.0, "cuff"),
                         Measurement("MAP", med + 40, "mmHg", 2.0, "cuff, later")]
    audit_log(twin).record(twin, "calibration", {"summary": {"fit": [
        {"name": "MAP", "measured": med, "source": "cuff", "used": True, "z": 0.0,
         "median": med, "lo": med - 5, "hi": med + 5, "pred_lo": med - 8,
         "pred_hi": med + 8, "unit": "mmHg", "note": ""}]}})
    fit = [x for x in validity_warnings(twin, MODELS["four_chamber_eoa"], res, ["MAP"])
           if x.kind == "fit"]
    assert len(fit) == 1 and "poor fit" not in fit[0].text
    assert fit[0].text.startswith("not used in the calibration and disagrees")
    said = plain_summary("MAP", (med, med - 5, med + 5), warnings=fit)
    assert "(not used in the calibration)" in said and "poor fit" not in said

import argparse
import json

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement
from twinviewer.core.provenance import Provenance, Source
from twinviewer.explain.cli import add_arguments, run_explain
from twinviewer.explain.report import explain, explain_sobol
from twinviewer.explain.summary import fmt, plain_summary
from twinviewer.twins import twin_from_preset


def test_summary_is_built_from_the_numbers():
    twin = twin_from_preset("regazzoni2022", n=32)
    twin.provenance["SYS.R_AR"] = Provenance(Source.CALIBRATED, "", ("MAP",))
    twin.measurements.append(Measurement("MAP", 99.0, "mmHg", 3.0, "cuff"))
    ex = explain(twin, "MAP")
    med, lo, hi = ex.prediction
    assert ex.summary.startswith(f"Mean arterial pressure {fmt(med)} mmHg ({fmt(lo)}–{fmt(hi)})")
    assert "Measured: 99 ± 3.0 mmHg (cuff)" in ex.summary
    assert "blood volume held by the loop" in ex.summary  # top elasticity: V_total
    res = explain_sobol(twin, "MAP", ("SYS.R_AR", "LV.EA", "SYS.C_AR"), n=64)
    ex2 = ex.with_sobol(res)
    top, st, _ = ex2.sobol.ranked(1)[0]
    assert top == "SYS.R_AR"
    assert f"systemic arterial resistance (total Sobol index {st:.2f}" in ex2.summary
    assert "calibrated from MAP" in ex2.summary
    # a different twin gives different words
    other = plain_summary("MAP", (50.0, 40.0, 60.0), elasticities=ex.elasticities)
    assert other.startswith("Mean arterial pressure 50 mmHg (40–60)")


def test_explanation_contents():
    twin = twin_from_preset("regazzoni2022", n=16)
    ex = explain(twin, "LVEF", max_parameters=6)
    assert len(ex.screened) == 6 and [b.name for b in ex.basis] == list(ex.screened)
    assert ex.card.validation is not None and ex.card.validation.n_failed == 0
    d = json.loads(json.dumps(ex.to_dict()))
    assert d["metric"] == "LVEF" and d["model_card"]["equation_hash"] == twin.equation_hash
    assert "When not to trust it" in ex.to_text()
    assert "SYS.R_AR" in ex.inferred_names and "HR" not in ex.inferred_names
    # one state per parameter, the word the Calibrate step uses (review8 #11: "[inferred]"
    # here, "(calibrated)" there): an uncalibrated preset twin's LV.EB is a prior value
    assert ex.tag("LV.EB") == "LV.EB [prior]" and "[prior]" in ex.to_text()
    with pytest.raises(ValueError, match="unknown metric 'EF'"):
        explain(twin, "EF")


def test_scenario_attribution():
    twin = twin_from_preset("regazzoni2022", n=4)
    model_idx = 0  # HR
    scen = twin.ensemble.copy()
    scen[:, model_idx] *= 1.2
    ex = explain(twin, "CO", scenario_params=scen, validation=False)
    a = ex.attribution
    assert a.names == ("HR",)
    np.testing.assert_allclose(a.values[:, 0], a.change, atol=1e-12)
    assert "Attribution" in ex.to_text()


def _args(**kw):
    p = argparse.ArgumentParser()
    add_arguments(p)
    ns = p.parse_args([])
    for k, v in kw.items():
        setattr(ns, k, v)
    return ns


def test_cli_json(capsys):
    assert run_explain(_args(preset="regazzoni2022", metric="MAP", n=8, json=True,
                             sobol=16, parameters=4)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metric"] == "MAP" and len(out["sobol"]["indices"]) == 4
    assert out["research_use"].startswith("Research use")


def test_cli_text_and_errors(capsys):
    assert run_explain(_args(preset="healthy", metric="LVEF", n=4)) == 0
    assert "Left" not in capsys.readouterr().err
    assert run_explain(_args(preset="nope")) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err
    assert run_explain(_args(metric="XYZ", n=4)) == 2
    assert "unknown metric 'XYZ'" in capsys.readouterr().err
    assert run_explain(_args(n=1)) == 2
    assert "--n must be at least 2" in capsys.readouterr().err
    assert run_explain(_args(sobol=-5, n=4)) == 2


def test_sobol_ranges_from_a_posterior_ensemble():
    twin = twin_from_preset("regazzoni2022", n=64)
    j = 0  # HR
    twin.ensemble_kind = "posterior"
    twin.ensemble[:, j] = np.linspace(70.0, 80.0, 64)
    res = explain_sobol(twin, "CO", ("HR", "LV.EA"), n=8)
    assert res.extra["ranges_from"] == "posterior ensemble"
    lo, hi = res.bounds[0]
    assert 70.0 < lo < 71.0 and 79.0 < hi < 80.0


def test_every_parameter_has_one_state_tag():
    """review13 #10: HR (set from the ECG) and the EDPVR exponent were shown bare beside
    "[calibrated]" / "[prior]" rows; every parameter now carries its one state."""
    twin = twin_from_preset("regazzoni2022", n=8)
    twin.provenance["HR"] = Provenance(Source.MEASURED, "ECG")
    ex = explain(twin, "MAP", max_parameters=4, validation=False)
    model_names = list(ex.states)
    assert model_names and all(ex.tag(n).endswith("]") for n in model_names)
    assert ex.tag("HR") == "HR [measured]"

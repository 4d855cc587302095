"""A β-blocker's parameters depend on the members' baseline LVEF (their resting sympathetic
support is withdrawn, physio12b): the document finds it without simulating, from its own
baseline run or from the baseline stored in the file."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.document import Document
from twinviewer.interventions import apply_scenario, run_scenarios
from twinviewer.interventions import scenario as scenario_mod
from twinviewer.interventions.baroreflex import resting_support
from twinviewer.interventions.drugs import bb_block
from twinviewer.io import parameter_table
from twinviewer.twins import model_of, simulate_twin, twin_from_preset

BETA = Scenario("beta-blocker 5 mg", (InterventionStep("beta_blocker", {"dose": 5.0}),))


def _no_simulation(monkeypatch):
    from twinviewer import physiology

    def refuse(*args, **kwargs):
        raise AssertionError("the baseline was simulated again")

    monkeypatch.setattr(physiology, "simulate", refuse)


def test_the_open_documents_baseline_spares_a_scenario_check_its_simulation(monkeypatch):
    """The GUI checks a scenario by applying it to the ensemble on its own thread, in a
    process that leaves simulation to its helper: the document's baseline run serves."""
    monkeypatch.setattr(scenario_mod, "_LVEF_MEMO", OrderedDict())
    twin = twin_from_preset("hfref", n=4, seed=3)
    base = simulate_twin(twin)
    doc = Document()
    doc.open_twin(twin)
    doc.set_results(base)
    _no_simulation(monkeypatch)
    P = apply_scenario(model_of(twin), twin.ensemble, BETA)
    ea = model_of(twin).index("LV.EA")
    lvef = np.where(base.ok, base.metrics["LVEF"], np.nan)
    # 5 mg is bb_block(5) = 0.81 of full β1-blockade (Emax, review16b #1)
    block = bb_block({"dose": 5.0})
    np.testing.assert_allclose(P[:, ea], twin.ensemble[:, ea]
                               * (1 - resting_support(lvef) * block))
    assert (P[:, ea] < twin.ensemble[:, ea]).any()


def test_a_reopened_beta_blocker_result_takes_the_stored_baseline(tmp_path, monkeypatch):
    """A stored β-blocker what-if comes back current, with the parameters the run had,
    its baseline LVEF read from the file (nothing simulated on opening)."""
    twin = twin_from_preset("hfref", n=5, seed=4)
    doc = Document()
    doc.open_twin(twin)
    doc.file.parameters = parameter_table(twin_from_preset("hfref", n=1))
    doc.add_scenario(BETA)
    base = simulate_twin(twin)
    run = run_scenarios(model_of(twin), base, [BETA])[BETA.name]
    doc.set_results(base)
    doc.set_scenario_results({BETA.name: run})
    path = doc.save(tmp_path / "t.twin")
    monkeypatch.setattr(scenario_mod, "_LVEF_MEMO", OrderedDict())
    _no_simulation(monkeypatch)
    again = Document()
    again.open_file(path)
    r = again.scenario_results[BETA.name]
    np.testing.assert_allclose(r.params, run.params, rtol=1e-12)
    ea = model_of(twin).index("LV.EA")
    assert (r.params[:, ea] < twin.ensemble[:, ea]).all()  # hfref: the support withdrawn


def test_a_stored_baseline_of_another_size_is_not_used(monkeypatch):
    from twinviewer.document import _stored_lvef

    assert _stored_lvef({"LVEF": np.array([30.0, 40.0])}, 3) is None
    assert _stored_lvef(None, 3) is None
    got = _stored_lvef({"LVEF": np.array([30.0, 40.0]), "_ok": np.array([True, False])}, 2)
    assert got[0] == 30.0 and np.isnan(got[1])
    with pytest.raises(AssertionError, match="simulated again"):
        monkeypatch.setattr(scenario_mod, "_LVEF_MEMO", OrderedDict())
        _no_simulation(monkeypatch)
        twin = twin_from_preset("hfref", n=2, seed=5)
        apply_scenario(model_of(twin), twin.ensemble, BETA)

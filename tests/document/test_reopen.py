"""What a reopened twin shows: stored scenario results come back into the document."""

from __future__ import annotations

import dataclasses

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.document import Document, StoredResults
from twinviewer.interventions import apply_scenario
from twinviewer.io import parameter_table
from twinviewer.twins import model_of, twin_from_preset

BETA = Scenario("beta-blocker 5 mg", (InterventionStep("beta_blocker", {"dose": 5.0}),))


def _saved_with_results(tmp_path, twin=None):
    """A twin saved with a scenario and the metrics of a run (as the GUI saves them)."""
    doc = Document()
    doc.open_twin(twin or twin_from_preset("healthy", n=5))
    doc.file.parameters = parameter_table(twin_from_preset("healthy", n=1))
    doc.add_scenario(BETA)
    ef = np.array([55.0, 57.0, 60.0, np.nan, 52.0])
    doc.file.stored_results = {
        "baseline": {"LVEF": ef + 3, "_ok": np.isfinite(ef)},
        BETA.name: {"LVEF": ef, "HR": np.full(5, 61.0), "_ok": np.isfinite(ef)}}
    return doc.save(tmp_path / "t.twin"), ef


def test_stored_scenario_results_come_back_on_open(tmp_path):
    path, ef = _saved_with_results(tmp_path)
    doc, seen, msgs = Document(), [], []
    doc.subscribe("scenario_results", seen.append)
    doc.subscribe("message", msgs.append)
    doc.open_file(path)
    r = doc.scenario_results[BETA.name]
    assert isinstance(r, StoredResults) and r.stored
    assert r.equation_hash == doc.twin.equation_hash
    np.testing.assert_array_equal(r.metrics["LVEF"], ef)
    assert r.ok.tolist() == [True, True, True, False, True]
    assert r.summary("LVEF")[0] == 56.0
    # the scenario's parameters, as a re-run would simulate them (for attribution)
    np.testing.assert_allclose(r.params, apply_scenario(model_of(doc.twin),
                                                         doc.twin.ensemble, BETA))
    assert r.series == {}  # only metrics are in the file: no loops pretended
    assert seen[-1] == doc.scenario_results
    assert any("stored results" in t and doc.twin.equation_hash in t for _, t in msgs)
    assert not doc.dirty
    # saving again keeps them (nothing the user made is lost)
    doc.save(tmp_path / "again.twin")
    again = Document()
    again.open_file(tmp_path / "again.twin")
    np.testing.assert_array_equal(again.scenario_results[BETA.name].metrics["LVEF"], ef)


def test_stored_results_of_other_equations_are_not_shown_as_current(tmp_path):
    old = dataclasses.replace(twin_from_preset("healthy", n=5), equation_hash="0" * 16)
    path, _ = _saved_with_results(tmp_path, old)
    doc, msgs = Document(), []
    doc.subscribe("message", msgs.append)
    doc.open_file(path)
    assert doc.scenario_results == {}
    assert BETA.name in doc.file.stored_results  # kept in the file, not dropped
    level, text = msgs[-1]
    assert level == "warning" and "0" * 16 in text and "not shown as current" in text


def test_redefining_a_scenario_drops_its_stored_results(tmp_path):
    path, _ = _saved_with_results(tmp_path)
    doc = Document()
    doc.open_file(path)
    doc.add_scenario(Scenario(BETA.name, (InterventionStep("beta_blocker", {"dose": 10.0}),)))
    assert BETA.name not in doc.scenario_results
    assert BETA.name not in doc.results_to_save()

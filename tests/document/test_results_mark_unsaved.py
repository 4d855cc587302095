"""Scenario results that land in the document make it unsaved unless the file holds them
(review13b #3): a what-if run after a Save, or finishing during one, is asked about on Quit
and reaches the file on the next Save."""

from __future__ import annotations

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.document import Document
from twinviewer.interventions import run_scenarios
from twinviewer.io import load_twin
from twinviewer.twins import model_of, simulate_twin, twin_from_preset

PACE = Scenario("Pace90", (InterventionStep("pacing", {"rate": 90.0}),))


def _doc():
    twin = twin_from_preset("healthy", n=4)
    doc = Document()
    doc.open_twin(twin, results=simulate_twin(twin))
    doc.add_scenario(PACE)
    return doc


def test_results_after_a_save_make_the_document_unsaved(tmp_path):
    doc = _doc()
    path = doc.save(tmp_path / "g.twin")
    assert not doc.dirty and set(load_twin(path).results) == {"baseline"}
    run = run_scenarios(model_of(doc.twin), doc.results, doc.scenarios)
    doc.set_scenario_results(run)
    assert doc.dirty  # Quit asks
    doc.save()
    assert not doc.dirty and "Pace90" in load_twin(path).results
    doc.set_scenario_results(dict(run))  # the same results again: nothing new
    assert not doc.dirty


def test_results_landing_during_a_save_keep_the_document_unsaved(tmp_path):
    doc = _doc()
    request = doc.save_request(tmp_path / "d.twin")  # the write is under way...
    doc.set_scenario_results(run_scenarios(model_of(doc.twin), doc.results, doc.scenarios))
    assert not doc.saved(request) and doc.dirty  # ...and did not hold them


def test_stored_results_and_previews_are_not_changes(tmp_path):
    doc = _doc()
    doc.set_scenario_results(run_scenarios(model_of(doc.twin), doc.results, doc.scenarios))
    path = doc.save(tmp_path / "s.twin")
    back = Document()
    back.open_file(path)  # the file's results come back as stored: nothing unsaved
    assert not back.dirty and back.scenario_results["Pace90"].stored
    back.set_scenario_results(dict(back.scenario_results))
    preview = Scenario("live: pacing 100 [acute]",
                       (InterventionStep("pacing", {"rate": 100.0}),))
    back.set_scenario_results({**back.scenario_results, **run_scenarios(
        model_of(back.twin), simulate_twin(back.twin), [preview])})
    assert not back.dirty  # a slider preview is not saved with the twin


def test_a_save_taken_before_the_draft_was_typed_back_does_not_mark_it_saved():
    """final13 F1: the rows typed back to the saved ones after a save was taken (holding the
    typed rows) leave a new revision, so that save's end does not call the document saved."""
    from twinviewer.document import Document
    from twinviewer.twins import twin_from_preset

    doc = Document()
    doc.open_twin(twin_from_preset("healthy", n=1))
    doc.set_measurement_draft([("CO", "4.2", "L/min", "0.4", "")])
    taken = doc.revision
    doc.set_measurement_draft(None)  # typed back to the saved rows: nothing unsaved
    assert not doc.dirty and doc.revision != taken

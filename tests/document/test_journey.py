"""A whole journey through the document alone (no Qt): import → measurements → calibrate →
scenarios → notes → save → reopen → report. Everything the user made must come back."""

from __future__ import annotations

import pytest

import twinviewer
from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.document import Document
from twinviewer.io import TwinFileError
from twinviewer.twins import simulate_twin, twin_from_preset


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from twinviewer.imaging.demo import write_demo_study

    folder = tmp_path_factory.mktemp("study")
    write_demo_study(folder, shape=(40, 64, 64), spacing=(4.0, 2.5, 2.5))
    return folder


@pytest.mark.slow
def test_whole_journey_through_the_document(study, tmp_path):
    from twinviewer.imaging.study import import_study
    from twinviewer.interventions import run_scenarios
    from twinviewer.personalize import calibrate
    from twinviewer.report import write_report
    from twinviewer.twins import model_of

    doc = Document()
    events: list[str] = []
    for ev in ("twin", "scenarios", "calibration", "audit", "dirty", "file"):
        doc.subscribe(ev, lambda _p, ev=ev: events.append(ev))

    # import: anatomy from the DICOM study, a twin around it
    anatomy = import_study(study)
    doc.open_twin(twin_from_preset("healthy", n=24, pseudonym=anatomy.pseudonym,
                                   anatomy=anatomy))
    assert not doc.dirty, "a freshly opened twin holds no unsaved work"

    # measurements
    doc.add_measurement(Measurement("SBP", 128.0, "mmHg", 4.0, "cuff"))
    doc.add_measurement(Measurement("DBP", 76.0, "mmHg", 4.0, "cuff"))
    assert doc.dirty and {"SBP", "DBP"} <= {m.name for m in doc.twin.measurements}

    # calibrate (small ensemble: the journey, not the statistics, is under test)
    result = calibrate(doc.twin, n=24, max_iterations=12)
    doc.apply_calibration(result)
    assert doc.twin.ensemble_kind == "posterior"
    assert doc.calibration is not None and doc.calibration["n_members"] == 24
    assert doc.results is result.results

    # scenarios: definitions in the document, results computed from its baseline
    beta = Scenario("beta-blocker 5 mg", (InterventionStep("beta_blocker", {"dose": 5.0}),))
    doc.add_scenario(beta)
    doc.add_scenario(Scenario("slower pacing", (InterventionStep("pacing", {"rate": 60.0}),)))
    doc.remove_scenario("slower pacing")
    assert [s.name for s in doc.scenarios] == [beta.name]
    doc.set_scenario_results(run_scenarios(model_of(doc.twin), doc.results, doc.scenarios))

    # notes
    doc.add_note("Predicted LVEDP plausible", disagreement="RV volumes", why="poor window")

    # save
    path = doc.save(tmp_path / "journey.twin")
    assert not doc.dirty and doc.file.path == path
    assert {"twin", "scenarios", "calibration", "audit", "dirty", "file"} <= set(events)

    # reopen in a fresh document: everything the user made is back
    doc2 = Document()
    doc2.open_file(path)
    t1, t2 = doc.twin, doc2.twin
    assert not doc2.dirty
    assert [s.to_dict() for s in doc2.scenarios] == [beta.to_dict()]
    assert {m.name for m in t2.measurements} == {m.name for m in t1.measurements}
    assert doc2.calibration == doc.calibration  # the summary, from the audit trail
    assert [e.details["text"] for e in doc2.twin_document().audit.notes()] == \
        ["Predicted LVEDP plausible"]
    stored = doc2.file.stored_results
    assert set(stored) == {"baseline", beta.name}
    assert stored[beta.name]["HR"] == pytest.approx(doc.scenario_results[beta.name].metrics["HR"])
    assert doc2.file.app_version == twinviewer.__version__

    # report: lists exactly what the file holds
    info = write_report(doc2.twin_document(), tmp_path / "journey.pdf", simulate=False)
    text = "\n".join(info.text)
    assert f"written by TwinViewer {twinviewer.__version__}" in text
    assert beta.name in text and "Scenarios" in text
    assert "Predicted LVEDP plausible" in text
    assert "Calibration" in text and "24 members" in text
    assert "Stored results" in text


def test_events_fire_once_per_batch_and_only_on_change():
    doc = Document()
    seen: list[tuple[str, object]] = []
    for ev in ("time", "twin", "dirty"):
        doc.subscribe(ev, lambda p, ev=ev: seen.append((ev, p)))
    doc.set_time(0.25)
    doc.set_time(0.25)
    with doc.batch():
        doc.set_time(0.5)
        with doc.batch():
            doc.set_time(0.75)
        assert [e for e, _ in seen] == ["time"]
    assert seen == [("time", 0.25), ("time", 0.75)]


def test_an_edit_keeps_the_file_a_new_twin_does_not(tmp_path):
    doc = Document()
    doc.open_twin(twin_from_preset("healthy", n=4, pseudonym="virtual-a"))
    doc.add_note("first")
    path = doc.save(tmp_path / "a.twin", passphrase="pw")
    doc.add_scenario(Scenario("tavi", (InterventionStep("tavi_sapien3", {"size": 26.0}),)))
    assert doc.dirty and doc.file.path == path and doc.file.passphrase == "pw"
    doc.save()
    with pytest.raises(TwinFileError, match="encrypted"):
        Document().open_file(path)  # an encrypted twin stays encrypted on re-save
    doc.set_twin(twin_from_preset("severe_as", n=4, pseudonym="virtual-b"))
    assert doc.file.path is None and doc.file.passphrase is None and not doc.dirty


def test_scenario_names_are_checked_and_results_follow_definitions():
    doc = Document()
    with pytest.raises(ValueError, match="no twin"):
        doc.add_note("x")
    twin = twin_from_preset("healthy", n=4)
    doc.open_twin(twin, results=simulate_twin(twin))
    with pytest.raises(ValueError, match="baseline"):
        doc.add_scenario(Scenario("baseline"))
    doc.add_scenario(Scenario("a"))
    doc.set_scenario_results({"a": doc.results})
    doc.remove_scenario("a")
    assert doc.scenario_results == {} and "a" not in doc.results_to_save()


def test_save_without_a_file_names_the_problem():
    doc = Document()
    doc.open_twin(twin_from_preset("healthy", n=4))
    with pytest.raises(TwinFileError, match="no file"):
        doc.save()

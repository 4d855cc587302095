"""What a reopened twin shows: stored scenario results come back into the document."""

from __future__ import annotations

import dataclasses

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.document import Document, StoredResults, stored_results
from twinviewer.io import parameter_table
from twinviewer.twins import model_of, twin_from_preset

BETA = Scenario("beta-blocker 5 mg", (InterventionStep("beta_blocker", {"dose": 5.0}),))


def _saved_with_results(tmp_path, twin=None):
    """A twin with a scenario run on its ensemble (baseline and scenario simulated), saved
    as the GUI saves it; returns the path and the scenario's results."""
    from twinviewer.interventions import run_scenarios
    from twinviewer.twins import simulate_twin

    twin = twin or twin_from_preset("healthy", n=5)
    doc = Document()
    doc.open_twin(twin)
    doc.file.parameters = parameter_table(twin_from_preset("healthy", n=1))
    doc.add_scenario(BETA)
    ref = twin_from_preset("healthy", n=5)  # the model that runs (same ensemble)
    base = simulate_twin(ref)
    run = run_scenarios(model_of(ref), base, [BETA])[BETA.name]
    doc.set_results(base)
    doc.set_scenario_results({BETA.name: run})
    return doc.save(tmp_path / "t.twin"), run


def test_stored_scenario_results_come_back_on_open(tmp_path):
    path, run = _saved_with_results(tmp_path)
    doc, seen, msgs = Document(), [], []
    doc.subscribe("scenario_results", seen.append)
    doc.subscribe("message", msgs.append)
    doc.open_file(path)
    r = doc.scenario_results[BETA.name]
    assert isinstance(r, StoredResults) and r.stored
    assert r.equation_hash == doc.twin.equation_hash
    assert sorted(r.metrics) == sorted(run.metrics)
    for k, v in run.metrics.items():
        np.testing.assert_array_equal(r.metrics[k], v)
    np.testing.assert_array_equal(r.ok, run.ok)
    assert r.summary("LVEF") == run.summary("LVEF")
    # the scenario's parameters, as a re-run would simulate them (for attribution)
    np.testing.assert_allclose(r.params, run.params)
    # the loops come back: every member's waveforms the plots draw, to float32 precision
    from twinviewer.gui import cycle  # Qt-free helpers the PV loop and Wiggers plots use
    for role in ("V_LV", "p_LV", "p_AO", "p_LA", "V_RV", "p_RV", "Q_MV", "Q_AV"):
        np.testing.assert_allclose(cycle.signal(r, role), cycle.signal(run, role), rtol=1e-6)
    np.testing.assert_allclose(r.time, run.time, rtol=1e-6)
    np.testing.assert_allclose(cycle.band(r, "p_LV")[0], cycle.band(run, "p_LV")[0],
                               rtol=1e-5)
    assert seen[-1] == doc.scenario_results
    assert any("stored results" in t and doc.twin.equation_hash in t and "run again" not in t
               for _, t in msgs)
    assert not doc.dirty
    # saving again keeps them (nothing the user made is lost)
    doc.save(tmp_path / "again.twin")
    again = Document()
    again.open_file(tmp_path / "again.twin")
    np.testing.assert_array_equal(again.scenario_results[BETA.name].metrics["LVEF"],
                                  run.metrics["LVEF"])
    np.testing.assert_allclose(again.scenario_results[BETA.name].series["V_LV"],
                               run.series["V_LV"], rtol=1e-6)


def test_a_file_saved_without_waveforms_says_to_run_again(tmp_path):
    """Files of the previous version kept metrics only: no loops are pretended."""
    from twinviewer.io import load_twin

    path, run = _saved_with_results(tmp_path)
    doc = load_twin(path)
    doc.series.clear()
    old, msgs = Document(), []
    old.subscribe("message", msgs.append)
    old.open_loaded(doc, path, None)
    assert old.scenario_results[BETA.name].series == {}
    assert any("metrics only" in t and "run again" in t for _, t in msgs)


def test_malformed_waveforms_are_refused_naming_the_member(tmp_path, monkeypatch):
    import pytest

    from twinviewer.io import TwinFileError, twinfile
    from twinviewer.io.twinfile import load_twin_bytes, twin_bytes

    path, run = _saved_with_results(tmp_path)
    twin = Document()
    twin.open_file(path)
    bad = {BETA.name: {"time": np.zeros((5, 10)), "V_LV": np.zeros((5, 9))}}
    with pytest.raises(TwinFileError, match="waveforms of 'beta-blocker 5 mg'"):
        twin_bytes(twin.twin, results=twin.results_to_save(),
                   parameters=twin.file.parameters, series=bad)
    # a file written with mismatched waveforms (writer check bypassed) is refused on read
    monkeypatch.setattr(twinfile, "_series_arrays", lambda series, name: dict(series))
    data = twin_bytes(twin.twin, results=twin.results_to_save(),
                      parameters=twin.file.parameters, series=bad)
    with pytest.raises(TwinFileError, match=r"x.twin: waveform V_LV of 'beta-blocker 5 mg'"):
        load_twin_bytes(data, name="x.twin")


def test_stored_results_with_failed_members_keep_them_out():
    twin = dataclasses.replace(twin_from_preset("healthy", n=3), scenarios=[BETA])
    ef = np.array([55.0, 60.0, np.nan])
    r = stored_results(twin, BETA.name, {"LVEF": ef, "_ok": np.isfinite(ef)},
                       model_of(twin))
    assert r.ok.tolist() == [True, True, False] and r.summary("LVEF")[0] == 57.5
    assert stored_results(twin, BETA.name, {"LVEF": ef[:2]}, model_of(twin)) is None
    assert stored_results(twin, "not a scenario of it", {"LVEF": ef}, model_of(twin)) is None


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


def test_stored_results_of_changed_intervention_constants_are_not_current(tmp_path,
                                                                          monkeypatch):
    """Review9 #18 (last bullet): stored what-if results were checked only against the
    equation hash; a drug magnitude (drugs.BB_HR_DROP) or a baroreflex gain changed
    nothing. Each stored scenario result now carries the digest of the intervention code
    and constants it was run with; a different one is kept in the file, never shown."""
    from twinviewer.interventions import baroreflex, drugs
    from twinviewer.interventions.constants_digest import KEY, scenario_digest

    path, _ = _saved_with_results(tmp_path)
    digest = scenario_digest(BETA)
    doc = Document()
    doc.open_file(path)
    assert doc.scenario_results[BETA.name].interventions == digest  # unchanged: current
    monkeypatch.setattr(drugs, "BB_HR_DROP", drugs.BB_HR_DROP * 1.5)
    assert scenario_digest(BETA) != digest
    doc, msgs = Document(), []
    doc.subscribe("message", msgs.append)
    doc.open_file(path)
    assert BETA.name not in doc.scenario_results
    assert any("stored, out of date: the intervention code" in t and BETA.name in t
               for _, t in msgs)
    # kept in the file as it was (its own digest), not re-stamped with the new one
    saved = doc.results_to_save()[BETA.name]
    assert KEY in saved and saved[KEY][0] == float(int(digest, 16))
    monkeypatch.undo()
    # a regulated scenario also hashes the baroreflex gains; an acute one does not
    reg = dataclasses.replace(BETA, regulation="regulated")
    before, acute = scenario_digest(reg), scenario_digest(BETA)
    monkeypatch.setattr(baroreflex, "G_HR", baroreflex.G_HR * 2)
    assert scenario_digest(reg) != before and scenario_digest(BETA) == acute


def test_a_file_without_the_digest_is_not_shown_as_current(tmp_path):
    from twinviewer.interventions.constants_digest import KEY
    from twinviewer.io.twinfile import load_twin, save_twin

    path, _ = _saved_with_results(tmp_path)
    d = load_twin(path)
    results = {k: {m: a for m, a in v.items() if m != KEY} for k, v in d.results.items()}
    save_twin(path, d.twin, results=results)  # as an earlier version wrote it
    doc, msgs = Document(), []
    doc.subscribe("message", msgs.append)
    doc.open_file(path)
    assert BETA.name not in doc.scenario_results
    assert any("do not record them" in t for _, t in msgs)


def test_info_and_the_headless_report_hold_back_what_the_gui_holds_back(tmp_path, monkeypatch,
                                                                        capsys):
    """Session 9 left: ``twinviewer info`` and the headless report listed a stored what-if
    result as the file's even when its intervention constants had changed, while the GUI
    held it back. All three now judge it the same way."""
    import json

    from twinviewer.cli import main
    from twinviewer.interventions import drugs
    from twinviewer.io.twinfile import load_twin
    from twinviewer.report.pdf import _unstored, write_report

    path, _ = _saved_with_results(tmp_path)
    assert main(["info", str(path), "--json"]) == 0
    current = json.loads(capsys.readouterr().out)["results"]
    assert BETA.name in current["current"] and not current["held_back"]
    monkeypatch.setattr(drugs, "BB_HR_DROP", drugs.BB_HR_DROP * 1.5)
    assert main(["info", str(path), "--json"]) == 0
    held = json.loads(capsys.readouterr().out)["results"]
    assert BETA.name not in held["current"] and BETA.name in held["held_back"]
    assert main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    # named with its mode (fix12d: info names results as the app does)
    assert f"{BETA.name} [acute, unregulated]: kept in the file, not current" in text
    doc = load_twin(path)
    # kept in the file, out of date: said so, never "not stored" (review13b #7)
    assert _unstored(doc, {BETA.name: object()}) == {BETA.name: "stored, out of date"}
    info = write_report(doc, tmp_path / "r.pdf", simulate=False)
    assert any(BETA.name in n and "not shown" in n for n in info.notes), info.notes

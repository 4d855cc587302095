"""A stored what-if result made by other intervention code reads the same everywhere: page 1
lists it as "stored, out of date" (not among the current stored results), the tables mark it
so, never "(not stored)" (review13b #7)."""

from __future__ import annotations

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.constants_digest import KEY, digest_array, scenario_digest
from twinviewer.io import load_twin, save_twin
from twinviewer.report.pdf import write_report
from twinviewer.twins import simulate_twin, twin_from_preset


def test_out_of_date_result_is_stored_out_of_date_not_unstored(tmp_path):
    t = twin_from_preset("healthy", n=6)
    fresh = Scenario("Beta-blocker 5 mg", (InterventionStep("beta_blocker", {"dose": 5.0}),))
    old = Scenario("Pacing 90 bpm", (InterventionStep("pacing", {"rate": 90.0}),))
    t.scenarios += [fresh, old]
    results = simulate_twin(t)
    stored = {**{k: v.copy() for k, v in results.metrics.items()}, "_ok": results.ok}
    path = save_twin(tmp_path / "o.twin", t, results={
        "baseline": results,
        fresh.name: {**stored, KEY: digest_array(scenario_digest(fresh), 6)},
        old.name: {**stored, KEY: digest_array("0" * 16, 6)}})  # other intervention code
    info = write_report(load_twin(path), tmp_path / "o.pdf", results=results)
    text = " ".join(" ".join(info.text).split())
    page1 = text[:text.index("Measurements")]
    held = page1[page1.index("stored results:"):]
    assert held.startswith("stored results: baseline, Beta-blocker 5 mg [acute, unregulated]; "
                           "stored, out of date: Pacing 90 bpm [acute, unregulated] (the "
                           "intervention code changed since they were made: re-run them")
    assert "(not stored)" not in text and "not stored in the file" not in text
    assert "Pacing 90 bpm [acute, unregulated] (stored, out of date)" in text
    assert "(stored, out of date): the intervention code changed since it was made " \
           "(re-run it); recomputed for this report" in text


def test_report_names_members_a_what_if_excluded(tmp_path):
    """review13b #5: the report says which twins a what-if left out and what its intervals
    cover, as the GUI and the CLI do."""
    from twinviewer.interventions.compare import run_scenarios
    from twinviewer.twins import model_of

    t = twin_from_preset("severe_as", n=4)
    j = model_of(t).index("LV.EA")
    t.ensemble[:, j] = 5.0
    t.ensemble[0, j] = 9.0  # dobutamine 10 takes it past 15 mmHg/mL, the others to 11.6
    dob = Scenario("Dob10", (InterventionStep("inotrope", {"dose": 10.0}),))
    t.scenarios.append(dob)
    results = simulate_twin(t)
    runs = run_scenarios(model_of(t), results, [dob])
    path = save_twin(tmp_path / "x.twin", t, results={"baseline": results})
    info = write_report(load_twin(path), tmp_path / "x.pdf", results=results,
                        scenario_results=runs)
    text = " ".join(" ".join(info.text).split())
    assert "1 of 4 twins excluded: LV.EA would be 20.9 mmHg/mL" in text
    assert "the values and intervals cover the other 3" in text

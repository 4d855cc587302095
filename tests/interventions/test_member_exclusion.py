"""A few members out of the plausible range never cost the user the whole scenario
(review13b #5): they are excluded and named, the scenario is refused only when fewer than half
remain, a single-member point still refuses, and in the CLI each scenario stands on its own."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import InterventionError
from twinviewer.interventions.cli import run_whatif
from twinviewer.interventions.compare import run_scenarios, scenario_flags, scenario_table
from twinviewer.interventions.library import get_intervention
from twinviewer.interventions.scenario import apply_scenario
from twinviewer.physiology import get_preset, simulate

DOB10 = Scenario("dob", (InterventionStep("inotrope", {"dose": 10.0}),))


def _ensemble(n: int, strong: int) -> tuple:
    """``n`` severe-AS members, the first ``strong`` with LV.EA 9 mmHg/mL (dobutamine 10
    takes them past the plausible 15), the others at the preset's 5.59."""
    p = get_preset("severe_as")
    P = p.vector()[None, :].repeat(n, axis=0)
    P[:strong, p.model.index("LV.EA")] = 9.0
    return p.model, P


def test_few_members_out_of_range_are_left_for_the_simulator_to_exclude():
    model, P = _ensemble(4, 1)
    iv = get_intervention("inotrope")
    with pytest.raises(InterventionError, match="1 of 4 ensemble members"):
        iv.apply(model, P, {"dose": 10.0})  # the default: all or nothing
    out = iv.apply(model, P, {"dose": 10.0}, tolerate=True)
    msgs = model.check_parameters(out)
    assert msgs[0] and "LV.EA" in msgs[0] and not any(msgs[1:])


def test_more_than_half_out_of_range_refuses_and_says_the_threshold():
    model, P = _ensemble(4, 3)
    with pytest.raises(InterventionError, match="3 of 4 .*at least half of the ensemble"):
        apply_scenario(model, P, DOB10, tolerate=True, baseline_lvef=60.0)


def test_a_single_member_point_still_refuses():
    model, P = _ensemble(1, 1)
    with pytest.raises(InterventionError, match=r"1 of 1 ensemble members.*milder setting"):
        apply_scenario(model, P, DOB10, tolerate=True, point=True, baseline_lvef=60.0)


@pytest.mark.parametrize("regulation", ["acute", "regulated"])
def test_excluded_members_are_named_and_the_interval_covers_the_others(regulation):
    model, P = _ensemble(4, 1)
    baseline = simulate(model, P)
    assert baseline.ok.all()
    sc = Scenario("dob", DOB10.steps, regulation)
    failed: dict[str, str] = {}
    res = run_scenarios(model, baseline, [sc], failed=failed)["dob"]
    assert not failed
    assert list(res.ok) == [False, True, True, True]
    # the parameters that excluded it are kept (not the reflex's NaN), with the reason
    assert res.params[0, model.index("LV.EA")] > 15.0
    flags = scenario_flags(baseline, res)
    assert (flags.excluded, flags.failed, flags.paired) == (1, 0, 4)
    line = " ".join(flags.lines())
    assert "1 of 4 twins excluded: LV.EA would be 20.9 mmHg/mL, beyond its plausible range " \
           "0.1–15 mmHg/mL; the values and intervals cover the other 3" in line
    table = scenario_table(baseline, {"dob": res}, ["CO"])
    assert np.isfinite(table.cells["CO"]["dob"].scenario.median)
    assert table.to_dict()["flags"]["dob"]["excluded_out_of_range"] == 1
    assert "1 of 4 twins excluded" in table.format_text()


def test_cli_one_refused_scenario_never_costs_the_others(capsys):
    # one member of severe_as: dobutamine 20 leaves LV.EA's range (review13b #5, drugs.txt)
    code = run_whatif(["--preset", "severe_as", "--members", "1", "--regulation", "acute",
                       "-i", "inotrope:dose=20", "-s", "milrinone:dose=0.5",
                       "--metrics", "CO"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Milrinone 0.5" in out and "Cardiac output" in out
    assert "not run:" in err and "LV.EA" in err and "Inotrope" not in out.split("Cardiac")[1]


def test_evidence_failures_say_they_are_the_validation_cases_numbers(monkeypatch):
    """review13b #1: the "got" numbers are the row's own patient's, under every scenario."""
    from twinviewer.explain import evidence_flags as ef

    row = next(r for r in ef._rows() if r.intervention == "inotrope" and r.sourced)
    judged = {row.id: {"id": row.id, "title": row.title, "passed": False,
                       "variables": [{"variable": "MAP", "expected": "+5 %", "got": "−8 %",
                                      "passed": False}]}}
    monkeypatch.setattr(ef, "_from_cache", lambda: judged)
    dose = float(next(st for st in row.steps if st.name == "inotrope").settings["dose"])
    # two scenarios at the row's dose (a row at another dose warns neither: fix16a)
    two = [Scenario("reg", (InterventionStep("inotrope", {"dose": dose}),), "regulated"),
           Scenario("acute", (InterventionStep("inotrope", {"dose": dose}),), "acute")]
    lines = ef.scenario_evidence(two, run=False)
    assert set(lines) == {"reg", "acute"}
    for got in lines.values():
        assert [x for x in got if row.id in x] == [
            f"evidence row '{row.title}' ({row.id}) fails in its validation case (its "
            f"study's virtual patient, not this twin): MAP expected +5 %, got −8 %"]

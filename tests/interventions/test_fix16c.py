"""review16b hand-check fixes (fix16c): LVSP has no "better" direction (#3), every cell of a
comparison over the same paired members (#7), β-blocker dose–response (#1), TAVI size vs
annulus (#4). Sources are named in each test."""

from __future__ import annotations

import pytest

from twinviewer.interventions import run_scenarios, scenario_table
from twinviewer.interventions.compare import DIRECTIONS

from .conftest import one_step


def test_lvsp_fall_of_a_beta_blocker_in_hypotensive_hfref_is_not_scored(ensemble_baseline):
    """review16b #3: a β-blocker lowers LVSP in an HFrEF heart with SBP ~90 mmHg by lowering
    output — no benefit. LVSP ≈ SBP + the outflow gradient (Baumgartner 2009, ASE/EAE): the
    gradient is scored at equal flow, SBP has no direction, so LVSP has none either."""
    assert "LVSP" not in DIRECTIONS
    model, base = ensemble_baseline("hfref", 12)
    res = run_scenarios(model, base, [one_step("beta_blocker", dose=12.0)])
    table = scenario_table(base, res, ["LVSP", "CO"])
    cell = table.cells["LVSP"]["beta_blocker"]
    assert cell.difference.median < 0  # it does fall …
    assert cell.improved is None and cell.improvement_text() == "—"  # … and is not credited


def test_beta_blocker_effect_grows_with_dose_as_an_emax(ensemble_baseline):
    """review16b #1: 0.5 mg metoprolol cost the HFrEF heart almost the whole 12 mg loss of
    output (the support withdrawal was a step at any dose > 0) and its HR rose. Source: the
    effect grows with dose (esmolol 4 → 16 mg/min: HR −8 → −12 bpm, Iskandrian 1986,
    INTERVENTIONS.md §4), the Emax through those two steps has ED50 = 0.2 of the maximal dose.
    Now each effect is monotone in dose and 0.5 mg gives about a fifth of the 12 mg one."""
    from twinviewer.interventions.drugs import BB_ED50_MG, bb_effect

    # the two esmolol steps, 4 and 16 mg/min ≡ 3 and 12 mg: 8 of 12 bpm at the lower one
    assert bb_effect(3.0) == pytest.approx(8.0 / 12.0, abs=1e-9)
    assert BB_ED50_MG == pytest.approx(2.4)
    model, base = ensemble_baseline("hfref", 12)
    doses = (0.5, 5.0, 12.0)
    res = run_scenarios(model, base, [one_step("beta_blocker", f"bb{d:g}", dose=d)
                                      for d in doses])
    table = scenario_table(base, res, ["CO", "HR", "LVEF"])
    co = [table.cells["CO"][f"bb{d:g}"].difference.median for d in doses]
    hr = [table.cells["HR"][f"bb{d:g}"].difference.median for d in doses]
    assert co[0] > co[1] > co[2] and co[2] < 0  # more dose, more output lost
    assert hr[0] < 0 and hr[0] > hr[1] > hr[2]  # HR falls at every dose, more with more
    # 0.5 mg: well under half the 12 mg loss of output (it was 66 % before)
    assert abs(co[0]) < 0.45 * abs(co[2])


def test_partial_beta_block_leaves_part_of_the_reflex_inotropic_arm():
    """Below full blockade the reflex's inotropic gain is scaled by (1 − block), not held."""
    import numpy as np

    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.interventions.baroreflex import effectors
    from twinviewer.interventions.scenario import held_parameters
    from twinviewer.physiology import get_preset

    p = get_preset("hfref")
    P = p.vector()[None, :]
    j = p.model.index("LV.EA")
    moved = []
    for d in (0.5, 5.0, 12.0):
        held = held_parameters(Scenario("b", (InterventionStep("beta_blocker", {"dose": d}),)))
        out = effectors(p.model, P, np.array([-10.0]), None, held)
        moved.append(out[0, j] / P[0, j] - 1.0)
    assert moved[0] > moved[1] > moved[2] == 0.0  # full block at 12 mg: the arm is held


def test_every_cell_of_a_row_covers_the_same_paired_twins():
    """review16b #7: with members excluded, the text row showed the baseline of all twins
    beside the scenario and Δ of the paired subset (5.3 → 6.6 read as +1.3 beside Δ +1.6).
    Now the row gives its own paired baseline, the excluded twins are named, and a baseline
    member that is not periodic is said (it was silent). Checked against np.percentile of the
    paired members (the reviewer's hand computation)."""
    import numpy as np

    from twinviewer.interventions.scenario import parse_scenario
    from twinviewer.physiology import simulate
    from twinviewer.twins import model_of, twin_from_preset

    twin = twin_from_preset("healthy", n=16, seed=0)
    model = model_of(twin)
    P = np.array(twin.ensemble, float)
    P[[3, 7], model.index("LV.EA")] = 9.0  # valid, but dobutamine 20 takes them past 15
    P[5, model.index("HR")] = 400.0  # a baseline member that cannot be periodic
    base = simulate(model, P)
    assert not base.ok[5] and base.ok.sum() == 15
    res = run_scenarios(model, base, [parse_scenario("inotrope:dose=20 @acute"),
                                      parse_scenario("inotrope:dose=5 @acute")], failed={})
    hi = "inotrope(dose=20) [acute, unregulated]"
    name = next(k for k in res if k.startswith("inotrope(dose=20)"))
    table = scenario_table(base, res, ["CO"])
    paired = base.ok & res[name].ok
    assert paired.sum() < base.ok.sum()  # some twins excluded under dobutamine 20
    own = np.percentile(base.metrics["CO"][paired], [50, 5, 95])
    text = table.format_text({name: hi})
    row = next(line for line in text.splitlines() if line.strip().startswith(hi))
    c = table.cells["CO"][name]
    assert c.baseline.median == pytest.approx(own[0])
    assert f"baseline of these {int(paired.sum())} twins {c.baseline.format()} →" in row
    assert "(15 twins)" in text  # the baseline column's own count
    assert "! baseline: 1 of 16 members did not reach a periodic state (twin 6)" in text
    gone = [i + 1 for i in np.flatnonzero(base.ok & ~res[name].ok)]
    assert f"left out: twins {', '.join(map(str, gone))} (by the scenario" in text
    assert table.to_dict()["baseline_failed_members"] == [6]


def test_an_off_size_valve_is_warned_at_add_and_flagged_with_its_result(capsys):
    """review16b #4: a 29 mm SAPIEN 3 in an 18 mm annulus ran silently and won "min
    gradient". The SAPIEN 3 29 mm is labelled for an annulus area of 540–683 mm² (Edwards
    IFU; 683 mm² quoted as the maker's maximum by the ACC's 2018 journal scan), i.e. an
    area-derived diameter of 26.2–29.5 mm; an 18 mm annulus is 254 mm². A size made for the
    annulus (23 mm in 22 mm) says nothing."""
    import json

    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.interventions.cli import run_whatif
    from twinviewer.interventions.indication import scenario_notes
    from twinviewer.interventions.prostheses import SIZING_MM
    from twinviewer.physiology import get_preset

    lo, hi = SIZING_MM["sapien3"][29]
    assert 3.1416 * (lo / 2) ** 2 == pytest.approx(540, abs=5)  # area-derived diameter
    assert 3.1416 * (hi / 2) ** 2 == pytest.approx(683, abs=2)
    p = get_preset("severe_as")
    off = Scenario("t", (InterventionStep("tavi_sapien3", {"size": 29.0, "annulus": 18.0}),))
    fit = Scenario("t", (InterventionStep("tavi_sapien3", {"size": 23.0, "annulus": 22.0}),))
    notes = scenario_notes(p.model, p.vector(), off)  # what the GUI shows at Add
    assert len(notes) == 1 and "sized for an annulus of 26.2–29.5 mm, not 18 mm" in notes[0]
    assert scenario_notes(p.model, p.vector(), fit) == []
    assert run_whatif(["--preset", "severe_as", "--members", "4", "-i",
                       "tavi_sapien3:size=29,annulus=18", "-s", "tavi_evolut_r:size=26,annulus=21",
                       "--metrics", "AV_mean_gradient", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    flags = doc["table"]["flags"]
    s3 = next(v for k, v in flags.items() if k.startswith("tavi_sapien3"))
    ev = next(v for k, v in flags.items() if k.startswith("tavi_evolut_r"))
    assert "outside the maker's sizing range" in s3["untreated_valve"]
    assert "sizing range" not in ev["untreated_valve"]  # Evolut R 26 is for 20–23 mm
    assert run_whatif(["--preset", "severe_as", "--members", "4", "-i",
                       "tavi_sapien3:size=29,annulus=18", "--metrics", "AV_mean_gradient"]) == 0
    assert "outside the maker's sizing range" in capsys.readouterr().out

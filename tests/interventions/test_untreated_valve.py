"""An aortic prosthesis in a native valve that is neither stenotic nor more than mildly
regurgitant is computed and flagged, not refused (review14b #5: on the hfref twin the four
prostheses ran without a word while M-TEER was refused on a valve without MR)."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import InterventionError
from twinviewer.interventions.cli import run_whatif
from twinviewer.interventions.compare import run_scenarios, scenario_flags, scenario_table
from twinviewer.interventions.indication import (
    WHY_NOT_REFUSED,
    scenario_notes,
    untreated_valve,
)
from twinviewer.interventions.library import get_intervention
from twinviewer.physiology import get_preset

PROSTHESES = [("tavi", {"eoa": 1.8}), ("tavi_sapien3", {"size": 23.0}),
              ("tavi_evolut_r", {"size": 26.0}), ("savr_perimount", {"size": 21.0})]


def _members(ava: list[float], eroa: float = 0.0):
    p = get_preset("hfref")
    P = np.repeat(p.vector()[None, :], len(ava), axis=0)
    P[:, p.model.index("AV.EOA")] = ava
    P[:, p.model.index("AV.EROA")] = eroa
    return p.model, P


def _replaced(model, P, eoa: float) -> np.ndarray:
    out = P.copy()
    out[:, model.index("AV.EOA")] = eoa
    out[:, model.index("AV.EROA")] = 0.0
    return out


@pytest.mark.parametrize("name, settings", PROSTHESES)
def test_every_aortic_prosthesis_is_noted_on_a_normal_valve_and_not_on_severe_as(name,
                                                                                  settings):
    sc = Scenario("x", (InterventionStep(name, settings),))
    hf = get_preset("hfref")
    notes = scenario_notes(hf.model, hf.vector(), sc, {"AV_mean_gradient": np.array([1.1])})
    assert len(notes) == 1
    note = notes[0]
    assert note.startswith("the native aortic valve is neither stenotic nor more than mildly "
                           "regurgitant (AVA 3.5 cm², mean gradient 1 mmHg, regurgitant orifice "
                           "0.00 cm²; moderate or worse is AVA ≤ 1.5 cm² or mean gradient ≥ 20 "
                           "mmHg, or a regurgitant orifice ≥ 0.10 cm²)")
    assert "is a smaller orifice, so the aortic gradient rises" in note
    assert note.endswith(WHY_NOT_REFUSED) and "mitral clip" in WHY_NOT_REFUSED
    for preset in ("severe_as", "moderate_as", "severe_ar"):  # what a prosthesis treats
        p = get_preset(preset)
        assert scenario_notes(p.model, p.vector(), sc) == [], preset


def test_the_sized_prosthesis_is_named_with_its_expected_eoa():
    hf = get_preset("hfref")
    sc = Scenario("x", (InterventionStep("tavi_sapien3", {"size": 23.0}),))
    note = scenario_notes(hf.model, hf.vector(), sc)[0]
    assert "TAVI with SAPIEN 3 by size 23 mm (EOA 1.45 cm²)" in note  # the table's mean


def test_the_grading_thresholds():
    model, P = _members([1.5, 1.6, 1.6, 1.6, 3.0])
    mg = np.array([10.0, 10.0, 20.0, 19.0, 2.0])
    note = untreated_valve(model, P, _replaced(model, P, 1.45), mg)
    # 1.5 cm² (moderate AS) and a 20 mmHg gradient are stenotic; 1.6 cm² at 10 or 19 mmHg
    # and 3.0 cm² are not
    assert note.startswith("in 3 of 5 twins the native aortic valve is neither stenotic")
    model, P = _members([3.0, 3.0], eroa=0.10)  # moderate AR: what a prosthesis treats
    assert untreated_valve(model, P, _replaced(model, P, 1.45)) == ""
    model, P = _members([3.0, 3.0], eroa=0.09)  # mild AR
    assert untreated_valve(model, P, _replaced(model, P, 1.45)).startswith("the native")


def test_without_a_gradient_the_valve_is_graded_by_its_area():
    model, P = _members([3.0])
    note = untreated_valve(model, P, _replaced(model, P, 1.45))
    assert "mean gradient" not in note.split(";")[0] and "AVA 3.0 cm²" in note


@pytest.mark.parametrize("eoa, said", [
    (1.45, "is a smaller orifice, so the aortic gradient rises"),
    (1.75, "is about as large an orifice, so little changes"),
    (2.6, "is a larger orifice, but there is no stenosis to relieve"),
])
def test_what_the_prosthesis_does_to_the_orifice_is_said(eoa, said):
    model, P = _members([1.7])
    assert untreated_valve(model, P, _replaced(model, P, eoa)).endswith(said)


def test_a_scenario_that_does_not_touch_the_aortic_valve_says_nothing():
    hf = get_preset("hfref")
    for step in (InterventionStep("beta_blocker", {"dose": 5.0}),
                 InterventionStep("pacing", {"rate": 80.0}),
                 InterventionStep("lvad", {"speed": 5500.0})):
        assert scenario_notes(hf.model, hf.vector(), Scenario("x", (step,))) == []


def test_mitral_teer_is_still_refused_on_a_valve_without_mr():
    # the two guards differ on purpose (a clip's setting is a residual leak; a prosthesis's
    # is an orifice), and the warning says so
    hf = get_preset("hfref")
    with pytest.raises(InterventionError, match="no regurgitation to repair"):
        get_intervention("mitral_teer").apply(hf.model, hf.vector(), {})


def test_the_run_flags_it_next_to_the_result_per_member(ensemble_baseline):
    model, base = ensemble_baseline("hfref", 6)
    scs = [Scenario("tavi", (InterventionStep("tavi_sapien3", {"size": 23.0}),)),
           Scenario("bb", (InterventionStep("beta_blocker", {"dose": 5.0}),))]
    res = run_scenarios(model, base, scs)
    f = scenario_flags(base, res["tavi"])
    assert f.untreated.startswith("the native aortic valve is neither stenotic")
    assert f.untreated in f.lines()
    assert scenario_flags(base, res["bb"]).untreated == ""
    table = scenario_table(base, res, ["CO", "AV_mean_gradient"])
    assert table.to_dict()["flags"]["tavi"]["untreated_valve"] == f.untreated
    assert f"! tavi: {f.untreated}" in table.format_text()
    # a severe-AS member among them is not counted
    P = base.params.copy()
    P[0, model.index("AV.EOA")] = 0.7
    assert untreated_valve(model, P, res["tavi"].params).startswith("in 5 of 6 twins")


def test_the_cli_says_it(capsys):
    assert run_whatif(["--preset", "hfref", "--members", "1", "-i",
                       "tavi_sapien3:size=23"]) == 0
    out = capsys.readouterr().out
    assert ("! TAVI with SAPIEN 3 by size 23 mm [baroreflex regulated]: the native aortic "
            "valve is neither stenotic nor more than mildly regurgitant") in out
    assert run_whatif(["--preset", "severe_as", "--members", "1", "-i",
                       "tavi_sapien3:size=23"]) == 0
    assert "neither stenotic" not in capsys.readouterr().out

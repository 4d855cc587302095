"""Two doses of one drug add up on its dose–response; a diuretic and a venodilator give the
same answer in either order (drugs17; session16_closing "Noticed and left alone").

Sources and hand checks: the esmolol dose steps of Iskandrian et al. (JACC 1986,
INTERVENTIONS.md §4) are cumulative steps on one Emax curve, so metoprolol 5 mg then 7 mg is
the 12 mg dose; the diuretic removes blood volume (absolute mL) and a venodilator widens the
patient's venous pool (a fraction of the member's loop volume, drugs._venodilate): two
independent changes of the stressed volume, which add. Before drugs17 two β-blocker steps
compounded their HR factors and withdrew the larger dose's support only, two dobutamine
5 µg/kg/min steps raised LV.EA ×2.76 where 10 gives ×2.32, and diuretic level 2 + captopril
25 mg left 867 or 821 mL of loop volume on hfref by order (fix15b).
"""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import run_scenarios
from twinviewer.interventions.drugs import FIT_V_TOTAL_ML
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.library import CORE_INTERVENTIONS, LIBRARY
from twinviewer.interventions.scenario import apply_scenario, combined_steps, held_parameters
from twinviewer.physiology import get_preset, simulate
from twinviewer.twins import model_of, twin_from_preset

CUMULATIVE = sorted(n for n in CORE_INTERVENTIONS if LIBRARY[n].cumulative)
VENODILATORS = ("ace_inhibitor", "nitroprusside", "milrinone")


@pytest.fixture(scope="module")
def hfref():
    twin = twin_from_preset("hfref", n=12, seed=3)
    # members spread over LVEF so the β-blocker's withdrawal differs per member
    return model_of(twin), twin.ensemble, np.linspace(15.0, 55.0, twin.ensemble.shape[0])


def _apply(ens, *steps: InterventionStep) -> np.ndarray:
    model, P, lvef = ens
    return apply_scenario(model, P, Scenario("s", steps), baseline_lvef=lvef)


def test_metoprolol_5_then_7_mg_is_12_mg(hfref):
    two = _apply(hfref, InterventionStep("beta_blocker", {"dose": 5.0}),
                 InterventionStep("beta_blocker", {"dose": 7.0}))
    one = _apply(hfref, InterventionStep("beta_blocker", {"dose": 12.0}))
    np.testing.assert_allclose(two, one, rtol=1e-12, atol=0.0)
    # the reflex's inotropic arm is blocked as by 12 mg (full), not by the larger 7 mg
    held = held_parameters(Scenario("s", (InterventionStep("beta_blocker", {"dose": 5.0}),
                                          InterventionStep("beta_blocker", {"dose": 7.0}))))
    assert held.fraction("LV.EA") == pytest.approx(1.0)


def test_two_beta_blocker_doses_regulated_equal_their_sum(hfref):
    model, P, _ = hfref
    runs = run_scenarios(model, simulate(model, P[:6]), [
        Scenario("two", (InterventionStep("beta_blocker", {"dose": 1.0}),
                         InterventionStep("beta_blocker", {"dose": 2.0})), "regulated"),
        Scenario("one", (InterventionStep("beta_blocker", {"dose": 3.0}),), "regulated")])
    for metric in ("HR", "CO", "LVEF", "MAP"):
        np.testing.assert_allclose(runs["two"].metrics[metric], runs["one"].metrics[metric],
                                   rtol=1e-9)


@pytest.mark.parametrize("name", CUMULATIVE)
def test_every_dosed_drug_two_halves_equal_the_whole(hfref, name):
    iv = LIBRARY[name]
    dose = iv.setting(iv.cumulative)
    whole = dose.default if dose.default > 0 else dose.limits[1]
    half = InterventionStep(name, {dose.name: whole / 2.0})
    two = _apply(hfref, half, half)
    one = _apply(hfref, InterventionStep(name, {dose.name: whole}))
    np.testing.assert_allclose(two, one, rtol=1e-12, atol=0.0)


def test_dobutamine_two_5s_are_one_10(hfref):
    """The flaw as it was: LV.EA ×(1 + 1.32/2)² = ×2.76 for two 5s, ×2.32 for one 10."""
    model, P, lvef = hfref
    two = _apply(hfref, InterventionStep("inotrope", {"dose": 5.0}),
                 InterventionStep("inotrope", {"dose": 5.0}))
    one = _apply(hfref, InterventionStep("inotrope", {"dose": 10.0}))
    j = model.index("LV.EA")
    assert np.allclose(two[:, j], one[:, j], rtol=1e-12)


def test_a_summed_dose_above_the_limit_is_refused_naming_the_steps(hfref):
    with pytest.raises(InterventionError) as exc:
        _apply(hfref, InterventionStep("beta_blocker", {"dose": 10.0}),
               InterventionStep("pacing", {"rate": 60.0}),
               InterventionStep("beta_blocker", {"dose": 10.0}))
    msg = str(exc.value)
    assert "steps 1 and 3" in msg and "10 + 10 mg" in msg
    assert "20 mg is above its maximum 15 mg" in msg


def test_steps_with_other_settings_different_stay_apart():
    """Furosemide 20 min and 3.5 h after a dose are two times, not one larger dose."""
    steps = [InterventionStep("furosemide", {"dose": 1.0, "hours": 0.33}),
             InterventionStep("furosemide", {"dose": 1.0, "hours": 3.5}),
             InterventionStep("furosemide", {"dose": 0.3, "hours": 3.5})]
    got = [(ks, st.settings) for ks, st in combined_steps(steps)]
    assert got == [((0,), {"dose": 1.0, "hours": 0.33}), ((1, 2), {"dose": 1.3, "hours": 3.5})]


def test_a_default_dose_counts_in_the_sum():
    steps = [InterventionStep("beta_blocker", {}), InterventionStep("beta_blocker", {"dose": 2.0})]
    (ks, st), = combined_steps(steps)
    assert ks == (0, 1) and st.settings == {"dose": LIBRARY["beta_blocker"].defaults()["dose"]
                                            + 2.0}


@pytest.mark.parametrize("drug", VENODILATORS + ("furosemide",))
def test_diuretic_and_venodilator_in_either_order(hfref, drug):
    model, P, _ = hfref
    diuretic = InterventionStep("diuretic", {"level": 2.0})
    a = _apply(hfref, diuretic, InterventionStep(drug, {}))
    b = _apply(hfref, InterventionStep(drug, {}), diuretic)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0.0)
    # and the two changes of the loop volume add: the drug's alone, then 200 mL less
    alone = _apply(hfref, InterventionStep(drug, {}))
    j = model.index("V_total")
    np.testing.assert_allclose(a[:, j], alone[:, j] - 200.0, rtol=1e-12)


def test_captopril_with_the_diuretic_on_hfref_by_hand():
    """fix15b's case: hfref, diuretic level 2 + captopril 25 mg, 867 vs 821 mL by order.
    By hand: V0 − 200 − 435·(shift fraction of the direct fall, 1 at 25 mg)·V0/1886."""
    p = get_preset("hfref")
    v0 = float(p.vector()[p.model.index("V_total")])
    diuretic = InterventionStep("diuretic", {"level": 2.0})
    ace = InterventionStep("ace_inhibitor", {"dose": 25.0})
    j = p.model.index("V_total")
    got = [float(apply_scenario(p.model, p.vector(), Scenario("s", steps))[0, j])
           for steps in ((diuretic, ace), (ace, diuretic))]
    assert got[0] == pytest.approx(got[1], abs=1e-9)
    assert got[0] == pytest.approx(v0 - 200.0 - 435.0 * v0 / FIT_V_TOTAL_ML, abs=1e-9)


def test_diuretic_limit_judged_on_the_patients_volume_in_either_order():
    """The 40 % refusal is of the member's own loop volume, not of what a venodilator left
    in its stressed pool: a diuretic the patient can take alone is taken after milrinone."""
    p = get_preset("hfref")
    P = p.vector().copy()
    P[p.model.index("V_total")] = 760.0  # 300 mL is 39 % of it: level 3 allowed alone
    diuretic = InterventionStep("diuretic", {"level": 3.0})
    mil = InterventionStep("milrinone", {"dose": 0.25})
    for steps in ((diuretic,), (diuretic, mil), (mil, diuretic)):
        apply_scenario(p.model, P, Scenario("s", steps), tolerate=True)


def test_digest_marks_summed_doses_and_keeps_single_steps(monkeypatch):
    """A stored result of two doses made before drugs17 was the product of two effects: its
    digest must differ now; a scenario without repeated doses keeps its digest."""
    from twinviewer.interventions import constants_digest as cd

    two = Scenario("s", (InterventionStep("beta_blocker", {"dose": 5.0}),
                         InterventionStep("beta_blocker", {"dose": 7.0})))
    single = Scenario("s", (InterventionStep("beta_blocker", {"dose": 12.0}),
                            InterventionStep("inotrope", {"dose": 5.0})))
    now = {s.steps[1].name: cd.scenario_digest(s) for s in (two, single)}
    monkeypatch.setattr(cd, "combined_steps", lambda steps: [((k,), st)
                                                            for k, st in enumerate(steps)])
    assert cd.scenario_digest(two) != now["beta_blocker"]
    assert cd.scenario_digest(single) == now["inotrope"]


def test_equal_settings_as_numbers_and_a_dose_that_is_no_number():
    """3 h and 3.0 h are one time (a file's integer); a dose that is not a number is not
    summed but refused by its own step, named."""
    steps = [InterventionStep("furosemide", {"dose": 1.0, "hours": 3}),
             InterventionStep("furosemide", {"dose": 0.3, "hours": 3.0})]
    assert [ks for ks, _ in combined_steps(steps)] == [(0, 1)]
    p = get_preset("hfref")
    bad = Scenario("s", (InterventionStep("beta_blocker", {"dose": 5.0}),
                         InterventionStep("beta_blocker", {"dose": "x"})))
    with pytest.raises(InterventionError, match=r"step 2: beta_blocker: setting 'dose' = 'x' "
                                                r"is not a number"):
        apply_scenario(p.model, p.vector(), bad, baseline_lvef=20.0)

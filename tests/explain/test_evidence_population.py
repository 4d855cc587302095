"""numbers17 F1 and F2: a what-if is checked against the evidence row of ITS population, and
every variable the line says it checked is compared.

F1: the row was picked by intervention and setting only (ties: file order), so an HFrEF heart
paced at 110 bpm got a CAUTION from the EF ≥ 50 % group, a healthy heart's dobutamine was
judged against Akhtar's severe heart failure and its β-blocker against LV-dysfunction cohorts.
F2: "~=", ↑ and ↓ variables were listed as "checked against" but never compared (MAP −10.8 %
under dobutamine beside Akhtar's "MAP ~=" ±10 %: no CAUTION).

The CLI tests fail before the fix (the 12-member HFrEF pacing what-if printed "CAUTION … EF ≥
50 %"; the healthy what-ifs named dobutamine-10 and the β-blocker cohorts); the this_heart
tests fail before (no MAP in the line; the LVAD ramp row said nothing)."""

from __future__ import annotations

import json

import numpy as np

from twinviewer.core.twin import InterventionStep
from twinviewer.explain.evidence_flags import checked_by, checked_changes, this_heart
from twinviewer.interventions.evidence_table import load_rows
from twinviewer.interventions.scenario import Scenario


def _row(row_id):
    return next(r for r in load_rows() if r.id == row_id)


def _whatif(capsys, *args):
    from twinviewer.cli import main

    assert main(["whatif", "--members", "12", "--json", *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    return doc["checked_changes"], doc["unsourced_changes"]


def test_hfref_pacing_is_not_judged_against_the_ef_50_or_more_group(capsys):
    """/tmp/numbers17/whatif_hfref.txt: "CAUTION … Cardiac output +5 % … against the
    source's +42 %" from pacing-70-110-ef-preserved on a heart of LVEF 23 %."""
    checked, _ = _whatif(capsys, "--preset", "hfref", "-i", "pacing:rate=110")
    text = json.dumps(checked, ensure_ascii=False)
    assert "ef-preserved" not in text and "CAUTION" not in text, text


def test_hfref_pacing_passes_against_the_ef_below_50_group():
    """The EF < 50 % group (PMID 14643273, group A: CO unchanged, SV 68 → 47 mL, ESV ↑) with
    the numbers17 reader's member-by-member changes: CO +5 %, SV −22 %, ESV +1.5 %."""
    step = InterventionStep("pacing", {"rate": 110.0})
    assert "ef-reduced" in checked_by([step], lvef=23.0)["CO"][0]
    assert "ef-preserved" in checked_by([step], lvef=60.0)["CO"][0]
    n = np.linspace(0.9, 1.1, 9)
    base = {"LVEF": 23.0 * n, "CO": 3.6 * n, "SV_forward": 48.0 * n, "LVESV": 150.0 * n}
    after = {"LVEF": 21.0 * n, "CO": 3.78 * n, "SV_forward": 37.4 * n, "LVESV": 152.3 * n}
    said = this_heart(_row("pacing-70-110-ef-reduced"), "regulated", base, after)
    assert "CAUTION" not in said, said
    assert "CO +5 %" in said and "SV −22 % (source −31 %)" in said and "ESV +2 %" in said, said
    sc = Scenario("pace", (step,), "regulated")
    lines = " ".join(checked_changes([sc], base, {"pace": after}).get("pace", []))
    assert "ef-preserved" not in lines and "CAUTION" not in lines, lines


def test_healthy_dobutamine_and_beta_blocker_are_not_judged_against_heart_failure(capsys):
    """/tmp/numbers17/whatif_healthy.txt: dobutamine on a healthy heart against Akhtar's
    severe HF ("PCWP +21 % against the source's −22 %"), metoprolol against esmolol in LV
    dysfunction and post-infarct metoprolol."""
    checked, unsourced = _whatif(capsys, "--preset", "healthy", "-i", "inotrope:dose=10",
                                 "-s", "beta_blocker:dose=12")
    dob = " ".join(checked.get("inotrope(dose=10)", []))
    assert "(dobutamine-10)" not in dob and "dobutamine-8-postop" not in dob, dob
    # with no row of its population checking it, the output's rise is the model's alone
    said = " ".join(unsourced["inotrope(dose=10)"])
    assert "Cardiac output" in said and "for a heart like this (LVEF 5" in said, said
    bb = " ".join(checked["beta_blocker(dose=12)"])
    assert "metoprolol-12mg" not in bb and "esmolol" not in bb, bb
    assert "no evidence row for a heart like this (LVEF 5" in bb, bb
    assert "LV dysfunction (LVEF 27 ± 2 %)" in bb, bb


def test_no_change_and_direction_variables_are_compared_by_the_row_rule():
    """F2: Akhtar's "MAP ~=" (±10 %, the band `validate` judges it on) against this heart's
    MAP −10.8 % is a CAUTION; a MAP −3 % is within it and said."""
    row = _row("dobutamine-10")
    n = np.linspace(0.95, 1.05, 9)
    base = {"CO": 3.0 * n, "MAP": 80.0 * n, "LAP": 27.0 * n}
    after = {"CO": 4.9 * n, "MAP": 71.36 * n, "LAP": 21.0 * n}
    said = this_heart(row, "regulated", base, after)
    assert "CAUTION" in said and "MAP −11 %" in said.split("CAUTION")[1], said
    assert "against the source's ~=, within ±10 %" in said, said
    ok = this_heart(row, "regulated", base, {**after, "MAP": 77.6 * n})
    assert "MAP −3 % (source ~=, within ±10 %)" in ok and "CAUTION" not in ok, ok


def test_a_ramp_row_says_it_is_not_compared():
    """The LVAD ramp row reports changes per speed step ("~=" across the ramp): this heart's
    change from no device is not that, and the line says so instead of saying nothing."""
    base = {"CO": np.array([3.0, 3.2]), "LAP": np.array([25.0, 27.0])}
    after = {"CO": np.array([4.4, 4.6]), "LAP": np.array([15.0, 17.0])}
    said = this_heart(_row("lvad-ramp"), "regulated", base, after)
    assert said.startswith("not compared in size") and "per step" in said, said

"""review16b hand-check fixes (fix16c): LVSP has no "better" direction (#3), every cell of a
comparison over the same paired members (#7), β-blocker dose–response (#1), TAVI size vs
annulus (#4). Sources are named in each test."""

from __future__ import annotations

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

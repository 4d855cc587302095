"""Issue 17: the healthy heart's atrial kick should give about 20–30 % of LV filling
(Alhogbani et al., CMR: 15 ± 5 % below 40 years, 28 ± 8 % at 40–55; docs/references.md), so
that atrial fibrillation (ATRIA.kick = 0) costs stroke volume as it does in patients.

Measured as the counterfactual: stroke volume with the atria contracting minus without, at
the same parameters, over the stroke volume. Model v2.1 gives about 1.4 %: LV passive filling
never stops (no diastasis), so end-diastolic volume is set by the pulmonary venous pressure
and the atrial contraction only moves inflow earlier. Preset parameters cannot fix it (LA
elastance ×3, stiffer LA, pulmonary venous resistance ×5 or compliance ÷3, a more curved LV
EDPVR: at most 4 %; docs/notes/physio.md); it needs the model's equations (e.g. valve or
pulmonary-venous inertance, LV suction), which are the engine's. Kept as a known failure so
that the change that fixes it shows here."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.physiology import get_preset, simulate


def _atrial_share(preset: str = "healthy") -> float:
    p = get_preset(preset)
    m = p.model
    P = np.vstack([p.vector(), p.vector()])
    P[1, m.index("ATRIA.kick")] = 0.0
    r = simulate(m, P)
    assert r.ok.all(), r.errors()
    sv = r.metrics["LVEDV"] - r.metrics["LVESV"]
    return float((sv[0] - sv[1]) / sv[0])


def test_the_atrial_kick_adds_stroke_volume():
    assert _atrial_share() > 0.0


@pytest.mark.xfail(reason="no diastasis in model v2.1: the atrial kick adds ~1.4 % of SV "
                          "(published 15–38 % by age); needs an equation change (engine)",
                   strict=False)
def test_the_atrial_kick_is_a_fifth_of_filling_as_in_healthy_adults():
    assert _atrial_share() >= 0.15

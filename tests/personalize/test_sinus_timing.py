"""The ``regazzoni`` coverage setting's patients are in sinus rhythm (reg16): their atria
start a PR delay before their ventricles, while ``regazzoni_published`` keeps the published
absolute onsets (atria with or after the ventricles at most heart rates) for reporting."""

import numpy as np
import pytest

from twinviewer.personalize import synthetic
from twinviewer.personalize.synthetic import PR_DELAY, REPORT_SETTINGS, SETTINGS, patients


def _atrial_lead(s) -> np.ndarray:
    """Atrial onset before LV onset (s), in (−T/2, T/2]."""
    model, P = s.results.model, s.results.params
    T = 60.0 / P[:, model.index("HR")]
    lead = (P[:, model.index("LV.tC")] - P[:, model.index("LA.tC")]) % T
    return np.where(lead > T / 2, lead - T, lead)


def test_regazzoni_patients_have_a_pr_delay_and_the_published_ones_do_not():
    sinus = patients("regazzoni", 40, seed=3)
    lead = _atrial_lead(sinus)
    model, P = sinus.results.model, sinus.results.params
    assert np.all((lead > 0.08) & (lead < 0.35)), lead
    # the median near the PR prior's (0.16 s), both atria together
    assert abs(np.median(lead) - PR_DELAY[0]) < 0.02
    assert np.allclose(P[:, model.index("LA.tC")], P[:, model.index("RA.tC")])
    published = _atrial_lead(patients("regazzoni_published", 40, seed=3))
    # published onsets 0.9 s vs 0.1 s: half the patients' atria start after the ventricles
    assert 0.2 < np.mean(published < 0) < 0.8


def test_the_other_parameters_are_the_published_draws():
    a = patients("regazzoni", 30, seed=4).results
    b = patients("regazzoni_published", 30, seed=4).results
    keep = [j for j, n in enumerate(a.model.parameter_names) if n not in ("LA.tC", "RA.tC")]
    rows_b = {tuple(np.round(r[keep], 12)) for r in b.params}
    shared = sum(tuple(np.round(r[keep], 12)) in rows_b for r in a.params)
    # the same draws; only the plausibility filter's redraws may differ
    assert shared >= 25, shared


def test_the_learner_sees_four_settings_and_a_bad_name_lists_all():
    assert SETTINGS == ("own", "regazzoni", "perturbed", "wide")
    assert REPORT_SETTINGS == ("regazzoni_published",)
    with pytest.raises(ValueError, match="regazzoni_published"):
        synthetic.patients("regazzoni_sinus", 2, seed=1)

"""Issue 12 item 6: the prior is chosen from the patient's disease, named, and overridable."""

from __future__ import annotations

import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.core.provenance import Source
from twinviewer.explain.validity import validity_warnings
from twinviewer.personalize import calibrate, choose_prior, updated_twin
from twinviewer.personalize.disease import resolve
from twinviewer.twins import model_of, twin_from_preset


@pytest.mark.parametrize(("ms", "preset", "defining"), [
    ([M("AVA", 0.7, "cm^2", 0.1)], "severe_as", ("AVA",)),
    ([M("AVA", 1.3, "cm^2", 0.1)], "moderate_as", ("AVA",)),
    ([M("AV mean gradient", 45, "mmHg", 3)], "severe_as", ("AV_mean_gradient",)),
    ([M("AV mean gradient", 25, "mmHg", 3)], "moderate_as", ("AV_mean_gradient",)),
    ([M("EROA", 45, "mm^2", 5)], "severe_mr", ("EROA",)),
    ([M("RF", 42, "%", 5)], "severe_mr", ("MR_fraction",)),
    ([M("LVEF", 30, "%", 4)], "hfref", ("LVEF",)),
    ([M("LVEDV", 220, "mL", 10), M("LVESV", 160, "mL", 8)], "hfref", ("LVEDV", "LVESV")),
    # severe AS with a low EF is low-flow AS: the valve decides
    ([M("AVA", 0.8, "cm^2", 0.1), M("LVEF", 30, "%", 4)], "severe_as", ("AVA",)),
    ([M("SBP", 128, "mmHg", 8), M("AVA", 2.5, "cm^2", 0.2)], "healthy", ()),
])
def test_prior_follows_the_grading_rules(ms, preset, defining):
    choice = choose_prior(ms)
    assert choice.preset == preset and choice.defining == defining, choice


def test_no_disease_keeps_the_twins_own_preset_and_override_is_named():
    assert choose_prior([M("SBP", 120, "mmHg", 8)], fallback="hfref").preset == "hfref"
    c = resolve("healthy", [M("AVA", 0.7, "cm^2", 0.1)], "healthy")
    assert c.overridden and c.describe() == "Healthy adult prior (chosen by the user)"
    with pytest.raises(ValueError, match="unknown prior 'sever_as'.*severe_as"):
        resolve("sever_as", [], "healthy")


def test_aortic_stenosis_patient_starts_from_the_as_prior_without_outlier_warnings():
    """An imported patient (healthy twin) with AVA 0.7 cm²: severe-AS prior, named in the
    result and the provenance, and no 'beyond the population prior' for AV.EOA."""
    twin = twin_from_preset("healthy", n=1)
    ms = [M("AVA", 0.7, "cm^2", 0.1, "echo"), M("SBP", 135, "mmHg", 8, "cuff"),
          M("DBP", 80, "mmHg", 6, "cuff"), M("LVEDV", 120, "mL", 10, "echo"),
          M("LVESV", 45, "mL", 8, "echo")]
    r = calibrate(twin, ms, n=48, seed=3, point_estimate=False)
    assert r.prior_choice.preset == "severe_as" and "AVA 0.7" in r.prior_choice.reason
    assert "prior: Severe aortic stenosis prior (chosen: aortic stenosis: AVA 0.7" in r.summary()
    assert r.to_dict()["prior"]["preset"] == "severe_as"
    left = [p for p in r.identifiability.at_prior]
    assert left and all("prior preset severe_as" in r.provenance[p].detail for p in left)
    new = updated_twin(twin, r)
    model = model_of(new)
    w = validity_warnings(new, model)
    assert not [x for x in w if x.subject == "AV.EOA"], w
    assert new.provenance["AV.EOA"].source is Source.MEASURED


def test_gradient_defined_stenosis_is_calibrated_against_the_as_prior():
    """AS defined by the mean gradient alone: AV.EOA is not measured, it comes from the AS
    prior (and the data), and is not flagged as beyond its prior, which is now the AS one."""
    twin = twin_from_preset("healthy", n=1)
    ms = [M("AV mean gradient", 48, "mmHg", 4, "echo"), M("SBP", 130, "mmHg", 8, "cuff"),
          M("DBP", 78, "mmHg", 6, "cuff")]
    r = calibrate(twin, ms, n=48, seed=2, point_estimate=False)
    assert r.prior_choice.preset == "severe_as"
    new = updated_twin(twin, r)
    model = model_of(new)
    assert new.params[model.index("AV.EOA")] < 1.0  # the severe-AS prior's valve, 0.70 cm²
    kinds = {(x.kind, x.subject) for x in validity_warnings(new, model_of(new))}
    assert ("prior", "AV.EOA") not in kinds and ("bound", "AV.EOA") not in kinds

"""The validity section judges a calibrated twin against the prior its calibration chose."""

from __future__ import annotations

import dataclasses

from twinviewer.core.measurement import Measurement as M
from twinviewer.explain.validity import (
    calibration_prior,
    parameter_warnings,
    posterior_bound_warnings,
    prior_of,
)
from twinviewer.personalize import calibrate, updated_twin
from twinviewer.physiology import MODELS
from twinviewer.twins import twin_from_preset

AS_VISIT1 = [M("AVA", 0.76, "cm^2", 0.05, "echo"),
             M("AV mean gradient", 48, "mmHg", 4, "echo"),
             M("SBP", 135, "mmHg", 8, "cuff"), M("DBP", 80, "mmHg", 6, "cuff"),
             M("HR", 70, "bpm", 2, "ECG")]
AS_VISIT2 = [M("SBP", 128, "mmHg", 8, "cuff"), M("AV mean gradient", 52, "mmHg", 4, "echo")]


def test_severe_as_import_is_judged_against_the_as_prior_after_two_calibrations():
    model = MODELS["four_chamber_eoa"]
    # an imported twin: origin 'import' maps to the healthy preset
    twin = dataclasses.replace(twin_from_preset("healthy", n=4), origin="import")
    r1 = calibrate(twin, AS_VISIT1, n=48, seed=1)
    assert r1.prior_choice.preset == "severe_as"
    t1 = updated_twin(twin, r1, day=0, accept_misfit=True)
    t2 = updated_twin(t1, calibrate(t1, AS_VISIT2, n=48, seed=2), day=30, accept_misfit=True)
    assert calibration_prior(t2) == "severe_as"
    for name in model.parameter_names:
        if not model.parameter(name).prior.is_point_mass:
            assert prior_of(t2, model, name)[1] == "severe_as", name
    judged = parameter_warnings(t2, model) + posterior_bound_warnings(t2, model)
    # named in words since review9b #5 ("Healthy adult prior", never the code "healthy")
    assert not [w.text for w in judged if "healthy" in w.text.lower()]


def test_uncalibrated_twin_falls_back_to_its_own_preset():
    twin = twin_from_preset("severe_as", n=1)
    assert calibration_prior(twin) is None
    assert prior_of(twin, MODELS["four_chamber_eoa"], "AV.EOA")[1] == "severe_as"


def test_bound_warnings_name_only_parameters_the_data_moved():
    """A parameter left at its prior (e.g. ATRIA.kick, a prior truncated at 1) is never said
    to be pushed to its bound by the data; dimensionless units are not printed as "1"."""
    from twinviewer.core.provenance import Source

    model = MODELS["four_chamber_eoa"]
    twin = dataclasses.replace(twin_from_preset("healthy", n=4), origin="import")
    t1 = updated_twin(twin, calibrate(twin, AS_VISIT1, n=48, seed=1), day=0,
                      accept_misfit=True)
    warned = posterior_bound_warnings(t1, model)
    for w in warned:
        assert t1.provenance[w.subject].source in (Source.CALIBRATED,
                                                   Source.IMAGE_DERIVED), w.text
        assert " 1:" not in w.text and " 1)" not in w.text, w.text
    if "ATRIA.kick" in model.parameter_names:
        assert t1.provenance["ATRIA.kick"].source is not Source.CALIBRATED
        assert "ATRIA.kick" not in [w.subject for w in warned]

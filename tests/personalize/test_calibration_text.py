"""The calibration's user-visible text. Units as people write them: the fit table, the
misfit message and the provenance the report prints say "cm²", never "cm^2" (review8 #10)."""

from __future__ import annotations

from twinviewer.core.measurement import Measurement
from twinviewer.personalize.calibrate import calibrate, format_report, updated_twin
from twinviewer.twins import twin_from_preset


def test_fit_table_and_provenance_write_cm2():
    twin = twin_from_preset("severe_as", n=16, seed=1)
    ms = [Measurement("AVA", 0.7, "cm^2", 0.1, "echo continuity"),
          Measurement("SBP", 140.0, "mmHg", 7.0, "cuff")]
    result = calibrate(twin, ms, n=16, seed=1)
    table = format_report(result)
    assert "cm²" in table and "cm^2" not in table
    new = updated_twin(twin, result, accept_misfit=True)
    said = " ".join(p.detail for p in new.provenance.values())
    assert "AVA = 0.7 ± 0.1 cm²" in said and "cm^2" not in said


def test_held_parameters_name_the_prior_actually_used():
    """review8 #11: a twin made from the healthy preset and calibrated under the severe_as
    prior (chosen from AVA 0.7 cm²) read "prior / assumed: preset 'healthy'" on the
    parameters held fixed (EROAs, VAD speed, ASD, VSD), whose values came from severe_as."""
    twin = twin_from_preset("healthy", n=16, seed=1)
    ms = [Measurement("AVA", 0.7, "cm^2", 0.1, "echo continuity"),
          Measurement("SBP", 140.0, "mmHg", 7.0, "cuff")]
    result = calibrate(twin, ms, n=16, seed=1)
    assert result.prior_choice.preset == "severe_as"
    new = updated_twin(twin, result, accept_misfit=True)
    for name in ("MV.EROA", "VAD.speed", "ASD.area"):
        detail = new.provenance[name].detail
        assert "severe_as" in detail and "'healthy'" not in detail, (name, detail)


def test_rvsv_left_out_for_its_true_reason():
    """review8 #11: RVSV was "not used: the model does not predict it", though the model
    predicts RV volumes: it is RVEDV − RVESV of the same source, which were given."""
    from types import SimpleNamespace

    from twinviewer.io.measurement_use import NOT_USED, measurement_use
    from twinviewer.personalize.calibrate import calibration_record

    twin = twin_from_preset("healthy", n=16, seed=1)
    ct = "CT segmentation"
    twin.measurements = [Measurement("RVEDV", 150.0, "mL", 8.0, ct),
                         Measurement("RVESV", 65.0, "mL", 5.0, ct),
                         Measurement("RVSV", 85.0, "mL", 7.0, ct)]
    result = calibrate(twin, None, n=16, seed=1)
    entry = SimpleNamespace(action="calibration", details=calibration_record(result))
    use = next(u for u in measurement_use(twin, [entry]) if u.measurement.name == "RVSV")
    assert use.status == NOT_USED
    assert use.detail.startswith("computed from RVEDV and RVESV of the same source")
    assert "does not predict" not in use.detail


def test_explain_marks_a_calibrated_parameter_as_calibrate_does():
    """review8 #11: "[inferred]" in Explain, "(calibrated)" in Calibrate for one parameter."""
    from twinviewer.explain import explain

    twin = twin_from_preset("healthy", n=16, seed=1)
    ms = [Measurement("SBP", 140.0, "mmHg", 7.0, "cuff"),
          Measurement("DBP", 80.0, "mmHg", 6.0, "cuff")]
    result = calibrate(twin, ms, n=16, seed=1)
    new = updated_twin(twin, result, accept_misfit=True)
    ex = explain(new, "MAP", validation=False)
    name = next(p for p in result.calibrated if p in ex.inferred_names)
    assert ex.tag(name) == f"{name} [calibrated]"
    assert "[inferred]" not in ex.to_text()

from twinviewer.core.measurement import Measurement
from twinviewer.core.provenance import Provenance, Source
from twinviewer.explain.basis import informing_data, parameter_basis, unmeasurable_kind
from twinviewer.twins import model_of, twin_from_preset


def _twin():
    twin = twin_from_preset("healthy", n=4)
    twin.measurements.append(Measurement("MAP", 95.0, "mmHg", 4.0, "cuff"))
    twin.measurements.append(Measurement("HR", 64.0, "bpm", 1.0, "ECG"))
    twin.provenance["SYS.R_AR"] = Provenance(Source.CALIBRATED, "least squares", ("MAP",))
    twin.provenance["HR"] = Provenance(Source.MEASURED, "ECG", ("HR",))
    twin.provenance["LV.EB"] = Provenance(Source.MEASURED, "wrongly recorded")
    return twin


def test_labels_and_evidence():
    twin = _twin()
    model = model_of(twin)
    b = {x.name: x for x in parameter_basis(twin, model, ["SYS.R_AR", "HR", "LV.EB",
                                                           "AVD", "V_total"])}
    assert b["SYS.R_AR"].inferred and b["SYS.R_AR"].label == \
        "inferred (calibrated from MAP)"
    assert b["SYS.R_AR"].evidence == ("MAP 95 ± 4 mmHg (cuff)",)
    assert b["SYS.R_AR"].kind == "resistance"
    assert not b["HR"].inferred and b["HR"].label == "measured"
    # stiffness is never measured, whatever the record says
    assert b["LV.EB"].inferred and b["LV.EB"].kind.startswith("stiffness")
    assert b["AVD"].label.startswith("assumed") and not b["AVD"].inferred
    assert b["V_total"].inferred and "prior" in b["V_total"].label
    assert informing_data(list(b.values())) == {"MAP": ["SYS.R_AR"]}
    assert b["SYS.R_AR"].to_dict()["label"] == "inferred (calibrated from MAP)"


def test_missing_input_measurement_is_named():
    twin = _twin()
    twin.provenance["LV.EA"] = Provenance(Source.CALIBRATED, "", ("LVEF",))
    (b,) = parameter_basis(twin, model_of(twin), ["LV.EA"])
    assert b.evidence == ("LVEF (not among the twin's measurements)",)


def test_unmeasurable_kinds():
    assert unmeasurable_kind("RV.EA").startswith("contractility")
    assert unmeasurable_kind("PUL.C_AR") == "compliance"
    assert unmeasurable_kind("HR") is None and unmeasurable_kind("AV.EOA") is None


def test_each_parameter_has_exactly_one_state_after_calibration():
    """Issue 12: HR and AVD were listed both as 'Calibrated' and 'Left at the prior'."""
    from twinviewer.personalize import calibrate, updated_twin

    twin = twin_from_preset("healthy", n=1)
    ms = [Measurement("HR", 66, "bpm", 2, "ECG"), Measurement("SBP", 128, "mmHg", 8, "cuff"),
          Measurement("DBP", 80, "mmHg", 6, "cuff"),
          Measurement("LVEDV", 150, "mL", 8, "CT segmentation"),
          Measurement("LVESV", 62, "mL", 6, "CT segmentation")]
    r = calibrate(twin, ms, n=32, point_estimate=False)
    new = updated_twin(twin, r)
    model = model_of(new)
    states = {b.name: b.state for b in parameter_basis(new, model)}
    assert set(states.values()) <= {"measured", "derived from images", "calibrated", "prior"}
    assert states["HR"] == "measured"
    for p in r.calibrated:
        assert states[p] in ("calibrated", "derived from images"), p
    for p in r.identifiability.at_prior:
        assert states[p] == "prior", p
    assert not set(r.calibrated) & set(r.identifiability.at_prior)
    # a stiffness recorded as "measured" is not believed
    twin2 = _twin()
    (b,) = parameter_basis(twin2, model_of(twin2), ["LV.EB"])
    assert b.state == "prior"

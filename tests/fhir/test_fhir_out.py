"""FHIR out: predictions with 90 % intervals, comparisons, report, provenance — validated."""

import json

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.fhir.codes import FhirError
from twinviewer.fhir.fhir_out import export_bundle
from twinviewer.living import add_measurements, fhir_export
from twinviewer.twins import twin_from_preset


@pytest.fixture(scope="module")
def calibrated():
    twin = twin_from_preset("healthy", n=1, pseudonym="TW-ABCDEF123456")
    ms = [M("SBP", 124, "mmHg", 6), M("DBP", 78, "mmHg", 5), M("LVEDV", 125, "mL", 8),
          M("LVESV", 52, "mL", 6), M("HR", 66, "bpm", 2)]
    t = add_measurements(twin, ms, source="manual", consent="treatment", day=0, n=32).twin
    t.scenarios = [Scenario("beta blocker", (InterventionStep("beta_blocker", {"dose": 5}),))]
    return t


def test_export_validates_and_references_everything(calibrated):
    from fhir.resources.R4B.bundle import Bundle

    b = fhir_export(calibrated)
    Bundle.model_validate(b)  # the library's own validator, independently of our wrapper
    kinds = [e["resource"]["resourceType"] for e in b["entry"]]
    assert kinds[-2:] == ["DiagnosticReport", "Provenance"]
    urls = [e["fullUrl"] for e in b["entry"]]
    report = b["entry"][-2]["resource"]
    assert [r["reference"] for r in report["result"]] == urls[:-2]
    prov = b["entry"][-1]["resource"]
    assert prov["entity"][0]["what"]["identifier"]["value"] == calibrated.equation_hash
    assert calibrated.model_name in prov["agent"][0]["who"]["display"]


def test_predictions_carry_their_90_percent_interval(calibrated):
    b = fhir_export(calibrated)
    preds = [e["resource"] for e in b["entry"] if e["resource"]["id"].startswith("pred-")]
    assert len(preds) >= 10
    for o in preds:
        v = o["valueQuantity"]["value"]
        rr = interval_of(o)
        assert rr["low"]["value"] <= v <= rr["high"]["value"], o["id"]
        assert any("not a normal range" in n["text"] for n in o["note"])
        assert o["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    sbp = next(o for o in preds if o["id"] == "pred-SBP")
    assert sbp["code"]["coding"][0] == {"system": "http://loinc.org", "code": "8480-6",
                                        "display": "Systolic blood pressure"}
    assert sbp["valueQuantity"]["code"] == "mm[Hg]"


def interval_of(obs: dict) -> dict:
    """The 90 % interval of an exported Observation: in the HL7 confidence-interval
    extension, never in ``referenceRange`` (review13 #13: an EHR shows that as the normal
    range)."""
    from twinviewer.fhir.fhir_out import INTERVAL_EXTENSION

    assert "referenceRange" not in obs, obs["id"]
    (ext,) = [e for e in obs.get("extension", []) if e["url"] == INTERVAL_EXTENSION]
    return ext["valueRange"]


def test_the_interval_is_no_reference_range_and_parses_with_fhir_resources(calibrated):
    """Each prediction and comparison parses as an R4B Observation with the interval in the
    extension (read back through the library's model, not our dicts), none as a normal
    range."""
    from fhir.resources.R4B.observation import Observation

    from twinviewer.fhir.fhir_out import INTERVAL_EXTENSION

    b = fhir_export(calibrated)
    obs = [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert any(o["id"].startswith("cmp-") for o in obs)
    for o in obs:
        parsed = Observation.model_validate(o)
        assert not parsed.referenceRange, o["id"]
        (ext,) = [e for e in parsed.extension if e.url == INTERVAL_EXTENSION]
        lo, hi = float(ext.valueRange.low.value), float(ext.valueRange.high.value)
        assert lo <= float(parsed.valueQuantity.value) <= hi, o["id"]
        assert ext.valueRange.low.code == parsed.valueQuantity.code  # same UCUM unit
        assert any("90 % interval" in n.text for n in parsed.note)


def test_intervention_comparisons_are_exported(calibrated):
    b = fhir_export(calibrated)
    cmp = [e["resource"] for e in b["entry"] if e["resource"]["id"].startswith("cmp-")]
    assert cmp and all("beta blocker" in o["code"]["text"] for o in cmp)
    co = next(o for o in cmp if o["id"].endswith("-CO"))
    assert co["component"][0]["valueQuantity"]["code"] == "%"


def test_pseudonymous_subject_only_and_no_patient_dates(calibrated):
    b = fhir_export(calibrated)
    text = json.dumps(b)
    assert "Patient" not in text
    for e in b["entry"]:
        subj = e["resource"].get("subject")
        if subj:
            assert subj["identifier"]["value"] == "TW-ABCDEF123456"
    # the only timestamp is Provenance.recorded (the export time)
    import re

    dates = re.findall(r"\d{4}-\d{2}-\d{2}", text)
    assert dates == [b["entry"][-1]["resource"]["recorded"][:10]]


def test_nothing_to_export_is_a_clear_error():
    with pytest.raises(FhirError, match="no calibrated visit"):
        export_bundle(twin_from_preset("healthy", n=1))


def test_exported_predictions_never_include_measured_values(calibrated):
    b = export_bundle(calibrated)
    methods = {e["resource"].get("method", {}).get("text", "") for e in b["entry"]
               if e["resource"]["resourceType"] == "Observation"}
    assert all("prediction" in m for m in methods)
    assert np.isfinite([e["resource"]["valueQuantity"]["value"] for e in b["entry"]
                        if "valueQuantity" in e["resource"]]).all()


def test_comparisons_from_the_results_cache_match_a_fresh_run(calibrated):
    from twinviewer.interventions.compare import run_scenarios
    from twinviewer.living import _cached_comparisons
    from twinviewer.twins import model_of, simulate_twin

    base = simulate_twin(calibrated)
    runs = run_scenarios(model_of(calibrated), base, calibrated.scenarios)
    cache = {k: {**r.metrics, "_ok": r.ok} for k, r in {"baseline": base, **runs}.items()}
    cached = fhir_export(calibrated, results=cache)
    fresh = fhir_export(calibrated)
    pick = {e["resource"]["id"]: e["resource"]["valueQuantity"]["value"]
            for e in cached["entry"] if e["resource"]["id"].startswith("cmp-")}
    again = {e["resource"]["id"]: e["resource"]["valueQuantity"]["value"]
             for e in fresh["entry"] if e["resource"]["id"].startswith("cmp-")}
    assert pick.keys() == again.keys()
    for k, v in pick.items():
        assert v == pytest.approx(again[k], rel=1e-6, abs=1e-9), k
    # a cache of another ensemble size is not used
    assert _cached_comparisons(calibrated, {k: {m: a[:3] for m, a in d.items()}
                                            for k, d in cache.items()}, None) is None


def test_exported_predictions_are_never_imported_as_measurements(calibrated):
    from twinviewer.fhir.fhir_in import read_bundle

    b = export_bundle(calibrated)
    with pytest.raises(FhirError, match="no usable Observation.*digital-twin prediction"):
        read_bundle(b)


def test_comparisons_name_the_shown_scenario_with_its_mode_and_lvef_in_points(calibrated):
    """review16b #5: the regulated result said neither its mode nor the name the user saw
    (only the acute one was tagged), and a Δ of LVEF had unit '%' (read as relative)."""
    import dataclasses

    from fhir.resources.R4B.observation import Observation

    step = InterventionStep("beta_blocker", {"dose": 5.0})
    t = dataclasses.replace(calibrated, scenarios=[
        Scenario("beta_blocker(dose=5)", (step,), "regulated"),
        Scenario("beta_blocker(dose=5) [acute, unregulated]", (step,), "acute")])
    b = fhir_export(t, metrics=("CO", "LVEF"))
    cmp = [e["resource"] for e in b["entry"] if e["resource"]["id"].startswith("cmp-")]
    assert len(cmp) == 4
    for o in cmp:
        Observation.model_validate(o)
        assert "Beta-blocker 5 mg [" in o["code"]["text"], o["code"]["text"]
        assert "beta_blocker(" not in o["code"]["text"]
    regulated = [o for o in cmp if "[baroreflex regulated]" in o["code"]["text"]]
    acute = [o for o in cmp if "[acute, unregulated]" in o["code"]["text"]]
    assert len(regulated) == len(acute) == 2
    assert all(o["method"]["text"].endswith("response: baroreflex regulated") for o in regulated)
    assert all(o["method"]["text"].endswith("response: acute, unregulated") for o in acute)
    for o in (o for o in cmp if o["id"].endswith("-LVEF")):
        assert o["valueQuantity"]["unit"] == "%-points"
        assert o["valueQuantity"]["code"] == "%"  # UCUM: an absolute difference of fractions
        assert "percentage points" in o["code"]["text"]
        assert o["note"][0]["text"].endswith("%-points")
        assert interval_of(o)["low"]["unit"] == "%-points"
    for o in (o for o in cmp if o["id"].endswith("-CO")):
        assert o["valueQuantity"]["unit"] == "L/min"

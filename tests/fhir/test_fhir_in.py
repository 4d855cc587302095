"""FHIR in: the hand-written spec-example bundle, identifiers kept out, bad input refused."""

import json
from pathlib import Path

import pytest

from tests.fhir.bundles import bundle, observation
from twinviewer.fhir.codes import FhirError
from twinviewer.fhir.fhir_in import read_bundle

DATA = Path(__file__).parent / "data"


def test_spec_example_bundle_reads_with_units_converted():
    imp = read_bundle(DATA / "vital_signs_bundle.json")
    got = {o.measurement.name: (o.measurement.value, o.measurement.unit, o.reference)
           for o in imp.observations}
    assert got["HR"] == (44.0, "bpm", "Observation/heart-rate")
    assert got["SBP"][:2] == (107.0, "mmHg") and got["DBP"][:2] == (60.0, "mmHg")
    assert got["SBP"][2] == "Observation/blood-pressure"  # panel components keep the parent
    assert got["weight"][0] == pytest.approx(185 * 0.45359237)
    assert got["height"][0] == pytest.approx(66.9 * 2.54, rel=1e-6)
    assert imp.ignored == {"Patient": 1}
    assert [m.name for m in imp.context()] == ["weight", "height"]


def test_identifiers_and_dates_never_reach_the_result():
    imp = read_bundle(DATA / "vital_signs_bundle.json", shift_days=1000)
    text = repr(imp.observations) + repr([o.measurement.to_dict() for o in imp.observations])
    for ident in ("Chalmers", "Peter", "MRN-12345", "1974", "1999-07-02", "2016", "example"):
        assert ident not in text.replace("example-weight", "").replace("Observation/", "")
    # day offsets relative to the first observation; dates shifted before anything is kept
    assert {o.day for o in imp.observations} == {0, 6114}
    assert imp.anchor.isoformat() != "1999-07-02"


def test_day_offsets_relative_to_an_anchor():
    import datetime as dt

    b = bundle({"SBP": 120}, "2024-03-11T08:00:00Z")
    imp = read_bundle(b, anchor=dt.date(2024, 3, 1))
    assert imp.day == 10


def test_every_required_quantity_imports():
    from tests.fhir.bundles import CODES

    values = {"HR": 70, "SBP": 120, "DBP": 80, "MAP": 93, "LVEF": 60, "LVEDV": 120,
              "LVESV": 50, "AV_mean_gradient": 10, "AV_peak_velocity": 1.5, "AVA": 3.0,
              "EROA": 0.1, "TR_velocity": 2.5, "PASP": 25, "CO": 5.0, "PCWP": 10,
              "weight": 70, "height": 175}
    assert set(values) == set(CODES)
    imp = read_bundle(bundle(values, "2024-01-01"))
    assert {o.measurement.name for o in imp.observations} == set(values)


def _bad(resource_changes: dict, **kw) -> dict:
    b = bundle({"SBP": 120, "DBP": 80}, "2024-01-01")
    b["entry"][1]["resource"].update(resource_changes)
    return b


@pytest.mark.parametrize(("data", "match"), [
    (b"{not json", "not JSON"),
    (json.dumps({"resourceType": "Patient"}).encode(), "expected a FHIR Bundle"),
    (json.dumps({"resourceType": "Bundle", "type": "collection",
                 "entry": [{"resource": {"resourceType": "Observation", "id": "x",
                                         "status": "final"}}]}).encode(),
     "not a valid FHIR R4 Bundle.*code"),
    (json.dumps({"resourceType": "Bundle", "type": "collection",
                 "entry": [{"resource": {"resourceType": "Observation", "id": "x",
                                         "status": "final", "code": {"text": "hr"},
                                         "valueQuantity": {"value": "abc"}}}]}).encode(),
     "not a valid FHIR R4 Bundle"),
])
def test_malformed_bundles_are_refused(data, match):
    with pytest.raises(FhirError, match=match):
        read_bundle(data, name="b.json")


def test_validation_message_does_not_echo_values():
    b = bundle({"SBP": 120}, "2024-01-01")
    b["entry"][0]["resource"]["birthDate"] = "Ada Testperson was born"  # invalid date
    with pytest.raises(FhirError) as err:
        read_bundle(b)
    assert "Testperson" not in str(err.value)


def test_unknown_loinc_names_the_observation():
    b = bundle({"SBP": 120}, "2024-01-01")
    b["entry"].append({"resource": observation("chol", "SBP", 5.2, "2024-01-01",
                                               ucum="mmol/L", loinc="2093-3")})
    with pytest.raises(FhirError, match="Observation/chol: LOINC code 2093-3 is not one"):
        read_bundle(b)


def test_unit_that_does_not_convert_names_the_observation():
    b = bundle({"SBP": 120}, "2024-01-01")
    b["entry"][1]["resource"]["valueQuantity"].update(code="mL", unit="mL")
    with pytest.raises(FhirError, match="Observation/o0: unit 'mL' does not convert"):
        read_bundle(b)


def test_duplicate_observations_are_refused():
    b = bundle({"SBP": 120, "DBP": 80}, "2024-01-01")
    b["entry"][2]["resource"]["id"] = "o0"
    with pytest.raises(FhirError, match="Observation/o0: duplicate Observation"):
        read_bundle(b)
    b = bundle({"SBP": 120}, "2024-01-01")
    b["entry"].append({"resource": observation("copy", "SBP", 120, "2024-01-01")})
    with pytest.raises(FhirError, match="Observation/copy: duplicate Observation.*o0"):
        read_bundle(b)


def test_missing_time_value_and_implausible_values():
    b = bundle({"SBP": 120}, "2024-01-01")
    del b["entry"][1]["resource"]["effectiveDateTime"]
    with pytest.raises(FhirError, match="Observation/o0: no effectiveDateTime"):
        read_bundle(b)
    b = bundle({"SBP": 1200}, "2024-01-01")
    with pytest.raises(FhirError, match="Observation/o0: SBP = 1200 mmHg is outside"):
        read_bundle(b)


def test_entered_in_error_is_skipped_and_listed():
    b = bundle({"SBP": 120, "DBP": 80}, "2024-01-01")
    b["entry"][2]["resource"]["status"] = "entered-in-error"
    imp = read_bundle(b)
    assert [o.measurement.name for o in imp.observations] == ["SBP"]
    assert imp.skipped == ["Observation/o1 (status entered-in-error)"]


def test_censored_values_are_refused():
    b = bundle({"PASP": 25}, "2024-01-01")
    b["entry"][1]["resource"]["valueQuantity"]["comparator"] = "<"
    with pytest.raises(FhirError, match="Observation/o0: the value is censored"):
        read_bundle(b)

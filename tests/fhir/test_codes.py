"""The LOINC / UCUM table against sources the project did not write."""

import pytest

from twinviewer.fhir.codes import FhirError, loinc, table, ucum_value

REQUIRED = ("HR", "SBP", "DBP", "MAP", "LVEF", "LVEDV", "LVESV", "AV_mean_gradient",
            "AV_peak_velocity", "AVA", "EROA", "TR_velocity", "PASP", "CO", "PCWP", "weight",
            "height")


def test_every_required_quantity_has_a_loinc_code():
    names = {e["name"] for e in table()["loinc"].values()}
    assert set(REQUIRED) <= names


def test_codes_marked_dicom_match_the_dicom_standard_tables():
    # DICOM PS3.16 context groups as shipped by pydicom: an independent source of LOINC codes
    from pydicom.sr._concepts_dict import concepts

    ln = {code: v[0] for d in concepts["LN"].values() for code, v in d.items()}
    checked = 0
    for code, e in table()["loinc"].items():
        if e["source"] == "dicom-cid":
            assert code in ln, code
            assert ln[code].lower() == e["display"].lower(), (code, ln[code], e["display"])
            checked += 1
    assert checked >= 10


def test_vital_sign_codes_are_the_fhir_profile_ones():
    # FHIR R4 vital-signs profile (observation-vitalsigns): fixed LOINC codes
    for code, name in {"8867-4": "HR", "8480-6": "SBP", "8462-4": "DBP", "29463-7": "weight",
                       "8302-2": "height"}.items():
        assert loinc(code).name == name


@pytest.mark.parametrize(("value", "ucum", "name", "expected", "unit"), [
    (185, "[lb_av]", "weight", 83.9146, "kg"),         # 1 lb = 0.45359237 kg (UCUM)
    (66.9, "[in_i]", "height", 169.926, "cm"),         # 1 in = 2.54 cm (UCUM)
    (16.0, "kPa", "SBP", 120.0102, "mmHg"),            # 1 mmHg = 133.322 Pa
    (450, "cm/s", "AV_peak_velocity", 4.5, "m/s"),
    (4200, "mL/min", "CO", 4.2, "L/min"),
    (72, "/min", "HR", 72.0, "bpm"),
    (85, "mm2", "AVA", 0.85, "cm^2"),
])
def test_ucum_conversions(value, ucum, name, expected, unit):
    v, u = ucum_value(value, ucum, name, "Observation/x")
    assert v == pytest.approx(expected, rel=1e-4)
    assert u == unit


def test_unknown_and_wrong_units_name_the_observation():
    with pytest.raises(FhirError, match="Observation/o7.*furlong"):
        ucum_value(1, "[furlong_i]", "SBP", "Observation/o7")
    with pytest.raises(FhirError, match="Observation/o8.*'mL' does not convert"):
        ucum_value(120, "mL", "SBP", "Observation/o8")


def test_export_codes_are_method_neutral_and_verified():
    from twinviewer.fhir.codes import loinc_for

    for name in ("HR", "SBP", "DBP", "MAP", "LVEF", "LVEDV", "LVESV"):
        lc = loinc_for(name)
        assert lc is not None and lc.source != "unverified"
        assert " by " not in lc.display, lc
    assert loinc_for("CO") is None  # only method-specific codes known: not used for export

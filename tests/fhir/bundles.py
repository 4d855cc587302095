"""Build small FHIR Bundles for the tests (synthetic Observations, LOINC and UCUM coded)."""

from __future__ import annotations

from twinviewer.fhir.codes import LOINC_SYSTEM, UCUM_SYSTEM

#: measurement name → (LOINC code, UCUM code) used by the synthetic bundles
CODES = {"HR": ("8867-4", "/min"), "SBP": ("8480-6", "mm[Hg]"), "DBP": ("8462-4", "mm[Hg]"),
         "MAP": ("8478-0", "mm[Hg]"), "LVEF": ("18043-0", "%"), "LVEDV": ("18026-5", "mL"),
         "LVESV": ("18148-7", "mL"), "AV_mean_gradient": ("79962-7", "mm[Hg]"),
         "AV_peak_velocity": ("79964-3", "m/s"), "AVA": ("79958-5", "cm2"),
         "EROA": ("80071-4", "cm2"), "TR_velocity": ("79921-3", "m/s"),
         "PASP": ("82341-9", "mm[Hg]"), "CO": ("76565-1", "L/min"),
         "PCWP": ("8398-0", "mm[Hg]"), "weight": ("29463-7", "kg"), "height": ("8302-2", "cm")}


def observation(oid: str, name: str, value: float, when: str, ucum: str | None = None,
                loinc: str | None = None) -> dict:
    code, unit = CODES.get(name, ("0000-0", "1"))
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": LOINC_SYSTEM, "code": loinc or code}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": ucum or unit, "system": UCUM_SYSTEM,
                              "code": ucum or unit}}


def bundle(values: dict[str, float], when: str, prefix: str = "o",
           patient: bool = True) -> dict:
    """A collection Bundle: a Patient with identifiers and one Observation per value."""
    entries = []
    if patient:
        entries.append({"resource": {"resourceType": "Patient", "id": "p1",
                                     "identifier": [{"value": "MRN-998877"}],
                                     "name": [{"family": "Testperson", "given": ["Ada"]}]}})
    for k, (name, v) in enumerate(values.items()):
        entries.append({"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{k:012d}",
                        "resource": observation(f"{prefix}{k}", name, v, when)})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}

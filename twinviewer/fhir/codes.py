"""LOINC → measurement names and UCUM → units: the table in ``codes.json`` (sources named there).

Examples
--------
>>> loinc("8480-6").name
'SBP'
>>> ucum_value(12.0, "kPa", "SBP", "Observation/o1")
(90.0073..., 'mmHg')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from twinviewer.core.units import UnitError, convert, dimension, normalise_unit
from twinviewer.personalize.quantities import QUANTITY_BY_NAME

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
#: Code system of the twin's own quantities in exported predictions; an Observation coded in
#: it is a prediction and is never imported as a measurement.
TWIN_SYSTEM = "urn:twinviewer:quantity"


class FhirError(ValueError):
    """Bad FHIR input or output; the message names the resource and the problem."""


@dataclass(frozen=True)
class LoincCode:
    """One LOINC code the twin understands: the measurement it becomes and where it is from."""

    code: str
    name: str
    display: str
    source: str


@cache
def table() -> dict:
    """The parsed ``codes.json``."""
    return json.loads(resources.files("twinviewer.fhir").joinpath("codes.json")
                      .read_text(encoding="utf-8"))


def loinc(code: str) -> LoincCode:
    """The entry for a LOINC code; :class:`KeyError` if the twin does not know it."""
    e = table()["loinc"][code]
    return LoincCode(code, e["name"], e["display"], e["source"])


def is_panel(code: str) -> bool:
    """True for blood-pressure panels whose components carry the values."""
    return code in table()["panels"]


def canonical_unit(name: str) -> str:
    """The unit the twin keeps ``name`` in (a calibrator quantity, or weight / height)."""
    if name in QUANTITY_BY_NAME:
        return QUANTITY_BY_NAME[name].unit
    return table()["context"][name]["unit"]


def ucum_value(value: float, ucum: str, name: str, where: str) -> tuple[float, str]:
    """``value`` in UCUM unit ``ucum`` converted to the canonical unit of ``name``.

    Raises
    ------
    FhirError
        Naming ``where`` (the Observation) if the unit is unknown or of the wrong kind.
    """
    entry = table()["ucum"].get(ucum)
    if entry is None:
        raise FhirError(f"{where}: UCUM unit {ucum!r} is not one the twin converts "
                        f"(known: {', '.join(table()['ucum'])})")
    target = canonical_unit(name)
    try:
        if dimension(entry["unit"]) != dimension(target):
            raise UnitError("")
        out = float(convert(value * entry["factor"], entry["unit"], target))
    except UnitError:
        raise FhirError(f"{where}: unit {ucum!r} does not convert to {target} "
                        f"({name} is a {dimension(target)})") from None
    return out, normalise_unit(target)


def export_ucum(unit: str) -> str:
    """The UCUM code for one of the twin's units (``'mmHg'`` → ``'mm[Hg]'``)."""
    try:
        return table()["export_ucum"][normalise_unit(unit)]
    except (KeyError, UnitError):
        raise FhirError(f"unit {unit!r} has no UCUM code in the export table") from None


def loinc_for(name: str) -> LoincCode | None:
    """The method-neutral LOINC code used to export a prediction of ``name``, or None
    (then only the TwinViewer code is given)."""
    for code, e in table()["loinc"].items():
        if e["name"] == name and e.get("export"):
            return LoincCode(code, e["name"], e["display"], e["source"])
    return None

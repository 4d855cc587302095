"""FHIR R4 in: Observations of a Bundle (JSON) become measurements of one visit.

Rules
-----
* The whole Bundle is validated with ``fhir.resources`` (R4B models) before anything is read;
  a validation failure names the element path, never the values (they may identify).
* Only ``Observation`` resources are read. ``Patient``, ``Practitioner``, ``Encounter``... are
  counted and skipped without reading a field, so names, MRNs and other identifiers never
  reach the twin. ``Observation.subject`` is not read either.
* Each Observation needs an ``id``, a LOINC code from :mod:`~twinviewer.fhir.codes` (or a
  blood-pressure panel whose components have such codes), a ``valueQuantity`` with a UCUM code
  and an ``effectiveDateTime`` (or ``effectivePeriod.start``). Its value is converted to the
  twin's unit; the effective time becomes a *day offset* from the twin's first visit. Real
  dates are shifted by a keyed per-patient offset (``shift_days``) before anything is kept.
* Measurement uncertainty: FHIR has no standard field for a measurement SD, so each value gets
  the typical SD of its quantity (:mod:`twinviewer.personalize.quantities`).
* Refused with a :class:`~twinviewer.fhir.codes.FhirError` naming the Observation: unknown
  LOINC code, unit that is unknown or does not convert, missing value or time, the same
  Observation twice (same id, or same code, time and value under two ids), a value outside
  the physiological range. Observations with status ``entered-in-error`` or ``cancelled`` are
  skipped and listed.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from twinviewer.core.input_bytes import read_input_bytes
from twinviewer.core.measurement import Measurement
from twinviewer.fhir.codes import (
    LOINC_SYSTEM,
    TWIN_SYSTEM,
    FhirError,
    is_panel,
    loinc,
    table,
    ucum_value,
)
from twinviewer.personalize.quantities import QUANTITY_BY_NAME

SKIPPED_STATUS = ("entered-in-error", "cancelled")



@dataclass(frozen=True)
class ImportedObservation:
    """One value read from an Observation (a panel gives one per component)."""

    reference: str
    loinc: str
    day: int
    measurement: Measurement


@dataclass
class BundleImport:
    """What a Bundle gave: observations with day offsets, the (shifted) anchor date, and the
    resources that were skipped unread."""

    observations: list[ImportedObservation]
    anchor: _dt.date
    source: str = ""
    ignored: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def day(self) -> int:
        """The visit's day offset: the earliest observation's."""
        return min(o.day for o in self.observations)

    def measurements(self) -> list[Measurement]:
        """Values the model predicts (used in calibration)."""
        return [o.measurement for o in self.observations
                if o.measurement.name in QUANTITY_BY_NAME]

    def context(self) -> list[Measurement]:
        """Values kept with the visit that the model does not predict (weight, height)."""
        return [o.measurement for o in self.observations
                if o.measurement.name not in QUANTITY_BY_NAME]


def _validation_text(exc: Exception, name: str) -> str:
    errs = getattr(exc, "errors", None)
    if callable(errs):
        parts = []
        for e in errs(include_input=False, include_url=False)[:3]:
            loc = ".".join(str(x) for x in e.get("loc", ()))
            parts.append(f"{loc or 'bundle'}: {e.get('msg', 'invalid')}")
        return f"{name}: not a valid FHIR R4 Bundle ({'; '.join(parts)})"
    return f"{name}: not a valid FHIR R4 Bundle ({type(exc).__name__})"


def load_bundle(source: str | Path | dict | bytes, name: str = "") -> dict:
    """The Bundle as a validated JSON dict.

    Raises
    ------
    FhirError
        Not JSON, not a Bundle, or not valid against the FHIR models.
    """
    from fhir.resources.R4B.bundle import Bundle  # heavy import: only when FHIR is used

    if isinstance(source, dict):
        data, name = source, name or "bundle"
    else:
        raw, name = read_input_bytes(source, FhirError, name=name, default_name="bundle")
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FhirError(f"{name}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise FhirError(f"{name}: expected a FHIR Bundle, found {kind!r}")
    try:
        Bundle.model_validate(data)
    except Exception as exc:  # pydantic ValidationError and fhir_core's own errors
        raise FhirError(_validation_text(exc, name)) from None
    return data


def _when(obs: dict, where: str) -> _dt.date:
    text = obs.get("effectiveDateTime") or (obs.get("effectivePeriod") or {}).get("start") \
        or obs.get("effectiveInstant")
    if not text:
        raise FhirError(f"{where}: no effectiveDateTime; the visit day cannot be placed")
    try:
        t = _dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        try:
            t = _dt.datetime.strptime(str(text)[:10], "%Y-%m-%d")
        except ValueError:
            raise FhirError(f"{where}: effective time is not a FHIR dateTime") from None
    if t.tzinfo is not None:
        t = t.astimezone(_dt.UTC)
    return t.date()


def _quantity(q: dict | None, where: str) -> tuple[float, str]:
    if not q or q.get("value") is None:
        raise FhirError(f"{where}: no valueQuantity with a value")
    if q.get("comparator"):
        raise FhirError(f"{where}: the value is censored (comparator {q['comparator']!r}); "
                        "only exact values can be used")
    code = q.get("code") or q.get("unit")
    if not code:
        raise FhirError(f"{where}: the value has no UCUM unit code")
    return float(q["value"]), str(code)


def _loinc_codes(concept: dict | None) -> list[str]:
    return [c["code"] for c in (concept or {}).get("coding", [])
            if c.get("system") == LOINC_SYSTEM and c.get("code")]


def _value(name: str, loinc_code: str, q: dict | None, where: str, label: str
           ) -> Measurement:
    v, ucum = _quantity(q, where)
    value, unit = ucum_value(v, ucum, name, where)
    ctx = table()["context"].get(name)
    if ctx is not None:
        lo, hi = ctx["range"]
        if not lo <= value <= hi:
            raise FhirError(f"{where}: {name} = {value:g} {unit} is outside the plausible "
                            f"range {lo}–{hi} {unit}")
        return Measurement(name, value, unit, 0.0, label)
    qty = QUANTITY_BY_NAME[name]
    lo, hi = qty.range
    if not lo <= value <= hi:
        raise FhirError(f"{where}: {name} = {value:g} {unit} is outside the physiological "
                        f"range {lo:g}–{hi:g} {unit} (check the unit)")
    return Measurement(name, value, unit, qty.typical_sd, label)


def read_bundle(source: str | Path | dict | bytes, *, anchor: _dt.date | None = None,
                shift_days: int = 0, label: str = "", name: str = "") -> BundleImport:
    """Read a FHIR Bundle's Observations as measurements with day offsets.

    Parameters
    ----------
    source
        Path, JSON bytes or the parsed dict.
    anchor
        The twin's first-visit date (already shifted); None makes this bundle's earliest
        observation day 0.
    shift_days
        Keyed per-patient date shift subtracted from every date before use.
    label
        Source text of the measurements; default ``'fhir:'`` + a digest of the bundle's
        content (file names are not kept: they may identify).

    Raises
    ------
    FhirError
        See the module docstring; the message names the Observation.

    Examples
    --------
    >>> b = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
    ...     "resourceType": "Observation", "id": "hr", "status": "final",
    ...     "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
    ...     "effectiveDateTime": "2024-03-01T10:00:00Z",
    ...     "valueQuantity": {"value": 64, "unit": "/min",
    ...                       "system": "http://unitsofmeasure.org", "code": "/min"}}}]}
    >>> imp = read_bundle(b)
    >>> imp.observations[0].measurement.name, imp.observations[0].day
    ('HR', 0)
    """
    data = load_bundle(source, name)
    name = name or (Path(source).name if isinstance(source, str | Path) else "bundle")
    # the ledger names a source by a digest of its content, never by its file name (a file
    # name may carry a patient's name)
    label = label or "fhir:" + hashlib.sha256(
        json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]
    shift = _dt.timedelta(days=int(shift_days))
    raw: list[tuple[str, str, str, dict | None, _dt.date, str]] = []
    ignored: dict[str, int] = {}
    skipped: list[str] = []
    ids: set[str] = set()
    for k, entry in enumerate(data.get("entry") or []):
        res = entry.get("resource") or {}
        kind = res.get("resourceType", "?")
        if kind != "Observation":
            ignored[kind] = ignored.get(kind, 0) + 1  # never read: may hold identifiers
            continue
        oid = res.get("id")
        where = f"Observation/{oid}" if oid else f"Observation (entry {k + 1}, no id)"
        if not oid:
            raise FhirError(f"{where}: an Observation needs an id so its provenance can be kept")
        if oid in ids:
            raise FhirError(f"{where}: duplicate Observation (the id occurs twice in {name})")
        ids.add(oid)
        if res.get("status") in SKIPPED_STATUS:
            skipped.append(f"{where} (status {res['status']})")
            continue
        if any(c.get("system") == TWIN_SYSTEM for c in (res.get("code") or {}).get(
                "coding", [])):
            skipped.append(f"{where} (a digital-twin prediction, not a measurement)")
            continue
        when = _when(res, where) - shift
        stamp = str(res.get("effectiveDateTime") or res.get("effectivePeriod") or "")
        codes = _loinc_codes(res.get("code"))
        if not codes:
            raise FhirError(f"{where}: no LOINC code (system {LOINC_SYSTEM})")
        panel = next((c for c in codes if is_panel(c)), None)
        if panel is not None:
            comps = res.get("component") or []
            if not comps:
                raise FhirError(f"{where}: blood-pressure panel {panel} without components")
            for j, comp in enumerate(comps):
                cc = _loinc_codes(comp.get("code"))
                known = [c for c in cc if c in table()["loinc"]]
                if not known:
                    raise FhirError(f"{where}, component {j + 1}: LOINC code "
                                    f"{', '.join(cc) or '(none)'} is not one the twin imports")
                raw.append((where, oid, known[0], comp.get("valueQuantity"), when, stamp))
            continue
        known = [c for c in codes if c in table()["loinc"]]
        if not known:
            raise FhirError(f"{where}: LOINC code {', '.join(codes)} is not one the twin "
                            f"imports (known: {', '.join(table()['loinc'])})")
        raw.append((where, oid, known[0], res.get("valueQuantity"), when, stamp))
    if not raw:
        why = f" (skipped: {'; '.join(skipped[:3])})" if skipped else ""
        raise FhirError(f"{name}: no usable Observation in the bundle{why}")
    anchor = anchor or min(r[4] for r in raw)
    out: list[ImportedObservation] = []
    seen: dict[tuple, str] = {}
    for where, oid, code, q, when, stamp in raw:
        m = _value(loinc(code).name, code, q, where, label)
        key = (m.name, stamp, round(m.value, 9))  # same quantity, time stamp and value
        if key in seen and seen[key] != oid:
            raise FhirError(f"{where}: duplicate Observation (same {m.name}, time and value as "
                            f"Observation/{seen[key]})")
        seen[key] = oid
        out.append(ImportedObservation(f"Observation/{oid}", code, (when - anchor).days, m))
    return BundleImport(out, anchor, label, ignored, skipped)

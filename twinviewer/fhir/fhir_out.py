"""FHIR R4 out: the twin's predictions, intervention comparisons, a DiagnosticReport and a
Provenance, as one ``collection`` Bundle validated with ``fhir.resources`` (R4B models).

Choices (documented because FHIR has no standard element for a prediction interval):

* **Prediction** → ``Observation`` with ``status`` ``preliminary``, ``method.text``
  "digital twin prediction", the LOINC code of the quantity where one is known (plus a
  TwinViewer code naming the quantity), ``valueQuantity`` = the ensemble median (UCUM unit)
  and the **90 % interval in the HL7 extension ``quantity-confidenceInterval``**
  (:data:`INTERVAL_EXTENSION`, ``valueRange`` ``low``/``high``; "the range within which, at
  the given level of confidence, the actual value resides", context ``Observation.value``),
  with a ``note`` saying it is the twin's 90 % interval. It is *not* put in
  ``referenceRange`` (review13 #13): an EHR shows that as the normal range beside the value,
  whatever its text says. The interval is the one the app shows
  (:mod:`twinviewer.personalize.shown`): for an output not measured, with the learned model
  error, and the note says so; a change's interval carries the same model error in baseline
  and scenario.
* **Intervention comparison** → ``Observation`` per (scenario, metric): value = median of the
  paired difference (scenario − baseline per member), 90 % interval as above (extension),
  and a component "fraction of plausible twins improved" in % where the metric has a better
  direction.
* **DiagnosticReport** (``preliminary``) referencing every Observation, with the research-use
  statement and the caveat that no flag does not mean all is well.
* **Provenance** naming TwinViewer, the model, its version and its equation hash.
* Measured values are not exported (they came from the clinical systems); predictions and
  measurements are never blended.
* Subject: a logical reference by the twin's pseudonym only (no Patient resource, no names).
  No patient dates: visits appear as day offsets in ``note``; the only timestamp is
  ``Provenance.recorded`` (required by FHIR), the time of the export.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping, Sequence

import twinviewer
from twinviewer.core.format import POINTS
from twinviewer.core.twin import REGULATION_TEXT, Twin
from twinviewer.fhir.codes import (
    LOINC_SYSTEM,
    TWIN_SYSTEM,
    UCUM_SYSTEM,
    FhirError,
    export_ucum,
    loinc_for,
)
from twinviewer.personalize.quantities import QUANTITY_BY_NAME
from twinviewer.personalize.shown import WITH_MODEL_ERROR, context_of_twin

PSEUDONYM_SYSTEM = "urn:twinviewer:pseudonym"
INTERVAL_TEXT = "90 % interval of the digital twin's posterior ensemble (not a normal range)"
#: The text of an unmeasured output's interval, which carries the learned model discrepancy
#: (:mod:`twinviewer.personalize.shown`): the one interval the app shows for it.
MODEL_ERROR_TEXT = ("90 % interval of the digital twin's posterior ensemble with its learned "
                    "model error (this output was not measured; not a normal range)")


def _uid(twin: Twin, *parts: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join([twin.pseudonym,
                                                                        *parts])))


def _subject(twin: Twin) -> dict:
    return {"identifier": {"system": PSEUDONYM_SYSTEM, "value": twin.pseudonym},
            "display": "pseudonymous digital-twin subject"}


def _qty(value: float, unit: str, shown: str | None = None) -> dict:
    """A Quantity in UCUM; ``shown``: the human-readable ``unit`` where it is not the code
    (a change of a percentage: code ``%``, unit ``%-points``)."""
    code = export_ucum(unit)
    return {"value": round(float(value), 6), "unit": shown or code, "system": UCUM_SYSTEM,
            "code": code}


def _code(name: str, text: str) -> dict:
    coding = []
    lc = loinc_for(name)
    if lc is not None:
        coding.append({"system": LOINC_SYSTEM, "code": lc.code, "display": lc.display})
    coding.append({"system": TWIN_SYSTEM, "code": name})
    return {"coding": coding, "text": text}


#: The HL7 extension for the interval of a value (FHIR extensions pack): where the 90 %
#: prediction interval goes, never ``referenceRange`` (read as a normal range).
INTERVAL_EXTENSION = "http://hl7.org/fhir/StructureDefinition/quantity-confidenceInterval"


def _interval(lo: float, hi: float, unit: str, kind: str = "", shown: str | None = None
              ) -> dict:
    """The Observation elements of a 90 % interval: the extension and a note saying what it
    is. ``kind``: how the interval was formed (:data:`~twinviewer.personalize.shown.
    WITH_MODEL_ERROR` or '' for the ensemble's own); ``shown``: the unit as written (as
    :func:`_qty`).

    Examples
    --------
    >>> e = _interval(1.0, 2.0, "mmHg")
    >>> e["extension"][0]["valueRange"]["high"]["value"], "referenceRange" in e
    (2.0, False)
    """
    text = MODEL_ERROR_TEXT if kind == WITH_MODEL_ERROR else INTERVAL_TEXT
    return {"extension": [{"url": INTERVAL_EXTENSION,
                           "valueRange": {"low": _qty(lo, unit, shown),
                                          "high": _qty(hi, unit, shown)}}],
            "note": [{"text": f"{text}: {lo:.6g}–{hi:.6g} {shown or unit}"}]}


def prediction_observations(twin: Twin, predicted: Mapping[str, Sequence], day: int | None
                            ) -> list[dict]:
    """Observations for ``{quantity: [median, lo, hi, unit]}`` (the shown intervals: each
    says whether it carries the model error)."""
    ctx = context_of_twin(twin)
    out = []
    for name, (med, lo, hi, unit) in predicted.items():
        q = QUANTITY_BY_NAME.get(name)
        kind = ctx.kind(q.target if q is not None and q.kind == "metric" else name) \
            if ctx is not None else ""
        label = QUANTITY_BY_NAME[name].label if name in QUANTITY_BY_NAME else name
        obs = {
            "resourceType": "Observation", "id": f"pred-{_slug(name)}",
            "status": "preliminary",
            "category": [{"text": "digital twin prediction"}],
            "code": _code(name, f"{label} (predicted by the digital twin)"),
            "subject": _subject(twin),
            "method": {"text": "digital twin prediction: median of the posterior ensemble"},
            "valueQuantity": _qty(med, unit),
        }
        interval = _interval(lo, hi, unit, kind)
        obs["extension"] = interval["extension"]
        obs["note"] = interval["note"]
        if day is not None:
            obs["note"].append({"text": f"twin as calibrated at visit day {day} (day offset "
                                        "from the first visit)"})
        out.append(obs)
    return out


def comparison_observations(twin: Twin, comparisons: Mapping[str, Sequence]) -> list[dict]:
    """Observations for ``{scenario: [Comparison, ...]}`` (paired differences).

    Each names the scenario as the app shows it, with its response mode (regulated or
    acute, also in ``method``: a receiving system must not have to know the default), and
    a change of a percentage (LVEF) is in percentage points: UCUM code ``%`` (an absolute
    difference of two fractions, 10⁻²) with the unit written ``%-points`` as on screen
    (:data:`twinviewer.core.format.POINTS`), never read as a relative change (review16b #5).
    """
    from twinviewer.interventions.scenario import shown_name

    by_name = {s.name: s for s in twin.scenarios}
    out = []
    for scenario, rows in comparisons.items():
        sc = by_name.get(scenario)
        name = shown_name(sc) if sc is not None else scenario
        mode = (f"; response: {REGULATION_TEXT.get(sc.regulation, sc.regulation)}"
                if sc is not None else "")
        for c in rows:
            d = c.difference
            points = POINTS if c.unit == "%" else None
            in_points = " in percentage points" if points else ""
            obs = {
                "resourceType": "Observation",
                "id": f"cmp-{_slug(scenario)}-{_slug(c.metric)}",
                "status": "preliminary",
                "category": [{"text": "digital twin what-if comparison"}],
                "code": {"coding": [{"system": TWIN_SYSTEM, "code": f"delta-{c.metric}"}],
                         "text": f"Change in {c.label}{in_points} under '{name}' (scenario − "
                                 "baseline, paired per ensemble member)"},
                "subject": _subject(twin),
                "method": {"text": "paired difference over the twin's posterior ensemble"
                                   + mode},
                "valueQuantity": _qty(d.median, c.unit, points),
            }
            interval = _interval(d.lo, d.hi, c.unit, getattr(c, "kind", ""), points)
            obs["extension"] = interval["extension"]
            obs["note"] = [*interval["note"],
                           {"text": f"{c.n_paired} of {c.n_total} members paired"}]
            if c.improved is not None:
                obs["component"] = [{
                    "code": {"coding": [{"system": TWIN_SYSTEM, "code": "fraction-improved"}],
                             "text": "fraction of plausible twins improved"},
                    "valueQuantity": _qty(100 * c.improved, "%")}]
            out.append(obs)
    return out


def _slug(text: str) -> str:
    s = "".join(ch if ch.isalnum() else "-" for ch in text)[:60].strip("-")
    return s or "x"


def export_bundle(twin: Twin, *, predicted: Mapping[str, Sequence] | None = None,
                  comparisons: Mapping[str, Sequence] | None = None,
                  now: _dt.datetime | None = None) -> dict:
    """The twin as a FHIR R4 ``collection`` Bundle (JSON dict), validated.

    Parameters
    ----------
    predicted
        ``{quantity: [median, lo, hi, unit]}``; default: the last visit's posterior summary.
    comparisons
        ``{scenario: [Comparison]}`` from :func:`twinviewer.interventions.compare.compare`.

    Raises
    ------
    FhirError
        No predictions to export, or a resource the FHIR models reject (names it).

    Examples
    --------
    >>> import numpy as np
    >>> t = Twin("virtual-x", "four_chamber_eoa", "1.0", "abc", np.zeros(1), np.zeros((1, 1)))
    >>> b = export_bundle(t, predicted={"SBP": [120.0, 110.0, 131.0, "mmHg"]})
    >>> [e["resource"]["resourceType"] for e in b["entry"]]
    ['Observation', 'DiagnosticReport', 'Provenance']
    """
    day = twin.visits[-1].day if twin.visits else None
    if predicted is None:
        predicted = twin.visits[-1].predicted if twin.visits else {}
    if not predicted:
        raise FhirError("nothing to export: the twin has no calibrated visit with predictions")
    observations = prediction_observations(twin, predicted, day)
    observations += comparison_observations(twin, comparisons or {})
    urls = [_uid(twin, o["id"]) for o in observations]
    report_url = _uid(twin, "report")
    flags = [f for f in (twin.visits[-1].flags if twin.visits else []) if f.get("outside")]
    conclusion = (f"{twinviewer.RESEARCH_USE}. Predictions of the digital twin (median and 90 % "
                  f"interval of its posterior ensemble), {len(twin.visits)} visit(s). "
                  + (f"Prediction check flags at the last visit: "
                     f"{', '.join(f['name'] for f in flags)}. " if flags else
                     "No prediction-check flag at the last visit; no flag does not mean all "
                     "is well. "))
    report = {
        "resourceType": "DiagnosticReport", "id": "twin-report", "status": "preliminary",
        "code": {"text": "Cardiac digital twin report (TwinViewer)"},
        "subject": _subject(twin),
        "result": [{"reference": u} for u in urls],
        "conclusion": conclusion,
    }
    now = (now or _dt.datetime.now(_dt.UTC)).astimezone(_dt.UTC).replace(microsecond=0)
    model = f"model {twin.model_name} version {twin.model_version}, equation hash " \
            f"{twin.equation_hash}"
    provenance = {
        "resourceType": "Provenance", "id": "twin-provenance",
        "target": [{"reference": report_url}, *({"reference": u} for u in urls)],
        "recorded": now.isoformat().replace("+00:00", "Z"),
        "agent": [{"type": {"text": "software"},
                   "who": {"display": f"TwinViewer {twinviewer.__version__}; {model}"}}],
        "entity": [{"role": "derivation", "what": {
            "identifier": {"system": "urn:twinviewer:equation-hash",
                           "value": twin.equation_hash},
            "display": model}}],
    }
    entries = [{"fullUrl": u, "resource": o} for u, o in zip(urls, observations, strict=True)]
    entries.append({"fullUrl": report_url, "resource": report})
    entries.append({"fullUrl": _uid(twin, "provenance"), "resource": provenance})
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    validate_bundle(bundle)
    return bundle


def validate_bundle(bundle: dict) -> None:
    """Validate every resource and the Bundle with ``fhir.resources`` (R4B models).

    Raises
    ------
    FhirError
        Naming the first resource the models reject.
    """
    from fhir.resources.R4B import get_fhir_model_class

    for e in bundle.get("entry", []):
        res = e["resource"]
        try:
            get_fhir_model_class(res["resourceType"]).model_validate(res)
        except Exception as exc:  # pydantic ValidationError
            raise FhirError(f"export: {res['resourceType']}/{res.get('id')} is not valid FHIR "
                            f"({str(exc).splitlines()[0]})") from None
    try:
        get_fhir_model_class("Bundle").model_validate(bundle)
    except Exception as exc:
        raise FhirError(f"export: the Bundle is not valid FHIR ({str(exc).splitlines()[0]})") \
            from None

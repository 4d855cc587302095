"""FHIR R4 in and out for the living twin.

Import Observations from a FHIR Bundle (:mod:`~twinviewer.fhir.fhir_in`), export the twin's
predictions, intervention comparisons, a DiagnosticReport and a Provenance
(:mod:`~twinviewer.fhir.fhir_out`). LOINC and UCUM tables: :mod:`~twinviewer.fhir.codes`.

Resources are validated with ``fhir.resources`` (its ``R4B`` models: FHIR 4.3.0, which for
Observation, Bundle, DiagnosticReport and Provenance is the R4 structure; the package's R4
(4.0.1) models are no longer shipped in its current releases).

Layer: above personalize, interventions and explain; below io/report. Never imports Qt.
"""

from twinviewer.fhir.codes import FhirError

__all__ = ["FhirError"]

"""Explanations: sensitivities, attribution, provenance, validity, model cards.

>>> from twinviewer.twins import twin_from_preset                      # doctest: +SKIP
>>> from twinviewer.explain import explain, explain_sobol              # doctest: +SKIP
>>> twin = twin_from_preset("healthy")                                 # doctest: +SKIP
>>> ex = explain(twin, "MAP")            # doctest: +SKIP
>>> ex = ex.with_sobol(explain_sobol(twin, "MAP", ex.screened, n=256))  # doctest: +SKIP
>>> print(ex.summary)                                                  # doctest: +SKIP
"""

from twinviewer.explain.basis import ParameterBasis, parameter_basis, unmeasurable_kind
from twinviewer.explain.local import Elasticities, elasticities, screen
from twinviewer.explain.modelcard import ModelCard, model_card
from twinviewer.explain.report import Explanation, explain, explain_sobol
from twinviewer.explain.shapley import Attribution, changed_parameters, shapley_attribution
from twinviewer.explain.sobol import (
    SobolIndices,
    SobolResult,
    model_sobol,
    parameter_ranges,
    polynomial_chaos,
    saltelli,
)
from twinviewer.explain.summary import plain_summary
from twinviewer.explain.validation import ValidationReport, run_validation, validation_report
from twinviewer.explain.validity import ValidityWarning, validity_warnings

__all__ = [
    "Attribution", "Elasticities", "Explanation", "ModelCard", "ParameterBasis",
    "SobolIndices", "SobolResult", "ValidationReport", "ValidityWarning",
    "changed_parameters", "elasticities", "explain", "explain_sobol", "model_card",
    "model_sobol", "parameter_basis", "parameter_ranges", "plain_summary",
    "polynomial_chaos", "run_validation", "saltelli", "screen", "shapley_attribution",
    "unmeasurable_kind", "validation_report", "validity_warnings",
]

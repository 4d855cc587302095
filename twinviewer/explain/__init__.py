"""Explanations: sensitivities, attribution, provenance, validity, model cards.

>>> from twinviewer.twins import twin_from_preset                      # doctest: +SKIP
>>> from twinviewer.explain import explain, explain_sobol              # doctest: +SKIP
>>> twin = twin_from_preset("healthy")                                 # doctest: +SKIP
>>> ex = explain(twin, "MAP")            # doctest: +SKIP
>>> ex = ex.with_sobol(explain_sobol(twin, "MAP", ex.screened, n=256))  # doctest: +SKIP
>>> print(ex.summary)                                                  # doctest: +SKIP
"""

from twinviewer.core.lazy import lazy_package

# names are imported from their submodules on first use (start-up time)
__all__ = lazy_package(__name__, {
    "basis": ("ParameterBasis", "parameter_basis", "unmeasurable_kind"),
    "local": ("Elasticities", "elasticities", "screen"),
    "modelcard": ("ModelCard", "model_card"),
    "report": ("Explanation", "explain", "explain_sobol"),
    "shapley": ("Attribution", "changed_parameters", "scenario_settings",
                "shapley_attribution"),
    "sobol": ("SobolIndices", "SobolResult", "model_sobol", "parameter_ranges",
        "polynomial_chaos", "saltelli"),
    "summary": ("plain_summary",),
    "validation": ("ValidationReport", "run_validation", "validation_report"),
    "validity": ("ValidityWarning", "validity_warnings"),
})

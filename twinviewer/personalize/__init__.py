"""Calibration of a twin to its patient's measurements: point estimate, posterior ensemble.

>>> from twinviewer.core.measurement import Measurement
>>> from twinviewer.personalize import calibrate, updated_twin
>>> from twinviewer.twins import twin_from_preset
>>> twin = twin_from_preset("healthy", n=1)
>>> result = calibrate(twin, [Measurement("SBP", 135, "mmHg", 8, "cuff")], n=32)
>>> new = updated_twin(twin, result)
>>> new.ensemble_kind, twin.ensemble_kind
('posterior', 'prior')
"""

from twinviewer.core.lazy import lazy_package

# names are imported from their submodules on first use (start-up time)
__all__ = lazy_package(__name__, {
    "calibrate": ("CalibrationError", "CalibrationResult", "Convergence", "FitRow",
        "Identifiability", "MisfitError", "Suggestion", "calibrate", "calibration_record",
        "format_report", "updated_twin"),
    "discrepancy": ("Discrepancy", "default_discrepancy"),
    "disease": ("PriorChoice", "choose_prior"),
    "measurements": ("Issue", "MeasurementError", "check_measurements", "load_measurements",
        "normalise", "require_valid", "save_measurements", "twin_measurements"),
    "quantities": ("QUANTITIES", "QUANTITY_BY_NAME", "Z_FLAG", "FitCheck", "Quantity",
        "UnknownQuantity", "canonical_name", "fit_check", "predict", "predictive_sd",
        "predictive_z", "quantity"),
})

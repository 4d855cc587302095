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

from twinviewer.personalize.calibrate import (
    CalibrationError,
    CalibrationResult,
    Convergence,
    FitRow,
    Identifiability,
    MisfitError,
    Suggestion,
    calibrate,
    calibration_record,
    format_report,
    updated_twin,
)
from twinviewer.personalize.discrepancy import Discrepancy, default_discrepancy
from twinviewer.personalize.disease import PriorChoice, choose_prior
from twinviewer.personalize.measurements import (
    Issue,
    MeasurementError,
    check_measurements,
    load_measurements,
    normalise,
    require_valid,
    save_measurements,
    twin_measurements,
)
from twinviewer.personalize.quantities import (
    QUANTITIES,
    QUANTITY_BY_NAME,
    Z_FLAG,
    FitCheck,
    Quantity,
    UnknownQuantity,
    canonical_name,
    fit_check,
    predict,
    quantity,
)

__all__ = ["QUANTITIES", "QUANTITY_BY_NAME", "Z_FLAG", "CalibrationError", "CalibrationResult",
           "Convergence", "Discrepancy", "FitCheck", "FitRow", "Identifiability", "Issue",
           "MeasurementError", "MisfitError", "PriorChoice", "Quantity", "Suggestion",
           "UnknownQuantity", "calibrate", "calibration_record",
           "canonical_name", "check_measurements", "choose_prior",
           "default_discrepancy", "fit_check", "format_report", "load_measurements", "normalise",
           "predict", "quantity", "require_valid", "save_measurements", "twin_measurements",
           "updated_twin"]

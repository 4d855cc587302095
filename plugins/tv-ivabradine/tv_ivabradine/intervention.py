"""Ivabradine: pure heart-rate lowering through the sinus node's If current.

It acts only on the model's heart-rate parameter (``ModelSpec.heart_rate_parameter``, the
heart-rate role), so it applies to any model that declares one, built-in or plugin.
"""

from __future__ import annotations

import numpy as np

from twinviewer.interventions.intervention import (
    Context,
    Intervention,
    InterventionError,
    Setting,
)

#: Placebo-corrected heart-rate fall at 28 days in SHIFT (Swedberg et al., Lancet 2010), on
#: a mean dose near the 7.5 mg b.i.d. maximum: about 11 bpm. Linear in dose: UNSOURCED.
HR_DROP_AT_MAX = 10.9
MAX_DOSE = 7.5
#: Licensed use in heart failure needs a resting rate of at least 70 bpm before treatment.
MIN_HR = 70.0


def _hr_col(ctx: Context) -> int:
    return ctx.col(ctx.model.heart_rate_parameter)


def _transform(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    P[:, _hr_col(ctx)] -= HR_DROP_AT_MAX * s["dose"] / MAX_DOSE
    return P


def _check(ctx: Context, P: np.ndarray, s: dict) -> None:
    hr = float(np.median(P[:, _hr_col(ctx)]))
    if hr < MIN_HR:
        raise InterventionError(f"ivabradine: the twin's resting heart rate is {hr:.0f} bpm; "
                                f"ivabradine is used only from {MIN_HR:.0f} bpm in sinus rhythm")


IVABRADINE = Intervention(
    name="ivabradine",
    title="Ivabradine (If inhibitor)",
    settings=(Setting("dose", "mg", 7.5, (0.0, MAX_DOSE),
                      "twice-daily dose; at 7.5 mg HR −10.9 bpm (SHIFT, placebo-corrected, "
                      "28 days); linear in dose (UNSOURCED)", label="Ivabradine b.i.d.",
                      reason_low="a dose cannot be negative",
                      reason_high="above the licensed maximum of 7.5 mg twice daily"),),
    description="Lowers the heart rate only; contractility and loading are unchanged.",
    evidence=("SHIFT: ivabradine vs placebo in HFrEF, HR −10.9 bpm placebo-corrected at 28 "
              "days (Swedberg K et al. Lancet 2010;376:875-885).",),
    assumptions=("No change of contractility, vascular tone or volume (pure rate effect).",
                 "No baroreflex response is modelled."),
    transform=_transform,
    parameters=("HR",),
    main_setting="dose",
    check=_check,
)

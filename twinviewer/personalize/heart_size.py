"""A prior the size of the patient's heart: the prior's preset scaled to the measured LVEDV.

Why
---
Each parameter's population prior is independent and centred on a preset of one heart size
(the healthy preset: LVEDV 132 mL, SV 81 mL). Body size moves all of a heart's volumes,
elastances, compliances and resistances *together*, and independent priors do not hold that
mode: the healthy prior's 90 % LVEDV range is 102–158 mL. A large heart with normal pressures
and EF — the demo's biv-me patient: LVEDV 179, LVESV 72, SV 107 mL, EF 60 % — then sits at
+2.9 prior SD, and a Kalman calibration lands between prior and data (LVEDV 163, SV 90 mL with
the curve; LVEDV 155–159, SV 85–89 mL with the volumes as two numbers: ``docs/notes/fit7.md``).

How
---
The model's equations are invariant, to within 1 %, under a change of size ``s``: volumes,
compliances and valve areas × ``s``; elastances, the passive exponent, resistances and
inertances ÷ ``s`` (:data:`SIZE_EXPONENT`, by unit). Pressures, timing and EF stay; volumes and
flows scale by ``s``. (Checked on the healthy preset at ``s`` = 1.37 and 0.8: LVEDV ×1.371 /
×0.803, SBP, DBP, LVEDP, LAP within 1.5 %, EF unchanged; the residue is the fixed viscous
valve loss.) :func:`size_matched` scales the prior's centre so its LVEDV equals the measured
one (the LV curve's largest volume, or a measured LVEDV); the priors keep their spread around
it.

The size is taken from the data that are then fitted (empirical Bayes, as the disease prior
is chosen from the measurements that define the disease): the LVEDV counts a little more than
once, so the LVEDV interval is somewhat too narrow (with the demo's numbers: a prior SD of
23 mL about the measured value beside a datum SD of 12 mL gives 10.6 mL instead of 12). For
patients inside the prior's size range this costs coverage (synthetic patients, 30 per
setting: CO 97 → 77 %, LVEDP 77 → 67 % in the model's own population), so it is asked for,
not the default: it is for a heart far from the preset's size.

>>> from twinviewer.physiology.presets import get_preset
>>> p = get_preset("healthy")
>>> x = scaled(p.model, p.vector(), 2.0)
>>> [float(x[p.model.index(n)] / p.vector()[p.model.index(n)]) for n in ("V_total", "LV.EA",
...                                                                     "HR")]
[2.0, 0.5, 1.0]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.physiology import ModelSpec, simulate

#: Power of the size factor ``s`` each parameter unit scales with (other units: 0, e.g. s,
#: bpm, 1, krpm): volumes, compliances and orifice areas with ``s`` (a flow ∝ s through an
#: area ∝ s keeps the Bernoulli drop), elastances, passive exponents, resistances and
#: inertances with 1/s (a pressure from a volume or flow ∝ s stays).
SIZE_EXPONENT = {"mL": 1, "mL/mmHg": 1, "cm^2": 1, "mmHg/mL": -1, "1/mL": -1,
                 "mmHg*s/mL": -1, "mmHg*s^2/mL": -1}
#: How :func:`size_matched` names the factor (in the prior's description, hence in every
#: calibrated twin's provenance): :func:`scale_in` reads it back.
SCALED = "scaled to the patient's heart size ×"
#: Sizes beyond this factor either way are not scaled to (a measured LVEDV 3× the preset's
#: is more likely a wrong value or unit than a heart): the prior stays as it was, said so.
MAX_SCALE = 2.5


@dataclass(frozen=True)
class SizeMatch:
    """The size factor applied to the prior's centre and why (``scale`` 1: not applied)."""

    scale: float
    reason: str


def scaled(model: ModelSpec, params: np.ndarray, s: float) -> np.ndarray:
    """``params`` (P,) or (N, P) with the heart and circulation scaled by size factor ``s``."""
    x = np.array(params, dtype=float)
    for j, par in enumerate(model.parameters):
        k = SIZE_EXPONENT.get(par.unit, 0)
        if k:
            x[..., j] *= s ** k
    return x


def measured_lvedv(measurements: Sequence[Measurement], curves: Sequence = ()
                   ) -> tuple[float, str] | None:
    """The patient's LV end-diastolic volume (mL) and where it comes from: the largest volume
    of a measured LV curve, else a measured LVEDV (canonical name, mL); None without either.

    >>> measured_lvedv([Measurement("LVEDV", 180.0, "mL", 9.0, "CT")])
    (180.0, 'LVEDV 180 mL (CT)')
    """
    for c in curves:
        if c.chamber == "LV":
            return float(np.max(c.volumes_ml)), (f"largest volume of the LV curve "
                                                 f"{np.max(c.volumes_ml):.0f} mL ({c.source})")
    for m in measurements:
        if m.name == "LVEDV" and m.unit == "mL" and m.value > 0:
            return float(m.value), f"LVEDV {m.value:.0f} mL" + (f" ({m.source})"
                                                                 if m.source else "")
    return None


def size_matched(model: ModelSpec, base: np.ndarray, measurements: Sequence[Measurement],
                 curves: Sequence = ()) -> tuple[np.ndarray, SizeMatch]:
    """The prior centre ``base`` scaled so that its LVEDV is the measured one.

    Returns the (possibly unchanged) centre and a :class:`SizeMatch` saying what was done;
    without a measured LVEDV, if the centre does not simulate, or beyond :data:`MAX_SCALE`,
    the centre is returned as it was with the reason.
    """
    edv = measured_lvedv(measurements, curves)
    if edv is None:
        return base, SizeMatch(1.0, "not scaled: no measured LV end-diastolic volume")
    res = simulate(model, np.asarray(base, float)[None])
    own = float(np.asarray(res.metrics["LVEDV"])[0]) if res.ok[0] else float("nan")
    if not np.isfinite(own) or own <= 0:
        return base, SizeMatch(1.0, "not scaled: the prior's centre has no periodic beat")
    s = edv[0] / own
    if not 1.0 / MAX_SCALE <= s <= MAX_SCALE:
        return base, SizeMatch(1.0, f"not scaled: {edv[1]} is {s:.2f}× the prior centre's "
                                    f"{own:.0f} mL, beyond ×{MAX_SCALE:g} either way")
    return scaled(model, base, s), SizeMatch(
        s, f"{SCALED}{s:.3g} ({edv[1]}; the preset's LVEDV {own:.0f} mL)")


def scale_in(detail: str) -> float:
    """The size factor a provenance detail names (1.0 if none): the prior's centre a
    calibrated twin was judged against is the preset scaled by it.

    >>> scale_in("prior preset healthy: … scaled to the patient's heart size ×1.35 (LVEDV …")
    1.35
    >>> scale_in("prior preset healthy")
    1.0
    """
    m = re.search(re.escape(SCALED) + r"([0-9]*\.?[0-9]+)", detail or "")
    return float(m.group(1)) if m else 1.0

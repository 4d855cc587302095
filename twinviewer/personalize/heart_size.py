"""The heart's size as one parameter of the calibration prior.

Why
---
Each parameter's population prior is independent and centred on a preset of one heart size
(the healthy preset: LVEDV 132 mL). Body size moves all of a heart's volumes, elastances,
compliances and resistances *together*, and independent priors hold no such mode: alone they
give the healthy prior an LVEDV log-SD of 0.148 (90 % range 100–162 mL), narrower than the
population's. A large heart with normal pressures and EF — the demo's biv-me patient: LVEDV
179, SV 107 mL, EF 60 % — then sat far out in the prior, and the calibration pulled its SV to
90 mL (``docs/notes/fit7.md``).

How
---
The model's equations are invariant, to within 1 %, under a change of size ``s``: volumes,
compliances and valve areas × ``s``; elastances, the passive exponent, resistances and
inertances ÷ ``s`` (:data:`SIZE_EXPONENT`, by unit). Pressures, timing and EF stay; volumes and
flows scale by ``s``. (Checked on the healthy preset at ``s`` = 1.37 and 0.8: LVEDV ×1.371 /
×0.803, SBP, DBP, LVEDP, LAP within 1.5 %, EF unchanged; the residue is the fixed viscous
valve loss.)

The prior therefore has one more coordinate, the size ``ln s ~ N(0, SIZE_LOG_SD²)``, common to
every parameter: ``ln u_j = ln u_j⁰ + σ_j z_j + e_j ln s`` with ``e_j`` the exponent of its unit
(:class:`~twinviewer.personalize.space.ParameterSpace`). The calibration updates ``s`` like
any other coordinate, so each measurement informs it once, through the likelihood (the
measured LVEDV is not also used to place the prior: no empirical Bayes, no double use).
Pressures do not depend on ``s``, so they leave it alone; volumes inform it.

The spread, from a published population
---------------------------------------
Hudsmith et al. 2005 (J Cardiovasc Magn Reson 7:775–782; SSFP CMR, 108 healthy adults, 63 men):
LVEDV 160 ± 29 mL in men, 135 ± 26 mL in women. Pooled (log-normal per sex, mixed 63:45), the
log-SD of an adult's LVEDV is 0.202 (within-sex 0.18–0.19, between the sexes ln(160/135)).
The healthy prior without the size mode gives 0.148 (2 000 prior draws), so the size mode
supplies the rest: ``√(0.202² − 0.148²) = 0.137``, rounded to :data:`SIZE_LOG_SD` = 0.14.
With it the prior predictive LVEDV has the population's spread (a test checks 0.20 ± 0.02).
REFERENCE.md's normal range (LVEDV 120–150 mL) is the central range of the same populations.

>>> from twinviewer.physiology.presets import get_preset
>>> p = get_preset("healthy")
>>> x = scaled(p.model, p.vector(), 2.0)
>>> [float(x[p.model.index(n)] / p.vector()[p.model.index(n)]) for n in ("V_total", "LV.EA",
...                                                                     "HR")]
[2.0, 0.5, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twinviewer.core.parameter import Prior
from twinviewer.physiology import ModelSpec

#: Power of the size factor ``s`` each parameter unit scales with (other units: 0, e.g. s,
#: bpm, 1, krpm): volumes, compliances and orifice areas with ``s`` (a flow ∝ s through an
#: area ∝ s keeps the Bernoulli drop), elastances, passive exponents, resistances and
#: inertances with 1/s (a pressure from a volume or flow ∝ s stays).
SIZE_EXPONENT = {"mL": 1, "mL/mmHg": 1, "cm^2": 1, "mmHg/mL": -1, "1/mL": -1,
                 "mmHg*s/mL": -1, "mmHg*s^2/mL": -1}
#: Population log-SD of the heart's size factor ``s`` (see the module docstring: Hudsmith
#: 2005's LVEDV spread less what the independent priors already give).
SIZE_LOG_SD = 0.14
#: The size coordinate's name in tables and provenance.
SIZE_NAME = "heart size"


def exponents(model: ModelSpec) -> np.ndarray:
    """(P,) power of ``s`` each of the model's parameters scales with.

    >>> from twinviewer.physiology import MODELS
    >>> m = MODELS["four_chamber_eoa"]
    >>> int(exponents(m)[m.index("V_total")]), int(exponents(m)[m.index("HR")])
    (1, 0)
    """
    return np.array([SIZE_EXPONENT.get(p.unit, 0) for p in model.parameters], dtype=float)


def scaled(model: ModelSpec, params: np.ndarray, s: float | np.ndarray) -> np.ndarray:
    """``params`` (P,) or (N, P) with the heart and circulation scaled by size factor ``s``
    (a number, or (N,) one per row)."""
    x = np.array(params, dtype=float)
    s = np.asarray(s, dtype=float)
    return x * (s[..., None] if s.ndim else s) ** exponents(model)


def marginal_prior(prior: Prior, exponent: float, log_sd: float = SIZE_LOG_SD) -> Prior:
    """A parameter's population prior with the size mode folded in: a log-normal's log-SD
    becomes ``√(σ² + e² log_sd²)``; other kinds and unscaled units are returned as they are.

    >>> marginal_prior(Prior("lognormal", 10.0, 0.1), 1.0, 0.1).scale  # doctest: +ELLIPSIS
    0.1414...
    """
    if not exponent or prior.kind != "lognormal" or prior.is_point_mass:
        return prior
    return Prior("lognormal", prior.loc, float(np.hypot(prior.scale, exponent * log_sd)))


def draw_sizes(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) whitened size coordinates ξ (``ln s = SIZE_LOG_SD ξ``), stratified: one draw in each
    of ``n`` equal-probability strata, shuffled (as the Sobol' prior design of the other
    coordinates, so a small ensemble's size spread is the population's).

    >>> xi = draw_sizes(200, np.random.default_rng(0))
    >>> abs(float(xi.mean())) < 0.01, abs(float(xi.std()) - 1) < 0.05
    (True, True)
    """
    from scipy.special import ndtri

    u = (rng.permutation(n) + rng.uniform(0.0, 1.0, n)) / n
    return ndtri(np.clip(u, 1e-9, 1 - 1e-9))


def describe(factor: Sequence[float], log_sd: float = SIZE_LOG_SD) -> str:
    """The posterior heart-size factor (median, 5 %, 95 %) beside its population prior.

    >>> describe((1.15, 1.01, 1.33))
    "heart size ×1.15 (1.01–1.33) of the prior's preset (population prior ×1 (0.79–1.26))"
    """
    med, lo, hi = (float(x) for x in factor)
    w = float(np.exp(1.6448536 * log_sd))
    return (f"heart size ×{med:.3g} ({lo:.3g}–{hi:.3g}) of the prior's preset "
            f"(population prior ×1 ({1 / w:.2f}–{w:.2f}))")

"""Synthetic patients for checking (and learning) how honest the calibration's intervals are.

Four *settings* generate patients whose true haemodynamics are known:

``own``
    the default model itself, parameters drawn from its population prior around the healthy
    preset, heart-size mode included (the only setting in which the calibration's model and
    prior are exactly right);
``regazzoni``
    the published ``regazzoni2022`` loop — a structurally different model (resistive
    diode valves, cosine activation, no aortic impedance) drawn from its own priors, in
    sinus rhythm: each patient's atria start a PR delay before its ventricles
    (:func:`sinus_timing`; at the published absolute onsets, ``LA.tC`` 0.9 s and ``LV.tC``
    0.1 s taken modulo the period, the atria contract with or after the ventricles at any
    heart rate above ~67 bpm — AV dissociation, not a patient whose cuff and echo the
    product takes);
``perturbed``
    the default model with its structure changed in a way the calibration's priors do not
    allow: no aortic characteristic impedance (at its lower plausible bound), inertances
    divided by ten (at their lower bounds the fixed-step integration diverges), or a skewed
    activation (contraction 40 % longer, relaxation 40 % shorter than the prior centre), in
    turn;
``wide``
    the default model with a population twice as wide as its prior (every prior SD × 2).

One more setting, outside :data:`SETTINGS` (reported, never learned on):
``regazzoni_published``, the ``regazzoni`` patients at the published absolute timing (the
same draws of every other parameter).

Each patient is measured with noise on a standard clinical set (:data:`NOISE`: cuff BP, HR,
echo LV volumes); CO, LVEDP, LAP, PASP and stroke work are left unmeasured and are what the
intervals are judged on (:data:`UNMEASURED`).

The settings are built only from parameter names and priors that the default model declares
(``SYS.Z_AO``, ``*.L_*``, ``*.TC``, ``*.TR``), so they keep working when its equations change.

>>> truth = patients("own", 3, seed=1)
>>> bool(truth.ok.all()), len(truth.structure)
(True, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.personalize.heart_size import SIZE_LOG_SD, scaled
from twinviewer.physiology import ModelSpec, Results, simulate
from twinviewer.physiology.presets import get_preset

SETTINGS = ("own", "regazzoni", "perturbed", "wide")
#: Settings that :func:`patients` also makes, for reporting beside :data:`SETTINGS` (the
#: discrepancy terms are never learned on them).
REPORT_SETTINGS = ("regazzoni_published",)
#: PR delay (s) of the ``regazzoni`` patients' sinus rhythm: log-normal, median 0.16 s,
#: log-SD 0.15 — the default model's own prior of its atrioventricular delay ``AVD`` (90 %:
#: 0.125–0.205 s, the textbook normal adult PR interval 0.12–0.20 s).
PR_DELAY = (0.16, 0.15)
#: Measurement SD and unit of the standard clinical set (cuff BP, HR, echo LV volumes).
NOISE: dict[str, tuple[float, str]] = {
    "HR": (2.0, "bpm"), "SBP": (6.0, "mmHg"), "DBP": (5.0, "mmHg"),
    "LVEDV": (10.0, "mL"), "LVESV": (8.0, "mL")}
#: The echo Doppler data of the "echo" data kinds, added to the standard set: each kind's
#: quantities (:mod:`~twinviewer.personalize.quantities` names). "echo": the mitral inflow
#: E/A ratio (every transthoracic echo reports it); "echo_tr": E/A and the peak TR velocity
#: (reported whenever a TR jet is seen, i.e. in most). Their measurement SDs are the
#: quantities' typical SDs (:func:`echo_noise`).
ECHO_KINDS: dict[str, tuple[str, ...]] = {"echo": ("E/A",), "echo_tr": ("E/A", "TR_velocity")}
#: Outputs judged by the coverage check: never measured in the standard set.
UNMEASURED = ("LVEDP", "LAP", "PASP", "SW", "CO")
#: Structural perturbations of the ``perturbed`` setting, applied in turn.
PERTURBATIONS = ("no aortic impedance", "inertance / 10", "skewed activation")
#: Rounds of redrawing unusable draws before :func:`patients` gives up with an error.
MAX_ROUNDS = 20


@dataclass(frozen=True)
class SyntheticSet:
    """True haemodynamics of a set of synthetic patients and how each was made."""

    setting: str
    results: Results
    structure: tuple[str, ...]

    @property
    def ok(self) -> np.ndarray:
        return self.results.ok

    def measurements(self, i: int, rng: np.random.Generator) -> list[Measurement]:
        """Patient ``i`` measured once on the standard set, with noise."""
        m = self.results.metrics
        return [Measurement(k, float(m[k][i] + sd * rng.standard_normal()), unit, sd,
                            "synthetic") for k, (sd, unit) in NOISE.items()]

    def truth(self, name: str, i: int) -> float:
        return float(self.results.metrics[name][i])

    def echo_measurements(self, i: int, names: tuple[str, ...], rng: np.random.Generator
                          ) -> list[Measurement]:
        """Patient ``i``'s echo Doppler data ``names`` (:data:`ECHO_KINDS`), each its truth
        (:func:`echo_truth`) plus Gaussian noise of :func:`echo_noise`'s SD. Raises
        :class:`~twinviewer.personalize.measurements.MeasurementError` naming the quantity
        when the patient's beat has none (e.g. no mitral inflow after atrial onset: no A
        wave to measure)."""
        out = []
        for name in names:
            t = float(echo_truth(name, self.results)[i])
            sd, unit = echo_noise(name)
            e = rng.standard_normal()  # drawn before the check: one draw per datum always
            if not np.isfinite(t):
                from twinviewer.personalize.measurements import MeasurementError

                raise MeasurementError(f"{name} cannot be measured on this patient's beat (no "
                                 + ("A wave: no mitral inflow after atrial onset, or none "
                                    "before it)" if name == "E/A" else "finite value)"))
            out.append(Measurement(name, t + sd * e, unit, sd, "synthetic"))
        return out


def echo_noise(name: str) -> tuple[float, str]:
    """Measurement SD and unit of echo datum ``name``: the quantity's typical SD
    (:data:`~twinviewer.personalize.quantities.QUANTITIES`; E/A 0.15, TR velocity 0.2 m/s —
    the product's defaults when a user gives none, not sourced from a reproducibility study).

    >>> echo_noise("E/A"), echo_noise("TR_velocity")
    ((0.15, '1'), (0.2, 'm/s'))
    """
    from twinviewer.personalize.quantities import quantity

    q = quantity(name)
    return q.typical_sd, q.unit


def echo_truth(name: str, results: Results) -> np.ndarray:
    """Each patient's true echo datum ``name`` (NaN where the beat has none).

    The model's own quantity (:func:`~twinviewer.personalize.quantities.predict`) where its
    roles allow it. The ``regazzoni2022`` loop declares no atrioventricular delay (its
    chambers have absolute onsets ``LA.tC``, ``LV.tC``): its E/A is the same ratio — peak
    mitral inflow before atrial onset over the peak after it, within a beat that starts at
    ventricular onset — with the atrial onset taken from those parameters.

    >>> own = patients("own", 2, seed=1)
    >>> bool(np.all(echo_truth("E/A", own.results) > 0))
    True
    """
    from twinviewer.personalize.quantities import predict, supported

    if supported(name, results) is None:
        return predict(name, results)
    model = results.model
    if name != "E/A" or not {"LA.tC", "LV.tC"} <= set(model.parameter_names):
        raise KeyError(supported(name, results))
    P = results.params
    period = 60.0 / P[:, model.index(model.heart_rate_parameter)]
    ventricle = P[:, model.index("LV.tC")] % period
    atrium = (P[:, model.index("LA.tC")] % period - ventricle) % period
    phase = (np.asarray(results.time) - ventricle[:, None]) % period[:, None]
    after = phase >= atrium[:, None]
    q_mv = results.series[model.role("Q_MV")]
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.where(~after, q_mv, -np.inf).max(axis=1)
        a = np.where(after, q_mv, -np.inf).max(axis=1)
        out = np.where((e > 0) & (a > 0), e / a, np.nan)
    out[~results.ok] = np.nan
    return out


def prior_draws(model: ModelSpec, base: np.ndarray, k: int, rng: np.random.Generator,
                widen: float = 1.0, ndtri=None) -> np.ndarray:
    """(k, P) draws from every proper prior around ``base``, each heart then scaled by its
    size factor of the prior's size mode (:mod:`~twinviewer.personalize.heart_size`; all SDs
    × ``widen``); ``ndtri``: the normal quantile the priors use when ``widen`` is 1
    (default :func:`scipy.special.ndtri`)."""
    truth = np.tile(np.asarray(base, dtype=float), (k, 1))
    for j, par in enumerate(model.parameters):
        prior = par.prior.centred(base[j])
        if prior.is_point_mass:
            continue
        u = rng.uniform(0.002, 0.998, k)
        if widen == 1.0:
            x = prior.ppf(u, ndtri)
        elif prior.kind == "lognormal":
            x = prior.loc * np.exp(widen * prior.scale * _norm_ppf(u))
        elif prior.kind == "normal":
            x = prior.loc + widen * prior.scale * _norm_ppf(u)
        else:
            c = base[j]
            x = c + widen * (prior.ppf(u, ndtri) - c)
        truth[:, j] = np.clip(x, *par.plausible)
    # the prior's heart-size mode (every proper prior's population holds it: heart_size)
    truth = scaled(model, truth, np.exp(widen * SIZE_LOG_SD * rng.standard_normal(k)))
    lo, hi = np.array([p.plausible for p in model.parameters]).T
    return np.clip(truth, lo, hi)


def prior_fingerprint(model: ModelSpec | None = None, base: np.ndarray | None = None) -> str:
    """A short hash of the calibration prior's numbers: 16 fixed draws of :func:`prior_draws`
    (every parameter prior and the heart-size mode), to 6 significant figures.

    The calibration's robust scale mixture (:data:`~twinviewer.personalize.robust_prior.
    DEFAULT`) is part of it. The model-discrepancy terms are learned on patients drawn from
    this prior and calibrated under it, so a changed prior (e.g. a new size spread, another
    mixture weight) makes them stale even when the equations are unchanged
    (:func:`~twinviewer.personalize.discrepancy.stale_reason`).

    >>> len(prior_fingerprint())
    16
    """
    import hashlib

    if model is None or base is None:
        preset = get_preset("healthy")
        model, base = preset.model, preset.vector()
    from twinviewer.personalize.robust_prior import DEFAULT

    # the standard library's normal quantile: the same 6 figures as scipy's ndtri
    # (tests/personalize), without importing scipy.special (0.3 s of CPU at every start: the
    # demo twin's cache key)
    draws = prior_draws(model, base, 16, np.random.default_rng(0), ndtri=_ndtri_stdlib)
    text = np.array2string(draws, precision=6, floatmode="maxprec", threshold=10**9)
    if DEFAULT.active:  # the calibration's scale mixture (robust_prior) is part of its prior
        text += f"\nrobust {DEFAULT.weight:g} {DEFAULT.scale:g}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ndtri_stdlib(u: np.ndarray) -> np.ndarray:
    """Standard normal quantile of each of ``u`` (in (0, 1)), by
    :meth:`statistics.NormalDist.inv_cdf` (Wichura's AS241, ~1e-16 relative).

    >>> [round(float(x), 6) for x in _ndtri_stdlib(np.array([0.5, 0.975]))]
    [0.0, 1.959964]
    """
    from statistics import NormalDist

    inv = NormalDist().inv_cdf
    a = np.asarray(u, dtype=float)
    return np.array([inv(float(x)) for x in a.ravel()], dtype=float).reshape(a.shape)


def _norm_ppf(u: np.ndarray) -> np.ndarray:
    from scipy import stats

    return stats.norm.ppf(u)


def _perturb(model: ModelSpec, P: np.ndarray, which: str) -> None:
    names = model.parameter_names
    if which == "no aortic impedance":
        cols = [n for n in names if n == "SYS.Z_AO"]
        for n in cols:
            P[:, model.index(n)] = model.parameter(n).plausible[0]
    elif which == "inertance / 10":
        for n in names:
            if ".L_" in n:
                P[:, model.index(n)] = np.maximum(P[:, model.index(n)] / 10.0,
                                                  model.parameter(n).plausible[0])
    elif which == "skewed activation":
        for n in names:
            if n.endswith(".TC"):
                P[:, model.index(n)] *= 1.4
            elif n.endswith(".TR"):
                P[:, model.index(n)] *= 0.6
    else:
        raise ValueError(f"unknown perturbation {which!r}; choose one of {PERTURBATIONS}")


def patients(setting: str, k: int, seed: int, *,
             progress: Callable[[float, str], None] | None = None) -> SyntheticSet:
    """``k`` synthetic patients of ``setting`` (one of :data:`SETTINGS`).

    Members that do not reach a periodic state, or are not a living adult at rest
    (:func:`_plausible`), are redrawn, so exactly ``k`` usable patients come back; after
    :data:`MAX_ROUNDS` rounds of redrawing without enough of them it raises ``RuntimeError``
    naming the setting, the seed and how many it found (it never returns fewer silently).
    """
    if setting not in SETTINGS + REPORT_SETTINGS:
        raise ValueError(f"unknown setting {setting!r}; choose one of "
                         f"{', '.join(SETTINGS + REPORT_SETTINGS)}")
    published = setting == "regazzoni_published"
    # the published-timing patients share the regazzoni draws of every other parameter
    rng = np.random.default_rng([seed, SETTINGS.index("regazzoni" if published else setting)])
    pr_rng = np.random.default_rng([seed, SETTINGS.index("regazzoni"), 7])
    preset = get_preset("regazzoni2022" if setting.startswith("regazzoni") else "healthy")
    model, base = preset.model, preset.vector()
    structure = tuple(PERTURBATIONS[i % len(PERTURBATIONS)] if setting == "perturbed"
                      else setting for i in range(k))
    P = np.empty((0, len(model.parameters)))
    tags: list[str] = []
    for _attempt in range(MAX_ROUNDS):
        need = k - P.shape[0]
        if need <= 0:
            break
        draw = prior_draws(model, base, need, rng, widen=2.0 if setting == "wide" else 1.0)
        if setting == "regazzoni":
            sinus_timing(model, draw, pr_rng)
        todo = structure[P.shape[0]:]
        if setting == "perturbed":
            for which in PERTURBATIONS:
                rows = np.array([t == which for t in todo])
                if rows.any():
                    sub = draw[rows]
                    _perturb(model, sub, which)
                    draw[rows] = sub
        res = simulate(model, draw, progress=progress)
        good = res.ok & _plausible(res)
        P = np.vstack([P, draw[good]])
        tags += [t for t, g in zip(todo, good, strict=True) if g]
    if P.shape[0] < k:
        raise RuntimeError(f"synthetic patients of setting {setting!r}, seed {seed}: only "
                           f"{P.shape[0]} of {k} draws were usable patients after "
                           f"{MAX_ROUNDS} rounds of redrawing (the others did not reach a "
                           "periodic state or were not a living adult at rest)")
    res = simulate(model, P[:k])
    return SyntheticSet(setting, res, tuple(tags[:k]))


def sinus_timing(model: ModelSpec, P: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Put the atria of each ``regazzoni2022`` member of ``P`` (rows; changed in place) a PR
    delay before its ventricles: ``LA.tC`` = ``RA.tC`` = (``LV.tC`` − PR) modulo the
    member's period, PR log-normal :data:`PR_DELAY`. Returns the PR delays (s).

    >>> from twinviewer.physiology.presets import get_preset
    >>> pre = get_preset("regazzoni2022")
    >>> P = pre.vector()[None, :].copy()
    >>> pr = sinus_timing(pre.model, P, np.random.default_rng(0))
    >>> period = 60.0 / P[0, pre.model.index("HR")]
    >>> lv, la = P[0, pre.model.index("LV.tC")], P[0, pre.model.index("LA.tC")]
    >>> bool(np.isclose((lv - la) % period, pr[0]))
    True
    """
    median, log_sd = PR_DELAY
    pr = median * np.exp(log_sd * rng.standard_normal(P.shape[0]))
    period = 60.0 / P[:, model.index(model.heart_rate_parameter)]
    onset = (P[:, model.index("LV.tC")] - pr) % period
    for chamber in ("LA.tC", "RA.tC"):
        P[:, model.index(chamber)] = onset
    return pr


def _plausible(res: Results) -> np.ndarray:
    """A living adult at rest: the draws outside these bounds are not patients anyone
    would calibrate (and are refused by the measurement checks)."""
    m = res.metrics
    with np.errstate(invalid="ignore"):
        return ((m["SBP"] > 70) & (m["SBP"] < 250) & (m["DBP"] > 30) & (m["DBP"] < 140)
                & (m["LVEDV"] > 45) & (m["LVESV"] > 12) & (m["CO"] > 1.2) & (m["CO"] < 14)
                & (m["LVEDP"] >= 0) & (m["LAP"] > 0) & (m["SBP"] > m["DBP"] + 10))

"""A measured volume curve as calibration data: a twin fitted to the patient's own V(t).

:func:`calibration_data` aligns the measured curve (:class:`~twinviewer.imaging.curves.VolumeCurve`)
at end-diastole (phase 0 = its largest volume) and expresses time as a fraction of the measured
R-R interval; :func:`model_curve_on` samples a model's V(t) aligned at its own ED and, by a
piecewise-linear time warp, at its own end-systole and peak filling rate
(:data:`ALIGN_AT_EVENTS`), so the model's timing error does not become a volume error;
:func:`observation` gives the curve's error covariance, in which the timing left after the
warp is one correlated error over neighbouring phases (:data:`PHASE_LENGTH`);
:func:`misfit` gives the whitened residuals a least-squares or Kalman calibration minimises.

Why the model's timing must not be compared phase for phase: the model's timing has a known
structural error — R wave to aortic opening 137 ms against Weissler's 103 ms (Weissler et al.
1968, Circulation 37:149), ejection 313 against 294 ms (notes/eject8.md §1). Compared frame
by frame, a 25-frame curve turns that error into volume residuals (the twin 19 mL above the
curve in mid-ejection, 29 mL below in early filling) that grow with the heart's size, so the
curve held the demo heart's LVSV at 90.8 (80.8–101.0) mL against the measured 106.9 ± 9.9
(notes/fit8.md); with only the phases the model can time it was 98.8. Two standard remedies
are combined:

* **Landmark registration** (Kneip & Gasser 1992, Ann. Statist. 20:1266; Ramsay & Silverman
  2005, *Functional Data Analysis*, 2nd ed., ch. 7): both curves are aligned at their own
  events before their values are compared; between events time is mapped linearly, as in the
  ED/ES piecewise-linear temporal normalisation of cardiac cycles (Perperidis et al. 2005,
  Med. Image Anal. 9:441). Volumes at the events are compared directly (the warp moves time,
  not volume); ejection and filling are compared in shape after the warp.
* **A correlated discrepancy** (Kennedy & O'Hagan 2001, J. R. Stat. Soc. B 63:425): the
  timing left after the warp (:data:`PHASE_SD`) is one error shared by neighbouring phases
  (squared-exponential correlation over :data:`PHASE_LENGTH`), not an independent error at
  each phase that a 25-frame curve would count 25 times.

What the warp gives up: the curve no longer informs the *timing* of end-systole and of the
peak filling rate (the share of the beat spent ejecting), which the model gets wrong anyway.

Examples
--------
>>> from twinviewer.imaging.curves import VolumeCurve
>>> c = VolumeCurve("LV", [0, 200, 400, 600], [120, 60, 90, 110], [3, 3, 3, 3], 800)
>>> d = calibration_data(c)
>>> d.phase.tolist(), d.volumes_ml.tolist()
([0.0, 0.25, 0.5, 0.75], [120.0, 60.0, 90.0, 110.0])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twinviewer.imaging.curves import VolumeCurve
from twinviewer.personalize.quantities import predictive_sd, predictive_z

__all__ = ["CurveData", "VolumeCurve", "calibration_data", "end_systole_phase", "events",
           "misfit", "model_curve_on", "peak_filling_phase", "warp_phase"]


@dataclass
class CurveData:
    """A volume curve as calibration data: aligned at ED, time as a fraction of R-R.

    ``phase`` in [0, 1): 0 at end-diastole; ``volumes_ml`` and ``sd_ml`` the data and their
    SD; ``rr_ms`` the measured R-R (a model at another heart rate is compared at the same
    fractions of its own cycle).
    """

    chamber: str
    phase: np.ndarray
    volumes_ml: np.ndarray
    sd_ml: np.ndarray
    rr_ms: float
    source: str

    def to_dict(self) -> dict:
        return {"chamber": self.chamber, "phase": self.phase.tolist(),
                "volumes_ml": self.volumes_ml.tolist(), "sd_ml": self.sd_ml.tolist(),
                "rr_ms": self.rr_ms, "source": self.source}


def calibration_data(curve: VolumeCurve) -> CurveData:
    """The measured curve aligned at ED (its largest volume) and scaled to its R-R.

    Examples
    --------
    >>> c = VolumeCurve("LV", [0, 200, 400, 600], [60, 120, 70, 100], [2, 2, 2, 2], 800)
    >>> d = calibration_data(c)
    >>> d.phase.tolist(), d.volumes_ml.tolist()
    ([0.0, 0.25, 0.5, 0.75], [120.0, 70.0, 100.0, 60.0])
    """
    ed = curve.ed_index
    t_ed = curve.times_ms[ed]
    phase = ((curve.times_ms - t_ed) / curve.rr_ms) % 1.0
    order = np.argsort(phase, kind="stable")
    return CurveData(curve.chamber, phase[order], curve.volumes_ml[order], curve.sd_ml[order],
                     curve.rr_ms, curve.source)


def model_curve_on(data: CurveData, t_s: np.ndarray, volume_ml: np.ndarray,
                   period_s: float, *, warp: bool = True) -> np.ndarray:
    """A model's volume over one beat sampled at the data's phases, aligned at its own ED
    and (``warp``, the default) at its own ES: a data phase φ is read from the model at
    :func:`warp_phase` (φ), so systole is compared with systole and diastole with diastole
    whatever the model's timing error (see :data:`ALIGN_AT_EVENTS`).

    Parameters
    ----------
    data : CurveData
    t_s : (m,) or (N, m) ndarray
        Sample times of the model's last beat (s), increasing.
    volume_ml : (m,) or (N, m) ndarray
        The model's chamber volume at ``t_s`` (one row per ensemble member).
    period_s : float or (N,) ndarray
        The model's beat period (s).
    warp : bool
        Align at ES too (piecewise-linear time warp); False: at ED only, phase for phase.

    Returns
    -------
    (K,) or (N, K) ndarray
        Model volume at each data phase (mL).
    """
    v = np.atleast_2d(volume_ml).astype(float)
    t = np.broadcast_to(np.atleast_2d(t_s), v.shape)
    per = np.broadcast_to(np.atleast_1d(np.asarray(period_s, float)), (len(v),))
    out = np.empty((len(v), len(data.phase)))
    ev_data = (events(data.phase, data.volumes_ml) if warp and len(ALIGN_AT_EVENTS) > 1
               else None)
    for n in range(len(v)):
        ed = int(np.argmax(v[n]))
        ph = ((t[n] - t[n, ed]) / per[n]) % 1.0
        o = np.argsort(ph)
        ph, vn = ph[o], v[n, o]
        at = data.phase
        if ev_data is not None:
            at = warp_phase(data.phase, ev_data, events(ph, vn))
        out[n] = np.interp(at, ph, vn, period=1.0)
    return out[0] if np.ndim(volume_ml) == 1 else out


#: The events both curves are aligned at (module docstring): ED (phase 0, the largest volume),
#: ES (the smallest, refined between frames) and PFR (the peak filling rate after ES, before the
#: atrial contraction; dropped when it does not follow ES in both curves). ``("ED",)``: phase
#: for phase, as before fit8b.
ALIGN_AT_EVENTS: tuple[str, ...] = ("ED", "ES", "PFR")


def _peak(x: np.ndarray, y: np.ndarray, k: int) -> float:
    """The vertex of the parabola through samples k−1, k, k+1 of a periodic (x, y) — the
    sub-sample position of a peak or trough at sample k; x[k] if it is not one."""
    n = len(y)
    if n < 3:
        return float(x[k])
    xs = np.array([x[(k - 1) % n] - (1.0 if k == 0 else 0.0), x[k],
                   x[(k + 1) % n] + (1.0 if k == n - 1 else 0.0)])
    y0, y1, y2 = y[(k - 1) % n], y[k], y[(k + 1) % n]
    d0, d2 = xs[1] - xs[0], xs[1] - xs[2]
    den = d0 * (y1 - y2) - d2 * (y1 - y0)  # the three-point parabola's vertex, closed form
    if den == 0:
        return float(x[k])
    top = xs[1] - 0.5 * (d0 ** 2 * (y1 - y2) - d2 ** 2 * (y1 - y0)) / den
    return float(np.clip(top, xs[0], xs[2]) % 1.0)


def end_systole_phase(phase: np.ndarray, volume_ml: np.ndarray) -> float:
    """End-systole of a periodic curve sampled at ``phase`` (fraction of R-R, increasing,
    0 at ED): the smallest sample refined by the parabola through it and its two neighbours
    (a 25-frame curve's smallest frame is up to half a frame, 0.02 R-R, off the true ES).

    Examples
    --------
    >>> ph = np.arange(25) / 25
    >>> v = 120 - 50 * np.sin(np.pi * np.clip(ph / 0.37, 0, 1))  # true ES at 0.185
    >>> round(end_systole_phase(ph, v), 3)
    0.185
    """
    ph = np.asarray(phase, float)
    v = np.asarray(volume_ml, float)
    return _peak(ph, v, int(np.argmin(v)))


def peak_filling_phase(phase: np.ndarray, volume_ml: np.ndarray, es: float) -> float:
    """The phase of the peak filling rate (largest dV/dt after ``es``, before the last
    :data:`LATE_FILLING` of the beat, which is the atrial contraction), refined by a parabola.

    Examples
    --------
    >>> ph = np.arange(50) / 50
    >>> v = 50 + 60 / (1 + np.exp(-(ph - 0.523) / 0.04))  # filling fastest at 0.523
    >>> round(peak_filling_phase(ph, v, 0.35), 3)
    0.523
    """
    ph = np.asarray(phase, float)
    v = np.asarray(volume_ml, float)
    # periodic central difference (slices, not np.roll: this runs per member and per step)
    step = (np.concatenate((ph[1:], ph[:1])) - np.concatenate((ph[-1:], ph[:-1]))) % 1.0
    rate = ((np.concatenate((v[1:], v[:1])) - np.concatenate((v[-1:], v[:-1])))
            / np.where(step > 0, step, np.inf))
    window = (ph > es) & (ph < 1.0 - LATE_FILLING)
    if not window.any():
        return float("nan")
    k = int(np.flatnonzero(window)[np.argmax(rate[window])])
    return _peak(ph, rate, k)


def events(phase: np.ndarray, volume_ml: np.ndarray) -> np.ndarray:
    """The curve's events of :data:`ALIGN_AT_EVENTS` after ED (phase 0), as phases."""
    es = end_systole_phase(phase, volume_ml)
    if "PFR" not in ALIGN_AT_EVENTS:
        return np.array([es])
    return np.array([es, peak_filling_phase(phase, volume_ml, es)])


def warp_phase(phase: np.ndarray, at_data: np.ndarray, at_model: np.ndarray) -> np.ndarray:
    """The model's phase at which to read each data ``phase``: ED → ED and each data event
    ``at_data`` → the model's ``at_model``, linear in between (systole onto systole,
    diastole onto diastole). Events that are not increasing inside (0, 1) in both curves
    are dropped from the last (the warp then uses fewer events, or none).

    Examples
    --------
    >>> warp_phase(np.array([0.0, 0.2, 0.35, 0.6, 0.9]), [0.35], [0.42]).round(3).tolist()
    [0.0, 0.24, 0.42, 0.643, 0.911]
    """
    phi = np.asarray(phase, float)
    d, m = np.asarray(at_data, float), np.asarray(at_model, float)
    while len(d):
        kd, km = np.concatenate(([0.0], d, [1.0])), np.concatenate(([0.0], m, [1.0]))
        if (kd[1:] > kd[:-1]).all() and (km[1:] > km[:-1]).all():
            return np.interp(phi, kd, km)
        d, m = d[:-1], m[:-1]
    return phi


def misfit(data: CurveData, model_ml: np.ndarray, model_sd_ml: float = 5.0) -> np.ndarray:
    """Whitened residuals ``(model − data) / √(sd² + model_sd²)`` per data phase."""
    return (np.asarray(model_ml) - data.volumes_ml) / np.sqrt(data.sd_ml ** 2
                                                                + model_sd_ml ** 2)


# Parameters a volume curve informs: LV contractility, stiffness, unstressed volume, the
# durations of contraction and relaxation, and the stressed blood volume (filling).
DEFAULT_FREE = ("LV.EA", "LV.EB", "LV.V0", "LV.TC", "LV.TR", "V_total")
PRIOR_SD_LOG = 0.5  # weak prior on each free parameter: its log may move ~±50 %


@dataclass
class CurveFit:
    """A model fitted to a measured volume curve.

    ``before``/``after`` are the model's volumes at the data phases (mL) with the starting
    and the fitted parameters; ``sd`` the 1-SD (Gauss-Newton) uncertainty of each fitted
    parameter, in its unit; ``rms_z`` the RMS whitened residual after the fit.
    """

    data: CurveData
    names: tuple[str, ...]
    start: np.ndarray
    fitted: np.ndarray
    sd: np.ndarray
    params: np.ndarray
    before: np.ndarray
    after: np.ndarray
    rms_z_before: float
    rms_z: float
    heart_rate_bpm: float

    def table(self) -> list[tuple[str, float, float, float]]:
        """``(name, start, fitted, sd)`` per free parameter."""
        return [(n, float(a), float(b), float(s)) for n, a, b, s in
                zip(self.names, self.start, self.fitted, self.sd, strict=True)]


def fit_volume_curve(model, params: np.ndarray, data: CurveData,
                     free: tuple[str, ...] = DEFAULT_FREE, *, max_nfev: int = 20,
                     model_sd_ml: float = 5.0) -> CurveFit:
    """Fit the model's chamber volume over the beat to the measured curve.

    The heart rate is set to the measured R-R (``60000 / rr_ms``); the free parameters are
    fitted in log space by :func:`scipy.optimize.least_squares` on the whitened residuals of
    :func:`misfit` plus a weak prior (:data:`PRIOR_SD_LOG`) towards the start. Each
    Jacobian is one ensemble simulation (one member per parameter).

    Parameters
    ----------
    model : ModelSpec
    params : (P,) ndarray
        Starting parameters (the twin's).
    data : CurveData
        From :func:`calibration_data`.
    free : tuple of str
        Parameters to fit.

    Returns
    -------
    CurveFit

    Raises
    ------
    ValueError
        A free parameter the model does not have, or a simulation failing at the start.
    """
    from scipy.optimize import least_squares

    from twinviewer.physiology import simulate

    series = {"LV": "V_LV", "RV": "V_RV"}[data.chamber]
    x0 = np.asarray(params, float).copy()
    hr = 60000.0 / data.rr_ms
    x0[model.index(model.heart_rate_parameter)] = hr
    idx = [model.index(n) for n in free]
    z0 = np.log(x0[idx])

    def run(Z: np.ndarray) -> np.ndarray:
        P = np.tile(x0, (len(Z), 1))
        P[:, idx] = np.exp(Z)
        res = simulate(model, P)
        period = 60.0 / res.params[:, model.index(model.heart_rate_parameter)]
        out = model_curve_on(data, res.time, res.series[series], period)
        out[~res.ok] = np.nan
        return out

    def resid_of(v: np.ndarray, z: np.ndarray) -> np.ndarray:
        return np.r_[misfit(data, v, model_sd_ml), (z - z0) / PRIOR_SD_LOG]

    cache: dict[bytes, np.ndarray] = {}

    def fun(z: np.ndarray) -> np.ndarray:
        k = z.tobytes()
        if k not in cache:
            cache[k] = run(z[None])[0]
        v = cache[k]
        if not np.all(np.isfinite(v)):
            return np.full(len(data.phase) + len(z), 1e3)
        return resid_of(v, z)

    def jac(z: np.ndarray) -> np.ndarray:
        h = 1e-3
        Z = np.vstack([z, z + h * np.eye(len(z))])
        V = run(Z)
        r0 = resid_of(V[0], z)
        J = np.empty((len(r0), len(z)))
        for i in range(len(z)):
            J[:, i] = (resid_of(V[i + 1], Z[i + 1]) - r0) / h
        return np.nan_to_num(J)

    before = run(z0[None])[0]
    if not np.all(np.isfinite(before)):
        raise ValueError("the model does not reach a periodic beat at the starting parameters")
    sol = least_squares(fun, z0, jac=jac, method="trf", max_nfev=max_nfev, x_scale=1.0)
    after = run(sol.x[None])[0]
    J = jac(sol.x)
    try:
        cov = np.linalg.inv(J.T @ J)
        sd_log = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        sd_log = np.full(len(idx), np.nan)
    fitted = np.exp(sol.x)
    P = x0.copy()
    P[idx] = fitted
    z_b = misfit(data, before, model_sd_ml)
    z_a = misfit(data, after, model_sd_ml)
    return CurveFit(data, tuple(free), x0[idx], fitted, fitted * sd_log, P, before, after,
                    float(np.sqrt(np.mean(z_b ** 2))), float(np.sqrt(np.mean(z_a ** 2))), hr)


# -- the whole curve as an observation of the posterior calibration ---------------------------

#: Share of each phase's segmentation variance that is one boundary bias common to every phase
#: (the same contouring rule or mesh-fit offset at every phase); the rest is per-phase noise.
SEG_CORRELATION = 0.5
#: Model error of a volume at one phase: ``max(floor mL, rel · V)``, and the share of it common
#: to every phase. Chosen by a cross-model check (:mod:`~twinviewer.personalize.curve_check`,
#: ``regazzoni2022`` patients, training seed 11, never the test seed): 5 %/correlated 0.5 gave
#: a band covering the true V(t) at 28 % (LV) and 0 % (RV) of frames; 8 %/independent, with
#: the Birge-ratio widening of :func:`summarise`, 95 % / 81 %.
MODEL_ERROR = (5.0, 0.08)
MODEL_CORRELATION = 0.0
#: SD of the phase alignment (fraction of R-R): trigger jitter, ED taken at the largest
#: sampled volume (half a frame of 1/25 R-R) and the model's own timing error left after the
#: warp at events (the model's ejection starts 34 ms late against Weissler's 103 ms, 0.04 of
#: a 70-bpm beat, and the warp does not move the onset of ejection).
PHASE_SD = 0.04
#: Correlation length of that timing error (fraction of R-R, squared-exponential, periodic):
#: a timing error is shared within one phase of the Wiggers cycle (isovolumic contraction
#: ≈ 50 ms, rapid ejection ≈ 100–150 ms, isovolumic relaxation ≈ 80 ms, rapid filling
#: ≈ 150 ms, atrial systole ≈ 100 ms: 0.06–0.18 of a 70-bpm beat) and independent between
#: them; ℓ = 0.1 R-R (86 ms at 70 bpm) — correlation 0.92 between neighbouring frames of a
#: 25-frame curve, 0.5 at 0.12 R-R, 0.14 at 0.2. None: independent per phase (before fit8b).
PHASE_LENGTH: float | None = 0.1
SERIES = {"LV": "V_LV", "RV": "V_RV"}


@dataclass
class CurveObservation:
    """A measured volume curve as one block of data of the ensemble Kalman inversion.

    The K phases are not K independent measurements: their errors share a boundary bias and
    the model's systematic error. The block's covariance (see :func:`curve_covariance`) is

        Γ = ρ_s s sᵀ + (1 − ρ_s) diag(s²) + ρ_m m mᵀ + (1 − ρ_m) diag(m²) + (a aᵀ) ∘ K_ℓ

    with ``s`` the per-phase segmentation SD, ``m`` the per-phase model error, ``a = σ_φ V′``
    the timing error (signed slope of the curve × :data:`PHASE_SD`) and K_ℓ its periodic
    squared-exponential correlation over :data:`PHASE_LENGTH` (the model's curve is read
    after the warp at events of :func:`model_curve_on`). The calibration sees
    the whitened residual ``L⁻¹(V_model − V_measured)`` with ``Γ = L Lᵀ`` (unit variance,
    independent): exact for Gaussian errors and keeps every phase, rather than a reduced set
    of features (EDV, ESV, PER, PFR) that would drop when ejection and filling happen.

    Why correlated, and how much: with independent phases a 25-phase curve would count as 25
    independent volume measurements and shrink the posterior √25-fold for a boundary bias no
    extra phase averages out; the shared bias (ρ_s = :data:`SEG_CORRELATION`) keeps the
    curve's *level* known about as well as one EDV. The model error is taken independent
    between phases (ρ_m = :data:`MODEL_CORRELATION`): a strongly correlated Γ makes the
    whitened *shape* components (differences between phases) very precise, and when the
    model's shape differs structurally (another model's activation), the linear Kalman update
    then chases the shape and leaves the level off (cross-model check: V(t) band coverage
    28 % / 0 % for LV / RV with ρ_s = 0.8, ρ_m = 0.5, against 95 % / 81 % with the values used).

    Examples
    --------
    >>> c = VolumeCurve("LV", [0, 200, 400, 600], [120, 60, 90, 110], [3, 3, 3, 3], 800)
    >>> ob = observation(calibration_data(c))
    >>> ob.cov.shape, bool(np.all(np.linalg.eigvalsh(ob.cov) > 0))
    ((4, 4), True)
    """

    data: CurveData
    cov: np.ndarray
    model_sd: np.ndarray
    chol: np.ndarray
    #: the timing error ``σ_φ V′`` at each phase (mL, signed), :func:`curve_covariance`'s ``a``
    phase_sd: np.ndarray

    @property
    def name(self) -> str:
        return f"{self.data.chamber} volume curve"

    @property
    def size(self) -> int:
        return len(self.data.phase)

    @property
    def total_sd(self) -> np.ndarray:
        """Marginal SD of each phase (segmentation ⊕ model ⊕ alignment), mL."""
        return np.sqrt(np.diag(self.cov))

    def model_volumes(self, results) -> np.ndarray:
        """(N, K) each member's chamber volume at the data phases (NaN for failed members)."""
        hr = results.params[:, results.model.index(results.model.heart_rate_parameter)]
        v = model_curve_on(self.data, results.time, results.series[SERIES[self.data.chamber]],
                           60.0 / hr)
        return np.where(results.ok[:, None], v, np.nan)

    def whiten(self, volumes: np.ndarray) -> np.ndarray:
        """``L⁻¹ v`` for each row of ``volumes`` (N, K); a failed member's row (NaN, from
        :meth:`model_volumes`) stays NaN and is left out as for any other observable.

        Examples
        --------
        >>> o = CurveObservation.__new__(CurveObservation)
        >>> o.chol = np.diag([2.0, 4.0])
        >>> o.whiten(np.array([[2.0, 8.0], [np.nan, np.nan]])).tolist()
        [[1.0, 2.0], [nan, nan]]
        """
        from scipy.linalg import solve_triangular

        # each member is its own column: check_finite=False keeps a NaN column to itself
        return solve_triangular(self.chol, np.atleast_2d(volumes).T, lower=True,
                                check_finite=False).T

    @property
    def y(self) -> np.ndarray:
        """The whitened data ``L⁻¹ y``."""
        return self.whiten(self.data.volumes_ml)[0]


def curve_covariance(data: CurveData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Γ, m, a)``: the curve's error covariance (mL²), the per-phase model-error SD and
    the timing error ``a = σ_φ V′`` (mL, signed: its sign says which way a late model moves
    the volume there; see :class:`CurveObservation`).

    Examples
    --------
    >>> c = VolumeCurve("LV", [0, 200, 400, 600], [120, 60, 90, 110], [3, 3, 3, 3], 800)
    >>> cov, m, a = curve_covariance(calibration_data(c))
    >>> m.tolist()
    [9.6, 5.0, 7.2, 8.8]
    """
    s = np.asarray(data.sd_ml, float)
    v = np.asarray(data.volumes_ml, float)
    m = np.maximum(MODEL_ERROR[0], MODEL_ERROR[1] * np.abs(v))
    ph = np.asarray(data.phase, float)
    # slope dV/dφ by a periodic central difference over the (unequal) phase steps
    nxt, prv = np.roll(ph, -1), np.roll(ph, 1)
    step = (nxt - prv) % 1.0
    step = np.where(step > 0, step, 1.0)
    slope = (np.roll(v, -1) - np.roll(v, 1)) / step
    t = PHASE_SD * slope
    cov = (SEG_CORRELATION * np.outer(s, s) + (1 - SEG_CORRELATION) * np.diag(s ** 2)
           + _model_cov(m, t, ph))
    return cov, m, t


def _model_cov(m: np.ndarray, t: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Covariance of the model's error at the phases: volume error ⊕ timing error, the
    latter ``t tᵀ ∘ K`` with ``t = σ_φ V′`` (signed) and K the periodic squared-exponential
    correlation of the timing error over :data:`PHASE_LENGTH` (diagonal if None)."""
    if PHASE_LENGTH is None:
        k = np.eye(len(t))
    else:
        d = np.abs(phase[:, None] - phase[None, :])
        d = np.minimum(d, 1.0 - d)
        k = np.exp(-0.5 * (d / PHASE_LENGTH) ** 2)
    return (MODEL_CORRELATION * np.outer(m, m) + (1 - MODEL_CORRELATION) * np.diag(m ** 2)
            + np.outer(t, t) * k)


def observation(data: CurveData) -> CurveObservation:
    """The curve as a whitened data block (see :class:`CurveObservation`)."""
    cov, m, a = curve_covariance(data)
    return CurveObservation(data, cov, m, np.linalg.cholesky(cov), a)


@dataclass
class CurveFitSummary:
    """How the posterior twin's V(t) fits a measured curve, phase by phase.

    ``median``/``lo``/``hi``: the posterior ensemble's volume at each data phase (median and
    90 % interval); ``pred_lo``/``pred_hi``: the posterior predictive 90 % band of the true
    curve (ensemble ⊕ the model's volume and phase error, no measurement error), widened by
    the Birge ratio √max(1, χ²) when the curve is fitted worse than its stated errors allow
    (a patient the model describes less well than assumed); ``z``: each phase's
    :func:`~twinviewer.personalize.quantities.predictive_z`
    ((measured − median) / √(σ_seg² + σ_model+phase² + s²)); ``chi2``: the
    whitened misfit ‖L⁻¹r‖² / K of the median curve (≈ 1 or less for a fit consistent with
    the stated errors).
    """

    chamber: str
    phase: np.ndarray
    measured: np.ndarray
    sd: np.ndarray
    total_sd: np.ndarray
    median: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    pred_lo: np.ndarray
    pred_hi: np.ndarray
    z: np.ndarray
    chi2: float
    rr_ms: float
    source: str
    #: 90 % posterior predictive interval of a *measured* point (ensemble ⊕ model and phase
    #: error ⊕ the segmentation's error, Birge-widened as ``pred_lo``/``pred_hi``): the
    #: interval ``z`` is judged against; None in summaries written before it existed
    meas_lo: np.ndarray | None = field(default=None)
    meas_hi: np.ndarray | None = field(default=None)

    @property
    def rms_z(self) -> float:
        return float(np.sqrt(np.mean(self.z ** 2)))

    @property
    def n_missed(self) -> int:
        """Phases the posterior predictive misses by |z| > 2."""
        return int(np.sum(np.abs(self.z) > 2.0))

    @property
    def covered(self) -> float:
        """Fraction of measured phases inside the predictive band widened by the
        measurement SD (a measured point, not the truth)."""
        pad = self.sd * 1.645
        return float(np.mean((self.measured >= self.pred_lo - pad)
                             & (self.measured <= self.pred_hi + pad)))

    @property
    def flag(self) -> bool:
        """Missed: more than a fifth of the phases by |z| > 2, or the whitened misfit of the
        median curve above 4 per phase."""
        return self.n_missed > 0.2 * len(self.z) or self.chi2 > 4.0

    def text(self) -> str:
        """'LV volume curve (25 phases, biv-me mesh): RMS z 0.62, worst phase 0.36 R-R
        z +1.9, 0 of 25 phases missed by |z| > 2'."""
        w = int(np.argmax(np.abs(self.z)))
        return (f"{self.chamber} volume curve ({len(self.z)} phases, {self.source}): RMS z "
                f"{self.rms_z:.2f}, whitened misfit {self.chi2:.2f} per phase, worst phase "
                f"{self.phase[w]:.2f} R-R (measured {self.measured[w]:.0f} mL, twin "
                f"{self.median[w]:.0f} mL, z {self.z[w]:+.1f}), {self.n_missed} of "
                f"{len(self.z)} phases missed by |z| > 2")

    def ed_es_text(self) -> str:
        """The curve's end-diastole and end-systole (largest and smallest measured volume)
        against the twin, e.g. 'ED 179 vs twin 156 mL (z −1.0), ES 72 vs twin 75 mL (z +0.2)'."""
        parts = []
        for tag, k in (("ED", int(np.argmax(self.measured))),
                       ("ES", int(np.argmin(self.measured)))):
            parts.append(f"{tag} {self.measured[k]:.0f} vs twin {self.median[k]:.0f} mL "
                         f"(z {self.z[k]:+.1f})")
        return ", ".join(parts)

    def late_filling(self) -> tuple[float, float]:
        """``(measured, twin)``: the volume gained over the last :data:`LATE_FILLING` of the
        R-R before end-diastole (the atrial contraction), mL; twin = the posterior median.

        >>> ph = np.linspace(0, 0.96, 25)
        >>> v = np.interp(ph, [0, 0.4, 0.7, 0.88, 1], [180, 72, 150, 150, 180])
        >>> s = CurveFitSummary("LV", ph, v, v * 0 + 8, v * 0 + 15, v - 20, v - 30, v - 10,
        ...                     v - 45, v + 5, v * 0 - 1, 0.4, 860.0, "mesh")
        >>> [round(x) for x in s.late_filling()]
        [30, 30]
        """
        def gain(v: np.ndarray) -> float:
            before = np.interp(1.0 - LATE_FILLING, self.phase, v, period=1.0)
            return float(np.interp(0.0, self.phase, v, period=1.0) - before)

        return gain(self.measured), gain(self.median)

    def gaps(self) -> list[CurveGap]:
        """Runs of consecutive phases (periodic) where the measured volume lies outside the
        twin's own 90 % interval (``lo``–``hi``), each with its worst phase: which curve
        points the twin misses and by how much (``z`` says whether the predictive interval
        still covers them)."""
        out_ = (self.measured < self.lo) | (self.measured > self.hi)
        k_n = len(out_)
        if not out_.any():
            return []
        if out_.all():
            runs = [list(range(k_n))]
        else:
            start = int(np.flatnonzero(~out_)[0])  # begin the scan on a covered phase
            runs, cur = [], []
            for j in range(1, k_n + 1):
                k = (start + j) % k_n
                if out_[k]:
                    cur.append(k)
                elif cur:
                    runs.append(cur)
                    cur = []
            if cur:
                runs.append(cur)
        es = int(np.argmin(self.measured))
        gaps = []
        for run in runs:
            w = max(run, key=lambda k: abs(self.median[k] - self.measured[k]))
            gaps.append(CurveGap(self.chamber, float(self.phase[run[0]]),
                                 float(self.phase[run[-1]]), len(run), _part(run, es),
                                 float(self.phase[w]), float(self.measured[w]),
                                 float(self.sd[w]), float(self.median[w]),
                                 float(self.lo[w]), float(self.hi[w]), float(self.z[w])))
        return sorted(gaps, key=lambda g: -abs(g.difference))

    def gaps_text(self) -> str:
        """'twin outside … at …' for every gap, and the late-diastolic filling when the
        gap holds end-diastole; '' without gaps."""
        gaps = self.gaps()
        if not gaps:
            return ""
        text = "; ".join(g.text() for g in gaps)
        if any("end-diastole" in g.part for g in gaps):
            m, t = self.late_filling()
            text += (f" (filling in the last {LATE_FILLING:.0%} of the R-R before ED, the "
                     f"atrial contraction: curve {m:+.0f} mL, twin {t:+.0f} mL)")
        return text

    def audit(self) -> dict:
        """Numbers only (no free text that could carry an identifier): for audit trails."""
        return {"chamber": self.chamber, "phases": len(self.z),
                "rms_z": round(self.rms_z, 3), "chi2_per_phase": round(self.chi2, 3),
                "missed_phases": self.n_missed}

    def to_dict(self) -> dict:
        return {"chamber": self.chamber, "rr_ms": self.rr_ms, "source": self.source,
                "phases": len(self.z), "rms_z": self.rms_z, "chi2_per_phase": self.chi2,
                "max_abs_z": float(np.max(np.abs(self.z))), "missed_phases": self.n_missed,
                "flag": self.flag,
                "late_filling_ml": dict(zip(("measured", "twin"), self.late_filling(),
                                            strict=True)),
                "gaps": [g.__dict__ | {"text": g.text()} for g in self.gaps()],
                "per_phase": {k: getattr(self, k).tolist() for k in
                              ("phase", "measured", "sd", "total_sd", "median", "lo", "hi",
                               "pred_lo", "pred_hi", "z", "meas_lo", "meas_hi")
                              if getattr(self, k) is not None}}

    @classmethod
    def from_dict(cls, d: dict) -> CurveFitSummary:
        """The summary back from :meth:`to_dict` (a saved calibration)."""
        pp = {k: np.asarray(v, dtype=float) for k, v in d["per_phase"].items()}
        return cls(d["chamber"], pp["phase"], pp["measured"], pp["sd"], pp["total_sd"],
                   pp["median"], pp["lo"], pp["hi"], pp["pred_lo"], pp["pred_hi"], pp["z"],
                   float(d.get("chi2_per_phase", np.nan)), float(d.get("rr_ms", np.nan)),
                   str(d.get("source", "")), pp.get("meas_lo"), pp.get("meas_hi"))


#: Share of the R-R before end-diastole over which :meth:`CurveFitSummary.late_filling`
#: measures the late-diastolic (atrial) filling: atrial systole lasts ≈ 80–120 ms, about
#: 0.12 of a 70-bpm beat.
LATE_FILLING = 0.12


def _part(run: list[int], es: int) -> str:
    """The parts of the beat a run of phase indices covers, in its order (phase 0 = ED,
    ``es`` = ES), e.g. 'filling, end-diastole, ejection'."""
    parts: list[str] = []
    for k in run:
        p = ("end-diastole" if k == 0 else "ejection" if k < es else
             "end-systole" if k == es else "filling")
        if p not in parts:
            parts.append(p)
    return ", ".join(parts)


@dataclass(frozen=True)
class CurveGap:
    """A run of phases where the measured curve lies outside the twin's 90 % interval;
    the worst phase's numbers (mL) and z (against the predictive interval)."""

    chamber: str
    start: float
    end: float
    phases: int
    part: str
    worst_phase: float
    measured: float
    sd: float
    twin: float
    lo: float
    hi: float
    z: float

    @property
    def sigma(self) -> float:
        """The SD ``z`` divides by (mL): the twin's spread ⊕ the model's volume and phase
        error ⊕ the segmentation's (:func:`~twinviewer.personalize.quantities.predictive_z`),
        wider than ``lo``–``hi`` (the ensemble alone), so printed beside ``z`` (newuser17b G4).

        >>> CurveGap("LV", .52, .76, 7, "filling", .64, 136., 7., 107., 93., 120., 1.4).sigma
        20.714285714285715
        """
        return abs(self.measured - self.twin) / abs(self.z) if self.z else float("nan")

    def z_text(self) -> str:
        """'z +1.4 over σ 21 mL incl. model error': z with the SD it is judged against."""
        if not np.isfinite(self.sigma):
            return f"z {self.z:+.1f}"
        return f"z {self.z:+.1f} over σ {self.sigma:.0f} mL incl. model error"

    @property
    def difference(self) -> float:
        """Twin median − measured at the worst phase (mL)."""
        return self.twin - self.measured

    def text(self) -> str:
        """'LV 0.92–0.08 R-R (end-diastole): twin 22 mL below the curve at 0.00 R-R
        (measured 179 ± 8, twin 157 (142–170) mL, z −1.2 over σ 18 mL incl. model error)'."""
        side = "below" if self.difference < 0 else "above"
        return (f"{self.chamber} {self.start:.2f}–{self.end:.2f} R-R ({self.part}, "
                f"{self.phases} phase{'s' if self.phases != 1 else ''}): twin "
                f"{abs(self.difference):.0f} mL {side} the curve at {self.worst_phase:.2f} R-R "
                f"(measured {self.measured:.0f} ± {self.sd:.0f}, twin {self.twin:.0f} "
                f"({self.lo:.0f}–{self.hi:.0f}) mL, {self.z_text()})")


def summarise(ob: CurveObservation, volumes: np.ndarray, *, draws: int = 16,
              seed: int = 0) -> CurveFitSummary:
    """The fit of the posterior ensemble's ``volumes`` (N, K) to the observation ``ob``."""
    v = np.asarray(volumes, float)
    v = v[np.all(np.isfinite(v), axis=1)]
    d = ob.data
    med = np.median(v, axis=0)
    lo, hi = np.quantile(v, [0.05, 0.95], axis=0)
    rng = np.random.default_rng(seed)
    # predictive band of the true curve: members ⊕ model error (volume and phase), no
    # measurement error
    m = ob.model_sd
    mc = _model_cov(m, ob.phase_sd, d.phase)
    e = rng.multivariate_normal(np.zeros(len(m)), mc, size=(len(v), draws))
    pv = (v[:, None, :] + e).reshape(-1, len(m))
    # each phase judged by the one rule (quantities.predictive_z): σ_meas the segmentation's
    # SD there, σ_pred the model's volume and phase error ⊕ the ensemble's spread. A phase is
    # one of K correlated data the fit weighs together (whitened), so its spread is not
    # produced by fitting that phase alone: judged on σ alone, as a scalar datum of the fit
    # is, the model's own patients had 6 of 25 RV phases "missed" (fix6). A scalar EDV or
    # ESV counted once through this curve takes its point's z (calibrate._curve_point).
    sd_pred = predictive_sd(v, np.sqrt(np.diag(mc)), fitted=False)
    sd_meas = np.sqrt(np.maximum(np.diag(ob.cov) - np.diag(mc), 0.0))
    z = predictive_z(d.volumes_ml, med, sd_meas, sd_pred)
    r = ob.whiten(med - d.volumes_ml)[0]
    chi2 = float(np.mean(r ** 2))
    # Birge ratio: residuals larger than the stated errors mean the errors (here: the
    # model's, for a patient unlike the model) were understated; widen by √(χ²/K)
    inflate = np.sqrt(max(1.0, chi2))
    plo, phi = med + inflate * (np.quantile(pv, [0.05, 0.95], axis=0) - med)
    # the same for a measured point: add the segmentation's error (shared bias and noise)
    seg = ob.cov - mc
    em = rng.multivariate_normal(np.zeros(len(m)), seg, size=(len(v), draws))
    mlo, mhi = med + inflate * (np.quantile(pv + em.reshape(-1, len(m)), [0.05, 0.95], axis=0)
                                - med)
    return CurveFitSummary(d.chamber, d.phase, d.volumes_ml, d.sd_ml, ob.total_sd, med, lo, hi,
                           plo, phi, z, chi2, d.rr_ms, d.source, mlo, mhi)


def curves_of(anatomy) -> list[CurveData]:
    """The anatomy's timed LV and RV curves (≥ 3 phases) as calibration data."""
    from twinviewer.imaging.curves import volume_curve

    out = []
    if anatomy is None:
        return out
    for chamber in SERIES:
        c = volume_curve(anatomy, chamber)
        if c is not None and np.isfinite(c.rr_ms):
            out.append(calibration_data(c))
    return out


def synthetic_curve(results, i: int, chamber: str, rng: np.random.Generator, *,
                    n_phases: int = 25, rel_sd: float = 0.04,
                    source: str = "synthetic segmentation") -> tuple[VolumeCurve, np.ndarray]:
    """A segmented curve of simulated member ``i``: ``n_phases`` equally spaced frames from
    the start of its beat, each with SD ``rel_sd · V`` split as the curve's errors are
    assumed to be (:data:`SEG_CORRELATION` common bias, the rest per frame). Returns the noisy
    :class:`VolumeCurve` and the true volumes at its frames (mL).

    Examples
    --------
    >>> from twinviewer.twins import simulate_twin, twin_from_preset
    >>> res = simulate_twin(twin_from_preset("healthy", n=1))
    >>> c, truth = synthetic_curve(res, 0, "LV", np.random.default_rng(0))
    >>> len(c.volumes_ml), bool(abs(c.volumes_ml - truth).max() < 0.3 * truth.max())
    (25, True)
    """
    hr = results.params[i, results.model.index(results.model.heart_rate_parameter)]
    rr_ms = 60000.0 / hr
    t = np.asarray(results.time[i], float) * 1000.0
    v = np.asarray(results.series[SERIES[chamber]][i], float)
    frames = np.arange(n_phases) * rr_ms / n_phases
    truth = np.interp(frames, t - t[0], v, period=rr_ms)
    sd = rel_sd * truth
    noise = sd * (np.sqrt(SEG_CORRELATION) * rng.standard_normal()
                  + np.sqrt(1 - SEG_CORRELATION) * rng.standard_normal(n_phases))
    return VolumeCurve(chamber, frames, truth + noise, sd, rr_ms, source), truth


def entered_ends(measurements, chamber: str, curve_source: str) -> dict:
    """The EDV/ESV of ``chamber`` among ``measurements`` that come from another source than
    the images' curve (``curve_source``): ``{'EDV': Measurement, ...}``, the last of each.

    Such a value replaces the curve's own ED/ES volume everywhere: in the calibration (which
    then leaves the curve out, see ``personalize.calibrate``) and in the plots' "measured"
    marks (review16 #1: the PV plot kept the images' 179 mL beside an entered 118 mL).

    Examples
    --------
    >>> from twinviewer.core.measurement import Measurement as M
    >>> ms = [M("LVEDV", 179, "mL", 8, "biv-me fitted mesh, 25-phase volume curve"),
    ...       M("LVEDV", 118, "mL", 8, "CT segmentation")]
    >>> {k: m.value for k, m in entered_ends(ms, "LV", "biv-me fitted mesh").items()}
    {'EDV': 118}
    """
    src = (curve_source or "").strip().lower()
    out = {}
    for m in measurements or ():
        if m.name in (f"{chamber}EDV", f"{chamber}ESV") and not (
                src and (m.source or "").strip().lower().startswith(src)):
            out[m.name[len(chamber):]] = m
    return out

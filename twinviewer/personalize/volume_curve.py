"""A measured volume curve as calibration data: a twin fitted to the patient's own V(t).

:func:`calibration_data` aligns the measured curve (:class:`~twinviewer.imaging.curves.VolumeCurve`)
at end-diastole (phase 0 = its largest volume) and expresses time as a fraction of the measured
R-R interval; :func:`model_curve_on` samples a model's V(t) at the same fractions of its own
beat, aligned at its own ED, so a model at another heart rate is compared phase for phase;
:func:`misfit` gives the whitened residuals a least-squares or Kalman calibration minimises.

Examples
--------
>>> from twinviewer.imaging.curves import VolumeCurve
>>> c = VolumeCurve("LV", [0, 200, 400, 600], [120, 60, 90, 110], [3, 3, 3, 3], 800)
>>> d = calibration_data(c)
>>> d.phase.tolist(), d.volumes_ml.tolist()
([0.0, 0.25, 0.5, 0.75], [120.0, 60.0, 90.0, 110.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinviewer.imaging.curves import VolumeCurve

__all__ = ["CurveData", "VolumeCurve", "calibration_data", "misfit", "model_curve_on"]


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
                   period_s: float) -> np.ndarray:
    """A model's volume over one beat sampled at the data's phases, aligned at its own ED.

    Parameters
    ----------
    data : CurveData
    t_s : (m,) or (N, m) ndarray
        Sample times of the model's last beat (s), increasing.
    volume_ml : (m,) or (N, m) ndarray
        The model's chamber volume at ``t_s`` (one row per ensemble member).
    period_s : float or (N,) ndarray
        The model's beat period (s).

    Returns
    -------
    (K,) or (N, K) ndarray
        Model volume at each data phase (mL).
    """
    v = np.atleast_2d(volume_ml).astype(float)
    t = np.broadcast_to(np.atleast_2d(t_s), v.shape)
    per = np.broadcast_to(np.atleast_1d(np.asarray(period_s, float)), (len(v),))
    out = np.empty((len(v), len(data.phase)))
    for n in range(len(v)):
        ed = int(np.argmax(v[n]))
        ph = ((t[n] - t[n, ed]) / per[n]) % 1.0
        o = np.argsort(ph)
        out[n] = np.interp(data.phase, ph[o], v[n, o], period=1.0)
    return out[0] if np.ndim(volume_ml) == 1 else out


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

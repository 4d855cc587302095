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

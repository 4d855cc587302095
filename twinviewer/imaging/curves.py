"""Measured ventricular volume curves and the clinical measurements that follow from them.

A :class:`VolumeCurve` is one chamber's volume (mL ± 1 SD) at each phase of the measured
cycle, from per-phase segmentations or meshes (:func:`volume_curve`). From it follow, as
:class:`~twinviewer.core.measurement.Measurement` with their source: EDV (largest volume),
ESV (smallest), SV, EF, peak ejection rate (PER, the steepest fall) and peak filling rate
(PFR, the steepest rise), with first-order uncertainty.

:mod:`twinviewer.personalize.volume_curve` turns a curve into calibration data.

Uncertainty
-----------
Label-derived volumes carry their partial-volume SD (:mod:`twinviewer.imaging.measure`).
Imported meshes carry none; they are given ``MESH_SD_MM`` (a typical model-to-contour
offset of fitted ventricular meshes, an assumption) over their surface, fully correlated:
``σ_V = area × MESH_SD_MM``. Volume errors are taken as correlated over the cycle (one
boundary bias shifts every phase), so a rate's SD has two terms: the bias term
``(σ_{i+1} − σ_{i−1}) / Δt`` and the sampling term, half the difference between the forward and
backward differences (how much the curve bends between phases).

Examples
--------
>>> import numpy as np
>>> t = np.arange(20) * 40.0
>>> v = 120 - 50 * np.sin(np.pi * np.clip(t / 350, 0, 1)) ** 2
>>> c = VolumeCurve("LV", t, v, np.full(20, 3.0), 800.0)
>>> [m.name for m in curve_measurements(c)][:4]
['LVEDV', 'LVESV', 'LVSV', 'LVEF']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.measurement import Measurement

MESH_SD_MM = 0.5
CHAMBERS = {"LV": "lv_blood", "RV": "rv_blood"}


@dataclass
class VolumeCurve:
    """One chamber's measured volume over the cycle.

    Parameters
    ----------
    chamber
        ``'LV'`` or ``'RV'``.
    times_ms
        Time of each phase after the R wave (ms), increasing.
    volumes_ml, sd_ml
        Volume and its 1-SD uncertainty (mL) per phase.
    rr_ms
        R-R interval the phases cover (ms).
    source
        Where the volumes come from (e.g. ``'cine MR segmentation'``).
    """

    chamber: str
    times_ms: np.ndarray
    volumes_ml: np.ndarray
    sd_ml: np.ndarray
    rr_ms: float
    source: str = "image segmentation"

    def __post_init__(self) -> None:
        self.times_ms = np.asarray(self.times_ms, float)
        self.volumes_ml = np.asarray(self.volumes_ml, float)
        self.sd_ml = np.asarray(self.sd_ml, float)
        n = len(self.times_ms)
        if len(self.volumes_ml) != n or len(self.sd_ml) != n:
            raise ValueError(f"{self.chamber} volume curve: {n} times, "
                             f"{len(self.volumes_ml)} volumes, {len(self.sd_ml)} SDs")
        if n < 2 or not np.all(np.diff(self.times_ms) > 0):
            raise ValueError(f"{self.chamber} volume curve: times must increase "
                             f"({self.times_ms.tolist()})")
        if math.isnan(self.rr_ms):
            return  # untimed (a mesh series without R-R): volumes, EF; no rates
        if not self.rr_ms > self.times_ms[-1] - self.times_ms[0]:
            raise ValueError(f"{self.chamber} volume curve: R-R {self.rr_ms} ms shorter than "
                             "the phases it should contain")

    @property
    def ed_index(self) -> int:
        return int(np.argmax(self.volumes_ml))

    @property
    def es_index(self) -> int:
        return int(np.argmin(self.volumes_ml))

    def rates_ml_s(self) -> tuple[np.ndarray, np.ndarray]:
        """dV/dt (mL/s) per phase by periodic central difference, and its SD."""
        t = self.times_ms
        tn = np.r_[t[1:], t[0] + self.rr_ms]
        tp = np.r_[t[-1] - self.rr_ms, t[:-1]]
        v, s = self.volumes_ml, self.sd_ml
        dt = (tn - tp) / 1000.0
        rate = (np.roll(v, -1) - np.roll(v, 1)) / dt
        fwd = (np.roll(v, -1) - v) / ((tn - t) / 1000.0)
        bwd = (v - np.roll(v, 1)) / ((t - tp) / 1000.0)
        sd = np.hypot((np.roll(s, -1) - np.roll(s, 1)) / dt, 0.5 * (fwd - bwd))
        return rate, sd


def volume_curve(anatomy: Anatomy, chamber: str = "LV") -> VolumeCurve | None:
    """The measured curve of ``chamber`` from the anatomy's per-phase volumes or meshes.

    Returns None when fewer than 3 phases of that chamber are measured (ED and ES alone
    are not a curve), or the anatomy is a prediction (:attr:`Anatomy.predicted`: a virtual
    heart's meshes are the model's volumes, not a measurement).
    """
    s = anatomy.structures.get(CHAMBERS[chamber])
    if s is None or anatomy.predicted:
        return None
    times = anatomy.cycle_times_ms()
    phases = sorted(p for p in (s.volumes or s.meshes))
    if len(phases) < 3:
        return None
    timed = len(times) > phases[-1] and not any(math.isnan(times[p]) for p in phases)
    if not timed:
        times = [float(p) for p in range(phases[-1] + 1)]
    vols, sds = [], []
    for p in phases:
        m = s.volumes.get(p)
        mesh = s.meshes.get(p)
        v = m.value if m is not None else mesh.volume_ml()
        sd = m.uncertainty if m is not None else 0.0
        if sd == 0.0 and mesh is not None:
            sd = mesh.area_mm2() * MESH_SD_MM / 1000.0
        vols.append(v)
        sds.append(sd)
    rr = (anatomy.rr_ms or (times[phases[-1]] * len(phases) / (len(phases) - 1))) if timed \
        else math.nan
    source = (s.volumes[phases[0]].source if phases[0] in s.volumes else "") or "meshes"
    return VolumeCurve(chamber, np.array([times[p] for p in phases]), np.array(vols),
                       np.array(sds), float(rr), source)


#: The words for the rate measurements' names (``LV_PER`` is a name, not a label).
RATE_LABELS = {f"{c}_{k}": f"{c} peak {word} rate" for c in ("LV", "RV")
               for k, word in (("PER", "ejection"), ("PFR", "filling"))}


def curve_measurements(curve: VolumeCurve) -> list[Measurement]:
    """EDV, ESV, SV, EF, PER and PFR of a curve as measurements with provenance (no rates
    for an untimed curve).

    ``PER``/``PFR`` are reported as positive rates (mL/s): the steepest fall between ED and
    ES, and the steepest rise after ES.
    """
    c = curve.chamber
    ed, es = curve.ed_index, curve.es_index
    edv, esv = curve.volumes_ml[ed], curve.volumes_ml[es]
    sd_ed, sd_es = curve.sd_ml[ed], curve.sd_ml[es]
    src = f"{curve.source}, {len(curve.times_ms)}-phase volume curve"
    sv = edv - esv
    ef = 100.0 * sv / edv
    sd_ef = 100.0 * math.hypot(esv * sd_ed / edv ** 2, sd_es / edv)
    out = [Measurement(f"{c}EDV", float(edv), "mL", float(sd_ed), src),
           Measurement(f"{c}ESV", float(esv), "mL", float(sd_es), src),
           Measurement(f"{c}SV", float(sv), "mL", float(math.hypot(sd_ed, sd_es)), src),
           Measurement(f"{c}EF", float(ef), "%", float(sd_ef), src)]
    if math.isnan(curve.rr_ms):
        return out
    rate, rate_sd = curve.rates_ml_s()
    n = len(rate)
    systole = [(ed + k) % n for k in range((es - ed) % n + 1)]
    diastole = [(es + k) % n for k in range((ed - es) % n + 1)]
    i_per = systole[int(np.argmin(rate[systole]))]
    i_pfr = diastole[int(np.argmax(rate[diastole]))]
    return out + [
        Measurement(f"{c}_PER", float(-rate[i_per]), "mL/s", float(rate_sd[i_per]), src),
        Measurement(f"{c}_PFR", float(rate[i_pfr]), "mL/s", float(rate_sd[i_pfr]), src)]


def rate_measurements(anatomy: Anatomy) -> list[Measurement]:
    """Peak ejection and filling rates of LV and RV when ≥ 3 phases are measured (the volumes
    themselves are measured elsewhere)."""
    out = []
    for chamber in CHAMBERS:
        c = volume_curve(anatomy, chamber)
        if c is not None:
            out += [m for m in curve_measurements(c) if m.name.endswith(("_PER", "_PFR"))]
    return out


def mesh_volume(mesh, key: str, source: str) -> Measurement:
    """Volume of a closed mesh (mL) with the :data:`MESH_SD_MM` boundary uncertainty."""
    return Measurement(f"{key} volume", mesh.volume_ml(), "mL",
                       mesh.area_mm2() * MESH_SD_MM / 1000.0, source)

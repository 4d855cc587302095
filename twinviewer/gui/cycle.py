"""Model quantities at a point of the cardiac cycle, across the ensemble (numpy only).

Members of an ensemble beat at different heart rates, so time is a *fraction of the beat*
(0 = ventricular onset, the model's and the image's end-diastole). Each member's recorded beat
has ``n`` samples; sample ``round(f·(n−1))`` is that member at fraction ``f``.

Wall stress uses Laplace's law for a thick-walled sphere, σ = P·r / (2h): ``P`` the LV
pressure, ``r`` the radius of the sphere with the model's LV cavity volume, and ``h`` the wall
thickness. The local thickness ``h₀`` at each myocardial vertex is measured on the
end-diastolic meshes (distance from the epicardial surface to the LV blood pool); as the
cavity volume ``V`` changes, the wall volume ``V_w`` is conserved and the thickness scales
with the sphere's, ``h = h₀ · h_s(V)/h_s(V_ED)`` with ``h_s(V) = r(V+V_w) − r(V)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MMHG_TO_KPA = 0.133322387415
PERCENTILES = {"low": 5.0, "median": 50.0, "high": 95.0}

# Which model signal colours which structure (pressure, volume); None = not modelled.
STRUCTURE_SIGNALS: dict[str, tuple[str | None, str | None]] = {
    "lv_blood": ("p_LV", "V_LV"),
    "lv_myocardium": ("p_LV", "V_LV"),
    "rv_blood": ("p_RV", "V_RV"),
    "la": ("p_LA", "V_LA"),
    "ra": ("p_RA", "V_RA"),
    "aorta": ("p_AO", None),
    "pulmonary_artery": ("p_AR_PUL", None),
}


def sample_index(results, fraction: float) -> int:
    """Sample of the recorded beat at ``fraction`` (0..1) of each member's beat."""
    n = results.time.shape[1]
    return int(round((float(fraction) % 1.0) * (n - 1)))


def ok_members(results) -> np.ndarray:
    ok = np.asarray(results.ok, dtype=bool)
    return ok if ok.any() else np.ones_like(ok)


def percentile_at(results, name: str, fraction: float, which: str = "median") -> float:
    """Percentile (``'low'`` 5th, ``'median'``, ``'high'`` 95th) of ``name`` across
    periodic members at ``fraction`` of the beat, in the signal's model unit."""
    x = results.series[name][ok_members(results), sample_index(results, fraction)]
    x = x[np.isfinite(x)]
    return float(np.percentile(x, PERCENTILES[which])) if x.size else float("nan")


_BANDS: dict[tuple[int, str, float], tuple[object, tuple]] = {}


def band(results, name: str, level: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and central ``level`` band of a signal over the beat: three ``(n,)`` arrays.

    Cached per results object (the cine asks for it every frame)."""
    key = (id(results), name, level)
    hit = _BANDS.get(key)
    if hit is not None and hit[0] is results:
        return hit[1]
    x = results.series[name][ok_members(results)]
    a = 100 * (1 - level) / 2
    lo, med, hi = np.nanpercentile(x, [a, 50, 100 - a], axis=0)
    if len(_BANDS) > 64:
        _BANDS.clear()
    _BANDS[key] = (results, (med, lo, hi))
    return med, lo, hi


def beat_period_s(results) -> float:
    """Median beat duration (s) over periodic members."""
    t = results.time[ok_members(results)]
    n = t.shape[1]
    return float(np.median(t[:, -1] - t[:, 0]) * n / max(n - 1, 1))


def sphere_radius_mm(volume_ml: np.ndarray | float) -> np.ndarray:
    """Radius (mm) of a sphere of ``volume_ml`` (mL)."""
    v = np.maximum(np.asarray(volume_ml, dtype=float), 0.0) * 1000.0
    return np.cbrt(3.0 * v / (4.0 * np.pi))


@dataclass
class WallGeometry:
    """Wall thickness of the LV myocardium mesh, for Laplace wall stress.

    Attributes
    ----------
    thickness_mm : (n,) ndarray
        Local wall thickness ``h₀`` at each myocardium vertex (mm), measured at ED.
    wall_volume_ml : float
        Myocardial wall volume (mL), conserved through the cycle.
    cavity_ml : float
        LV cavity volume of the meshes the thickness was measured on (mL).
    """

    thickness_mm: np.ndarray
    wall_volume_ml: float
    cavity_ml: float

    def sphere_thickness_mm(self, cavity_ml) -> np.ndarray:
        v = np.asarray(cavity_ml, dtype=float)
        return sphere_radius_mm(v + self.wall_volume_ml) - sphere_radius_mm(v)

    def stress_kpa(self, pressure_mmhg, cavity_ml) -> np.ndarray:
        """Per-vertex σ (kPa) for scalar pressure/volume; ``(n,)``."""
        r = sphere_radius_mm(cavity_ml)
        scale = self.sphere_thickness_mm(cavity_ml) / self.sphere_thickness_mm(self.cavity_ml)
        h = self.thickness_mm * scale
        return float(pressure_mmhg) * MMHG_TO_KPA * r / (2.0 * h)

    def member_factor(self, pressure_mmhg: np.ndarray, cavity_ml: np.ndarray) -> np.ndarray:
        """Per-member ``P·r/(2·scale)`` (kPa·mm): σ at a vertex is this divided by ``h₀``."""
        r = sphere_radius_mm(cavity_ml)
        scale = self.sphere_thickness_mm(cavity_ml) / self.sphere_thickness_mm(self.cavity_ml)
        return np.asarray(pressure_mmhg) * MMHG_TO_KPA * r / (2.0 * scale)


def wall_geometry(myo_points: np.ndarray, myo_faces: np.ndarray, cavity_points: np.ndarray,
                  cavity_faces: np.ndarray, min_thickness_mm: float = 2.0) -> WallGeometry:
    """Measure local LV wall thickness from the myocardium and blood-pool meshes.

    Epicardial vertices (farther than ``min_thickness_mm`` from the blood pool) take their
    distance to the blood pool as thickness; endocardial vertices take the thickness of the
    nearest epicardial vertex.
    """
    from scipy.spatial import cKDTree

    from twinviewer.core.anatomy import SurfaceMesh

    d, _ = cKDTree(cavity_points).query(myo_points)
    epi = d > min_thickness_mm
    h = d.copy()
    if epi.any() and (~epi).any():
        _, nearest = cKDTree(myo_points[epi]).query(myo_points[~epi])
        h[~epi] = d[epi][nearest]
    h = np.maximum(h, min_thickness_mm)
    # the myocardium mesh encloses its cavity only if it is a closed shell around it
    myo_vol = abs(SurfaceMesh(myo_points, myo_faces).volume_ml())
    cav = abs(SurfaceMesh(cavity_points, cavity_faces).volume_ml())
    return WallGeometry(h, myo_vol, cav)


def image_phase_at(anatomy, results, fraction: float) -> int:
    """The image phase to show at ``fraction`` of the model's beat.

    With trigger times for more than two phases, the phase nearest in time (as a fraction of
    the median model beat). With two phases (ED, ES), the one whose LV state the model is
    closer to: ES while the median LV volume is below halfway between its EDV and ESV.
    """
    img = getattr(anatomy, "image", None)
    phases = sorted({p for s in anatomy.structures.values() for p in s.meshes}) if anatomy else []
    if img is not None:
        phases = sorted(set(phases) | set(range(img.n_phases)))
    if len(phases) <= 1 or results is None:
        return img.ed_index if img is not None else (phases[0] if phases else 0)
    ed = img.ed_index if img is not None else 0
    es = img.es_index if img is not None else 1
    times = np.asarray(img.phase_times_ms, dtype=float) if img is not None else np.array([])
    if len(phases) > 2 and times.size == len(phases) and np.isfinite(times).all():
        t = (fraction % 1.0) * beat_period_s(results) * 1000.0
        period = beat_period_s(results) * 1000.0
        dist = np.abs((times - t + period / 2) % period - period / 2)
        return int(phases[int(np.argmin(dist))])
    v_med = band(results, "V_LV")[0]
    edv, esv = float(np.max(v_med)), float(np.min(v_med))
    v = v_med[sample_index(results, fraction)]
    return es if v < 0.5 * (edv + esv) else ed


def time_of_phase(anatomy, results, phase: int) -> float:
    """The beat fraction at which image ``phase`` is shown (inverse of :func:`image_phase_at`):
    its trigger time, or for a two-phase ED/ES study the model's median ED (0) or ES (the
    minimum of the median LV volume)."""
    img = getattr(anatomy, "image", None)
    if img is None or results is None:
        return 0.0
    times = np.asarray(img.phase_times_ms, dtype=float)
    if img.n_phases > 2 and np.isfinite(times).all():
        return float(times[phase] / 1000.0 / beat_period_s(results)) % 1.0
    if phase == img.es_index and img.es_index != img.ed_index:
        v = band(results, "V_LV")[0]
        return float(np.argmin(v)) / (len(v) - 1)
    return 0.0

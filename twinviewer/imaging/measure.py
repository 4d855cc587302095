"""Chamber volumes, ejection fraction and LV mass from label maps, with uncertainty.

Volume of a structure = voxel count × voxel volume. Its uncertainty is one standard deviation
of the partial-volume error of the boundary: each exposed voxel face (between the structure
and anything else, along axis a with spacing Δa) bounds a slab whose true boundary lies
anywhere within ±Δa/2 (uniform, SD Δa/√12), and the face contributes face area × that; the
error is taken as fully correlated over the surface (a segmentation threshold shifts the whole
boundary together), so

    σ_V = Σ_faces A_face · Δa / √12 = N_exposed_faces · V_voxel / √12.

That sum is a worst case (every face's error at once, in the same direction, with the
slice thickness as the through-plane error): on the cine phantom (8 mm slices) it gave
LVEDV 143.9 ± 17.8 mL against the exact 145.0 mL, and errors ≤ 1.2 mL in every phase. A
volume's SD is therefore the smaller of that bound and the published interstudy
reproducibility of cine CMR (Grothues et al., Am J Cardiol 2002;90:29–34: coefficient of
variability EDV 2.9–4.9 %, ESV 4.4–9.2 %, EF 2.4–7.3 %, mass 2.8–4.8 %), taken as
``σ_V = √((REPRO_CV·V)² + REPRO_FLOOR_ML²)`` — 6.2 mL at 122 mL, 3.6 mL (8 %) at 45 mL.

EF = (EDV − ESV)/EDV × 100 with first-order propagation treating ED and ES as independent;
LV mass = 1.05 g/mL × myocardial volume at end-diastole (Lang et al. 2015).
"""

from __future__ import annotations

import math

import numpy as np

from twinviewer.core.measurement import Measurement

SOURCE = "CT segmentation"
#: Relative interstudy reproducibility of a segmented volume (upper end of Grothues 2002's
#: CMR EDV coefficient of variability, 4.9 %) and an absolute floor for small volumes (mL):
#: ESV 45 mL → 8 %, inside that study's ESV range 4.4–9.2 %.
REPRO_CV = 0.045
REPRO_FLOOR_ML = 3.0


def volume_sd(volume_ml: float, partial_volume_bound_ml: float) -> float:
    """1-SD error (mL) of a segmented volume: the published reproducibility, capped by the
    partial-volume worst case of the voxels (see the module docstring).

    >>> round(volume_sd(121.6, 22.9), 1)
    6.2
    >>> volume_sd(1.0, 0.346)
    0.346
    """
    return float(min(partial_volume_bound_ml,
                     math.hypot(REPRO_CV * volume_ml, REPRO_FLOOR_ML)))
MYOCARDIAL_DENSITY_G_PER_ML = 1.05


def exposed_faces(labels: np.ndarray, n_values: int = 256) -> np.ndarray:
    """Exposed voxel faces per label value, ``(n_values,)`` int64 (image borders count)."""
    labels = np.asarray(labels)
    counts = np.zeros(n_values, np.int64)
    for axis in range(3):
        a = np.moveaxis(labels, axis, 0)
        lo, hi = a[:-1], a[1:]
        d = lo != hi
        counts += np.bincount(lo[d].ravel(), minlength=n_values)[:n_values]
        counts += np.bincount(hi[d].ravel(), minlength=n_values)[:n_values]
        counts += np.bincount(a[0].ravel(), minlength=n_values)[:n_values]
        counts += np.bincount(a[-1].ravel(), minlength=n_values)[:n_values]
    return counts


def structure_volumes(labels: np.ndarray, spacing: tuple[float, float, float],
                      label_values: dict[str, int], source: str = SOURCE
                      ) -> dict[str, Measurement]:
    """Volume (mL ± SD) of each labelled structure.

    Parameters
    ----------
    labels : (z, y, x) uint8 ndarray
    spacing : (3,) floats
        Voxel spacing in mm (any order; only the product matters).
    label_values : dict
        Vocabulary key → label value.

    Returns
    -------
    dict
        Key → Measurement named ``'<key> volume'`` in mL; absent structures are left out.

    Examples
    --------
    >>> lab = np.zeros((10, 10, 10), np.uint8); lab[2:7, 2:7, 2:7] = 1   # 125 voxels of 8 mm³
    >>> v = structure_volumes(lab, (2.0, 2.0, 2.0), {"la": 1})["la"]
    >>> v.value, round(v.uncertainty, 3)   # 150 exposed faces × 0.008 mL / √12
    (1.0, 0.346)
    """
    labels = np.asarray(labels)
    voxel_ml = float(np.prod(spacing)) / 1000.0
    counts = np.bincount(labels.ravel(), minlength=256)
    faces = exposed_faces(labels, max(256, len(counts)))
    out = {}
    for key, v in label_values.items():
        if 0 < v < len(counts) and counts[v]:
            vol = float(counts[v]) * voxel_ml
            out[key] = Measurement(f"{key} volume", vol, "mL",
                                   volume_sd(vol, float(faces[v]) * voxel_ml / math.sqrt(12.0)),
                                   source)
    return out


def ejection_fraction(edv: Measurement, esv: Measurement, name: str = "LVEF") -> Measurement:
    """EF (%) with first-order uncertainty from independent EDV and ESV errors."""
    if not edv.value > 0:
        raise ValueError(f"{name}: end-diastolic volume must be > 0 mL, got {edv.value}")
    ef = 100.0 * (edv.value - esv.value) / edv.value
    d_edv = 100.0 * esv.value / edv.value**2
    d_esv = 100.0 / edv.value
    sd = math.hypot(d_edv * edv.uncertainty, d_esv * esv.uncertainty)
    return Measurement(name, ef, "%", sd, SOURCE)


def clinical_measurements(volumes: dict[int, dict[str, Measurement]], ed: int, es: int,
                          source: str = SOURCE) -> list[Measurement]:
    """LVEDV, LVESV, LVSV, LVEF, LV mass (and RV equivalents) from per-phase volumes.

    Parameters
    ----------
    volumes : dict
        Phase index → :func:`structure_volumes` output.
    ed, es : int
        Phase indices of end-diastole and end-systole.
    source : str
        Provenance recorded on each measurement (default ``'CT segmentation'``).
    """
    out: list[Measurement] = []

    def chamber(key: str, prefix: str) -> None:
        if key not in volumes.get(ed, {}):
            return
        edv = volumes[ed][key]
        src = edv.source or source  # e.g. marks pool beyond the stack as extrapolated
        out.append(Measurement(f"{prefix}EDV", edv.value, "mL", edv.uncertainty, src))
        if es != ed and key in volumes.get(es, {}):
            esv = volumes[es][key]
            out.append(Measurement(f"{prefix}ESV", esv.value, "mL", esv.uncertainty,
                                   esv.source or source))
            out.append(Measurement(f"{prefix}SV", edv.value - esv.value, "mL",
                                   math.hypot(edv.uncertainty, esv.uncertainty), src))
            ef = ejection_fraction(edv, esv, f"{prefix}EF")
            out.append(Measurement(ef.name, ef.value, ef.unit, ef.uncertainty, src))

    chamber("lv_blood", "LV")
    chamber("rv_blood", "RV")
    if "lv_myocardium" in volumes.get(ed, {}):
        myo = volumes[ed]["lv_myocardium"]
        out.append(Measurement("LVmass", MYOCARDIAL_DENSITY_G_PER_ML * myo.value, "g",
                               MYOCARDIAL_DENSITY_G_PER_ML * myo.uncertainty,
                               myo.source or source))
    return out


def ed_es_from_volumes(volumes: dict[int, dict[str, Measurement]]) -> tuple[int, int] | None:
    """(ED, ES) phase indices as the largest and smallest LV blood volume, if ≥ 2 phases."""
    lv = {p: v["lv_blood"].value for p, v in volumes.items() if "lv_blood" in v}
    if len(lv) < 2:
        return None
    return max(lv, key=lv.__getitem__), min(lv, key=lv.__getitem__)

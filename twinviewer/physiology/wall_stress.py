"""LV wall stress by Laplace's law for a thick-walled sphere (numpy/scipy; no Qt).

σ = P·r / (2h): ``P`` the LV pressure, ``r`` the radius of the sphere with the model's LV
cavity volume, and ``h`` the wall thickness. The local thickness ``h₀`` at each myocardial
vertex is measured on the end-diastolic meshes (distance from the epicardial surface to the
LV blood pool); as the cavity volume ``V`` changes, the wall volume ``V_w`` is conserved and
the thickness scales with the sphere's, ``h = h₀ · h_s(V)/h_s(V_ED)`` with
``h_s(V) = r(V+V_w) − r(V)``. See docs/references.md (Laplace's law; Grossman et al. 1975 for
the thick-wall form used clinically).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinviewer.core.units import convert

#: kPa per mmHg, from the unit registry (one conversion for the whole app).
MMHG_TO_KPA = float(convert(1.0, "mmHg", "kPa"))


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

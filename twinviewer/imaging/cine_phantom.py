"""An analytic beating biventricular heart for cine MR: labels and SSFP-like signal anywhere.

The ventricles are truncated half-ellipsoids in patient coordinates (LPS mm) around a long axis
``U`` (base → apex): the LV blood pool ``r²/R² + a²/L² ≤ 1, a ≥ 0`` (``a`` along ``U`` from the
mitral plane, ``r`` the distance from the axis), the LV epicardium the same with ``R + T`` and
``L + T``, and the RV blood pool an ellipsoid shifted towards the patient's right minus the LV
epicardium. Radius, length and wall thickness follow a smooth ejection / filling waveform over
the R-R interval, so the volume of each pool in any phase is known in closed form (blood pool
``2/3 π R² L``) and by fine sampling.

Images sample the shapes on any plane (short-axis or long-axis), with the realistic nuisances
of cine SSFP a segmenter must survive: partial volume through the slice thickness and within
the pixel (supersampling), a smooth coil-sensitivity field, trabeculation-like dark texture
near the endocardium, and Rician noise.

Examples
--------
>>> h = CineHeart()
>>> round(h.lv_volume_ml(0.0))  # end-diastole
145
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from twinviewer.core.anatomy import ImageVolume

BACKGROUND, LV_BLOOD, LV_MYO, RV_BLOOD = 0, 1, 2, 3
FAT, RV_WALL = 4, 5  # tissue classes without a label (they count as background)
SIGNAL = {BACKGROUND: 0.42, LV_BLOOD: 1.0, LV_MYO: 0.28, RV_BLOOD: 0.95, FAT: 0.75,
          RV_WALL: 0.30}
FAT_MM, RV_WALL_MM = 3.0, 3.0


def _unit(v: Sequence[float]) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


U = _unit([0.62, -0.50, -0.60])  # base -> apex: leftward, anterior, inferior
V = _unit(np.cross(U, [0.0, 0.0, 1.0]))  # in the SA plane, towards the RV side
W = np.cross(U, V)


def contraction(t: float) -> float:
    """Fraction of the systolic excursion (0 at ED, 1 at ES) at cycle fraction ``t``.

    Ejection over 0–0.35 of R-R, isovolumic relaxation, rapid filling 0.45–0.65, diastasis,
    atrial kick 0.85–0.95.
    """
    t = t % 1.0
    if t < 0.35:
        return 0.5 - 0.5 * np.cos(np.pi * t / 0.35)
    if t < 0.45:
        return 1.0
    if t < 0.65:
        return 0.25 + 0.75 * (0.5 + 0.5 * np.cos(np.pi * (t - 0.45) / 0.2))
    if t < 0.85:
        return 0.25
    if t < 0.95:
        return 0.25 * (0.5 + 0.5 * np.cos(np.pi * (t - 0.85) / 0.1))
    return 0.0


@dataclass(frozen=True)
class CineHeart:
    """The beating phantom. Lengths in mm, positions patient LPS mm.

    Parameters
    ----------
    base_centre
        Centre of the mitral plane.
    lv_radius, lv_length
        LV pool short-axis radius and base-to-apex length at ED; shrunk by ``lv_shortening``
        (radius) and ``lv_long_shortening`` (length) at ES.
    wall_mm
        Wall thickness at ED; grows to ``wall_mm * wall_thickening`` at ES.
    rv_offset, rv_radii, rv_length
        RV ellipsoid centre offset along ``V``, radii along ``V`` and ``W``, length along ``U``.
    """

    base_centre: tuple[float, float, float] = (10.0, -5.0, -20.0)
    lv_radius: float = 27.0
    lv_length: float = 95.0
    lv_shortening: float = 0.36
    lv_long_shortening: float = 0.10
    wall_mm: float = 9.0
    wall_thickening: float = 1.5
    rv_offset: float = 30.0
    rv_radii: tuple[float, float] = (30.0, 40.0)
    rv_length: float = 80.0
    rv_shortening: float = 0.45

    def shape_at(self, t: float) -> dict[str, float]:
        """Shape parameters at cycle fraction ``t``."""
        c = contraction(t)
        return {"R": self.lv_radius * (1 - self.lv_shortening * c),
                "L": self.lv_length * (1 - self.lv_long_shortening * c),
                "T": self.wall_mm * (1 + (self.wall_thickening - 1) * c),
                "rvs": 1 - self.rv_shortening * c}

    def lv_volume_ml(self, t: float) -> float:
        """Exact LV blood-pool volume (mL) at cycle fraction ``t``."""
        s = self.shape_at(t)
        return 2.0 / 3.0 * np.pi * s["R"] ** 2 * s["L"] / 1000.0

    def labels(self, xyz: np.ndarray, t: float) -> np.ndarray:
        """Label (0 background, 1 LV blood, 2 LV myocardium, 3 RV blood) at points ``(..., 3)``."""
        lab = self.tissue(xyz, t)
        lab[lab > RV_BLOOD] = BACKGROUND
        return lab

    def tissue(self, xyz: np.ndarray, t: float) -> np.ndarray:
        """Tissue class: the labels plus epicardial fat (a shell of ``FAT_MM`` around the LV
        free wall) and the RV free wall (``RV_WALL_MM`` of myocardium around the RV pool)."""
        s = self.shape_at(t)
        d = np.asarray(xyz, dtype=np.float64) - np.asarray(self.base_centre)
        a, v, w = d @ U, d @ V, d @ W
        r2 = v * v + w * w
        front = a >= 0
        lv = front & (r2 / s["R"] ** 2 + (a / s["L"]) ** 2 <= 1)
        epi = front & (r2 / (s["R"] + s["T"]) ** 2 + (a / (s["L"] + s["T"])) ** 2 <= 1)
        rv_v = (v - self.rv_offset * (0.9 + 0.1 * s["rvs"])) / (self.rv_radii[0] * s["rvs"])
        rv_w = w / (self.rv_radii[1] * (0.55 + 0.45 * s["rvs"]))
        rv_q = rv_v ** 2 + rv_w ** 2 + (a / self.rv_length) ** 2
        rv = front & (rv_q <= 1) & ~epi
        # Shells by scaled implicit functions (thickness ≈ FAT_MM / RV_WALL_MM at the equator).
        fat = front & ~epi & (r2 / (s["R"] + s["T"] + FAT_MM) ** 2
                              + (a / (s["L"] + s["T"] + FAT_MM)) ** 2 <= 1)
        rv_wall = front & ~epi & (rv_q <= (1 + RV_WALL_MM / (self.rv_radii[0] * s["rvs"])) ** 2)
        out = np.zeros(np.shape(a), np.uint8)
        out[fat] = FAT
        out[rv_wall] = RV_WALL
        out[epi] = LV_MYO
        out[lv] = LV_BLOOD
        out[rv] = RV_BLOOD
        return out

    def volumes_on_grid(self, t: float, spacing_mm: float = 0.5) -> dict[int, float]:
        """Volumes (mL) of each label by sampling a fine grid (for shapes without closed form)."""
        half = self.lv_length + 2 * self.wall_mm + 60.0
        g = np.arange(-half, half, spacing_mm)
        out = {LV_BLOOD: 0.0, LV_MYO: 0.0, RV_BLOOD: 0.0}
        bc = np.asarray(self.base_centre)
        for a0 in g[::40]:
            a_vals = a0 + g[:40] - g[0]
            A, B, C = np.meshgrid(a_vals, g, g, indexing="ij")
            xyz = bc + A[..., None] * U + B[..., None] * V + C[..., None] * W
            lab = self.labels(xyz, t)
            for k in out:
                out[k] += float((lab == k).sum()) * spacing_mm ** 3 / 1000.0
        return out


def texture(xyz: np.ndarray, seed: int) -> np.ndarray:
    """A fixed smooth random field in [-1, 1] of about 4 mm grain (sum of random plane waves)."""
    rng = np.random.default_rng(seed)
    k = rng.normal(size=(12, 3))
    k *= (2 * np.pi / 4.0) / np.linalg.norm(k, axis=1, keepdims=True)
    ph = rng.uniform(0, 2 * np.pi, 12)
    return np.sin(xyz @ k.T + ph).sum(-1) / np.sqrt(6.0)


@dataclass(frozen=True)
class Nuisance:
    """Image nuisances: Rician noise SD (fraction of blood signal), coil field strength
    (relative signal change over 100 mm), trabeculation depth (fractional darkening)."""

    noise: float = 0.05
    coil: float = 0.25
    trabeculation: float = 0.45
    seed: int = 0


def plane_points(origin: np.ndarray, orientation: Sequence[float], pixel_spacing:
                 Sequence[float], rows: int, cols: int) -> np.ndarray:
    """Patient coordinates ``(rows, cols, 3)`` of pixel centres of a DICOM plane."""
    row_dir, col_dir = np.asarray(orientation[:3]), np.asarray(orientation[3:])
    j, i = np.mgrid[0:rows, 0:cols].astype(np.float64)
    return (np.asarray(origin) + (i * pixel_spacing[1])[..., None] * row_dir
            + (j * pixel_spacing[0])[..., None] * col_dir)


def render(heart: CineHeart, points: np.ndarray, normal: np.ndarray, t: float, *,
           thickness_mm: float, pixel_mm: float, nuisance: Nuisance | None = None,
           sub: int = 2) -> np.ndarray:
    """SSFP-like signal (about 0–1.2) of the slice through ``points`` (``(..., 3)`` pixel centres).

    The signal is averaged over ``sub``×``sub`` in-plane and 3 through-plane samples (partial
    volume), then multiplied by the coil field, darkened by trabeculation near the endocardium
    and given Rician noise.
    """
    nz = nuisance or Nuisance()
    normal = np.asarray(normal, float)
    normal = normal / np.linalg.norm(normal)
    helper = np.array([1.0, 0, 0]) if abs(normal[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(normal, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(normal, e1)
    offs = (np.arange(sub) + 0.5) / sub - 0.5
    lut = np.array([SIGNAL[k] for k in range(6)])
    acc = np.zeros(points.shape[:-1])
    n = 0
    for dz in (-thickness_mm / 3, 0.0, thickness_mm / 3):
        for du in offs * pixel_mm:
            for dv in offs * pixel_mm:
                p = points + dz * normal + du * e1 + dv * e2
                lab = heart.tissue(p, t)
                sig = lut[lab]
                blood = lab == LV_BLOOD
                if nz.trabeculation and blood.any():
                    s = heart.shape_at(t)
                    d = p[blood] - np.asarray(heart.base_centre)
                    a = d @ U
                    r = np.sqrt((d @ V) ** 2 + (d @ W) ** 2)
                    edge = np.clip(r / (s["R"] * np.sqrt(np.clip(1 - (a / s["L"]) ** 2, 1e-6,
                                                                    None))), 0, 1)
                    depth = np.clip((edge - 0.8) / 0.2, 0, 1)
                    tex = texture(p[blood], nz.seed) > 0.6
                    sig[blood] *= 1 - nz.trabeculation * depth * tex
                acc += sig
                n += 1
    img = acc / n
    if nz.coil:
        g = np.array([0.6, 0.3, 0.74])
        img = img * np.exp(nz.coil * (points - np.asarray(heart.base_centre)) @ g / 100.0)
    if nz.noise:
        rng = np.random.default_rng([nz.seed, int(t * 1e6),
                                     int(abs(points.reshape(-1, 3)[0] * 1e3).sum())])
        n1 = rng.normal(0, nz.noise, img.shape)
        n2 = rng.normal(0, nz.noise, img.shape)
        img = np.sqrt((img + n1) ** 2 + n2 ** 2)
    return img


def sa_stack(heart: CineHeart | None = None, *, n_phases: int = 25,
             positions_mm: Sequence[float] = tuple(np.arange(2.0, 106.0, 8.0)),
             rows: int = 112, cols: int = 112, pixel_mm: float = 1.6,
             thickness_mm: float = 8.0, nuisance: Nuisance | None = None
             ) -> tuple[ImageVolume, np.ndarray]:
    """A short-axis cine stack through the phantom and its ground-truth labels.

    Slices are normal to the long axis at ``positions_mm`` from the mitral plane (default:
    contiguous 8 mm slices from base to beyond the apex). The truth of a pixel is the label
    holding the majority of its slab (7 samples through the slice thickness).

    Returns
    -------
    (ImageVolume, (phases, slices, rows, cols) uint8 ndarray)
        Image in signal units × 1000 (like a scanner's stored values); ``phase_times_ms`` over
        an 860 ms R-R.

    Examples
    --------
    >>> img, truth = sa_stack(n_phases=2, positions_mm=(40.0,), rows=32, cols=32, pixel_mm=4)
    >>> img.array.shape, sorted(np.unique(truth).tolist())
    ((2, 1, 32, 32), [0, 1, 2, 3])
    """
    from twinviewer.core.anatomy import ImageVolume

    heart = heart or CineHeart()
    nz = nuisance or Nuisance()
    pos = np.asarray(positions_mm, float)
    centre = np.asarray(heart.base_centre) + 12.0 * V
    arr = np.zeros((n_phases, len(pos), rows, cols), np.float32)
    truth = np.zeros(arr.shape, np.uint8)
    origin0 = centre + pos[0] * U - (cols / 2) * pixel_mm * V - (rows / 2) * pixel_mm * W
    for k, a in enumerate(pos):
        pts = plane_points(origin0 + (a - pos[0]) * U, [*V, *W], (pixel_mm, pixel_mm), rows,
                           cols)
        for p in range(n_phases):
            t = p / n_phases
            arr[p, k] = 1000.0 * render(heart, pts, U, t, thickness_mm=thickness_mm,
                                        pixel_mm=pixel_mm, nuisance=nz, sub=2)
            votes = np.zeros((4, rows, cols), np.int16)
            for dz in np.linspace(-thickness_mm / 2, thickness_mm / 2, 9)[1:-1]:
                lab = heart.labels(pts + dz * U, t)
                for c in range(4):
                    votes[c] += lab == c
            truth[p, k] = votes.argmax(0)
    dz = float(np.diff(pos).mean()) if len(pos) > 1 else thickness_mm
    aff = np.eye(4)
    aff[:3, 0], aff[:3, 1], aff[:3, 2], aff[:3, 3] = U * dz, W * pixel_mm, V * pixel_mm, origin0
    times = [860.0 * p / n_phases for p in range(n_phases)]
    return ImageVolume(arr, aff, (dz, pixel_mm, pixel_mm), times, 0,
                       int(round(0.4 * n_phases)) % n_phases, "MR", "phantom SA cine",
                       thickness_mm), truth


def seed_pixels(image: ImageVolume, heart: CineHeart | None = None, a_mm: float = 50.0
                ) -> tuple[int, tuple[float, float], tuple[float, float]]:
    """Default seeds of :func:`sa_stack`: ``(slice, LV (row, col), RV (row, col))`` nearest the
    mid-ventricle, where a user would click (pool centres on the ED image)."""
    heart = heart or CineHeart()
    bc = np.asarray(heart.base_centre)
    lv = image.patient_to_index(bc + a_mm * U)[0]
    rv = image.patient_to_index(bc + a_mm * U + heart.rv_offset * 1.05 * V)[0]
    k = int(round(lv[0]))
    return k, (float(lv[1]), float(lv[2])), (float(rv[1]), float(rv[2]))

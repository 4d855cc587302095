"""A cine MR short-axis stack rendered from the biv-me patient's real biventricular geometry.

The analytic phantom (:mod:`twinviewer.imaging.cine_phantom`) is made of ellipsoids; this
stack is made of a real adult's fitted surfaces (``meshes/bivme_patient1``, Apache-2.0), so
the segmenter is also measured on shapes the project did not design: an irregular LV, a
crescent RV wrapping it, a septum that bulges, walls of varying thickness.

Per frame, on a 1 mm grid aligned with the short axis (long axis from the centre of the LV's
valve caps to the farthest LV point):

- tissue: LV and RV blood inside their capped endocardia; LV myocardium = the LV part of the
  wall inside the epicardium (free wall and septum, split as in
  :func:`twinviewer.imaging.bivme_wall.wall_mask`); the rest of that wall is RV free wall;
  a 3 mm shell of epicardial fat outside the epicardium; background elsewhere;
- signal: the SSFP levels of :data:`~twinviewer.imaging.cine_phantom.SIGNAL`, LV blood
  within 5 mm of the endocardium darkened by the phantom's trabeculation texture, averaged
  over each pixel's slab (``thickness_mm``) and 2 × 2 in plane (partial volume), times the
  phantom's coil field, plus Rician noise;
- truth: the label holding the majority of each pixel's slab (as in
  :func:`~twinviewer.imaging.cine_phantom.sa_stack`), and the reference volumes of the
  surfaces themselves.

Examples
--------
>>> stack = bivme_sa_stack(frames=(0,), slice_step_mm=40.0)  # doctest: +SKIP
>>> stack.image.array.shape[0]  # doctest: +SKIP
1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from twinviewer.core.anatomy import Anatomy, ImageVolume, SurfaceMesh
from twinviewer.imaging.cine_phantom import (
    BACKGROUND,
    FAT,
    FAT_MM,
    LV_BLOOD,
    LV_MYO,
    RV_BLOOD,
    RV_WALL,
    SIGNAL,
    Nuisance,
    texture,
)

GRID_MM = 1.0
TRABECULAE_MM = 5.0  # depth of the trabeculated layer of the LV pool
RR_MS = 860.0
#: Blood outside the ventricles (atria and great vessels, when the anatomy has them): bright
#: in the image, background in the labels — what a basal slice cuts above the valve planes.
OTHER_BLOOD, OTHER_BLOOD_KEYS = 6, ("la", "ra", "aorta", "pulmonary_artery")


@dataclass
class BivmeStack:
    """The rendered stack, its majority-label truth and reference volumes per frame (mL).

    ``reference[frame]`` holds ``lv_blood``, ``rv_blood`` (capped surfaces' volumes),
    ``lv_myocardium`` (1 mm voxels of the LV wall) and ``myocardium`` (all voxels inside
    the epicardium outside both pools: biv-me's own myocardial volume).
    """

    image: ImageVolume
    truth: np.ndarray
    frames: tuple[int, ...]
    reference: dict[int, dict[str, float]]
    axes: np.ndarray  # rows U (base → apex), V (towards the RV), W in patient mm
    base: np.ndarray  # centre of the LV's valve caps, patient mm


def sa_axes(anatomy: Anatomy, frame: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Short-axis frame of a biv-me anatomy: ``(3, 3)`` rows U, V, W and the base centre.

    U runs from the centre of the LV's valve caps to the farthest LV point (the apex), V
    towards the RV's centre, W = U × V.

    Examples
    --------
    >>> from twinviewer.imaging.bivme import load_bivme
    >>> axes, base = sa_axes(load_bivme())
    >>> bool(np.allclose(axes @ axes.T, np.eye(3)))
    True
    """
    lv = anatomy.structures["lv_blood"].meshes[frame]
    rv = anatomy.structures["rv_blood"].meshes[frame]
    caps = lv.faces[lv.cap_mask] if lv.cap_mask is not None and lv.cap_mask.any() else lv.faces
    base = lv.points[np.unique(caps)].mean(axis=0)
    apex = lv.points[np.argmax(np.linalg.norm(lv.points - base, axis=1))]
    u = (apex - base) / np.linalg.norm(apex - base)
    v = rv.points.mean(axis=0) - lv.points.mean(axis=0)
    v = v - (v @ u) * u
    v /= np.linalg.norm(v)
    return np.array([u, v, np.cross(u, v)]), base


def _tissue(anatomy: Anatomy, frame: int, axes: np.ndarray, base: np.ndarray,
            lo: np.ndarray, dims: tuple[int, int, int]) -> tuple[np.ndarray, dict[str, float]]:
    """Tissue class on the SA grid (x along V, y along W, z along U; origin ``lo``)."""
    from twinviewer.imaging.bivme_wall import solid_mask, wall_mask

    order = axes[[1, 2, 0]]  # grid x, y, z = V, W, U

    def sa(key: str) -> SurfaceMesh:
        m = anatomy.structures[key].meshes[frame]
        return SurfaceMesh((m.points - base) @ order.T, m.faces)

    lv, rv, epi = sa("lv_blood"), sa("rv_blood"), sa("epicardium")
    in_lv, in_rv, in_epi = (solid_mask(m, lo, dims, GRID_MM) for m in (lv, rv, epi))
    lv_wall, w_lo = wall_mask(lv, rv, epi, GRID_MM)
    off = np.round((w_lo - lo) / GRID_MM).astype(int)
    lvw = np.zeros(dims, bool)
    lvw[tuple(slice(o, o + n) for o, n in zip(off, lv_wall.shape, strict=True))] = lv_wall
    wall = in_epi & ~in_lv & ~in_rv
    out = np.full(dims, BACKGROUND, np.uint8)
    out[~in_epi & (ndimage.distance_transform_edt(~in_epi) * GRID_MM <= FAT_MM)] = FAT
    for key in OTHER_BLOOD_KEYS:
        if key in anatomy.structures and frame in anatomy.structures[key].meshes:
            out[solid_mask(sa(key), lo, dims, GRID_MM) & ~in_epi] = OTHER_BLOOD
    out[wall] = RV_WALL
    out[wall & lvw] = LV_MYO
    out[in_rv] = RV_BLOOD
    out[in_lv] = LV_BLOOD
    ml = GRID_MM ** 3 / 1000.0
    ref = {"lv_blood": anatomy.structures["lv_blood"].meshes[frame].volume_ml(),
           "rv_blood": anatomy.structures["rv_blood"].meshes[frame].volume_ml(),
           "lv_myocardium": float((wall & lvw).sum()) * ml,
           "myocardium": float(wall.sum()) * ml}
    if "lv_myocardium" in anatomy.structures:
        ref["lv_myocardium_mesh"] = anatomy.structures["lv_myocardium"].meshes[frame].volume_ml()
    return out, ref


def bivme_sa_stack(anatomy: Anatomy | None = None, *, frames: Sequence[int] = (0, 9),
                   slice_step_mm: float = 10.0, thickness_mm: float = 8.0,
                   pixel_mm: float = 2.0, nuisance: Nuisance | None = None) -> BivmeStack:
    """Render a short-axis cine stack of the biv-me heart (see the module docstring).

    Parameters
    ----------
    anatomy : Anatomy, optional
        A biv-me anatomy: the demo heart (:func:`twinviewer.imaging.demo4d.demo_heart_4d`:
        biv-me's ventricles with the demo's atria and great vessels) by default, or
        :func:`twinviewer.imaging.bivme.load_bivme`'s ventricles alone.
    frames : sequence of int
        biv-me frames to render, one image phase each (0 is end-diastole, 9 end-systole).
    slice_step_mm, thickness_mm, pixel_mm
        Slice spacing, slice thickness and in-plane pixel size; slices run from the base
        (half a slice past the valve caps' centre) to beyond the apex. ``pixel_mm`` must be a
        multiple of the 1 mm grid; so must ``slice_step_mm`` and ``thickness_mm``.

    Returns
    -------
    BivmeStack

    Examples
    --------
    >>> st = bivme_sa_stack(frames=(0, 9))  # doctest: +SKIP
    >>> st.image.es_index, round(st.reference[9]["lv_blood"])  # doctest: +SKIP
    (1, 72)
    """
    from twinviewer.imaging.demo4d import demo_heart_4d

    a = anatomy or demo_heart_4d()
    nz = nuisance or Nuisance()
    axes, base = sa_axes(a, frames[0])
    order = axes[[1, 2, 0]]
    pts = np.concatenate([(a.structures["epicardium"].meshes[f].points - base) @ order.T
                          for f in frames])
    sub = int(round(pixel_mm / GRID_MM))
    slab = int(round(thickness_mm / GRID_MM))
    margin = FAT_MM + 25.0  # tissue-free border: the field of view of a cine
    lo = np.floor((pts.min(axis=0) - margin) / pixel_mm) * pixel_mm
    hi = np.ceil((pts.max(axis=0) + margin) / pixel_mm) * pixel_mm
    lo[2], hi[2] = -thickness_mm / 2 - 2 * slice_step_mm, hi[2]
    dims = tuple(int(v) for v in np.round((hi - lo) / GRID_MM))
    dims = (dims[0] - dims[0] % sub, dims[1] - dims[1] % sub, dims[2])
    centres = np.arange(0.5 * slice_step_mm, hi[2] - thickness_mm / 2, slice_step_mm)
    k0 = np.round((centres - thickness_mm / 2 - lo[2]) / GRID_MM).astype(int)
    rows, cols = dims[1] // sub, dims[0] // sub
    arr = np.zeros((len(frames), len(centres), rows, cols), np.float32)
    truth = np.zeros(arr.shape, np.uint8)
    lut = np.array([SIGNAL[k] for k in range(6)] + [SIGNAL[RV_BLOOD]])
    gx, gy, gz = (lo[i] + (np.arange(dims[i]) + 0.5) * GRID_MM for i in range(3))
    gx_px, gy_px = np.meshgrid(lo[0] + (np.arange(cols) + 0.5) * pixel_mm,
                               lo[1] + (np.arange(rows) + 0.5) * pixel_mm)
    reference = {}
    for p, f in enumerate(frames):
        tissue, reference[f] = _tissue(a, f, axes, base, lo, dims)
        sig = lut[tissue]
        blood = tissue == LV_BLOOD
        depth = ndimage.distance_transform_edt(blood) * GRID_MM
        layer = blood & (depth <= TRABECULAE_MM)
        if nz.trabeculation and layer.any():
            ii, jj, kk = np.nonzero(layer)
            xyz = base + np.c_[gx[ii], gy[jj], gz[kk]] @ order
            tex = texture(xyz, nz.seed) > 0.6
            ramp = np.clip(1.0 - depth[layer] / TRABECULAE_MM, 0, 1)
            sig[layer] *= 1 - nz.trabeculation * ramp * tex
        for s, k in enumerate(k0):
            block = sig[:, :, k:k + slab]
            img = block.reshape(cols, sub, rows, sub, slab).mean(axis=(1, 3, 4)).T
            lab = tissue[:, :, k:k + slab]
            lab = np.where(lab > RV_BLOOD, BACKGROUND, lab)
            votes = np.stack([(lab == c).reshape(cols, sub, rows, sub, slab).sum(axis=(1, 3, 4))
                              for c in range(4)])
            truth[p, s] = votes.argmax(0).T
            xyz = (base + gx_px[..., None] * axes[1] + gy_px[..., None] * axes[2]
                   + centres[s] * axes[0])
            if nz.coil:
                g = np.array([0.6, 0.3, 0.74])
                img = img * np.exp(nz.coil * (xyz - base) @ g / 100.0)
            if nz.noise:
                rng = np.random.default_rng([nz.seed, p, s])
                img = np.sqrt((img + rng.normal(0, nz.noise, img.shape)) ** 2
                              + rng.normal(0, nz.noise, img.shape) ** 2)
            arr[p, s] = 1000.0 * img
    u, v, w = axes
    origin = base + (lo[0] + 0.5 * pixel_mm) * v + (lo[1] + 0.5 * pixel_mm) * w + centres[0] * u
    aff = np.eye(4)
    aff[:3, 0], aff[:3, 1], aff[:3, 2], aff[:3, 3] = (u * slice_step_mm, w * pixel_mm,
                                                      v * pixel_mm, origin)
    times = [RR_MS * f / 25.0 for f in frames]
    es = int(np.argmin([reference[f]["lv_blood"] for f in frames]))
    image = ImageVolume(arr, aff, (slice_step_mm, pixel_mm, pixel_mm), times, 0, es, "MR",
                        "biv-me patient1 SA cine (rendered)", thickness_mm)
    return BivmeStack(image, truth, tuple(frames), reference, axes, base)

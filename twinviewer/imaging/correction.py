"""Carry a brush/eraser correction made on one cine phase to the other phases.

A correction is the set of voxels whose label changed on phase ``k`` (old label → new
label). It is walked from ``k`` to its neighbours, one phase at a time around the cardiac
cycle (the nearest way round), moved with the in-plane motion between consecutive phases
(iterative Lucas–Kanade optical flow, :func:`skimage.registration.optical_flow_ilk`, on a
crop around the correction on each slice it touches) and kept only where the image still
looks as it did under the correction on phase ``k`` (intensity within ``tolerance`` of the
image's robust range). On each phase the change is applied where that phase still has the
old label; it stops where no voxel survives the intensity check.

Examples
--------
>>> import numpy as np
>>> from twinviewer.core.anatomy import ImageVolume
>>> arr = np.zeros((3, 1, 20, 20), np.float32); arr[:, 0, 5:15, 5:15] = 100.0
>>> img = ImageVolume(arr, np.eye(4), (8.0, 1.5, 1.5), [0.0, 1.0, 2.0], 0, 1, "MR")
>>> maps = {p: np.ones((1, 20, 20), np.uint8) for p in range(3)}
>>> before = maps[1].copy(); maps[1][0, 8:11, 8:11] = 0     # an eraser dab on phase 1
>>> res = propagate_correction(img, maps, 1, before)
>>> sorted(res.maps), int((res.maps[0] == 0).sum()), sorted(res.voxels.items())
([0, 2], 9, [(0, 9), (2, 9)])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import map_coordinates

from twinviewer.core.anatomy import ImageVolume

#: Fraction of the image's 2–98 % intensity range a carried voxel may differ by from the
#: intensity it had under the correction on the corrected phase.
TOLERANCE = 0.2
MARGIN_PX = 12  # crop margin around the correction for the motion estimate


@dataclass
class Propagated:
    """The result of :func:`propagate_correction`.

    Attributes
    ----------
    maps : dict
        Phase → corrected label map, for the phases that changed (copies).
    voxels : dict
        Phase → number of voxels changed there.
    stopped : list of int
        Phases at which the walk stopped because no voxel passed the intensity check.
    """

    maps: dict[int, np.ndarray] = field(default_factory=dict)
    voxels: dict[int, int] = field(default_factory=dict)
    stopped: list[int] = field(default_factory=list)


def _order(phase: int, n: int) -> list[list[int]]:
    """The other phases as two walks from ``phase``: forward and backward around the cycle,
    each phase on the shorter walk."""
    fwd = [(phase + s) % n for s in range(1, n // 2 + 1)]
    back = [(phase - s) % n for s in range(1, (n - 1) // 2 + 1)]
    return [fwd, back]


def _affine_flow(ref: np.ndarray, mov: np.ndarray) -> np.ndarray:
    """3×3 affine ``M`` (homogeneous ``(row, col, 1)``) with ``mov(M y) ≈ ref(y)``: the optical
    flow reduced to the affine motion that fits it best where the image has edges (inside a
    flat blood pool the flow is not determined by the image, and a free flow field there
    smears a carried stroke)."""
    from skimage.registration import optical_flow_ilk

    flow = optical_flow_ilk(ref, mov, radius=5)
    gr, gc = np.gradient(ref)
    w = np.sqrt(gr * gr + gc * gc).ravel()
    m = np.eye(3)
    if w.sum() <= 0:
        return m
    rr, cc = np.meshgrid(np.arange(ref.shape[0]), np.arange(ref.shape[1]), indexing="ij")
    x = np.stack([rr.ravel(), cc.ravel(), np.ones(rr.size)], axis=1)
    sw = np.sqrt(w / w.sum())[:, None]
    coef, *_ = np.linalg.lstsq(x * sw, flow.reshape(2, -1).T * sw, rcond=None)
    m[:2] += coef.T
    return m


def _boxes(changed: np.ndarray) -> dict[int, tuple[slice, slice]]:
    """Slice → crop (rows, cols) around the changed voxels on it, ``MARGIN_PX`` wider."""
    out = {}
    for z in np.flatnonzero(changed.any(axis=(1, 2))):
        rows, cols = np.nonzero(changed[z])
        out[int(z)] = (slice(max(0, rows.min() - MARGIN_PX),
                             min(changed.shape[1], rows.max() + MARGIN_PX + 1)),
                       slice(max(0, cols.min() - MARGIN_PX),
                             min(changed.shape[2], cols.max() + MARGIN_PX + 1)))
    return out


def propagate_correction(image: ImageVolume, maps: dict[int, np.ndarray], phase: int,
                         before: np.ndarray, *, tolerance: float = TOLERANCE) -> Propagated:
    """Carry the change ``before`` → ``maps[phase]`` to the other phases in ``maps``.

    Parameters
    ----------
    image : ImageVolume
        The cine (or 4D) image the label maps are on.
    maps : dict
        Phase → label map ``(k, j, i)``; not modified.
    phase : int
        The corrected phase; ``maps[phase]`` holds the corrected map.
    before : ndarray
        That phase's label map before the correction.
    tolerance : float
        Largest intensity difference, as a fraction of the image's 2–98 % range, between a
        voxel on another phase and the voxel it came from on the corrected phase.

    Returns
    -------
    Propagated
        The changed maps (only phases that changed), voxel counts and where it stopped.

    Examples
    --------
    See the module docstring.
    """
    after = maps[phase]
    if before.shape != after.shape:
        raise ValueError(f"label map before the correction has shape {before.shape}, "
                         f"the corrected one {after.shape}")
    changed = before != after
    res = Propagated()
    if not changed.any():
        return res
    arr = image.array
    lo, hi = np.percentile(arr[phase], (2.0, 98.0))
    tol = tolerance * max(float(hi - lo), 1e-6)
    boxes = _boxes(changed)
    for walk in _order(phase, arr.shape[0]):
        # per slice: the affine taking this phase's crop coordinates to the corrected phase's
        # (composed step by step, so the stroke is resampled once, not once per phase)
        total = {z: np.eye(3) for z in boxes}
        frm = phase
        for to in walk:
            carried = np.zeros(changed.shape, bool)
            old = np.zeros(changed.shape, before.dtype)
            new = np.zeros(changed.shape, after.dtype)
            for z, (rs, cs) in boxes.items():
                ref = arr[to, z, rs, cs].astype(np.float32)
                total[z] = total[z] @ _affine_flow(ref, arr[frm, z, rs, cs].astype(np.float32))
                rr, cc = np.meshgrid(np.arange(ref.shape[0]), np.arange(ref.shape[1]),
                                     indexing="ij")
                y = np.tensordot(total[z][:2], np.stack([rr, cc, np.ones_like(rr)]), axes=1)
                at = {n: map_coordinates(a[z, rs, cs], y, order=0, mode="constant")
                      for n, a in (("c", changed.astype(np.uint8)), ("o", before), ("n", after))}
                seen = map_coordinates(arr[phase, z, rs, cs].astype(np.float32), y, order=1,
                                       mode="nearest")
                carried[z, rs, cs] = (at["c"] > 0) & (np.abs(ref - seen) <= tol)
                old[z, rs, cs], new[z, rs, cs] = at["o"], at["n"]
            frm = to
            if not carried.any():
                res.stopped.append(to)
                break
            if to not in maps:
                continue
            lab = maps[to]
            apply = carried & (lab == old)
            n = int(apply.sum())
            if n:
                fixed = lab.copy()
                fixed[apply] = new[apply]
                res.maps[to], res.voxels[to] = fixed, n
    return res


def carried_seeds(image: ImageVolume, labels: np.ndarray, source: int, phase: int,
                  seeds: dict[str, list[tuple[int, int, int]]],
                  label_values: dict[str, int]) -> dict[str, list[tuple[int, int, int]]]:
    """Seeds for phase ``phase`` of a gated image from phase ``source``'s segmentation
    ``labels``.

    A seed is kept where the image on ``phase`` is as bright as that pool's blood (at least
    half its median on ``source``); otherwise it moves to the deepest voxel of the
    segmented pool that is.

    Examples
    --------
    >>> arr = np.zeros((2, 9, 9, 9), np.float32); arr[:, 2:7, 2:7, 2:7] = 300.0
    >>> arr[1, :, 2:4, 2:4] = 0.0                                  # the pool shrank
    >>> img = ImageVolume(arr, np.eye(4), (1.0, 1.0, 1.0), [0.0, 1.0], 0, 1, "CT")
    >>> lab = (arr[0] > 0).astype(np.uint8)
    >>> (seed,) = carried_seeds(img, lab, 0, 1, {"lv_blood": [(4, 2, 2)]}, {"lv_blood": 1}
    ...                         )["lv_blood"]
    >>> seed != (4, 2, 2), float(arr[1][seed])                       # moved into the blood
    (True, 300.0)
    """
    from scipy.ndimage import distance_transform_edt

    out = {}
    for key, pts in seeds.items():
        pool = labels == label_values[key]
        if not pool.any():
            out[key] = list(pts)
            continue
        blood = 0.5 * float(np.median(image.array[source][pool]))
        like = pool & (image.array[phase] >= blood)
        kept = [p for p in pts if like[p]]
        if kept or not like.any():
            out[key] = kept or list(pts)
            continue
        idx = np.nonzero(like)
        box = tuple(slice(int(i.min()), int(i.max()) + 1) for i in idx)
        depth = distance_transform_edt(np.pad(like[box], 1))[1:-1, 1:-1, 1:-1]
        best = np.unravel_index(int(np.argmax(depth)), depth.shape)
        out[key] = [tuple(int(b.start + v) for b, v in zip(box, best, strict=True))]
    return out

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


def _flow(ref: np.ndarray, mov: np.ndarray) -> np.ndarray:
    from skimage.registration import optical_flow_ilk

    return optical_flow_ilk(ref, mov, radius=5)


def _carry(arr: np.ndarray, frm: int, to: int, carried: np.ndarray, values: dict[str, np.ndarray]
           ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Move the carried mask (and its per-voxel values) from phase ``frm`` to ``to``."""
    out = np.zeros_like(carried)
    vals = {k: np.zeros_like(v) for k, v in values.items()}
    for z in np.flatnonzero(carried.any(axis=(1, 2))):
        rows, cols = np.nonzero(carried[z])
        r0, r1 = max(0, rows.min() - MARGIN_PX), min(carried.shape[1], rows.max() + MARGIN_PX + 1)
        c0, c1 = max(0, cols.min() - MARGIN_PX), min(carried.shape[2], cols.max() + MARGIN_PX + 1)
        ref = arr[to, z, r0:r1, c0:c1].astype(np.float32)
        mov = arr[frm, z, r0:r1, c0:c1].astype(np.float32)
        v, u = _flow(ref, mov)   # arr[frm](y + flow(y)) ≈ arr[to](y)
        rr, cc = np.meshgrid(np.arange(r1 - r0), np.arange(c1 - c0), indexing="ij")
        coords = np.array([rr + v, cc + u])
        out[z, r0:r1, c0:c1] = map_coordinates(carried[z, r0:r1, c0:c1].astype(np.uint8),
                                               coords, order=0, mode="constant") > 0
        for k, a in values.items():
            vals[k][z, r0:r1, c0:c1] = map_coordinates(a[z, r0:r1, c0:c1], coords, order=0,
                                                       mode="constant")
    return out, vals


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
    start = {"old": np.where(changed, before, 0).astype(np.float32),
             "new": np.where(changed, after, 0).astype(np.float32),
             "ref": np.where(changed, arr[phase], 0).astype(np.float32)}
    for walk in _order(phase, arr.shape[0]):
        carried, values, frm = changed.copy(), dict(start), phase
        for to in walk:
            carried, values = _carry(arr, frm, to, carried, values)
            carried &= np.abs(arr[to] - values["ref"]) <= tol
            frm = to
            if not carried.any():
                res.stopped.append(to)
                break
            if to not in maps:
                continue
            lab = maps[to]
            apply = carried & (lab == values["old"].astype(lab.dtype))
            n = int(apply.sum())
            if n:
                new = lab.copy()
                new[apply] = values["new"][apply].astype(lab.dtype)
                res.maps[to], res.voxels[to] = new, n
    return res

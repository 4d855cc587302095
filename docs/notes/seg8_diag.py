"""Where the cine segmenter loses volume and Dice on the biv-me heart, slice by slice (the
tables of docs/notes/seg8.md).

For each noise seed: the biv-me demo heart rendered as a cine stack with its 4CH and 2CH planes
(:func:`twinviewer.imaging.bivme_cine.bivme_sa_stack`, frames 0–21 every 3rd, as in
``seg7_eval.py``), segmented from the proposed seeds with the planes. Per slice, at ED (frame 0)
and ES (frame 9), in mL (pixel × 10 mm slice step):

- LV: slab-majority truth, segmented, missed pixels next to the true myocardium (the
  endocardial border), missed elsewhere, and false pixels;
- RV: truth, segmented, missed, and false pixels split by what the truth is there: another
  blood pool of the demo heart (RA, LA, aorta, pulmonary artery: background in the truth), or
  tissue.

``--no-trab``: the same render without trabeculation; ``--clean``: without trabeculation,
noise or coil field (to separate the image nuisances from the geometry).

Run from the worktree: ``PYTHONPATH=$PWD python docs/notes/seg8_diag.py [SEED ...] [--no-trab]
[--clean]``.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import ndimage

from twinviewer.core.anatomy import SurfaceMesh
from twinviewer.imaging import bivme_cine as bc
from twinviewer.imaging.bivme_wall import solid_mask
from twinviewer.imaging.cine_phantom import FAT_MM, Nuisance
from twinviewer.imaging.cine_seg import LV, MYO, RV, propose_seeds, segment_cine
from twinviewer.imaging.demo4d import demo_heart_4d

FRAMES = tuple(range(0, 24, 3))
STEP, THICK, PX = 10.0, 8.0, 2.0
OTHER = {1: "la", 2: "ra", 3: "aorta", 4: "pulmonary_artery"}


def other_blood(anatomy, frame: int) -> np.ndarray:
    """Per SA pixel, which other blood pool holds most of its slab (codes of :data:`OTHER`),
    on the grid of :func:`~twinviewer.imaging.bivme_cine.bivme_sa_stack`'s defaults."""
    axes, base = bc.sa_axes(anatomy, FRAMES[0])
    order = axes[[1, 2, 0]]

    def sa(key: str) -> SurfaceMesh:
        m = anatomy.structures[key].meshes[frame]
        return SurfaceMesh((m.points - base) @ order.T, m.faces)

    pts = np.concatenate([(anatomy.structures["epicardium"].meshes[f].points - base) @ order.T
                          for f in FRAMES])
    lo = np.floor((pts.min(axis=0) - FAT_MM - 25.0) / PX) * PX
    hi = np.ceil((pts.max(axis=0) + FAT_MM + 25.0) / PX) * PX
    lo[2], hi[2] = -THICK / 2 - max(2 * STEP, bc.LA_ABOVE_MM), hi[2]
    dims = [int(v) for v in np.round(hi - lo)]
    dims = (dims[0] - dims[0] % 2, dims[1] - dims[1] % 2, dims[2])
    centres = np.arange(0.5 * STEP, hi[2] - THICK / 2, STEP)
    k0 = np.round(centres - THICK / 2 - lo[2]).astype(int)
    rows, cols = dims[1] // 2, dims[0] // 2
    epi = solid_mask(sa("epicardium"), lo, dims, 1.0)
    ids = np.zeros((len(centres), rows, cols), np.uint8)
    for code, key in OTHER.items():
        inside = solid_mask(sa(key), lo, dims, 1.0) & ~epi
        for s, k in enumerate(k0):
            frac = inside[:, :, k:k + int(THICK)].reshape(cols, 2, rows, 2, int(THICK))
            ids[s][frac.mean(axis=(1, 3, 4)).T > 0.5] = code
    return ids


def table(seed: int, nuisance: Nuisance) -> None:
    anatomy = demo_heart_4d()
    st = bc.bivme_sa_stack(anatomy, frames=FRAMES, nuisance=nuisance)
    res = segment_cine(st.image, propose_seeds(st.image), planes=st.planes)
    vox = float(np.prod(st.image.spacing)) / 1000.0
    print(f"\n## seed {seed}, {nuisance}\nnotes: {'; '.join(res.notes)}")
    for p, f in enumerate(st.frames):
        if f not in (0, 9):
            continue
        ids = other_blood(anatomy, f)
        lab, tr = res.labels[p], st.truth[p]
        r = st.reference[f]
        print(f"\nframe {f}: LV ref {r['lv_blood']:.1f} mL, RV ref {r['rv_blood']:.1f} mL\n"
              "| slice | LV truth | LV seg | LV missed at the wall / elsewhere | LV false "
              "| RV truth | RV seg | RV missed | RV false: RA / LA / aorta / PA / tissue |\n"
              "|---|---|---|---|---|---|---|---|---|")
        for k in range(lab.shape[0]):
            s, t = lab[k], tr[k]
            if not ((t > 0) | (s > 0)).any():
                continue
            fn = (t == LV) & (s != LV)
            at_wall = fn & ndimage.binary_dilation(t == MYO)
            fp_rv = (s == RV) & (t != RV)
            split = [float((fp_rv & (ids[k] == c)).sum()) * vox for c in (2, 1, 3, 4)]
            split.append(float((fp_rv & (ids[k] == 0)).sum()) * vox)

            def ml(m: np.ndarray) -> str:
                return f"{float(m.sum()) * vox:.1f}"

            print(f"| {k} | {ml(t == LV)} | {ml(s == LV)} | {ml(at_wall)} / {ml(fn & ~at_wall)}"
                  f" | {ml((s == LV) & (t != LV))} | {ml(t == RV)} | {ml(s == RV)}"
                  f" | {ml((t == RV) & (s != RV))} | " + " / ".join(f"{v:.1f}" for v in split)
                  + " |")
        print(f"| all | {(tr == LV).sum() * vox:.1f} | {(lab == LV).sum() * vox:.1f} | | "
              f"| {(tr == RV).sum() * vox:.1f} | {(lab == RV).sum() * vox:.1f} | | |")


if __name__ == "__main__":
    seeds = [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [0, 1, 2]
    for sd in seeds:
        nz = Nuisance(seed=sd)
        if "--no-trab" in sys.argv or "--clean" in sys.argv:
            nz = Nuisance(seed=sd, trabeculation=0.0)
        if "--clean" in sys.argv:
            nz = Nuisance(seed=sd, trabeculation=0.0, noise=0.0, coil=0.0)
        table(sd, nz)

"""Accuracy of the cine segmenter per structure and phase (the tables of docs/notes/seg6.md).

Three image sets, three noise seeds each (Rician noise, trabeculation texture; coil field and
partial volume in all), proposed (default) seeds, CPU times of the segmentation:

1. the analytic phantom, 13 contiguous 8 mm slices base → beyond the apex (112 × 112 at
   1.6 mm), ED and ES: Dice and volumes against the slab-majority truth and the closed form;
2. the Siemens-like factory study end to end (six 8 mm slices 12–72 mm, 2 mm pixels, DICOM →
   import with the coverage step): EDV, ESV, LV mass against the closed form;
3. the biv-me demo heart rendered as a cine stack (:mod:`twinviewer.imaging.bivme_cine`,
   8 mm slices every 10 mm, 2 mm pixels, frames 0–21 every 3rd): Dice against the
   slab-majority truth, volumes against biv-me's own surfaces, LV mass against biv-me's LV
   wall × 1.05 g/mL.

Run from the worktree: ``PYTHONPATH=$PWD python docs/notes/seg6_eval.py [phantom|factory|bivme]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from twinviewer.imaging.cine_phantom import CineHeart, Nuisance, sa_stack
from twinviewer.imaging.cine_seg import LV, MYO, RV, propose_seeds, segment_cine

SEEDS = (0, 1, 2)
DENSITY = 1.05


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / max(float(a.sum() + b.sum()), 1.0)


def _row(name: str, lab: np.ndarray, truth: np.ndarray, vox_ml: float, ref: dict) -> str:
    v = {c: float((lab == c).sum()) * vox_ml for c in (LV, MYO, RV)}
    return (f"| {name} | {dice(lab == LV, truth == LV):.3f} | {dice(lab == MYO, truth == MYO):.3f}"
            f" | {dice(lab == RV, truth == RV):.3f} | {v[LV]:.1f} / {ref['lv']:.1f}"
            f" ({100 * (v[LV] / ref['lv'] - 1):+.1f} %) | {v[RV]:.1f} / {ref['rv']:.1f}"
            f" ({100 * (v[RV] / ref['rv'] - 1):+.1f} %) | {v[MYO]:.1f} / {ref['myo']:.1f}"
            f" ({100 * (v[MYO] / ref['myo'] - 1):+.1f} %) |")


HEADER = ("| case | Dice LV | Dice myo | Dice RV | LV mL seg / ref | RV mL seg / ref "
          "| LV myo mL seg / ref |\n|---|---|---|---|---|---|---|")


def phantom() -> None:
    h = CineHeart()
    n = 5
    print("Analytic phantom, 13 slices; ref LV = closed form, RV = 1 mm grid, myocardium = "
          "slab-majority truth on the segmented slices\n" + HEADER)
    for seed in SEEDS:
        img, truth = sa_stack(n_phases=n, nuisance=Nuisance(seed=seed))
        c0 = time.process_time()
        res = segment_cine(img, propose_seeds(img))
        cpu = time.process_time() - c0
        vox = float(np.prod(img.spacing)) / 1000.0
        for p, tag in ((0, "ED"), (2, "ES")):
            grid = h.volumes_on_grid(p / n, 1.0)
            segd = [k for k in range(img.shape[0]) if (res.labels[p][k] > 0).any()]
            ref = {"lv": h.lv_volume_ml(p / n), "rv": grid[3],
                   "myo": float((truth[p][segd] == MYO).sum()) * vox}
            print(_row(f"seed {seed} {tag} ({cpu:.2f} s CPU, 5 phases)", res.labels[p],
                       truth[p], vox, ref))


def factory() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.imaging.cine_factory import write_cine_study
    from twinviewer.imaging.study import import_study

    h = CineHeart()
    n = 5
    exact = h.volumes_on_grid(0.0, 0.5)
    print("\nFactory study end to end (6 slices 12–72 mm, 5 phases, import with coverage)\n"
          "| seed | LVEDV | LVESV | RVEDV | RVESV | LV mass | import CPU s |\n"
          "|---|---|---|---|---|---|---|")
    truth = {"LVEDV": h.lv_volume_ml(0.0), "LVESV": h.lv_volume_ml(2 / n),
             "RVEDV": exact[3], "RVESV": h.volumes_on_grid(2 / n, 0.5)[3],
             "LVmass": DENSITY * exact[2]}
    print("| truth | " + " | ".join(f"{v:.1f}" for v in truth.values()) + " | |")
    for seed in SEEDS:
        with tempfile.TemporaryDirectory() as d:
            write_cine_study(Path(d), n_phases=n, la_views=(), nuisance=Nuisance(seed=seed))
            c0 = time.process_time()
            a = import_study(Path(d), key=b"seg6-eval-key-0123456789abcdef!!")
            cpu = time.process_time() - c0
        m = {x.name: x for x in a.measurements}
        cells = [f"{m[k].value:.1f} ± {m[k].uncertainty:.1f} ({100 * (m[k].value / t - 1):+.1f} %)"
                 for k, t in truth.items()]
        print(f"| {seed} | " + " | ".join(cells) + f" | {cpu:.1f} |")


def bivme() -> None:
    from twinviewer.imaging.bivme_cine import bivme_sa_stack
    from twinviewer.imaging.demo4d import demo_heart_4d

    anatomy = demo_heart_4d()
    frames = tuple(range(0, 24, 3))
    print("\nbiv-me demo heart rendered (8 mm slices every 10 mm, 2 mm pixels, frames "
          f"{frames}); ref LV/RV = biv-me surfaces, myocardium = biv-me LV wall voxels\n"
          + HEADER)
    for seed in SEEDS:
        st = bivme_sa_stack(anatomy, frames=frames, nuisance=Nuisance(seed=seed))
        c0 = time.process_time()
        res = segment_cine(st.image, propose_seeds(st.image))
        cpu = time.process_time() - c0
        vox = float(np.prod(st.image.spacing)) / 1000.0
        for p, f in enumerate(st.frames):
            if f not in (0, 9):
                continue
            r = st.reference[f]
            ref = {"lv": r["lv_blood"], "rv": r["rv_blood"], "myo": r["lv_myocardium"]}
            print(_row(f"seed {seed} frame {f} ({cpu:.2f} s CPU, {len(frames)} phases)",
                       res.labels[p], st.truth[p], vox, ref))
        r0 = st.reference[0]
        mass = DENSITY * float((res.labels[0] == MYO).sum()) * vox
        print(f"|   LV mass seed {seed}: {mass:.1f} g vs biv-me LV wall × 1.05 = "
              f"{DENSITY * r0['lv_myocardium']:.1f} g, LV wall mesh × 1.05 = "
              f"{DENSITY * r0.get('lv_myocardium_mesh', np.nan):.1f} g (biv-me myocardium of "
              f"both ventricles × 1.05 = {DENSITY * r0['myocardium']:.1f} g); notes: "
              f"{'; '.join(res.notes)} | | | | | | |")


if __name__ == "__main__":
    for what in sys.argv[1:] or ("phantom", "factory", "bivme"):
        {"phantom": phantom, "factory": factory, "bivme": bivme}[what]()

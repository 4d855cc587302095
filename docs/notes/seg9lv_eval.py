"""Cine LV volumes as the user sees them: partial-voxel border and the mitral plane's column
fraction (the tables of docs/notes/seg9lv.md; seg7_eval.py's stacks and seeds).

Volumes are measured as ``import_study`` measures them: label volumes
(:func:`~twinviewer.imaging.measure.structure_volumes`), the LV blood counted by
:func:`~twinviewer.imaging.partial_volume.with_partial_volumes` with the segmenter's mitral
planes, then :func:`~twinviewer.imaging.coverage.complete_volumes`. Dice is of the binary
labels. Three noise seeds each:

1. ``bivme``: the biv-me demo heart rendered as a cine stack with its 4CH and 2CH planes
   (8 mm slices every 10 mm, 2 mm pixels, frames 0–21 every 3rd); references are biv-me's
   own capped surfaces (LV, RV) and its LV wall voxels;
2. ``phantom``: the analytic phantom (13 contiguous 8 mm slices, 5 phases, no long-axis
   planes); LV reference the closed form, RV a 1 mm grid, myocardium the slab-majority truth
   on the segmented slices;
3. ``phantom-la``: the same with its 4CH and 2CH cine planes (the mitral plane is exact
   there: a = 0, normal to the long axis);
4. ``factory``: the Siemens-like study end to end (DICOM, import with coverage, 5 phases).

Run from the worktree: ``PYTHONPATH=$PWD python docs/notes/seg9lv_eval.py [bivme|phantom|
phantom-la|factory]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from twinviewer.imaging.cine_phantom import CineHeart, Nuisance, sa_stack
from twinviewer.imaging.cine_seg import LV, MYO, RV, propose_seeds, segment_cine
from twinviewer.imaging.coverage import complete_volumes
from twinviewer.imaging.measure import structure_volumes
from twinviewer.imaging.partial_volume import with_partial_volumes
from twinviewer.imaging.segmentation import LABEL_VALUES

SEEDS = (0, 1, 2)
HEADER = ("| case | Dice LV | Dice myo | Dice RV | LV mL labels / partial voxels / **measured** / "
          "ref | RV mL "
          "measured / ref | LV myo mL measured / ref |\n|---|---|---|---|---|---|---|")


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / max(float(a.sum() + b.sum()), 1.0)


def measured(image, res) -> tuple[dict, float]:
    """Per-phase volumes as the import measures them (``'pv'``: before the coverage step adds
    pool beyond the stack), and their CPU seconds."""
    c0 = time.process_time()
    raw = {p: structure_volumes(lab, image.spacing, LABEL_VALUES, "MR segmentation")
           for p, lab in res.labels.items()}
    pv = with_partial_volumes(raw, image, res.labels, res.mitral)
    vols, _ = complete_volumes(pv, res.labels, image.spacing, LABEL_VALUES, res.mitral)
    for p in vols:
        vols[p]["pv"] = pv[p]["lv_blood"]
    return vols, time.process_time() - c0


def _pct(v: float, ref: float) -> str:
    return f"{v:.1f} / {ref:.1f} ({100 * (v / ref - 1):+.1f} %)"


def _row(name: str, lab: np.ndarray, truth: np.ndarray, vols: dict, vox_ml: float,
         ref: dict) -> str:
    lv_labels = float((lab == LV).sum()) * vox_ml
    return (f"| {name} | {dice(lab == LV, truth == LV):.3f} | {dice(lab == MYO, truth == MYO):.3f}"
            f" | {dice(lab == RV, truth == RV):.3f} | {lv_labels:.1f} / {vols['pv'].value:.1f} /"
            f" **{vols['lv_blood'].value:.1f}** / {ref['lv']:.1f} "
            f"(**{100 * (vols['lv_blood'].value / ref['lv'] - 1):+.1f} %**) | "
            f"{_pct(vols['rv_blood'].value, ref['rv'])} | "
            f"{_pct(vols['lv_myocardium'].value, ref['myo'])} |")


def bivme() -> None:
    from twinviewer.imaging.bivme_cine import bivme_sa_stack
    from twinviewer.imaging.demo4d import demo_heart_4d

    anatomy = demo_heart_4d()
    frames = tuple(range(0, 24, 3))
    print("biv-me demo heart (8 phases, 4CH + 2CH); ref = biv-me surfaces / LV wall voxels\n"
          + HEADER)
    for seed in SEEDS:
        st = bivme_sa_stack(anatomy, frames=frames, nuisance=Nuisance(seed=seed))
        c0 = time.process_time()
        res = segment_cine(st.image, propose_seeds(st.image), planes=st.planes)
        cpu = time.process_time() - c0
        vols, cpu_v = measured(st.image, res)
        vox = float(np.prod(st.image.spacing)) / 1000.0
        for p, f in enumerate(st.frames):
            if f in (0, 9):
                r = st.reference[f]
                ref = {"lv": r["lv_blood"], "rv": r["rv_blood"], "myo": r["lv_myocardium"]}
                print(_row(f"seed {seed} {'ED' if f == 0 else 'ES'} (frame {f})",
                           res.labels[p], st.truth[p], vols[p], vox, ref))
        print(f"|   seed {seed}: segmentation {cpu:.2f} s, volumes {cpu_v:.2f} s CPU; mitral "
              f"plane in phases {sorted(res.mitral)} | | | | | | |")


def phantom_planes(heart: CineHeart, n_phases: int, nuisance: Nuisance, px: float = 2.0,
                   rows: int = 144, cols: int = 128, thickness: float = 8.0) -> list:
    """The phantom's 4CH and 2CH cine planes (as the factory study plans them), in memory."""
    from twinviewer.core.anatomy import ImagePlane, ImageVolume
    from twinviewer.imaging.cine_phantom import U, V, W, plane_points, render

    out = []
    for view, row in (("4CH", V), ("2CH", W)):
        col = U
        origin = (np.asarray(heart.base_centre) + 45 * U - (cols / 2) * px * row
                  - (rows / 2) * px * col)
        normal = np.cross(row, col)
        pts = plane_points(origin, [*row, *col], (px, px), rows, cols)
        arr = np.stack([1000.0 * render(heart, pts, normal, p / n_phases, thickness_mm=thickness,
                                        pixel_mm=px, nuisance=nuisance, sub=2)[None]
                        for p in range(n_phases)]).astype(np.float32)
        aff = np.eye(4)
        aff[:3, 0], aff[:3, 1], aff[:3, 2], aff[:3, 3] = normal, col * px, row * px, origin
        out.append(ImagePlane(view, ImageVolume(
            arr, aff, (thickness, px, px), [860.0 * p / n_phases for p in range(n_phases)], 0,
            2, "MR", f"phantom {view} cine", thickness)))
    return out


def phantom(with_planes: bool = False) -> None:
    """The analytic phantom; ``with_planes``: with its 4CH and 2CH planes, where the mitral
    plane is exact (a = 0, normal to the long axis) and the basal slab reaches 2 mm above it
    into tissue."""
    h = CineHeart()
    n = 5
    print(f"\nAnalytic phantom (13 slices, 5 phases, "
          f"{'4CH + 2CH planes' if with_planes else 'no long-axis planes'})\n" + HEADER)
    for seed in SEEDS:
        nz = Nuisance(seed=seed)
        img, truth = sa_stack(n_phases=n, nuisance=nz)
        planes = phantom_planes(h, n, nz) if with_planes else ()
        res = segment_cine(img, propose_seeds(img), planes=planes)
        vols, cpu_v = measured(img, res)
        vox = float(np.prod(img.spacing)) / 1000.0
        for p, tag in ((0, "ED"), (2, "ES")):
            segd = [k for k in range(img.shape[0]) if (res.labels[p][k] > 0).any()]
            ref = {"lv": h.lv_volume_ml(p / n), "rv": h.volumes_on_grid(p / n, 1.0)[3],
                   "myo": float((truth[p][segd] == MYO).sum()) * vox}
            print(_row(f"seed {seed} {tag}", res.labels[p], truth[p], vols[p], vox, ref))
        pl = res.mitral.get(0)
        where = "-" if pl is None else f"{pl.depth(np.asarray(h.base_centre)[None])[0]:+.1f} mm"
        print(f"|   seed {seed}: volumes {cpu_v:.2f} s CPU; mitral plane in phases "
              f"{sorted(res.mitral)}, at ED {where} from the true one at its centre "
              "| | | | | | |")


def factory() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.imaging.cine_factory import write_cine_study
    from twinviewer.imaging.study import import_study

    h = CineHeart()
    n = 5
    exact = h.volumes_on_grid(0.0, 0.5)
    truth = {"LVEDV": h.lv_volume_ml(0.0), "LVESV": h.lv_volume_ml(2 / n),
             "RVEDV": exact[3], "RVESV": h.volumes_on_grid(2 / n, 0.5)[3],
             "LVmass": 1.05 * exact[2]}
    print("\nFactory study end to end (6 slices 12–72 mm, 5 phases, import with coverage)\n"
          "| seed | " + " | ".join(truth) + " |\n|---|---|---|---|---|---|\n"
          "| truth | " + " | ".join(f"{v:.1f}" for v in truth.values()) + " |")
    for seed in SEEDS:
        with tempfile.TemporaryDirectory() as d:
            write_cine_study(Path(d), n_phases=n, la_views=(), nuisance=Nuisance(seed=seed))
            a = import_study(Path(d), key=b"seg9lv-eval-key-0123456789abcdef")
        m = {x.name: x for x in a.measurements}
        print(f"| {seed} | " + " | ".join(
            f"{m[k].value:.1f} ± {m[k].uncertainty:.1f} ({100 * (m[k].value / t - 1):+.1f} %)"
            for k, t in truth.items()) + " |")


if __name__ == "__main__":
    for what in sys.argv[1:] or ("bivme", "phantom", "factory"):
        {"bivme": bivme, "phantom": phantom, "phantom-la": lambda: phantom(True),
         "factory": factory}[what]()

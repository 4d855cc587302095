"""The RV base on the biv-me heart rendered as cine (the tables of docs/notes/seg9rv.md).

For each noise seed (0, 1, 2): the biv-me demo heart rendered as in ``seg7_eval.py`` (8 mm
slices every 10 mm, 2 mm pixels, frames 0–21 every 3rd, with its 4CH and 2CH planes),
segmented from the proposed seeds with the planes. Printed:

1. the tricuspid orifice found (:mod:`twinviewer.imaging.rv_base`) against biv-me's own
   tricuspid opening (the RV mesh's valve loop): the distance of each hinge from the loop's
   points nearest the 4CH plane, along the long axis and across it; the orifice's centre
   against the loop's centre (depth along the loop's own normal), radius, tilt;
2. Dice and volumes per structure at ED (frame 0) and ES (frame 9), as in ``seg7_eval.py``;
3. ES RV per slice: slab-majority truth, segmented, missed, false (mL), Dice.

``phantom`` runs ``seg7_eval.py``'s analytic-phantom table. Run from the worktree:
``PYTHONPATH=$PWD python docs/notes/seg9rv_eval.py [bivme] [phantom]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seg7_eval import HEADER, _row, dice, phantom  # noqa: E402

from twinviewer.imaging.annulus import find_annuli  # noqa: E402
from twinviewer.imaging.bivme_cine import bivme_sa_stack  # noqa: E402
from twinviewer.imaging.cine_phantom import Nuisance  # noqa: E402
from twinviewer.imaging.cine_seg import RV, _propose_slices, propose_seeds, segment_cine  # noqa: E402
from twinviewer.imaging.demo4d import demo_heart_4d, valve_loops  # noqa: E402

SEEDS = (0, 1, 2)
FRAMES = tuple(range(0, 24, 3))


def orifice_check(st, anatomy) -> None:
    """Hinges and orifice found against biv-me's own tricuspid loop, per frame."""
    img = st.image
    (_, _), per, _ = _propose_slices(img.array[0], propose_seeds(img), img.spacing[1])
    ann = find_annuli(img, st.planes, {k: v[0] for k, v in per.items()},
                      {k: v[1] for k, v in per.items()})
    loop = valve_loops(anatomy)["tricuspid"]
    four = next(p for p in st.planes if p.view == "4CH").image
    u = st.axes[0]
    print("| frame | septal hinge: along / across mm | lateral hinge: along / across mm "
          "| centre off mm (depth) | radius found / true mm | tilt ° |\n|---|---|---|---|---|---|")
    for p, f in enumerate(st.frames):
        pts = anatomy.structures["rv_blood"].meshes[f].points[loop]
        near = pts[np.argsort(np.abs(four.patient_to_index(pts)[:, 0]))[:12]]
        c = pts.mean(axis=0)
        n = np.linalg.svd(pts - c)[2][2]
        n = n * np.sign(n @ u)
        o = ann.orifice.get(p)
        if o is None:
            print(f"| {f} | not found | | | | |")
            continue
        cells = []
        for h in o.hinges:
            d = h - near[np.argmin(np.linalg.norm(near - h, axis=1))]
            cells.append(f"{d @ u:+.1f} / {np.linalg.norm(d - (d @ u) * u):.1f}")
        r_true = float(np.linalg.norm(pts - c, axis=1).mean())
        tilt = np.degrees(np.arccos(min(1.0, abs(float(o.normal @ n)))))
        print(f"| {f} | {cells[0]} | {cells[1]} | {np.linalg.norm(o.centre - c):.1f} "
              f"({(o.centre - c) @ n:+.1f}) | {o.radius:.1f} / {r_true:.1f} | {tilt:.0f} |")
    print("notes: " + "; ".join(ann.notes))


def bivme() -> None:
    anatomy = demo_heart_4d()
    tables, per_slice = [], []
    for seed in SEEDS:
        st = bivme_sa_stack(anatomy, frames=FRAMES, nuisance=Nuisance(seed=seed))
        print(f"\n## seed {seed}: tricuspid orifice against biv-me's own")
        orifice_check(st, anatomy)
        c0 = time.process_time()
        res = segment_cine(st.image, propose_seeds(st.image), planes=st.planes)
        cpu = time.process_time() - c0
        vox = float(np.prod(st.image.spacing)) / 1000.0
        for p, f in enumerate(st.frames):
            if f not in (0, 9):
                continue
            r = st.reference[f]
            ref = {"lv": r["lv_blood"], "rv": r["rv_blood"], "myo": r["lv_myocardium"]}
            tables.append(_row(f"seed {seed} {'ED' if f == 0 else 'ES'} ({cpu:.2f} s CPU, "
                               f"{len(FRAMES)} phases)", res.labels[p], st.truth[p], vox, ref))
        p = st.frames.index(9)
        lab, tr = res.labels[p], st.truth[p]
        for k in range(lab.shape[0]):
            s, t = lab[k] == RV, tr[k] == RV
            if s.any() or t.any():
                per_slice.append(f"| {seed} | {k} | {t.sum() * vox:.1f} | {s.sum() * vox:.1f} "
                                 f"| {(t & ~s).sum() * vox:.1f} | {(s & ~t).sum() * vox:.1f} "
                                 f"| {dice(s, t):.3f} |")
        print("notes: " + "; ".join(res.notes))
    print("\n## biv-me rendered as cine, with its 4CH/2CH planes; ref LV/RV = biv-me surfaces, "
          "myocardium = biv-me LV wall voxels\n" + HEADER)
    print("\n".join(tables))
    print("\n## ES RV per slice (mL)\n| seed | slice | truth | seg | missed | false | Dice |\n"
          "|---|---|---|---|---|---|---|")
    print("\n".join(per_slice))


if __name__ == "__main__":
    for what in sys.argv[1:] or ("bivme", "phantom"):
        {"bivme": bivme, "phantom": phantom}[what]()

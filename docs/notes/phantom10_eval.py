"""Cine volumes on the import's own path (label counts, then the coverage step, no mitral
planes), before and after phantom10's basal-slab check (docs/notes/phantom10.md).

Each volume is measured as :func:`twinviewer.imaging.study.import_study` and the Segment
panel's Accept measure it: :func:`~twinviewer.imaging.measure.structure_volumes` on the
labels, then :func:`~twinviewer.imaging.coverage.complete_volumes` (``old``: without the
image, i.e. the basal gap always assumed; ``new``: with it). Three noise seeds each:

1. ``phantom``: the analytic phantom, 13 contiguous 8 mm slices from 2 mm (the first slab
   reaches 2 mm above the base), no long-axis views; LV ref the closed form ``2/3 π R² L``,
   RV a 1 mm grid;
2. ``bivme``: the biv-me demo heart rendered as cine (refs: biv-me's own capped surfaces);
3. ``factory``: the Siemens-like DICOM study end to end through ``import_study`` (6 slices
   12–72 mm; ``factory`` without and ``factory-la`` with its long-axis views).

Run from the worktree: ``PYTHONPATH=$PWD python docs/notes/phantom10_eval.py [phantom|bivme|
factory|factory-la]`` (``PHANTOM10_SEEDS=0`` for one seed). References on a 1 mm grid where
there is no closed form.
"""

from __future__ import annotations

import inspect
import os
import sys
import tempfile
from pathlib import Path

from twinviewer.imaging.cine_phantom import CineHeart, Nuisance, sa_stack
from twinviewer.imaging.cine_seg import propose_seeds, segment_cine
from twinviewer.imaging.coverage import complete_volumes
from twinviewer.imaging.measure import structure_volumes
from twinviewer.imaging.segmentation import LABEL_VALUES

SEEDS = tuple(int(v) for v in os.environ.get("PHANTOM10_SEEDS", "0,1,2").split(","))
HAS_IMAGE = "image" in inspect.signature(complete_volumes).parameters


def volumes(image, labels) -> dict[str, dict]:
    """``{'old'|'new': {phase: volumes}}`` as the import measures them."""
    raw = {p: structure_volumes(lab, image.spacing, LABEL_VALUES, "MR segmentation")
           for p, lab in labels.items()}
    out = {"old": complete_volumes(raw, labels, image.spacing, LABEL_VALUES)[0]}
    if HAS_IMAGE:
        out["new"] = complete_volumes(raw, labels, image.spacing, LABEL_VALUES,
                                      image=image)[0]
    out["labels"] = raw
    return out


def _pct(v: float, ref: float) -> str:
    return f"{v:.1f} ({100 * (v / ref - 1):+.1f} %)"


def _rows(tag: str, vols: dict, p: int, ref: dict) -> str:
    cells = []
    for key, r in (("lv_blood", ref["lv"]), ("rv_blood", ref["rv"])):
        cells.append(" / ".join(_pct(vols[k][p][key].value, r) for k in vols if k != "labels")
                     + f" / ref {r:.1f}")
    return f"| {tag} | " + " | ".join(cells) + " |"


HEADER = ("| case | LV mL old / new / ref | RV mL old / new / ref |\n|---|---|---|")


def phantom() -> None:
    h = CineHeart()
    n = 5
    print("\nAnalytic phantom (13 contiguous 8 mm slices from 2 mm, 5 phases, no long-axis "
          "views)\n" + HEADER)
    for seed in SEEDS:
        img, _ = sa_stack(n_phases=n, nuisance=Nuisance(seed=seed))
        res = segment_cine(img, propose_seeds(img))
        v = volumes(img, res.labels)
        for p, tag in ((0, "ED"), (2, "ES")):
            ref = {"lv": h.lv_volume_ml(p / n), "rv": h.volumes_on_grid(p / n, 1.0)[3]}
            print(_rows(f"seed {seed} {tag}", v, p, ref))


def bivme() -> None:
    from twinviewer.imaging.bivme_cine import bivme_sa_stack
    from twinviewer.imaging.demo4d import demo_heart_4d

    anatomy = demo_heart_4d()
    frames = tuple(range(0, 24, 3))
    print("\nbiv-me demo heart (8 phases, segmented with its 4CH + 2CH planes as the import "
          "does; volumes without mitral phases as the import measures them)\n" + HEADER)
    for seed in SEEDS:
        st = bivme_sa_stack(anatomy, frames=frames, nuisance=Nuisance(seed=seed))
        res = segment_cine(st.image, propose_seeds(st.image), planes=st.planes)
        v = volumes(st.image, res.labels)
        for p, f in enumerate(st.frames):
            if f in (0, 9):
                r = st.reference[f]
                print(_rows(f"seed {seed} {'ED' if f == 0 else 'ES'} (frame {f})", v, p,
                            {"lv": r["lv_blood"], "rv": r["rv_blood"]}))


def factory(la: bool) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.imaging.cine_factory import LA_VIEWS, write_cine_study
    from twinviewer.imaging.study import import_study

    h = CineHeart()
    n = 5
    exact = h.volumes_on_grid(0.0, 1.0)
    truth = {"LVEDV": h.lv_volume_ml(0.0), "LVESV": h.lv_volume_ml(2 / n),
             "RVEDV": exact[3], "RVESV": h.volumes_on_grid(2 / n, 1.0)[3],
             "LVmass": 1.05 * exact[2]}
    print(f"\nFactory study end to end (6 slices 12–72 mm, 5 phases, "
          f"{'with' if la else 'without'} long-axis views; import_study as it is in this tree)\n"
          "| seed | " + " | ".join(truth) + " |\n|---|---|---|---|---|---|\n"
          "| truth | " + " | ".join(f"{v:.1f}" for v in truth.values()) + " |")
    for seed in SEEDS:
        with tempfile.TemporaryDirectory() as d:
            write_cine_study(Path(d), n_phases=n, la_views=tuple(LA_VIEWS) if la else (),
                             nuisance=Nuisance(seed=seed))
            a = import_study(Path(d), key=b"phantom10-eval-key-0123456789abcd")
        m = {x.name: x for x in a.measurements}
        print(f"| {seed} | " + " | ".join(
            f"{m[k].value:.1f} ± {m[k].uncertainty:.1f} ({100 * (m[k].value / t - 1):+.1f} %)"
            for k, t in truth.items()) + " |")


if __name__ == "__main__":
    for what in sys.argv[1:] or ("phantom", "bivme", "factory", "factory-la"):
        {"phantom": phantom, "bivme": bivme, "factory": lambda: factory(False),
         "factory-la": lambda: factory(True)}[what]()

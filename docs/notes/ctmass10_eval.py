"""CT LV myocardium (mass) and pools from default seeds against the truth (ctmass10 note).

``demo``: the demo gated CT written by :func:`write_demo_study` on its default grid
(90x160x160 at 1.8x1.0x1.0 mm), imported, its SEG the reference; ``demo-test-grid``: the
same on the test suite's grid (60x110x110 at 2.7x1.4x1.4 mm); ``phantom-noise25HU``: the
same phantom at twice the noise (25 HU, seed 3), its label map the reference. Seeds: the
proposed ones (``propose_ct_seeds``), as a user who accepts the defaults.
Mass = volume x 1.05 g/mL, so its error is the volume's.

Run from the worktree: ``PYTHONPATH=$PWD python docs/notes/ctmass10_eval.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from twinviewer.core.anatomy import ImageVolume
from twinviewer.imaging.ct_seeds import propose_ct_seeds
from twinviewer.imaging.ct_seg import segment_ct
from twinviewer.imaging.demo import write_demo_study
from twinviewer.imaging.phantom import LABEL_VALUES, ct_hounsfield, grid_affine, make_labels
from twinviewer.imaging.study import import_study

KEYS = ("lv_myocardium", "lv_blood", "rv_blood", "la", "ra", "aorta", "pulmonary_artery")
DENSITY = 1.05  # g/mL, myocardium


def report(name: str, phase, image: ImageVolume, ref: np.ndarray, p) -> None:
    seeds = propose_ct_seeds(image, p)
    lab = segment_ct(image, seeds, p)
    vox = float(np.prod(image.spacing)) / 1000.0
    row = []
    for k in KEYS:
        a, b = lab == LABEL_VALUES[k], ref == LABEL_VALUES[k]
        dice = 2 * (a & b).sum() / (a.sum() + b.sum())
        unit = "g" if k == "lv_myocardium" else "mL"
        f = DENSITY if k == "lv_myocardium" else 1.0
        row.append(f"{k} {a.sum() * vox * f:.1f}/{b.sum() * vox * f:.1f} {unit} "
                   f"({100 * (a.sum() / b.sum() - 1):+.1f} %, Dice {dice:.3f})")
    print(f"{name} {phase}: " + "; ".join(row), flush=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, shape, sp in (("demo", (90, 160, 160), (1.8, 1.0, 1.0)),
                                ("demo-test-grid", (60, 110, 110), (2.7, 1.4, 1.4))):
            folder = Path(tmp) / name
            write_demo_study(folder, shape=shape, spacing=sp, seed=0)
            a = import_study(folder, key=b"ct-seg-demo-key-0123456789abcdef")
            for phase, ref in a.labels.items():
                report(name, phase, a.image, ref, phase)
    shape, sp = (90, 160, 160), (1.8, 1.0, 1.0)
    for phase, seed, noise in (("ED", 3, 25.0), ("ES", 3, 25.0)):
        truth = make_labels(shape, sp, phase)
        hu = ct_hounsfield(truth, sp, rng=np.random.default_rng(seed), noise_hu=noise)
        img = ImageVolume(hu, grid_affine(shape, sp), sp, modality="CT")
        report(f"phantom-noise{noise:.0f}HU", phase, img, truth, None)


if __name__ == "__main__":
    main()

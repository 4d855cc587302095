"""import11's figures (review11 #10): the LV base measured from the mitral annulus found in the
long-axis views (``coverage.annulus_gap``) against the assumed uniform plane, on

- ``shift``: the analytic cine phantom's study with its 8 mm stack shifted along the axis,
  imported end to end (``import_study``), with and without long-axis views
  (``IMPORT11_LA=0|1``); truth: LV closed form, RV on a 1.5 mm grid;
- ``bivme``: the biv-me demo heart rendered as cine with its 4CH + 2CH planes (3 noise
  seeds, frames 0 and 9 as in phantom10_eval), ``old`` = without the planes' annulus,
  ``new`` = with it; truth: biv-me's own capped surfaces;
- ``factory``: the Siemens-like study (6 slices 12–72 mm) with long-axis views, end to end.

Run: ``PYTHONPATH=. python docs/notes/import11_eval.py [shift|bivme|factory]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.imaging.cine_factory import LA_VIEWS, write_cine_study  # noqa: E402
from twinviewer.imaging.cine_phantom import CineHeart, Nuisance  # noqa: E402
from twinviewer.imaging.cine_seg import propose_seeds, segment_cine  # noqa: E402
from twinviewer.imaging.coverage import complete_volumes  # noqa: E402
from twinviewer.imaging.measure import structure_volumes  # noqa: E402
from twinviewer.imaging.segmentation import LABEL_VALUES  # noqa: E402
from twinviewer.imaging.study import import_study  # noqa: E402

KEY = b"import11-eval-key-0123456789abcde"
N = 5


def _pct(v: float, ref: float) -> str:
    return f"{v:.1f} ({100 * (v / ref - 1):+.1f} %)"


def _truth(h: CineHeart, ed: int, es: int) -> dict[str, float]:
    return {"LVEDV": h.lv_volume_ml(ed / N), "LVESV": h.lv_volume_ml(es / N),
            "RVEDV": h.volumes_on_grid(ed / N, 1.5)[3], "RVESV": h.volumes_on_grid(es / N, 1.5)[3]}


def shift() -> None:
    la = os.environ.get("IMPORT11_LA", "1") == "1"
    h = CineHeart()
    print(f"\nshifted stack, {'with' if la else 'without'} long-axis views\n"
          "| first slab (mm) | LVEDV | LVESV | RVEDV | RVESV |\n|---|---|---|---|---|")
    for start in (-4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0):
        with tempfile.TemporaryDirectory() as d:
            pos = tuple(float(a) for a in np.arange(start, start + 104.0, 8.0))
            write_cine_study(Path(d), n_phases=N, sa_positions_mm=pos,
                             la_views=tuple(LA_VIEWS) if la else ())
            a = import_study(Path(d), key=KEY)
        m = {x.name: x for x in a.measurements}
        t = _truth(h, a.image.ed_index, a.image.es_index)
        print(f"| {start - 4:+.0f}…{start + 4:+.0f} | " + " | ".join(
            f"{_pct(m[k].value, v)}, z {(m[k].value - v) / m[k].uncertainty:+.1f}"
            for k, v in t.items()) + " |", flush=True)


def bivme() -> None:
    from twinviewer.imaging.bivme_cine import bivme_sa_stack
    from twinviewer.imaging.demo4d import demo_heart_4d

    anatomy = demo_heart_4d()
    print("\nbiv-me demo heart as cine with 4CH + 2CH (8 phases)\n"
          "| case | LV mL old / new / ref | RV mL old / new / ref |\n|---|---|---|")
    for seed in (0, 1, 2):
        st = bivme_sa_stack(anatomy, frames=tuple(range(0, 24, 3)),
                            nuisance=Nuisance(seed=seed))
        img = st.image
        res = segment_cine(img, propose_seeds(img), planes=st.planes)
        raw = {p: structure_volumes(lab, img.spacing, LABEL_VALUES, "MR segmentation")
               for p, lab in res.labels.items()}
        old = complete_volumes(raw, res.labels, img.spacing, LABEL_VALUES, image=img)[0]
        new = complete_volumes(raw, res.labels, img.spacing, LABEL_VALUES, image=img,
                               mitral=res.mitral)[0]
        for p, f in enumerate(st.frames):
            if f in (0, 9):
                r = st.reference[f]
                cells = [" / ".join(_pct(v[p][k].value, r[k]) for v in (old, new))
                         + f" / {r[k]:.1f}" for k in ("lv_blood", "rv_blood")]
                print(f"| seed {seed} frame {f} (mitral {'found' if p in res.mitral else '—'})"
                      f" | " + " | ".join(cells) + " |", flush=True)


def factory() -> None:
    h = CineHeart()
    for seed in (0, 1):
        with tempfile.TemporaryDirectory() as d:
            write_cine_study(Path(d), n_phases=N, nuisance=Nuisance(seed=seed))
            a = import_study(Path(d), key=KEY)
        m = {x.name: x for x in a.measurements}
        t = _truth(h, a.image.ed_index, a.image.es_index)
        print(f"factory with long-axis views, seed {seed}: " + "; ".join(
            f"{k} {m[k].value:.1f} ± {m[k].uncertainty:.1f} vs {v:.1f} "
            f"({100 * (m[k].value / v - 1):+.1f} %)" for k, v in t.items()), flush=True)


if __name__ == "__main__":
    for what in sys.argv[1:] or ("shift", "bivme", "factory"):
        {"shift": shift, "bivme": bivme, "factory": factory}[what]()

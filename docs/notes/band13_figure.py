"""band13's figure: the PV-loop band per time sample (before) and over each member's own phase
(after), with the faint member loops, on the demo twin and on prior ensembles (hfref: wide).

    PYTHONPATH=$PWD .venv/bin/python docs/notes/band13_figure.py docs/notes/band13_pv_band.png
"""

from __future__ import annotations

import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402

from twinviewer.physiology.pv_band import loop_centroid, phase_band  # noqa: E402


def ensembles():
    from twinviewer.gui import demo_heart
    from twinviewer.physiology.virtual_hearts import predict
    from twinviewer.twins import simulate_twin

    twin = demo_heart.load_demo_twin()
    if twin is not None:
        yield "demo twin (calibrated)", simulate_twin(twin)
    for name in ("hfref", "severe_mr"):
        yield f"{name} prior", predict(name)


def main(out: str) -> None:
    rows = list(ensembles())
    fig, axs = plt.subplots(len(rows), 2, figsize=(10, 4.3 * len(rows)))
    for (title, r), (a0, a1) in zip(rows, np.atleast_2d(axs), strict=True):
        ok = r.ok
        v, p = r.series["V_LV"][ok], r.series["p_LV"][ok]
        b = phase_band(v, p, r.series["Q_MV"][ok], r.series["Q_AV"][ok])
        lo, med, hi = np.percentile(p, [5, 50, 95], axis=0)
        vm = np.median(v, axis=0)
        for ax in (a0, a1):
            for i in range(0, len(v), max(1, len(v) // 40)):
                ax.plot(np.r_[v[i], v[i, :1]], np.r_[p[i], p[i, :1]], color="0.65", lw=0.5)
            ax.set_xlabel("LV volume (mL)")
            ax.set_ylabel("LV pressure (mmHg)")
        for x, low, high in zip(vm, lo, hi, strict=True):
            a0.plot([x, x], [low, high], color=(0.1, 0.35, 0.8, 0.25), lw=2)
        a0.plot(np.r_[vm, vm[:1]], np.r_[med, med[:1]], color="b", lw=2)
        a0.set_title(f"{title}: before — 5–95 % per time sample", fontsize=9)
        verts = np.concatenate(b.rings)
        codes = np.concatenate([[Path.MOVETO] + [Path.LINETO] * (len(g) - 2) + [Path.CLOSEPOLY]
                                for g in b.rings])
        a1.add_patch(PathPatch(Path(verts, codes), facecolor=(0.1, 0.35, 0.8, 0.18),
                               edgecolor="none"))
        for g in b.rings:
            a1.plot(g[:, 0], g[:, 1], color=(0.1, 0.35, 0.8), lw=1)
        a1.plot(np.r_[b.v_median, b.v_median[:1]], np.r_[b.p_median, b.p_median[:1]],
                color="b", lw=2)
        m = len(b.v_median) // 4
        a1.plot(b.v_median[::m], b.p_median[::m], "ro", ms=4)
        c = loop_centroid(b.v_median, b.p_median)
        a1.plot(*c, "k+", ms=12)
        a1.set_title(f"{title}: after — per own phase (red: valve events; +: centre "
                     f"{'in' if b.contains(*c)[0] else 'outside'} band)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=65)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "band13_pv_band.png")

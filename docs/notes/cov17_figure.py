"""cov17: the figure — pooled coverage per setting and seed (volume curves, 100 patients per
setting, shipped terms) against the issue's 85–95 % band, each output's cell beside it.

    PYTHONPATH=$PWD python docs/notes/cov17_figure.py OUT.png /tmp/cov17/s23 /tmp/cov17/s31 ...
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from twinviewer.personalize.coverage import (  # noqa: E402
    coverage_table,
    load_records,
    load_refused,
    overall,
)
from twinviewer.personalize.synthetic import SETTINGS, UNMEASURED  # noqa: E402

MARKERS = dict(zip(UNMEASURED, "v^<>s", strict=True))


def main(out: str, dirs: list[str]) -> None:
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    ax.axhspan(85, 95, color="tab:green", alpha=0.12, label="issue 12: 85–95 %")
    width = 0.8 / len(dirs)
    for k, d in enumerate(dirs):
        recs = load_records([d])
        rows = coverage_table(recs, refused=load_refused([d]))
        seed = recs[0].seed
        for j, s in enumerate(SETTINGS):
            x = j - 0.4 + width * (k + 0.5)
            for r in rows:
                if r.setting == f"{s}/curves":
                    ax.scatter(x, 100 * r.coverage, marker=MARKERS[r.output], s=12,
                               color="0.6", zorder=2,
                               label=r.output if (j, k) == (0, 0) else None)
            ax.bar(x, 0, width)  # keeps the x extent
            ax.scatter(x, 100 * overall(rows, f"{s}/curves"), s=45, zorder=3,
                       color=f"C{k}", label=f"seed {seed} pooled" if j == 0 else None)
    ax.set_xticks(range(len(SETTINGS)), SETTINGS)
    ax.set_ylabel("90 % intervals covering the truth (%)")
    ax.set_ylim(55, 101)
    ax.set_title("Volume curves + cuff, 100 patients per setting and seed (shipped terms)")
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])

"""Cohort plots: distributions of paired differences and responder curves (PNG or PDF)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from twinviewer.cohort.responders import Association
from twinviewer.interventions.compare import DIRECTIONS


def responder_curve(x: np.ndarray, improved: np.ndarray, bins: int = 5
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Share of patients who respond (improved in ≥ 50 % of their plausible twins) per
    quantile bin of a feature.

    Returns
    -------
    centres, share, lo, hi
        Bin medians (feature units), responder share and its Wilson 90 % interval.

    Examples
    --------
    >>> c, s, lo, hi = responder_curve(np.arange(10.0), np.r_[np.zeros(5), np.ones(5)], bins=2)
    >>> s.tolist(), bool(hi[1] == 1.0)
    ([0.0, 1.0], True)
    """
    ok = np.isfinite(x) & np.isfinite(improved)
    x, r = x[ok], improved[ok] >= 0.5
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    from scipy.stats import binomtest

    centres, share, lo, hi = [], [], [], []
    for b in range(len(edges) - 1):
        sel = which == b
        n = int(sel.sum())
        if not n:
            continue
        k = int(r[sel].sum())
        ci = binomtest(k, n).proportion_ci(0.9, method="wilson")
        centres.append(float(np.median(x[sel])))
        share.append(k / n)
        lo.append(float(ci.low))
        hi.append(float(ci.high))
    return np.array(centres), np.array(share), np.array(lo), np.array(hi)


def cohort_figures(table: pd.DataFrame, meta: dict, summary: list[Association]):
    """Matplotlib figures: one of differences per scenario, one of responder curves."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    units = meta.get("units", {})
    metrics = meta["spec"]["metrics"]
    level = meta.get("level", 0.9)
    figs = []
    for sc, sub in table.groupby("scenario", sort=False):
        fig = Figure(figsize=(4 * len(metrics), 3.6), layout="constrained")
        axes = fig.subplots(1, len(metrics), squeeze=False)[0]
        for ax, m in zip(axes, metrics, strict=True):
            d = sub[f"{m}:diff_median"].to_numpy(float)
            d = d[np.isfinite(d)]
            ax.hist(d, bins=min(30, max(5, d.size // 4)), color="#4878a8")
            ax.axvline(0, color="k", lw=0.8)
            ax.set_xlabel(f"Δ {m} [{units.get(f'{m}:diff_median', '')}]")
            ax.set_ylabel("patients")
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: 0, 1, 2 — not 0.2
            if m in DIRECTIONS:
                share = float(np.mean(sub[f"{m}:improved"] >= 0.5))
                ax.set_title(f"improves in ≥ 50 % of twins:\n{100 * share:.0f} % of patients",
                             fontsize=9)
        fig.suptitle(f"{sc}: per-patient median paired difference "
                     f"(members' {100 * level:.0f} % intervals in the table)", fontsize=10)
        figs.append(fig)
    top = {}
    for s in summary:
        top.setdefault((s.scenario, s.metric), s)
    if top:
        fig = Figure(figsize=(4 * min(3, len(top)), 3.6 * int(np.ceil(len(top) / 3))),
                     layout="constrained")
        axes = fig.subplots(int(np.ceil(len(top) / 3)), min(3, len(top)), squeeze=False).ravel()
        for ax, ((sc, m), s) in zip(axes, top.items(), strict=False):
            sub = table[table["scenario"] == sc]
            c, p, lo, hi = responder_curve(sub[s.feature].to_numpy(float),
                                           sub[f"{m}:improved"].to_numpy(float))
            ax.errorbar(c, 100 * p, yerr=100 * np.vstack([p - lo, hi - p]), marker="o",
                        capsize=3)
            ax.set_ylim(-5, 105)
            ax.set_xlabel(f"{s.feature} [{units.get(s.feature, '')}]")
            ax.set_ylabel(f"% responders ({m})")
            ax.set_title(f"{sc}: ρ(feature, benefit) = {s.rho:+.2f} ({s.lo:+.2f} to "
                         f"{s.hi:+.2f})", fontsize=9)
        for ax in axes[len(top):]:
            ax.set_visible(False)
        fig.suptitle("Responder curves: share of patients improved in ≥ 50 % of their "
                     "plausible twins, by quintile of the strongest feature (90 % Wilson)",
                     fontsize=10)
        figs.append(fig)
    return figs


def write_report(table: pd.DataFrame, meta: dict, summary: list[Association],
                 output: Path | str) -> list[Path]:
    """Write the figures: a multi-page PDF, or PNGs (``NAME-1.png``, ``NAME-2.png`` …)."""
    from matplotlib.backends.backend_pdf import PdfPages

    output = Path(output)
    figs = cohort_figures(table, meta, summary)
    if output.suffix.lower() == ".pdf":
        with PdfPages(output) as pdf:
            for f in figs:
                pdf.savefig(f)
        return [output]
    if output.suffix.lower() != ".png":
        raise ValueError(f"{output.name}: the report must be .pdf or .png")
    out = []
    for k, f in enumerate(figs, 1):
        p = output.with_name(f"{output.stem}-{k}.png")
        f.savefig(p, dpi=110)
        out.append(p)
    return out

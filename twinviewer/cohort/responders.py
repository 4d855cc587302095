"""Responder summary: which patient features predict benefit from a scenario.

For every scenario and every metric with a clinical direction, the benefit of a patient is
``direction × median paired difference`` (positive = better). Each feature (the varied
parameters and the baseline medians of the metrics) gets Spearman's rank correlation with
that benefit across patients, with a percentile bootstrap interval over patients; a feature
"predicts benefit" when its interval excludes zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from twinviewer.interventions.compare import DIRECTIONS


@dataclass(frozen=True)
class Association:
    """Rank correlation of one feature with one benefit, with its bootstrap interval."""

    scenario: str
    metric: str
    feature: str
    rho: float
    lo: float
    hi: float
    n: int

    @property
    def predicts(self) -> bool:
        return bool(self.lo > 0 or self.hi < 0)

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "metric": self.metric, "feature": self.feature,
                "rho": self.rho, "lo": self.lo, "hi": self.hi, "n": self.n,
                "predicts_benefit": self.predicts}

    def text(self) -> str:
        sign = "more" if self.rho > 0 else "less"
        verdict = (f"higher {self.feature} → {sign} benefit" if self.predicts
                   else "no clear association")
        return (f"{self.scenario} / {self.metric}: {self.feature} ρ = {self.rho:+.2f} "
                f"({self.lo:+.2f} to {self.hi:+.2f}), {verdict}")


def _spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman ρ of each row pair of (B, n) arrays."""
    rx = rankdata(x, axis=1)
    ry = rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (rx * ry).sum(axis=1) / den, np.nan)


def benefit(table: pd.DataFrame, metric: str) -> pd.Series:
    """Per-row benefit (metric units, positive = better) from the median paired difference."""
    return DIRECTIONS[metric].better * table[f"{metric}:diff_median"]


def responder_summary(table: pd.DataFrame, metrics: list[str], *, level: float = 0.9,
                      n_boot: int = 400, seed: int = 0) -> list[Association]:
    """Feature–benefit associations for every scenario and scored metric.

    Parameters
    ----------
    table
        A cohort table (:func:`twinviewer.cohort.work.run_chunk` rows).
    metrics
        Metrics of the study; those without a direction are skipped.
    level
        Bootstrap interval level.

    Returns
    -------
    list of Association, strongest |ρ| first within each scenario and metric.

    Examples
    --------
    >>> t = pd.DataFrame({"scenario": ["a"] * 30, "param:X": np.arange(30.0),
    ...                   "CO:diff_median": np.arange(30.0) / 10, "CO:baseline_median": 5.0})
    >>> responder_summary(t, ["CO"])[0].rho
    1.0
    """
    rng = np.random.default_rng(seed)
    a = (1 - level) / 2
    out: list[Association] = []
    for sc, sub in table.groupby("scenario", sort=False):
        feats = [c for c in sub.columns if c.startswith("param:")]
        feats += [f"{m}:baseline_median" for m in metrics if f"{m}:baseline_median" in sub]
        for m in metrics:
            if m not in DIRECTIONS:
                continue
            y_all = benefit(sub, m).to_numpy(float)
            found = []
            for f in feats:
                x_all = sub[f].to_numpy(float)
                ok = np.isfinite(x_all) & np.isfinite(y_all)
                x, y = x_all[ok], y_all[ok]
                n = x.size
                if n < 5 or np.ptp(x) == 0 or np.ptp(y) == 0:
                    continue
                rho = float(_spearman_rows(x[None], y[None])[0])
                idx = rng.integers(0, n, (n_boot, n))
                boot = _spearman_rows(x[idx], y[idx])
                lo, hi = np.nanquantile(boot, [a, 1 - a])
                found.append(Association(str(sc), m, f, rho, float(lo), float(hi), n))
            out += sorted(found, key=lambda s: -abs(s.rho))
    return out

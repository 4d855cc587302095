"""Summaries of an ensemble: the median and a central interval, the way every number is shown."""

from __future__ import annotations

import numpy as np


def central_interval(values, level: float = 0.9, mask=None) -> tuple[float, float, float]:
    """Median and central ``level`` interval of the finite values (optionally masked).

    Returns
    -------
    (median, low, high)
        NaNs when no finite value remains.
    """
    x = np.asarray(values, dtype=float)
    if mask is not None:
        x = x[np.asarray(mask, dtype=bool)]
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    a = (1.0 - level) / 2.0
    lo, med, hi = np.quantile(x, [a, 0.5, 1.0 - a])
    return float(med), float(lo), float(hi)

"""Local sensitivities: normalised elasticities d ln(metric) / d ln(parameter).

Central finite differences in log space around one parameter vector (the twin's point
estimate). Every parameter's two perturbed copies and the base go through ONE ensemble
``simulate`` call (2P + 1 members, warm-started from the base's periodic state when given),
so the whole table costs about one ensemble run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twinviewer.physiology import METRIC_BY_NAME, ModelSpec, Settings, simulate

#: Relative (log) step of the central differences: large enough that the periodic-state
#: tolerance (0.02 mL / mmHg) is negligible against the change, small enough to stay local.
DEFAULT_STEP = 0.05


@dataclass(frozen=True)
class Elasticities:
    """Elasticities of one metric at one parameter vector.

    Attributes
    ----------
    metric
        Metric name.
    base_value
        The metric at the base vector (its unit: :attr:`unit`).
    names
        Parameters with a defined elasticity.
    values
        (len(names),) elasticities: % change of the metric per % change of the parameter.
    undefined
        Parameter name → why its elasticity is undefined (zero value, failed member...).
    """

    metric: str
    unit: str
    base_value: float
    names: tuple[str, ...]
    values: np.ndarray
    undefined: dict[str, str]

    def value(self, name: str) -> float:
        """Elasticity with respect to ``name`` (NaN if undefined)."""
        if name in self.names:
            return float(self.values[self.names.index(name)])
        return float("nan")

    def ranked(self, top: int | None = None) -> list[tuple[str, float]]:
        """(name, elasticity) by decreasing magnitude."""
        order = np.argsort(-np.abs(np.nan_to_num(self.values, nan=0.0)), kind="stable")
        out = [(self.names[i], float(self.values[i])) for i in order]
        return out[:top] if top is not None else out

    def to_dict(self) -> dict:
        return {"metric": self.metric, "unit": self.unit, "base_value": self.base_value,
                "elasticities": dict(self.ranked()), "undefined": dict(self.undefined)}


def _check_metrics(metrics: Sequence[str]) -> None:
    unknown = [m for m in metrics if m not in METRIC_BY_NAME]
    if unknown:
        raise ValueError(f"unknown metric {unknown[0]!r}; choose one of: "
                         f"{', '.join(METRIC_BY_NAME)}")


def elasticities(model: ModelSpec, base: np.ndarray, metrics: Sequence[str] | None = None, *,
                 names: Sequence[str] | None = None, step: float = DEFAULT_STEP,
                 warm_start: np.ndarray | None = None,
                 settings: Settings | None = None) -> dict[str, Elasticities]:
    """Normalised local sensitivities of clinical metrics at one parameter vector.

    Parameters
    ----------
    model
        The model declaration.
    base
        (P,) parameter vector (the twin's point estimate).
    metrics
        Metric names; all metrics if None.
    names
        Parameters to perturb; all if None. A parameter at zero (an absent regurgitant
        orifice, a pump that is off) has no elasticity and is listed as undefined.
    step
        Log step h: the parameter is multiplied by exp(±h), clipped to its plausible range
        (the actual log distance is used in the quotient).
    warm_start
        (S,) or (1, S) periodic state of the base vector, e.g. ``results.final_state[0]``.
    settings
        Integration settings.

    Returns
    -------
    dict metric → :class:`Elasticities`
    """
    base = np.asarray(base, dtype=float)
    if base.shape != (len(model.parameters),):
        raise ValueError(f"{model.name}: base vector must have shape "
                         f"({len(model.parameters)},), got {base.shape}")
    if not 0 < step < 1:
        raise ValueError(f"elasticity step must be in (0, 1), got {step}")
    if metrics is not None:
        metrics = list(metrics)
        _check_metrics(metrics)
    names = list(names) if names is not None else list(model.parameter_names)
    cols = [model.index(n) for n in names]
    bad = model.check_parameters(base)[0]
    if bad:
        raise ValueError(f"cannot compute elasticities at an implausible point: {bad}")

    undefined: dict[str, str] = {}
    active: list[int] = []
    for n, j in zip(names, cols, strict=True):
        if base[j] <= 0:
            undefined[n] = "parameter is zero (absent): relative change undefined"
        else:
            active.append(j)
    rows = [base]
    log_dist = []
    for j in active:
        lo, hi = model.parameters[j].plausible
        up, down = base.copy(), base.copy()
        up[j] = min(base[j] * np.exp(step), hi)
        down[j] = max(base[j] * np.exp(-step), lo, np.finfo(float).tiny)
        rows += [up, down]
        log_dist.append(np.log(up[j]) - np.log(down[j]))
    X = np.array(rows)
    ws = None
    if warm_start is not None:
        ws = np.tile(np.asarray(warm_start, dtype=float).reshape(1, -1), (X.shape[0], 1))
    res = simulate(model, X, warm_start=ws, settings=settings)
    if not res.ok[0]:
        raise ValueError(f"the base parameter vector did not reach a periodic state: "
                         f"{res.messages[0] or 'unknown cause'}")

    if metrics is None:
        metrics = [m for m in METRIC_BY_NAME if m in res.metrics]
    missing = [m for m in metrics if m not in res.metrics]
    if missing:
        raise ValueError(f"model {model.name!r} does not compute {missing[0]!r}")
    out: dict[str, Elasticities] = {}
    for m in metrics:
        y = res.metrics[m]
        f0 = float(y[0])
        vals, got, und = [], [], dict(undefined)
        for k, j in enumerate(active):
            name = model.parameters[j].name
            fp, fm = float(y[1 + 2 * k]), float(y[2 + 2 * k])
            if not (np.isfinite(fp) and np.isfinite(fm)) or not np.isfinite(f0):
                und[name] = "a perturbed run failed to reach a periodic state"
                continue
            if log_dist[k] <= 0:
                und[name] = "parameter sits on both plausible bounds"
                continue
            if fp > 0 and fm > 0 and f0 > 0:
                e = (np.log(fp) - np.log(fm)) / log_dist[k]
            elif f0 != 0:
                e = (fp - fm) / (log_dist[k] * abs(f0))
            else:
                und[name] = f"{m} is zero at the base point: relative change undefined"
                continue
            vals.append(float(e))
            got.append(name)
        out[m] = Elasticities(m, METRIC_BY_NAME[m].unit, f0, tuple(got), np.array(vals), und)
    return out


def prior_log_spread(model: ModelSpec, name: str, value: float) -> float:
    """Relative (log) spread of a parameter's prior centred on ``value``: the scale that
    turns an elasticity into the share of the metric's variation it can cause."""
    prior = model.parameter(name).prior.centred(value)
    if prior.is_point_mass or value <= 0:
        return 0.0
    if prior.kind == "lognormal":
        return float(prior.scale)
    if prior.kind == "normal":
        return float(prior.scale / abs(value))
    return float(prior.scale / (np.sqrt(12.0) * abs(value)))


def screen(model: ModelSpec, base: np.ndarray, elast: Sequence[Elasticities], *,
           max_parameters: int = 10, min_share: float = 0.0) -> list[str]:
    """Parameters that matter for the given metrics, for a global analysis.

    Score = |elasticity| × prior log-spread (a first-order estimate of how much of the
    metric's relative spread the parameter's uncertainty causes); a parameter's score is its
    largest over the metrics. Returns up to ``max_parameters`` names, best first, dropping
    those whose score is below ``min_share`` × the best score.
    """
    base = np.asarray(base, dtype=float)
    score: dict[str, float] = {}
    for e in elast:
        for name, val in zip(e.names, e.values, strict=True):
            s = abs(val) * prior_log_spread(model, name, base[model.index(name)])
            if np.isfinite(s):
                score[name] = max(score.get(name, 0.0), s)
    ranked = sorted((s, n) for n, s in score.items() if s > 0)[::-1]
    if not ranked:
        return []
    best = ranked[0][0]
    return [n for s, n in ranked if s >= min_share * best][:max_parameters]

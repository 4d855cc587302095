"""Attribution of an intervention's effect to the parameters it changes: exact Shapley values.

For k changed parameters, every one of the 2^k subsets S gets its own parameter vector
(baseline with the columns in S taken from the scenario); all subsets of all members go
through ONE ensemble ``simulate`` call, warm-started from each member's baseline state. The
Shapley value of parameter i for member n is

    φ_i = Σ_{S ⊆ K∖{i}} |S|! (k − |S| − 1)! / k! · [f(S ∪ {i}) − f(S)],

and the values add up exactly to f(scenario) − f(baseline) (efficiency).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import factorial

import numpy as np

from twinviewer.physiology import METRIC_BY_NAME, ModelSpec, Settings, simulate

#: Exact Shapley needs 2^k runs per member; above this, group parameters first.
MAX_CHANGED = 6

#: The state of a parameter whose scenario value is a setting the user chose (an LVAD's
#: speed), beside the twin's 'measured', 'calibrated', 'prior'… (newuser17 F8: the pump
#: speed chosen in What-if was tagged "[prior]").
SCENARIO_SETTING = "scenario setting"


@dataclass(frozen=True)
class Attribution:
    """Shapley attribution of one metric's change, member by member.

    Attributes
    ----------
    names
        The changed parameters.
    values
        (N, k) contribution of each parameter to each member's change (metric's unit);
        NaN rows for members where some subset failed to reach a periodic state.
    baseline, scenario
        (N,) the metric before and after the intervention.
    settings
        The changed parameters whose scenario value is a setting of the scenario, not the
        twin's (:func:`scenario_settings`).
    """

    metric: str
    unit: str
    names: tuple[str, ...]
    values: np.ndarray
    baseline: np.ndarray
    scenario: np.ndarray
    settings: tuple[str, ...] = ()

    @property
    def change(self) -> np.ndarray:
        return self.scenario - self.baseline

    @property
    def ok(self) -> np.ndarray:
        return np.all(np.isfinite(self.values), axis=1)

    def summary(self, level: float = 0.9) -> dict[str, tuple[float, float, float]]:
        """Per parameter: median and central ``level`` interval of its contribution."""
        a = (1.0 - level) / 2.0
        v = self.values[self.ok]
        out = {}
        for i, n in enumerate(self.names):
            if v.shape[0] == 0:
                out[n] = (np.nan, np.nan, np.nan)
            else:
                lo, med, hi = np.quantile(v[:, i], [a, 0.5, 1.0 - a])
                out[n] = (float(med), float(lo), float(hi))
        return out

    def to_dict(self) -> dict:
        return {"metric": self.metric, "unit": self.unit, "parameters": list(self.names),
                "members": int(self.values.shape[0]), "members_ok": int(self.ok.sum()),
                "contributions": {n: dict(zip(("median", "lo", "hi"), s, strict=True))
                                  for n, s in self.summary().items()},
                "scenario_settings": list(self.settings)}


def changed_parameters(model: ModelSpec, baseline: np.ndarray, scenario: np.ndarray
                       ) -> list[str]:
    """Names of the columns where any member's scenario differs from its baseline."""
    diff = np.any(~np.isclose(scenario, baseline, rtol=1e-12, atol=0.0), axis=0)
    return [model.parameter_names[j] for j in np.flatnonzero(diff)]


def scenario_settings(model: ModelSpec, baseline: np.ndarray, scenario: np.ndarray
                      ) -> list[str]:
    """Names of the parameters a scenario sets to its own value: one value in every member,
    whatever the member's baseline (an LVAD's pump speed, a pacemaker's AV delay). Their
    value in the scenario is the user's setting, not the twin's measured, calibrated or prior
    value.

    A value shared by every member after the scenario is its setting only where the members'
    baseline values differ, or where the baseline is a device the patient does not have (the
    model declares what 0 means, "(0: no device)", and every member is 0): a drug that scales
    a value all members share leaves it shared, and stays the twin's value changed.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("hfref")
    >>> B = np.tile(p.vector(), (3, 1))
    >>> B[:, p.model.index("HR")] = [60.0, 70.0, 80.0]
    >>> S = B.copy()
    >>> S[:, p.model.index("VAD.speed")] = 5.5      # the pump at 5500 rpm in every member
    >>> S[:, p.model.index("HR")] *= 0.9            # a drug slowing each member's own rate
    >>> S[:, p.model.index("SYS.R_AR")] *= 0.8      # ... and scaling a value all share
    >>> scenario_settings(p.model, B, S)
    ['VAD.speed']
    """
    B = np.atleast_2d(np.asarray(baseline, dtype=float))
    S = np.atleast_2d(np.asarray(scenario, dtype=float))
    out = []
    for name in changed_parameters(model, B, S):
        j = model.index(name)
        if np.ptp(S[:, j]) != 0.0:
            continue  # the member's own value, changed
        absent = ("(0: " in model.parameters[j].description
                  and bool(np.all(B[:, j] == 0.0)))
        if absent or np.ptp(B[:, j]) != 0.0:
            out.append(name)
    return out


def shapley_weights(k: int) -> np.ndarray:
    """Weight |S|!(k−|S|−1)!/k! indexed by |S| = 0..k−1."""
    return np.array([factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)])


def shapley_attribution(model: ModelSpec, baseline: np.ndarray, scenario: np.ndarray,
                        metrics: Sequence[str], *, warm_start: np.ndarray | None = None,
                        settings: Settings | None = None,
                        progress: Callable[[float, str], None] | None = None,
                        cancel: Callable[[], bool] | None = None) -> dict[str, Attribution]:
    """Exact Shapley attribution of each member's change in each metric.

    Parameters
    ----------
    model
        The model declaration.
    baseline, scenario
        (N, P) parameters before and after the intervention (same members, same order).
    metrics
        Metric names.
    warm_start
        (N, S) baseline periodic states (``Results.final_state``), optional.
    progress, cancel
        Passed to the ensemble engine.

    Returns
    -------
    dict metric → :class:`Attribution`
    """
    B = np.atleast_2d(np.asarray(baseline, dtype=float))
    S = np.atleast_2d(np.asarray(scenario, dtype=float))
    P = len(model.parameters)
    if B.shape != S.shape or B.shape[1] != P:
        raise ValueError(f"baseline {B.shape} and scenario {S.shape} parameters must both "
                         f"have shape (N, {P}) for model {model.name!r}")
    unknown = [m for m in metrics if m not in METRIC_BY_NAME]
    if unknown:
        raise ValueError(f"unknown metric {unknown[0]!r}; choose one of: "
                         f"{', '.join(METRIC_BY_NAME)}")
    names = changed_parameters(model, B, S)
    k = len(names)
    if k == 0:
        raise ValueError("the scenario changes no parameter: nothing to attribute")
    if k > MAX_CHANGED:
        raise ValueError(f"the scenario changes {k} parameters ({', '.join(names)}); exact "
                         f"Shapley attribution is limited to {MAX_CHANGED} (2^k runs per member)")
    cols = [model.index(n) for n in names]
    n = B.shape[0]
    n_sub = 1 << k
    # Row block s holds subset s (bit i set: parameter i from the scenario).
    X = np.tile(B, (n_sub, 1))
    for s in range(n_sub):
        for i, j in enumerate(cols):
            if s >> i & 1:
                X[s * n:(s + 1) * n, j] = S[:, j]
    ws = None
    if warm_start is not None:
        W = np.atleast_2d(np.asarray(warm_start, dtype=float))
        if W.shape[0] != n:
            raise ValueError(f"warm start has {W.shape[0]} rows for {n} members")
        ws = np.tile(W, (n_sub, 1))
    res = simulate(model, X, warm_start=ws, settings=settings, progress=progress,
                   cancel=cancel)
    w = shapley_weights(k)
    settings = tuple(scenario_settings(model, B, S))
    sizes = np.array([bin(s).count("1") for s in range(n_sub)])
    out = {}
    for m in metrics:
        f = res.metrics[m].reshape(n_sub, n)
        phi = np.zeros((n, k))
        for i in range(k):
            bit = 1 << i
            for s in range(n_sub):
                if s & bit:
                    continue
                phi[:, i] += w[sizes[s]] * (f[s | bit] - f[s])
        out[m] = Attribution(m, METRIC_BY_NAME[m].unit, tuple(names), phi, f[0], f[-1],
                             settings)
    return out

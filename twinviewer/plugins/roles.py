"""Clinical metrics of a model with a different structure, through its declared roles.

The built-in metrics need the full four-chamber set of series. A plugin model that declares
roles (``ModelSpec.roles``) gets every metric its roles allow; the rest are reported as not
available, with the roles they would need.
"""

from __future__ import annotations

import numpy as np

#: Metric → roles it needs (computed below, with the same definitions as physiology.metrics).
NEEDS = {
    "HR": (), "LVEDV": ("V_LV",), "LVESV": ("V_LV",), "LVSV": ("V_LV",), "LVEF": ("V_LV",),
    "SV_forward": ("Q_AV",), "CO": ("Q_AV",), "SBP": ("p_AO",), "DBP": ("p_AO",),
    "MAP": ("p_AO",), "LVSP": ("p_LV",), "LVminP": ("p_LV",), "SW": ("V_LV", "p_LV"),
}


def role_metrics(series: dict[str, np.ndarray], roles: dict[str, str],
                 period: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics (name → (N,)) computable from the series playing the declared roles.

    Examples
    --------
    >>> t = np.linspace(0, 1, 100, endpoint=False)[None, :]
    >>> m = role_metrics({"V": 100 + 20 * np.cos(2 * np.pi * t)}, {"V_LV": "V"}, np.ones(1))
    >>> round(float(m["LVEF"][0]), 1)
    33.3
    """
    s = {role: series[name] for role, name in roles.items() if name in series}
    out: dict[str, np.ndarray] = {"HR": 60.0 / period}
    if "V_LV" in s:
        v = s["V_LV"]
        out["LVEDV"], out["LVESV"] = v.max(1), v.min(1)
        out["LVSV"] = out["LVEDV"] - out["LVESV"]
        out["LVEF"] = 100.0 * out["LVSV"] / out["LVEDV"]
    if "Q_AV" in s:
        dt = period[:, None] / s["Q_AV"].shape[1]
        out["SV_forward"] = (s["Q_AV"] * dt).sum(1)
        out["CO"] = out["SV_forward"] * out["HR"] / 1000.0
    if "p_AO" in s:
        p = s["p_AO"]
        out["SBP"], out["DBP"], out["MAP"] = p.max(1), p.min(1), p.mean(1)
    if "p_LV" in s:
        out["LVSP"], out["LVminP"] = s["p_LV"].max(1), s["p_LV"].min(1)
    if "p_LV" in s and "V_LV" in s:  # loop area, mmHg·mL → J
        v, p = s["V_LV"], s["p_LV"]
        area = -np.sum(p * (np.roll(v, -1, axis=1) - v), axis=1)
        out["SW"] = np.abs(area) * 1.333224e-4
    return out


def unavailable(roles: dict[str, str]) -> list[str]:
    """Metrics a model cannot provide, each with the roles it lacks (for plain messages)."""
    from twinviewer.physiology.metrics import METRICS

    have = set(roles)
    lines = []
    for m in METRICS:
        need = NEEDS.get(m.name)
        if need is None:
            lines.append(f"{m.name}: not computed for models outside the four-chamber layout")
        elif not set(need) <= have:
            lines.append(f"{m.name}: needs role(s) {', '.join(sorted(set(need) - have))}")
    return lines

"""Grading a heart from its numbers, with the ESC/EACTS and ASE criteria (REFERENCE.md).

A grade comes from simulated (or measured) values only, never from a heart's name, so a new
virtual heart is graded without a change here. Each rule is one entry of :data:`RULES`.

Criteria
--------
Aortic stenosis (ESC/EACTS 2021, ASE): severe AVA < 1.0 cm², mean gradient ≥ 40 mmHg or peak
velocity ≥ 4 m/s; moderate AVA 1.0–1.5 cm² or mean gradient 20–40 mmHg; mild peak velocity
2.6–2.9 m/s. Primary mitral regurgitation (ASE 2017): severe EROA ≥ 0.40 cm², regurgitant
volume ≥ 60 mL or fraction ≥ 50 %; moderate EROA 0.20–0.39 cm², volume 30–59 mL, fraction
30–49 %; mild below. LV systolic function (ASE/EACVI 2015; ESC 2021 HF): EF ≥ 52 % normal,
41–51 % mildly, 30–40 % moderately, < 30 % severely reduced; EF ≤ 40 % is HFrEF.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

SEVERITIES = ("none", "mild", "moderate", "severe")


@dataclass(frozen=True)
class Finding:
    """A diagnosis with its severity and the numbers that decided it."""

    diagnosis: str
    severity: str
    evidence: tuple[str, ...]

    @property
    def rank(self) -> int:
        return SEVERITIES.index(self.severity)


def _v(values: Mapping[str, float], name: str) -> float:
    x = values.get(name, np.nan)
    return float(x) if x is not None else float("nan")


def _worst(*levels: str) -> str:
    return max(levels, key=SEVERITIES.index)


def _aortic_stenosis(v: Mapping[str, float]) -> Finding:
    ava, mg, vmax = _v(v, "AVA"), _v(v, "AV_mean_gradient"), _v(v, "AV_peak_velocity")
    by_area = "severe" if ava < 1.0 else "moderate" if ava <= 1.5 else "none"
    by_grad = "severe" if mg >= 40 else "moderate" if mg >= 20 else "none"
    by_vel = ("severe" if vmax >= 4.0 else "moderate" if vmax >= 3.0
              else "mild" if vmax >= 2.6 else "none")
    sev = _worst(by_area, by_grad, by_vel)
    ev = (f"AVA {ava:.2f} cm² (severe < 1.0, moderate 1.0–1.5)",
          f"mean gradient {mg:.0f} mmHg (severe ≥ 40, moderate 20–40)",
          f"peak velocity {vmax:.1f} m/s (severe ≥ 4, moderate 3–4, mild 2.6–2.9)")
    return Finding("aortic stenosis", sev, ev)


def _mitral_regurgitation(v: Mapping[str, float]) -> Finding:
    eroa, rvol, rf = _v(v, "EROA"), _v(v, "MR_volume"), _v(v, "MR_fraction")

    def level(x: float, severe: float, moderate: float, mild: float) -> str:
        return ("severe" if x >= severe else "moderate" if x >= moderate
                else "mild" if x >= mild else "none")

    sev = _worst(level(eroa, 0.40, 0.20, 0.05), level(rvol, 60, 30, 8), level(rf, 50, 30, 10))
    ev = (f"EROA {eroa:.2f} cm² (severe ≥ 0.40, moderate 0.20–0.39)",
          f"regurgitant volume {rvol:.0f} mL (severe ≥ 60, moderate 30–59)",
          f"regurgitant fraction {rf:.0f} % (severe ≥ 50, moderate 30–49)")
    return Finding("mitral regurgitation", sev, ev)


def _lv_systolic(v: Mapping[str, float]) -> Finding:
    ef = _v(v, "LVEF")
    sev = ("severe" if ef < 30 else "moderate" if ef <= 40 else "mild" if ef < 52
           else "none")
    ev = (f"LVEF {ef:.0f} % (normal ≥ 52, mildly 41–51, moderately 30–40, severely "
          f"reduced < 30; HFrEF ≤ 40)",)
    return Finding("heart failure with reduced EF", sev, ev)


#: Rules in order of precedence when two findings are equally severe (valve lesions first:
#: they are the cause a clinician looks for).
RULES: tuple[Callable[[Mapping[str, float]], Finding], ...] = (
    _aortic_stenosis, _mitral_regurgitation, _lv_systolic)

#: Diagnoses a student can choose from.
DIAGNOSES: tuple[str, ...] = ("normal", "aortic stenosis", "mitral regurgitation",
                              "heart failure with reduced EF")


def findings(values: Mapping[str, float]) -> list[Finding]:
    """Every rule's finding for ``values`` (metric name → value, plus ``AVA`` and ``EROA``
    in cm²).

    Examples
    --------
    >>> f = findings({"AVA": 0.8, "AV_mean_gradient": 45, "AV_peak_velocity": 4.2,
    ...               "EROA": 0.0, "MR_volume": 0, "MR_fraction": 0, "LVEF": 60})
    >>> [(x.diagnosis, x.severity) for x in f][0]
    ('aortic stenosis', 'severe')
    """
    return [rule(values) for rule in RULES]


def primary(values: Mapping[str, float]) -> Finding:
    """The main diagnosis: the most severe finding of at least moderate grade (a mild finding
    alone is reported as normal with that note), ties broken by :data:`RULES` order.

    Examples
    --------
    >>> primary({"AVA": 3.5, "AV_mean_gradient": 3, "AV_peak_velocity": 1.2, "EROA": 0.0,
    ...          "MR_volume": 0, "MR_fraction": 0, "LVEF": 25}).diagnosis
    'heart failure with reduced EF'
    """
    fs = findings(values)
    best = max(fs, key=lambda f: f.rank)  # max keeps the first of equals: RULES order
    if best.rank < SEVERITIES.index("moderate"):
        ev = tuple(e for f in fs for e in f.evidence)
        return Finding("normal", "none", ev)
    return best


def values_of(metrics: Mapping[str, float], params: Mapping[str, float]) -> dict[str, float]:
    """The numbers grading reads: metrics plus AVA and EROA (the valves' areas, cm², which an
    echo estimates by the continuity equation and PISA)."""
    out = {k: float(v) for k, v in metrics.items()}
    out["AVA"] = float(params.get("AV.EOA", np.nan))
    out["EROA"] = float(params.get("MV.EROA", np.nan))
    return out

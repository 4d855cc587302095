"""Direct teaching controls: preload, afterload, contractility, heart rate and compliance.

Each control is a percentage of the heart's own value of one model parameter (100 % = the
heart as loaded), so a slider means the same on every heart. The PV-loop guides are the
model's own laws. In the default model (v2, exponential passive filling, a chamber with a
``KB`` parameter) the active and passive curves blend with the activation, so the end-systolic
pressure–volume relation (ESPVR) is ``P = EA·(V − V0)`` and the end-diastolic relation (EDPVR)
is ``P = EB/KB·(e^{KB·(V − V0)} − 1)``; in a model with a linear passive law (no ``KB``, e.g.
``regazzoni2022``) they are ``(EA + EB)·(V − V0)`` and ``EB·(V − V0)``. The force–frequency
factor on EA away from the reference heart rate is not drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from twinviewer.physiology.model import ModelSpec


@dataclass(frozen=True)
class Control:
    """One teaching slider: which parameter it scales, in what range (percent of the heart's
    value), and what it means."""

    name: str
    label: str
    parameter: str
    unit: str
    low: float
    high: float
    meaning: str


CONTROLS: tuple[Control, ...] = (
    Control("preload", "Preload (blood volume)", "V_total", "mL", 70.0, 140.0,
            "stressed blood volume of the loop: more volume fills the ventricle more"),
    Control("afterload", "Afterload (systemic resistance)", "SYS.R_AR", "mmHg*s/mL", 40.0,
            250.0, "systemic arterial resistance the LV ejects against"),
    Control("contractility", "Contractility (LV active elastance)", "LV.EA", "mmHg/mL", 30.0,
            250.0, "LV active elastance: sets the slope of the ESPVR"),
    Control("heart_rate", "Heart rate", "HR", "bpm", 60.0, 180.0, "beats per minute"),
    Control("compliance", "Arterial compliance", "SYS.C_AR", "mL/mmHg", 40.0, 250.0,
            "systemic arterial compliance: stiff arteries widen the pulse pressure"),
)
CONTROL_BY_NAME = {c.name: c for c in CONTROLS}


class ControlError(ValueError):
    """An unknown control or a value outside its range."""


def control(name: str) -> Control:
    """Look up a control by name (``'preload'``, ``'afterload'``...)."""
    try:
        return CONTROL_BY_NAME[name]
    except KeyError:
        raise ControlError(f"unknown control {name!r}; choose one of: "
                           f"{', '.join(CONTROL_BY_NAME)}") from None


def apply_controls(model: ModelSpec, params: np.ndarray,
                   percent: Mapping[str, float]) -> np.ndarray:
    """``params`` (P,) or (N, P) with each named control set to ``percent`` of its value.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> v = apply_controls(p.model, p.vector(), {"contractility": 150})
    >>> j = p.model.parameter_names.index("LV.EA")
    >>> round(float(v[j] / p.vector()[j]), 2)
    1.5
    """
    out = np.array(params, dtype=float, copy=True)
    names = list(model.parameter_names)
    for key, pct in percent.items():
        c = control(key)
        if not c.low <= pct <= c.high:
            raise ControlError(f"{c.label}: {pct:g} % is outside {c.low:g}–{c.high:g} %")
        if c.parameter not in names:
            raise ControlError(f"{c.label}: model {model.name} has no parameter {c.parameter}")
        out[..., names.index(c.parameter)] *= pct / 100.0
    return out


def _chamber(model: ModelSpec, params: np.ndarray, side: str
             ) -> tuple[float, float, float, float | None]:
    names = list(model.parameter_names)
    p = np.asarray(params, dtype=float).reshape(-1)
    ea, eb, v0 = (float(p[names.index(f"{side}.{k}")]) for k in ("EA", "EB", "V0"))
    kb = float(p[names.index(f"{side}.KB")]) if f"{side}.KB" in names else None
    return ea, eb, v0, kb


def espvr(model: ModelSpec, params: np.ndarray, volumes: np.ndarray,
          side: str = "LV") -> np.ndarray:
    """End-systolic pressure (mmHg) along ``volumes`` (mL): ``EA·(V − V0)`` (blended model)
    or ``(EA + EB)·(V − V0)`` (linear passive law).

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> round(float(espvr(p.model, p.vector(), np.array([60.0]))[0]), 1)
    133.1
    """
    ea, eb, v0, kb = _chamber(model, params, side)
    x = np.asarray(volumes, dtype=float) - v0
    return ea * x if kb is not None else (ea + eb) * x


def edpvr(model: ModelSpec, params: np.ndarray, volumes: np.ndarray,
          side: str = "LV") -> np.ndarray:
    """End-diastolic (passive) pressure (mmHg) along ``volumes`` (mL): the chamber's passive
    law, ``EB/KB·(e^{KB·(V − V0)} − 1)`` or ``EB·(V − V0)`` without ``KB``.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> round(float(edpvr(p.model, p.vector(), np.array([130.0]))[0]), 2)
    8.01
    """
    _, eb, v0, kb = _chamber(model, params, side)
    x = np.asarray(volumes, dtype=float) - v0
    if kb is None:
        return eb * x
    return eb / kb * np.expm1(np.minimum(kb * x, 50.0))

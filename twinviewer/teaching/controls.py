"""Direct teaching controls: preload, afterload, contractility, heart rate and compliance.

Each control is a percentage of the heart's own value of one model parameter (100 % = the
heart as loaded), so a slider means the same on every heart. The PV-loop guides are the
model's own laws: the end-systolic pressure–volume relation (ESPVR) is the line of peak
elastance ``P = Ees·(V − V0)`` with ``Ees = EA + EB``; the end-diastolic relation (EDPVR) is
the chamber's passive law ``P = EB·(V − V0)`` (linear in this model: it has no exponential
stiffening, an assumption the model card states).
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
    >>> round(float(v[p.model.parameter_names.index("LV.EA")] / 2.52), 2)
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


def _chamber(model: ModelSpec, params: np.ndarray, side: str) -> tuple[float, float, float]:
    names = list(model.parameter_names)
    p = np.asarray(params, dtype=float).reshape(-1)
    return tuple(float(p[names.index(f"{side}.{k}")]) for k in ("EA", "EB", "V0"))


def espvr(model: ModelSpec, params: np.ndarray, volumes: np.ndarray,
          side: str = "LV") -> np.ndarray:
    """End-systolic pressure (mmHg) along ``volumes`` (mL): ``(EA + EB)·(V − V0)``.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> round(float(espvr(p.model, p.vector(), np.array([60.0]))[0]), 1)
    129.4
    """
    ea, eb, v0 = _chamber(model, params, side)
    return (ea + eb) * (np.asarray(volumes, dtype=float) - v0)


def edpvr(model: ModelSpec, params: np.ndarray, volumes: np.ndarray,
          side: str = "LV") -> np.ndarray:
    """End-diastolic (passive) pressure (mmHg) along ``volumes`` (mL): ``EB·(V − V0)``.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> round(float(edpvr(p.model, p.vector(), np.array([130.0]))[0]), 2)
    8.16
    """
    _, eb, v0 = _chamber(model, params, side)
    return eb * (np.asarray(volumes, dtype=float) - v0)

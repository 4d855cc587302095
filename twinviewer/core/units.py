"""Units: one internal convention and conversions at the edges.

Inside TwinViewer every quantity is held in the *clinical convention*:
volume mL, pressure mmHg, time s, flow mL/s (cardiac output L/min), elastance
mmHg/mL, compliance mL/mmHg, resistance mmHg·s/mL, inertance mmHg·s²/mL,
area cm², velocity m/s, heart rate bpm, length mm. Values entering from files or
users are converted once with :func:`convert`; SI helpers serve file formats
written in SI (svZeroDSolver uses m³, Pa, s).

A small table rather than a units library: the set of units a cardiologist types
is short, and parsing must stay fast and dependency-free at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MMHG_TO_PA = 133.322387415
ML_TO_M3 = 1e-6


class UnitError(ValueError):
    """A unit that is unknown, or not convertible to the one expected."""


@dataclass(frozen=True)
class _Unit:
    dimension: str
    factor: float  # multiply a value in this unit by factor to get the canonical unit
    offset: float = 0.0


# Canonical unit per dimension (the clinical convention above).
CANONICAL: dict[str, str] = {
    "volume": "mL",
    "pressure": "mmHg",
    "time": "s",
    "flow": "mL/s",
    "elastance": "mmHg/mL",
    "compliance": "mL/mmHg",
    "resistance": "mmHg*s/mL",
    "inertance": "mmHg*s^2/mL",
    "area": "cm^2",
    "velocity": "m/s",
    "rate": "bpm",
    "length": "mm",
    "fraction": "1",
    "energy": "J",
    "density": "g/mL",
    "mass": "g",
    "per_volume": "1/mL",
    "speed": "krpm",
    "per_pressure_time": "1/(mmHg*s)",
}

_UNITS: dict[str, _Unit] = {
    # volume
    "mL": _Unit("volume", 1.0),
    "ml": _Unit("volume", 1.0),
    "cm^3": _Unit("volume", 1.0),
    "L": _Unit("volume", 1000.0),
    "l": _Unit("volume", 1000.0),
    "m^3": _Unit("volume", 1e6),
    "uL": _Unit("volume", 1e-3),
    "mm^3": _Unit("volume", 1e-3),
    # pressure
    "mmHg": _Unit("pressure", 1.0),
    "Pa": _Unit("pressure", 1.0 / MMHG_TO_PA),
    "kPa": _Unit("pressure", 1000.0 / MMHG_TO_PA),
    "cmH2O": _Unit("pressure", 98.0665 / MMHG_TO_PA),
    "dyn/cm^2": _Unit("pressure", 0.1 / MMHG_TO_PA),
    # time
    "s": _Unit("time", 1.0),
    "ms": _Unit("time", 1e-3),
    "min": _Unit("time", 60.0),
    # flow
    "mL/s": _Unit("flow", 1.0),
    "L/min": _Unit("flow", 1000.0 / 60.0),
    "mL/min": _Unit("flow", 1.0 / 60.0),
    "m^3/s": _Unit("flow", 1e6),
    "L/s": _Unit("flow", 1000.0),
    # elastance
    "mmHg/mL": _Unit("elastance", 1.0),
    "Pa/m^3": _Unit("elastance", ML_TO_M3 / MMHG_TO_PA),
    "kPa/mL": _Unit("elastance", 1000.0 / MMHG_TO_PA),
    # compliance
    "mL/mmHg": _Unit("compliance", 1.0),
    "m^3/Pa": _Unit("compliance", MMHG_TO_PA / ML_TO_M3),
    "mL/kPa": _Unit("compliance", MMHG_TO_PA / 1000.0),
    # resistance
    "mmHg*s/mL": _Unit("resistance", 1.0),
    "Pa*s/m^3": _Unit("resistance", ML_TO_M3 / MMHG_TO_PA),
    "mmHg*min/L": _Unit("resistance", 60.0 / 1000.0),
    "WU": _Unit("resistance", 60.0 / 1000.0),  # Wood units
    "dyn*s/cm^5": _Unit("resistance", 1.0 / 1333.22387415),
    # inertance
    "mmHg*s^2/mL": _Unit("inertance", 1.0),
    "Pa*s^2/m^3": _Unit("inertance", ML_TO_M3 / MMHG_TO_PA),
    # area
    "cm^2": _Unit("area", 1.0),
    "mm^2": _Unit("area", 0.01),
    "m^2": _Unit("area", 1e4),
    # velocity
    "m/s": _Unit("velocity", 1.0),
    "cm/s": _Unit("velocity", 0.01),
    # rate
    "bpm": _Unit("rate", 1.0),
    "1/min": _Unit("rate", 1.0),
    "Hz": _Unit("rate", 60.0),
    # length
    "mm": _Unit("length", 1.0),
    "cm": _Unit("length", 10.0),
    "m": _Unit("length", 1000.0),
    # dimensionless
    "1": _Unit("fraction", 1.0),
    "%": _Unit("fraction", 0.01),
    # energy
    "J": _Unit("energy", 1.0),
    "mmHg*mL": _Unit("energy", MMHG_TO_PA * ML_TO_M3),
    # others
    "g/mL": _Unit("density", 1.0),
    "kg/m^3": _Unit("density", 1e-3),
    "g": _Unit("mass", 1.0),
    "kg": _Unit("mass", 1000.0),
    "1/mL": _Unit("per_volume", 1.0),
    "krpm": _Unit("speed", 1.0),
    "rpm": _Unit("speed", 1e-3),
    # rate constant per unit pressure (valve opening and closing)
    "1/(mmHg*s)": _Unit("per_pressure_time", 1.0),
    "cm^2/(dyn*s)": _Unit("per_pressure_time", 1333.22387415),
}

_ALIASES = {
    "mmhg": "mmHg",
    "cm2": "cm^2",
    "mm2": "mm^2",
    "m2": "m^2",
    "cm3": "cm^3",
    "m3": "m^3",
    "mm3": "mm^3",
    "l/min": "L/min",
    "ml/s": "mL/s",
    "ml/min": "mL/min",
    "ml/mmhg": "mL/mmHg",
    "mmhg/ml": "mmHg/mL",
    "mmhg*s/ml": "mmHg*s/mL",
    "mmhg.s/ml": "mmHg*s/mL",
    "mmhg·s/ml": "mmHg*s/mL",
    "mmhg*s^2/ml": "mmHg*s^2/mL",
    "mmhg·s²/ml": "mmHg*s^2/mL",
    "m3/s": "m^3/s",
    "pa*s/m3": "Pa*s/m^3",
    "pa/m3": "Pa/m^3",
    "m3/pa": "m^3/Pa",
    "beats/min": "bpm",
    "/min": "1/min",
    "percent": "%",
    "cmh2o": "cmH2O",
    "kpa": "kPa",
    "pa": "Pa",
    "hz": "Hz",
    "sec": "s",
    "wu": "WU",
}


def normalise_unit(unit: str) -> str:
    """Return the table spelling of ``unit`` (``'ml/mmhg'`` → ``'mL/mmHg'``).

    Raises
    ------
    UnitError
        If the unit is not known.
    """
    u = unit.strip().replace(" ", "").replace("²", "^2").replace("³", "^3").replace("·", "*")
    if u in _UNITS:
        return u
    low = u.lower()
    if low in _ALIASES:
        return _ALIASES[low]
    for known in _UNITS:
        if known.lower() == low:
            return known
    raise UnitError(f"unknown unit {unit!r}")


def dimension(unit: str) -> str:
    """Physical dimension of ``unit`` (``'volume'``, ``'pressure'``, ...)."""
    return _UNITS[normalise_unit(unit)].dimension


def convert(value, from_unit: str, to_unit: str):
    """Convert ``value`` (scalar or array) between two units of the same dimension.

    Examples
    --------
    >>> round(convert(1.0, "kPa", "mmHg"), 3)
    7.501
    >>> round(convert(5.0, "L/min", "mL/s"), 6)
    83.333333
    """
    a = _UNITS[normalise_unit(from_unit)]
    b = _UNITS[normalise_unit(to_unit)]
    if a.dimension != b.dimension:
        raise UnitError(
            f"cannot convert {from_unit!r} ({a.dimension}) to {to_unit!r} ({b.dimension})"
        )
    return value * (a.factor / b.factor)


_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_quantity(text: str, expected_unit: str) -> float:
    """Parse ``'5.0'``, ``'5 mmHg/mL'`` or ``'0.67 kPa/mL'`` into a value in ``expected_unit``.

    A bare number is taken to be in ``expected_unit`` already.

    Raises
    ------
    UnitError
        If the text is not a number, or its unit is unknown or of another dimension.
    """
    m = _QUANTITY.match(text)
    if not m:
        raise UnitError(f"{text!r} is not a number with an optional unit")
    value = float(m.group(1))
    unit = m.group(2)
    if not unit:
        return value
    try:
        return float(convert(value, unit, expected_unit))
    except UnitError as exc:
        raise UnitError(f"{text!r}: {exc}; expected a value in {expected_unit} "
                        f"({dimension(expected_unit)})") from None


# SI helpers for formats written in SI units (svZeroDSolver).
def pa_to_mmhg(p):
    """Pressure Pa → mmHg."""
    return p / MMHG_TO_PA


def mmhg_to_pa(p):
    """Pressure mmHg → Pa."""
    return p * MMHG_TO_PA


def m3_to_ml(v):
    """Volume m³ → mL (flows m³/s → mL/s likewise)."""
    return v / ML_TO_M3


def ml_to_m3(v):
    """Volume mL → m³ (flows mL/s → m³/s likewise)."""
    return v * ML_TO_M3


def flow_to_lmin(q_ml_s):
    """Flow mL/s → L/min."""
    return q_ml_s * 0.06

"""One way to write numbers and units for people, used by every view, report and message.

Clinical numbers carry no spurious digits: ≥ 20 as integers (92), ≥ 2 with one decimal
(5.2), below that two significant digits (0.43, 1.2). A value below 0.0005 is "0",
never "-0.00"; a missing value is "–". Units are written as people write them (cm², µg/kg/min)
and the dimensionless unit "1" is not written at all.
"""

from __future__ import annotations

import math

MISSING = "–"
_UNITS = {"cm^2": "cm²", "cm2": "cm²", "1": "", "ug/kg/min": "µg/kg/min", "mm^2": "mm²",
          "m^2": "m²", "mL/m^2": "mL/m²", "g/m^2": "g/m²"}


def number(x: float | None, *, signed: bool = False) -> str:
    """A clinical number for display.

    Examples
    --------
    >>> number(92.4), number(5.24), number(0.4321), number(-0.0004), number(float("nan"))
    ('92', '5.2', '0.43', '0', '–')
    >>> number(0.3, signed=True)
    '+0.3'
    """
    if x is None:
        return MISSING
    x = float(x)
    if not math.isfinite(x):
        return MISSING
    a = abs(x)
    if a < 5e-4:  # below the resolution of every clinical quantity the app shows
        return "0"
    if a >= 20:
        text = f"{x:.0f}"
    elif a >= 2:
        text = f"{x:.1f}"
    else:
        text = f"{x:.2g}"
    if float(text) == 0.0:
        return "0"
    return ("+" + text) if signed and x > 0 else text


def interval(median: float, lo: float, hi: float, *, signed: bool = False) -> str:
    """``'58 (52–63)'``; for a difference ``'+0.3 (+0.1 to +0.6)'``.

    Examples
    --------
    >>> interval(58.2, 52.1, 63.4)
    '58 (52–63)'
    """
    if median is None or not math.isfinite(float(median)):
        return f"{MISSING} (no periodic member)"
    if signed:
        return (f"{number(median, signed=True)} ({number(lo, signed=True)} to "
                f"{number(hi, signed=True)})")
    return f"{number(median)} ({number(lo)}–{number(hi)})"


def unit(u: str) -> str:
    """A unit as people write it (``'cm^2'`` → ``'cm²'``, ``'1'`` → ``''``).

    Examples
    --------
    >>> unit("cm^2"), unit("1"), unit("mmHg")
    ('cm²', '', 'mmHg')
    """
    return _UNITS.get(u, u)


def quantity(x: float, u: str) -> str:
    """A number with its unit (``'1.2 cm²'``, ``'58 %'``, a bare number if dimensionless)."""
    text, shown = number(x), unit(u)
    return f"{text} {shown}" if shown else text

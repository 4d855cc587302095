"""One way to write numbers and units for people, used by every view, report and message.

Clinical numbers carry no spurious digits: ≥ 20 as integers (92), ≥ 2 with one decimal
(5.2), below that two significant digits (0.43, 1.2). A value below 0.0005 is "0",
never "-0.00"; a missing value is "–". Units are written as people write them (cm², µg/kg/min)
and the dimensionless unit "1" is not written at all.
"""

from __future__ import annotations

import math
import re

MISSING = "–"
#: A code name in running text, which a reader should never see: a dotted parameter code
#: (``SYS.R_AR``, ``ATRIA.kick``) or an identifier joined by underscores (``V_total``,
#: ``lv_blood``). :mod:`twinviewer.explain.words` puts words in its place.
CODE_NAME = re.compile(r"\b[A-Z][A-Za-z]*\.[A-Za-z_]+\b|\b[A-Za-z]+(?:_[A-Za-z0-9]+)+\b")
_UNITS = {"cm^2": "cm²", "cm2": "cm²", "1": "", "ug/kg/min": "µg/kg/min", "mm^2": "mm²",
          "m^2": "m²", "mL/m^2": "mL/m²", "g/m^2": "g/m²"}


#: Below this a value is floating-point noise, not a quantity: it is written "0". (A fixed
#: 5e-4 wrote a venous inertance of 0.00049 mmHg·s²/mL as "0" beside its interval
#: 0.00030–0.00083: review11 #3.)
NOISE = 1e-12


def _significant(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits in positional notation (never '4.9e-05')."""
    d = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:.{d}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(x: float | None, *, signed: bool = False) -> str:
    """A clinical number for display: a small one keeps two significant digits (an
    inertance of 0.00049 is not '0'); only floating-point noise (:data:`NOISE`) is '0'.

    Examples
    --------
    >>> number(92.4), number(5.24), number(0.4321), number(-0.0004), number(float("nan"))
    ('92', '5.2', '0.43', '-0.0004', '–')
    >>> number(0.000499), number(4.9e-5), number(-3e-17)
    ('0.0005', '0.000049', '0')
    >>> number(0.3, signed=True)
    '+0.3'
    """
    if x is None:
        return MISSING
    x = float(x)
    if not math.isfinite(x):
        return MISSING
    a = abs(x)
    if a < NOISE:
        return "0"
    if a < 5e-4:
        text = _significant(x)
    elif a >= 20:
        text = f"{x:.0f}"
    elif a >= 2:
        text = f"{x:.1f}"
    else:
        text = f"{x:.2g}"
    if float(text) == 0.0:
        return "0"
    return ("+" + text) if signed and x > 0 else text


def percent(fraction: float) -> str:
    """A share as a whole percent, written as the rest of the app writes units: ``'18 %'``.
    A share that is not nothing is never written '0 %' (a warning "SBP in 0 %" contradicts
    itself: review13 #11) and a share short of all is never '100 %': they read ``'< 1 %'``
    and ``'> 99 %'``.

    Examples
    --------
    >>> percent(0.183), percent(0.0), percent(1.0)
    ('18 %', '0 %', '100 %')
    >>> percent(0.004), percent(0.005), percent(0.996), percent(1.3)
    ('< 1 %', '< 1 %', '> 99 %', '130 %')
    """
    f = float(fraction)
    if not math.isfinite(f):
        return MISSING
    text = f"{100 * f:.0f}"
    if f > 0 and text == "0":
        return "< 1 %"
    if f < 1 and text == "100":
        return "> 99 %"
    return f"{text} %"


def share(count: int, total: int) -> str:
    """How many of ``total`` twins: a percent (:func:`percent`), or the count itself where
    the percent would hide it ("1 of 200 twins", never "0 %").

    Examples
    --------
    >>> share(37, 100), share(1, 200), share(0, 100), share(199, 200)
    ('37 %', '1 of 200 twins', '0 %', '199 of 200 twins')
    """
    if total <= 0:
        return MISSING
    text = percent(count / total)
    return f"{count} of {total} twins" if text[0] in "<>" else text


def interval(median: float, lo: float, hi: float, *, signed: bool = False) -> str:
    """``'58 (52–63)'``; for a difference ``'+0.3 (+0.1 to +0.6)'``, its three numbers
    rounded to a tenth of the interval's width, never finer than :func:`number` writes its
    largest value, all three with one number of decimals (no '+0.0041 (-0.027 to +0.016)',
    no '-1 (-1.4 to -0.6)'); a trailing zero is dropped only where all three have it.

    Examples
    --------
    >>> interval(58.2, 52.1, 63.4), interval(15.5, 15.5, 15.5)
    ('58 (52–63)', '15.5 (no spread)')
    >>> interval(0.0041, -0.027, 0.016, signed=True), interval(0.03, 0.0054, 0.13, signed=True)
    ('+0.004 (-0.027 to +0.016)', '+0.03 (+0.01 to +0.13)')
    >>> interval(-0.093, -1.1, 0.094, signed=True), interval(-50.2, -84.0, -23.4, signed=True)
    ('-0.1 (-1.1 to +0.1)', '-50 (-84 to -23)')
    >>> interval(-1.02, -1.4, -0.6, signed=True), interval(0.2, 0.1, 0.3, signed=True)
    ('-1.0 (-1.4 to -0.6)', '+0.2 (+0.1 to +0.3)')

    A negative bound is written with " to ", as a difference's are: '-3.9 (-5.8--1.8)'
    misreads (review17).

    >>> interval(-3.9, -5.8, -1.8), interval(0.4, -0.2, 1.1)
    ('-3.9 (-5.8 to -1.8)', '0.4 (-0.2 to 1.1)')
    """
    if median is None or not math.isfinite(float(median)):
        return f"{MISSING} (no periodic member)"
    if lo is not None and hi is not None and float(lo) == float(hi) == float(median) \
            and abs(float(median)) >= NOISE:
        # one member (or a value every member shares): no interval to show, say so
        # rather than '15.5 (15.5–15.5)' (review12 #8, review13 #12)
        return f"{number(median, signed=signed)} (no spread)"
    if signed:
        values = [float(median), float(lo), float(hi)]
        width = values[2] - values[1]
        top = max(abs(v) for v in values)
        if not (math.isfinite(width) and width > 0 and top >= NOISE):
            return (f"{number(median, signed=True)} ({number(lo, signed=True)} to "
                    f"{number(hi, signed=True)})")
        by_width = max(0, -math.floor(math.log10(width / 10)))
        by_size = 0 if top >= 20 else 1 if top >= 2 else max(0, 1 - math.floor(math.log10(top)))
        d = min(by_width, by_size)
        # One number of decimals for all three (no "-1 (-1.4 to -0.6)"): drop a trailing
        # zero only where the median and both bounds have it.
        while d > 0 and all(f"{v:.{d}f}".endswith("0") for v in values):
            d -= 1
        m, a, b = (_fixed(v, d) for v in values)
        return f"{m} ({a} to {b})"
    m, a, b = _shared([median, lo, hi])
    negative = any(x is not None and math.isfinite(float(x)) and float(x) < 0 for x in (lo, hi))
    return f"{m} ({a} to {b})" if negative else f"{m} ({a}–{b})"


def span(lo: float, hi: float, u: str = "") -> str:
    """A range ``'10–80'`` with both ends to one number of decimals, set as
    :func:`interval` sets them (no '10.0–80', no '0.6313–0.9378'), and its unit if any.

    Examples
    --------
    >>> span(10.0, 80.0, "%"), span(0.6313, 0.9378, "cm^2"), span(2.5, 9.75, "1")
    ('10–80 %', '0.63–0.94 cm²', '2.5–9.8')
    """
    a, b = _shared([lo, hi])
    shown = unit(u)
    return f"{a}–{b} {shown}" if shown else f"{a}–{b}"


def _shared(values: list[float]) -> list[str]:
    """``values`` written with one number of decimals: as fine as :func:`number` writes
    the largest, no finer than a tenth of their spread, a trailing zero dropped only
    where every value has it (a missing value is '–')."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    top = max((abs(v) for v in finite), default=0.0)
    if top < NOISE:
        return [number(v) for v in values]
    d = 0 if top >= 20 else 1 if top >= 2 else max(0, 1 - math.floor(math.log10(top)))
    width = max(finite) - min(finite)
    if width > 0:
        d = min(d, max(0, -math.floor(math.log10(width / 10))))
    while d > 0 and all(f"{v:.{d}f}".endswith("0") for v in finite):
        d -= 1
    out = []
    for v in values:
        if v is None or not math.isfinite(float(v)):
            out.append(MISSING)
            continue
        text = f"{float(v):.{d}f}"
        out.append(text.lstrip("-") if float(text) == 0.0 else text)
    return out


def _fixed(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}"
    if float(text) == 0.0:
        return text.lstrip("-")
    return "+" + text if x > 0 else text


def unit(u: str) -> str:
    """A unit as people write it (``'cm^2'`` → ``'cm²'``, ``'1'`` → ``''``,
    ``'mmHg*s^2/mL'`` → ``'mmHg·s²/mL'``).

    Examples
    --------
    >>> unit("cm^2"), unit("1"), unit("mmHg"), unit("mmHg*s/mL"), unit("mmHg*s^2/mL")
    ('cm²', '', 'mmHg', 'mmHg·s/mL', 'mmHg·s²/mL')
    """
    if u in _UNITS:
        return _UNITS[u]
    return u.replace("*", "·").replace("^2", "²").replace("^3", "³").replace("^-1", "⁻¹")


def unit_cell(u: str) -> str:
    """A unit as a table's Unit column shows it: :func:`unit`, but a dimensionless quantity
    (a ratio such as Qp:Qs, a yes/no flag) shows "–" rather than a blank cell that reads as
    missing.

    Examples
    --------
    >>> unit_cell("1"), unit_cell(""), unit_cell("mmHg"), unit_cell("cm^2")
    ('–', '–', 'mmHg', 'cm²')
    """
    return unit(u) or "–"


#: The smallest step shown for a quantity of each unit (a clinician's resolution): a change
#: smaller than half of it reads "no change", a value this small is clinically nothing.
RESOLUTION = {"mL": 1.0, "L/min": 0.1, "mmHg": 1.0, "%": 1.0, "bpm": 1.0, "m/s": 0.1,
              "cm^2": 0.1, "cm²": 0.1, "mL/s": 1.0, "g": 1.0, "mm": 1.0, "ms": 1.0,
              "L/min/m^2": 0.1, "mL/m^2": 1.0, "kPa": 0.1}


def resolution(u: str) -> float | None:
    """The display resolution of a quantity in unit ``u`` (None: unknown, use :func:`number`).

    Examples
    --------
    >>> resolution("mL"), resolution("L/min"), resolution("mmHg/mL")
    (1.0, 0.1, None)
    """
    return RESOLUTION.get(u)


def _at(x: float, step: float, signed: bool) -> str:
    decimals = _decimals(step)
    text = f"{x:.{decimals}f}"
    if float(text) == 0.0:
        return "0"
    return ("+" + text) if signed and x > 0 else text


def negligible(values, u: str) -> bool:
    """Whether every value is below half the display resolution of unit ``u`` (an LVAD flow
    of 0 without an LVAD, 0.02 mL regurgitant volume through a competent valve): such a
    row says nothing and is left out.

    Examples
    --------
    >>> negligible([0.0, 0.022, 0.01], "mL"), negligible([0.0, 0.6], "mL"), negligible([0], "J")
    (True, False, False)
    """
    step = resolution(u)
    if step is None:
        return False
    a = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    return all(v < step / 2 for v in a)


def change(median: float, lo: float, hi: float, u: str) -> str:
    """A paired change with its interval at the quantity's display resolution; a change
    whose median and interval all lie within one resolution step of 0 is ``'no change'``.

    A change whose interval is narrower than :data:`FINE_BELOW` resolution steps keeps one
    decimal more (a mitral gradient rise of +1.34 (+0.48 to +2.44) mmHg is not
    '+1 (0 to +2)': review15b #2), and a bound of an interval that excludes 0 is never
    written '0': it keeps its sign. It is written at one decimal finer than the
    resolution at most (the same limit as a narrow interval's); a bound still 0 there is a
    signed zero, '-0.0' / '+0.0' ("just below / above 0"), never '-0.001', a precision the
    model does not have (review16b #9).

    Examples
    --------
    >>> change(0.02, 0.0071, 0.06, "L/min"), change(-0.063, -0.44, -0.00089, "mmHg")
    ('no change', 'no change')
    >>> change(-0.57, -0.74, -0.38, "L/min"), change(-16.2, -22.4, -11.6, "%")
    ('-0.6 (-0.7 to -0.4)', '-16 (-22 to -12)')
    >>> change(1.336, 0.483, 2.436, "mmHg"), change(2.5, 1.7, 3.6, "mmHg")
    ('+1.3 (+0.5 to +2.4)', '+2.5 (+1.7 to +3.6)')
    >>> change(0.04, 0.004, 0.11, "L/min"), change(0.04, 0.006, 0.11, "L/min")
    ('+0.04 (+0.00 to +0.11)', '+0.04 (+0.01 to +0.11)')
    >>> change(-0.31, -1.30, -0.0013, "mmHg"), change(-1.2, -4.3, -0.01, "mL")
    ('-0.3 (-1.3 to -0.0)', '-1 (-4 to -0.0)')
    >>> change(0.3, 0.1, 0.6, "mmHg/mL")
    '+0.3 (+0.1 to +0.6)'
    """
    if median is None or not math.isfinite(float(median)):
        return f"{MISSING} (no periodic member)"
    step = resolution(u)
    if step is None:
        return interval(median, lo, hi, signed=True)
    m, a, b = float(median), float(lo), float(hi)
    if all(abs(x) < step for x in (m, a, b)):
        return "no change"
    d = _decimals(step)
    if math.isfinite(b - a) and b - a < FINE_BELOW * step:
        d += 1
    # one number of decimals for all three; the extra one dropped where all three end in 0
    while d > _decimals(step) and all(f"{x:.{d}f}".endswith("0") for x in (m, a, b)):
        d -= 1
    excludes_zero = a > 0 or b < 0
    finest = _decimals(step) + 1
    return (f"{_at(m, 10.0 ** -d, True)} ({_signed_bound(a, d, excludes_zero, finest)} to "
            f"{_signed_bound(b, d, excludes_zero, finest)})")


#: A change's interval narrower than this many display-resolution steps is written one
#: decimal finer: rounded to the step, its bounds would move by more than a sixth of its width.
FINE_BELOW = 3


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def _signed_bound(x: float, decimals: int, keep_sign: bool, finest: int) -> str:
    """``x`` at ``decimals`` (as :func:`_at`), or, if it would read '0' while ``keep_sign``
    (the interval excludes 0), at the first finer decimal that shows it is not 0 but no
    finer than ``finest`` decimals; still 0 there, a signed zero ('-0.0')."""
    text = _at(x, 10.0 ** -decimals, True)
    if keep_sign and text == "0" and abs(x) >= NOISE:
        d = min(max(decimals, -math.floor(math.log10(abs(x)))), max(decimals, finest))
        text = f"{x:+.{d}f}"
    return text


#: How a change of a quantity measured in percent (an ejection fraction, a regurgitant
#: fraction) is written: a difference of two percentages is in percentage points, and
#: "LVEF +11 %" reads as a relative change (review14 #3). Relative changes stay "%".
POINTS = "%-points"


def change_unit(u: str) -> str:
    """The unit of a *difference* of two values in unit ``u``: :func:`unit`, except that a
    difference of two percentages is in :data:`POINTS`.

    Examples
    --------
    >>> change_unit("%"), change_unit("mmHg"), change_unit("1"), change_unit("cm^2")
    ('%-points', 'mmHg', '', 'cm²')
    """
    return POINTS if u == "%" else unit(u)


def delta(d: float, u: str) -> str:
    """One change (a difference) with its sign and unit, at the quantity's display
    resolution as the tables' Δ (:func:`change`; :func:`number` where it has none or the
    change is smaller); a change of a percentage is in percentage points
    (:func:`change_unit`). As :func:`change` keeps one decimal more for an interval
    narrower than :data:`FINE_BELOW` steps, a change smaller than that keeps it too:
    rounded to the step, −2.5 mmHg read "−2" (20 % off; session-15 note).

    Examples
    --------
    >>> delta(11.2, "%"), delta(-7.1, "%"), delta(-2.5, "mmHg"), delta(0.3, "1")
    ('+11 %-points', '-7 %-points', '-2.5 mmHg', '+0.3')
    >>> delta(0.4, "mmHg"), delta(-0.57, "L/min"), delta(2.0, "mmHg"), delta(-0.25, "L/min")
    ('+0.4 mmHg', '-0.6 L/min', '+2 mmHg', '-0.25 L/min')
    """
    step = resolution(u)
    if step is not None and math.isfinite(d) and abs(d) >= step:
        fine = step / 10.0 if abs(d) < FINE_BELOW * step else step
        text = _at(d, fine, True)
        if fine < step and text.endswith("0"):  # the extra digit says nothing: drop it
            text = _at(d, step, True)
    else:
        text = number(d, signed=True)
    shown = change_unit(u)
    return f"{text} {shown}" if shown else text


def relative(fraction: float, u: str = "") -> str:
    """A relative change (``0.12`` → ``'+12 %'``); of a quantity that is itself a
    percentage it says so (``'+12 % relative'``), since '+12 %' beside an ejection fraction
    reads as points.

    Examples
    --------
    >>> relative(0.123), relative(-0.104, "%"), relative(0.05, "mmHg")
    ('+12 %', '-10 % relative', '+5 %')
    """
    f = float(fraction)
    if not math.isfinite(f):
        return MISSING
    text = f"{100 * f:+.0f} %"
    if text in ("+0 %", "-0 %"):
        text = "0 %"
    return f"{text} relative" if u == "%" else text


def quantity(x: float, u: str) -> str:
    """A number with its unit (``'1.2 cm²'``, ``'58 %'``, a bare number if dimensionless)."""
    text, shown = number(x), unit(u)
    return f"{text} {shown}" if shown else text

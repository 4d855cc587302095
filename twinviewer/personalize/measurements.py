"""Entering, checking and storing a patient's measurements.

Measurements are :class:`twinviewer.core.measurement.Measurement` objects (value, unit, 1-SD
uncertainty, source). This module puts them in canonical names and units, checks that each is
physiologically plausible and that together they are consistent (SBP above DBP, EDV above
ESV, EF at most 100 %...), spots likely unit mistakes (kPa typed as mmHg, L as mL, a fraction
as a percentage) and suggests the fix, and reads and writes measurement sets as JSON.

Every message names the measurement it is about. No patient identifier is read or written:
a measurement file holds names, values, units, uncertainties and sources only.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from twinviewer.core.atomic import atomic_write_bytes
from twinviewer.core.format import unit as _u
from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import Twin
from twinviewer.core.units import UnitError, convert, dimension, normalise_unit
from twinviewer.personalize.quantities import QUANTITY_BY_NAME, UnknownQuantity, quantity

SCHEMA = "twinviewer.measurements/1"

_IMAGE_WORDS = re.compile(r"\b(ct|mri|cmr|mr|segmentation|image|images|imaging|mesh|seg)\b",
                          re.IGNORECASE)


class MeasurementError(ValueError):
    """Measurements that cannot be used; the message names each offending measurement."""


@dataclass(frozen=True)
class Issue:
    """One finding of :func:`check_measurements`.

    ``level`` is ``'error'`` (the set cannot be used), ``'warning'`` (used, but look at it) or
    ``'info'``; ``name`` is the measurement concerned.
    """

    level: str
    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.message}"


def is_image_derived(m: Measurement) -> bool:
    """True if the measurement's source says it was derived from images (CT, MRI, a mesh)."""
    return bool(_IMAGE_WORDS.search(m.source or ""))


def normalise(m: Measurement) -> Measurement:
    """The measurement under its canonical name and in its quantity's canonical unit.

    Raises
    ------
    MeasurementError
        Unknown name, or a unit of the wrong kind (a volume given for a pressure).
    """
    try:
        q = quantity(m.name)
    except UnknownQuantity as exc:
        raise MeasurementError(str(exc)) from None
    try:
        if dimension(m.unit) != dimension(q.unit):
            raise UnitError("")
        out = m.to(q.unit)
    except UnitError:
        raise MeasurementError(
            f"measurement {m.name}: unit {m.unit!r} is not a {dimension(q.unit)} unit; "
            f"{q.label} is given in {_u(q.unit)}") from None
    return Measurement(q.name, out.value, q.unit, out.uncertainty, m.source)


def _unit_hint(original: Measurement) -> str:
    """A suggestion when ``original`` is out of range but would fit in another unit."""
    q = quantity(original.name)
    lo, hi = q.range
    for alt in (q.unit, *q.alt_units):
        if alt == normalise_unit(original.unit):
            continue
        try:
            v = float(convert(original.value, alt, q.unit))
        except UnitError:  # pragma: no cover - table is consistent
            continue
        if lo <= v <= hi:
            given = f"{original.value:g} {_u(original.unit)}"
            if alt == q.unit:  # "150 mmHg = 150 mmHg" would say nothing (newuser17b G9)
                as_given = float(convert(original.value, original.unit, q.unit))
                read = f"{given} would be {_g(as_given)} {_u(q.unit)}"
            else:
                read = f"{original.value:g} {alt} = {_g(v)} {_u(q.unit)}"
            return (f"; it looks like it was entered in {alt}, not {_u(original.unit)}: "
                    f"{read} (re-enter it with unit {alt!r})")
    return ""


def _g(x: float) -> str:
    """Three significant digits without an exponent up to 10⁹: 1125 mmHg, not 1.12e+03."""
    return f"{x:.0f}" if 1000 <= abs(x) < 1e9 else f"{x:.3g}"


def check_measurements(measurements: Sequence[Measurement]) -> list[Issue]:
    """Check a measurement set; returns the issues found (empty if all is well).

    Parameters
    ----------
    measurements
        In any supported name (aliases allowed) and unit of the right kind.

    Returns
    -------
    list of Issue
        Errors (unknown name, wrong unit kind, non-finite value, value outside the
        physiological range with a unit-mistake suggestion, SBP ≤ DBP, EDV ≤ ESV, EF > 100 %,
        MAP outside DBP–SBP, PASP ≤ PADP, an uncertainty of 0 on a measurement not derived
        from images) and warnings (duplicates, EF inconsistent with EDV and ESV, zero
        uncertainty of an image-derived value, a large relative uncertainty).
    """
    issues: list[Issue] = []
    canon: dict[str, Measurement] = {}
    for m in measurements:
        if not (isinstance(m.value, numbers.Real) and math.isfinite(m.value)):
            issues.append(Issue("error", m.name, f"measurement {m.name}: value {m.value!r} is "
                                "not a finite number"))
            continue
        try:
            c = normalise(m)
        except MeasurementError as exc:
            issues.append(Issue("error", m.name, str(exc)))
            continue
        q = QUANTITY_BY_NAME[c.name]
        lo, hi = q.range
        if not lo <= c.value <= hi:
            issues.append(Issue(
                "error", c.name,
                f"measurement {m.name} = {m.value:g} {_u(m.unit)} is outside the physiological "
                f"range {lo:g}–{hi:g} {_u(q.unit)} of {q.label}{_unit_hint(m)}"))
            continue
        if c.uncertainty == 0 and not is_image_derived(m):
            # no measurement is exact; an SD of 0 would also be shown and saved as "± 0"
            issues.append(Issue("error", c.name, f"measurement {m.name} = {m.value:g} "
                                f"{_u(m.unit)}: uncertainty 0 is refused (no measurement is "
                                f"exact); give its 1-SD error (typical for {q.label}: "
                                f"{q.typical_sd:g} {_u(q.unit)}), or leave the uncertainty out "
                                "of a measurement file to use that typical value"))
            continue
        if c.uncertainty == 0:
            issues.append(Issue("warning", c.name, f"measurement {m.name}: uncertainty 0 — "
                                "only the model-error term will be used for it"))
        elif c.uncertainty > 0.5 * max(abs(c.value), q.typical_sd):
            issues.append(Issue("warning", c.name, f"measurement {m.name}: uncertainty "
                                f"{m.uncertainty:g} {_u(m.unit)} is more than half the value; "
                                "it will carry little information"))
        if c.name in canon:
            issues.append(Issue("warning", c.name, f"measurement {c.name} is given more than "
                                "once; the last value is used"))
        else:
            same = next((o for o in canon.values() if _same_quantity(o, c)), None)
            if same is not None:
                issues.append(Issue(
                    "warning", c.name, f"measurements {same.name} and {c.name} measure the "
                    f"same model quantity ({q.target}); only the last one, {c.name}, is "
                    "used"))
                del canon[same.name]
        canon[c.name] = c
    issues += _consistency(canon)
    return issues


def _same_quantity(a: Measurement, b: Measurement) -> bool:
    """True if two canonical measurements are one model quantity (PCWP and LAP → LAP)."""
    return quantity_key(a.name) == quantity_key(b.name)


def quantity_key(name: str) -> tuple[str, str]:
    """What ``name`` (or an alias) measures in the model: ``(kind, target)`` of its
    :class:`~twinviewer.personalize.quantities.Quantity`; PCWP and LAP share one key.

    Raises
    ------
    UnknownQuantity
        If ``name`` is not a known quantity.
    """
    q = quantity(name)
    return q.kind, q.target


def _consistency(c: dict[str, Measurement]) -> list[Issue]:
    out: list[Issue] = []

    def v(name: str) -> float | None:
        return c[name].value if name in c else None

    def pair(hi_name: str, lo_name: str, what: str) -> None:
        hi, lo = v(hi_name), v(lo_name)
        if hi is not None and lo is not None and hi <= lo:
            out.append(Issue("error", hi_name, f"measurements {hi_name} = {hi:g} and "
                             f"{lo_name} = {lo:g} are inconsistent: {what}; check whether "
                             "they were swapped"))

    pair("SBP", "DBP", "systolic pressure must exceed diastolic")
    pair("LVEDV", "LVESV", "end-diastolic volume must exceed end-systolic")
    pair("RVEDV", "RVESV", "end-diastolic volume must exceed end-systolic")
    pair("PASP", "PADP", "PA systolic pressure must exceed PA diastolic")
    for ef in ("LVEF", "RVEF"):
        if ef in c and c[ef].value > 100.0:
            out.append(Issue("error", ef, f"measurement {ef} = {c[ef].value:g} % exceeds 100 %"))
    m_ap, s, d = v("MAP"), v("SBP"), v("DBP")
    if m_ap is not None and s is not None and d is not None and not d < m_ap < s:
        out.append(Issue("error", "MAP", f"measurement MAP = {m_ap:g} mmHg is not between "
                         f"DBP {d:g} and SBP {s:g} mmHg"))
    for side in ("LV", "RV"):
        ed, es, ef = (c.get(f"{side}{k}") for k in ("EDV", "ESV", "EF"))
        if ed and es and ef and ed.value > es.value:
            implied = 100.0 * (ed.value - es.value) / ed.value
            sd = max(ef.uncertainty, 1.0) + 3.0
            if abs(implied - ef.value) > 3.0 * sd:
                out.append(Issue("warning", f"{side}EF", f"measurement {side}EF = "
                                 f"{ef.value:g} % disagrees with {side}EDV/{side}ESV, which "
                                 f"imply {implied:.0f} %"))
    return out


def require_valid(measurements: Sequence[Measurement], where: str = "") -> list[Measurement]:
    """Canonical measurements, or :class:`MeasurementError` listing every error found.

    Duplicates — the same name, or different names for the same model quantity (PCWP and
    LAP) — keep the last value, so no quantity enters the likelihood twice. ``where`` (e.g.
    a file name) prefixes the message.
    """
    errors = [i.message for i in check_measurements(measurements) if i.level == "error"]
    if errors:
        prefix = f"{where}: " if where else ""
        raise MeasurementError(prefix + "; ".join(errors))
    canon: dict[tuple[str, str], Measurement] = {}
    for m in measurements:
        c = normalise(m)
        canon[quantity_key(c.name)] = c
    return list(canon.values())


def twin_measurements(twin: Twin) -> list[Measurement]:
    """The twin's supported measurements: image-derived ones from its anatomy first, then its
    clinical measurements (which win on a clash). Unsupported names are skipped."""
    found: list[Measurement] = []
    src = list(twin.anatomy.measurements) if twin.anatomy is not None else []
    for m in [*src, *twin.measurements]:
        try:
            quantity(m.name)
        except UnknownQuantity:
            continue
        found.append(m)
    return found


def measurement_from_dict(d: dict, where: str = "") -> Measurement:
    """A :class:`Measurement` from a JSON object; ``uncertainty`` defaults to the quantity's
    typical SD (converted to the given unit).

    Raises
    ------
    MeasurementError
        Naming ``where`` (file and entry) and the missing or bad field.
    """
    if not isinstance(d, dict):
        raise MeasurementError(f"{where}: expected an object with name, value and unit, "
                               f"got {type(d).__name__}")
    missing = [k for k in ("name", "value", "unit") if k not in d]
    if missing:
        raise MeasurementError(f"{where}: missing field(s) {', '.join(missing)}")
    name = str(d["name"])
    try:
        value = float(d["value"])
    except (TypeError, ValueError):
        raise MeasurementError(f"{where} ({name}): value {d['value']!r} is not a number") \
            from None
    try:
        unit = normalise_unit(str(d["unit"]))
    except UnitError as exc:
        raise MeasurementError(f"{where} ({name}): {exc}") from None
    if d.get("uncertainty") is None:
        try:
            q = quantity(name)
            sd = float(convert(q.typical_sd, q.unit, unit))
        except (UnknownQuantity, UnitError):
            sd = 0.0
    else:
        try:
            sd = float(d["uncertainty"])
        except (TypeError, ValueError):
            raise MeasurementError(f"{where} ({name}): uncertainty {d['uncertainty']!r} is "
                                   "not a number") from None
    try:
        return Measurement(name, value, unit, sd, str(d.get("source", "")))
    except ValueError as exc:
        raise MeasurementError(f"{where}: {exc}") from None


def load_measurements(path: str | Path) -> list[Measurement]:
    """Read a measurement set written by :func:`save_measurements` (or a bare JSON list).

    Values are checked (:func:`check_measurements`); errors raise
    :class:`MeasurementError` naming the file. Names and units are kept as written.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MeasurementError(f"{path.name}: no such measurement file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MeasurementError(f"{path.name}: not a readable JSON measurement file ({exc})") \
            from None
    if isinstance(data, dict):
        schema = data.get("schema", SCHEMA)
        if schema != SCHEMA:
            raise MeasurementError(f"{path.name}: schema {schema!r} is not {SCHEMA!r}")
        entries = data.get("measurements")
    else:
        entries = data
    if not isinstance(entries, list):
        raise MeasurementError(f"{path.name}: expected a list of measurements")
    ms = [measurement_from_dict(e, f"{path.name}, entry {i + 1}") for i, e in enumerate(entries)]
    require_valid(ms, path.name)
    return ms


def save_measurements(measurements: Iterable[Measurement], path: str | Path) -> None:
    """Write a measurement set as JSON (names, values, units, uncertainties, sources only),
    atomically: a failed write leaves the old file and no temp file.

    Raises
    ------
    OSError
        Naming the path, if it cannot be written.
    """
    path = Path(path)
    entries = [{**m.to_dict(), "value": float(m.value), "uncertainty": float(m.uncertainty)}
               for m in measurements]
    data = {"schema": SCHEMA, "measurements": entries}
    atomic_write_bytes(path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))

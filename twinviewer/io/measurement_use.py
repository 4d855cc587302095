"""Which of a twin's measurements its last calibration used, and why the others were not.

A twin holds measurements of two origins: the clinical ones given to it (a measurement file,
the GUI) and those derived from its images (``twin.anatomy.measurements``). Both may name
the same quantity — LVEDV from a measurement file and LVEDV from the segmentation — and a
list of both, each "CT segmentation", does not say which the twin was fitted to. The answer
is in the calibration record of the audit trail (its ``summary``: the fit table, one row per
measurement the calibration took, with ``used`` and a note, and the warnings naming what
was left out). This module reads it, so the report and ``twinviewer info`` mark each row:

* ``used`` — a datum of the fit (or it set a parameter directly);
* ``replaced`` — the same quantity from another entry was taken instead (named);
* ``in the volume curve`` — an image volume the whole volume curve of its chamber, fitted,
  stands in for (counted once);
* ``not used`` — with the reason (counted once with the volumes it follows from, left out
  because its source volumes were replaced, not part of the last calibration, …);
* ``earlier visit`` — used at an earlier visit (its information is in the posterior).

It reads the record only (no model, no simulation).

Examples
--------
>>> from twinviewer.core.measurement import Measurement as M
>>> fit = [{"name": "LVEDV", "measured": 118.0, "source": "CT", "used": True, "note": "",
...         "unit": "mL"}]
>>> use_of(M("LVEDV", 129, "mL", 6, "CT"), {"fit": fit}, given=True).text()
'replaced by LVEDV 118 mL (CT)'
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from twinviewer.core.format import number, span
from twinviewer.core.measurement import ASSUMED_PREFIX, Measurement, is_assumed  # noqa: F401 (re-exported)

#: Measurements that are the difference of two others (the model predicts both volumes, so
#: the difference is not fitted a second time when both were given from the same source).
DIFFERENCES = {"RVSV": ("RVEDV", "RVESV"), "LVSV": ("LVEDV", "LVESV")}

#: Image measurements computed from the two volumes: not the patient's value any more once
#: either volume was entered from another source (SV = EDV − ESV must hold in one column).
DERIVED = {"LVSV": ("LVEDV", "LVESV"), "LVEF": ("LVEDV", "LVESV"),
           "RVSV": ("RVEDV", "RVESV"), "RVEF": ("RVEDV", "RVESV")}

USED, REPLACED, NOT_USED, EARLIER, UNCALIBRATED = (
    "used", "replaced", "not used", "earlier visit", "no calibration")
#: An image value the whole volume curve of its chamber stands in for (review13 #9: page 1
#: said "images; not used" of the curves' own volumes, the fit's main data).
IN_CURVE = "in the volume curve"


@dataclass(frozen=True)
class MeasurementUse:
    """One measurement of the twin and what the last calibration did with it."""

    measurement: Measurement
    origin: str  # 'given', 'images' or 'assumed' (not measured: its source says so)
    status: str  # one of USED, REPLACED, NOT_USED, EARLIER, UNCALIBRATED
    detail: str = ""

    def text(self) -> str:
        """'used', 'replaced by LVEDV 118 mL (CT)', 'not used: …'."""
        if self.status == REPLACED:
            return f"replaced by {self.detail}"
        return f"{self.status}: {self.detail}" if self.detail else self.status

    def to_dict(self) -> dict:
        """JSON-ready (``twinviewer info --json``)."""
        return {**self.measurement.to_dict(), "origin": self.origin, "status": self.status,
                "detail": self.detail}


def last_calibration(audit_entries: Sequence) -> dict | None:
    """The ``summary`` of the latest calibration entry of an audit trail, or None if the
    twin was never calibrated. An entry that predates summaries gives ``{}``, or
    ``{"named": [...]}`` when it lists the names of the measurements it used."""
    for e in reversed(list(audit_entries)):
        if e.action == "calibration":
            summary = dict(e.details.get("summary") or {})
            if not summary and e.details.get("measurements"):
                summary = {"named": [str(n) for n in e.details["measurements"]]}
            return summary
    return None


def _same(m: Measurement, row: dict) -> bool:
    value = row.get("measured")
    if value is None or (row.get("source") or "") != (m.source or ""):
        return False
    return math.isclose(float(value), float(m.value), rel_tol=1e-6, abs_tol=1e-9)


def fit_row(m: Measurement, summary: dict | None) -> dict | None:
    """The fit-table row of the calibration ``summary`` (:func:`last_calibration`) that
    judged ``m`` itself (same name, value and source), or None.

    Examples
    --------
    >>> fit_row(Measurement("SBP", 150, "mmHg", 7, "cuff"),
    ...         {"fit": [{"name": "SBP", "measured": 150.0, "source": "cuff", "z": 2.6}]})["z"]
    2.6
    """
    return next((r for r in (summary or {}).get("fit", [])
                 if r.get("name") == m.name and _same(m, r)), None)


_fmt = number  # the app's one number formatter (core/format.py)


def _misfit_detail(row: dict) -> str:
    """'POOR FIT: the twin gives 112 mmHg (90 % 91–138; residual band 90 % 94–131), z = +4.8
    (…)' for a flagged fit row, else ''. Misfit is never silent (issue 12 item 5). The
    intervals are :func:`fit_interval`'s: the twin's own, and the band the z is judged on,
    named for what it is (review15b #10, review16b #6)."""
    if row.get("disagrees"):  # left out of the fit: a disagreement, not a miss of the fit
        return (f"DISAGREES with the twin's prediction {_fmt(float(row['median']))} "
                f"{row.get('unit', '')}, z = {float(row['z']):+.1f} (|z| > 2; not fitted)")
    if not row.get("flag"):
        return ""
    rng = fit_interval(row)
    share = row.get("share_off")
    why = ("flagged above |z| 2" if abs(float(row["z"])) > 2 or share is None else
           f"{100 * float(share):.0f} % of the twins > 2 SD from it: flagged above 25 %")
    return (f"POOR FIT: the twin gives {_fmt(float(row['median']))} {row.get('unit', '')}"
            f"{rng}, z = {float(row['z']):+.1f} ({why})")


def fit_interval(row: dict, unit: str = "") -> str:
    """' (90 % 91–138 mmHg; residual band 90 % 94–131 mmHg)' of a fit row: the twin's own
    90 % interval, and beside it the band the z is judged on, named for what it is (its
    ``band``: "residual" for a datum of the fit, narrower than the twin's interval, review16b
    #6; "predictive" for one left out; "z band" for a row stored without the name); '' for a
    row with neither. One text for ``info``, the report's appendix and its page-1 Warnings
    (final16 #3: the Warnings called a residual band "predictive 90 %").

    >>> fit_interval({"lo": 91.0, "hi": 138.0, "pred_lo": 94.0, "pred_hi": 131.0,
    ...               "band": "residual"}, "mmHg")
    ' (90 % 91–138 mmHg; residual band 90 % 94–131 mmHg)'
    >>> fit_interval({"pred_lo": 94.0, "pred_hi": 131.0}), fit_interval({"lo": 1, "hi": 2})
    (' (z band 90 % 94–131)', ' (90 % 1–2)')
    >>> fit_interval({})
    ''
    """
    parts = []
    lo, hi = row.get("lo"), row.get("hi")
    if lo is not None and hi is not None:
        parts.append(f"90 % {span(float(lo), float(hi), unit)}")
    plo, phi = row.get("pred_lo"), row.get("pred_hi")
    if plo is not None and phi is not None:
        parts.append(f"{row.get('band') or 'z'} band 90 % {span(float(plo), float(phi), unit)}")
    return f" ({'; '.join(parts)})" if parts else ""


def _key(m: Measurement) -> tuple:
    return m.name, float(m.value), m.unit, float(m.uncertainty), m.source


def in_force(twin) -> dict[str, Measurement]:
    """The patient's value of each quantity the twin holds, by name: an entered measurement
    wins over the images' one, and an image stroke volume or EF is dropped once one of its
    volumes was entered from another source (the column stays SV = EDV − ESV). Assumed values
    are included (:func:`is_assumed` tells them apart).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> img = [Measurement(n, v, "mL", 5, "CT") for n, v in
    ...        (("LVEDV", 129), ("LVESV", 48), ("LVSV", 81))]
    >>> t = NS(anatomy=NS(measurements=img),
    ...        measurements=[Measurement("LVEDV", 118, "mL", 8, "echo")])
    >>> {k: v.value for k, v in in_force(t).items()}
    {'LVEDV': 118, 'LVESV': 48}
    """
    anatomy = getattr(twin, "anatomy", None)
    images = list(anatomy.measurements) if anatomy is not None else []
    from_images = {_key(m) for m in images}
    entered = [m for m in twin.measurements if _key(m) not in from_images]
    names = {m.name for m in entered}
    out: dict[str, Measurement] = {}
    for m in images:
        parts = DERIVED.get(m.name, ())
        if m.name not in out and not any(p in names for p in parts):
            out[m.name] = m
    for m in entered:  # the last entered value of a quantity
        out[m.name] = m
    return out


def set_aside(twin) -> dict[str, tuple[Measurement, tuple[str, ...]]]:
    """The images' values :func:`in_force` drops (an SV or EF computed from volumes of which
    one was entered from another source): name → (the image value, the entered volumes).

    The file still holds them, and a reader looks for them (review16 #9: the report's LVEF
    row said "—" beside the images' RVEF); where shown they are said to be set aside.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> img = [Measurement("LVEDV", 129, "mL", 5, "CT"), Measurement("LVEF", 62, "%", 3, "CT")]
    >>> t = NS(anatomy=NS(measurements=img),
    ...        measurements=[Measurement("LVEDV", 118, "mL", 8, "echo")])
    >>> {k: (m.value, by) for k, (m, by) in set_aside(t).items()}
    {'LVEF': (62, ('LVEDV',))}
    """
    anatomy = getattr(twin, "anatomy", None)
    images = list(anatomy.measurements) if anatomy is not None else []
    from_images = {_key(m) for m in images}
    names = {m.name for m in twin.measurements if _key(m) not in from_images}
    out: dict[str, tuple[Measurement, tuple[str, ...]]] = {}
    for m in images:
        by = tuple(p for p in DERIVED.get(m.name, ()) if p in names)
        if by and m.name not in names and m.name not in out:
            out[m.name] = (m, by)
    return out


def use_of(m: Measurement, summary: dict | None, *, given: bool,
           earlier: Sequence[tuple[int, Sequence[Measurement]]] = ()) -> MeasurementUse:
    """What the calibration ``summary`` (:func:`last_calibration`) did with ``m``.

    ``given``: ``m`` is one of the twin's clinical measurements (else image-derived);
    ``earlier``: (day, measurements) of the visits before the last one.
    """
    origin = "assumed" if is_assumed(m) else "given" if given else "images"
    if summary is None:
        return MeasurementUse(m, origin, UNCALIBRATED)
    if not summary:
        return MeasurementUse(m, origin, NOT_USED, "the calibration record predates "
                              "per-measurement records")
    if "named" in summary and "fit" not in summary:  # an older record: names only
        if m.name in summary["named"]:
            return MeasurementUse(m, origin, USED, "named in an older calibration record")
        return MeasurementUse(m, origin, NOT_USED, "not named in an older calibration record")
    rows = [r for r in summary.get("fit", []) if r.get("name") == m.name]
    mine = fit_row(m, summary)
    if mine is not None:
        note = str(mine.get("note") or "")
        if mine.get("used"):
            return MeasurementUse(m, origin, USED, _misfit_detail(mine))
        if note.startswith("set directly"):
            return MeasurementUse(m, origin, USED, "set the parameter directly")
        chamber = curve_chamber(mine)
        if chamber:
            miss = _misfit_detail(mine)
            said = (f"fitted as part of the whole {chamber} volume curve of the same images, "
                    "not again on its own (counted once)")
            return MeasurementUse(m, origin, IN_CURVE, f"{said}; {miss}" if miss else said)
        # the reason it was left out; a miss of the posterior predictive is a check, not a
        # reason, and follows it
        why = note.split("; checked against")[0]
        if why.startswith("missed by the posterior predictive"):
            why = why.split("; ", 1)[1] if "; " in why else ""
        why = why.removeprefix("not used in the fit: ") or "not a datum of the fit"
        miss = _misfit_detail(mine)
        return MeasurementUse(m, origin, NOT_USED, f"{why}; {miss}" if miss else why)
    considered = summary.get("considered")
    if considered is not None and not any(
            name == m.name and _same(m, {"measured": value, "source": source})
            for name, value, source in considered):
        return MeasurementUse(m, origin, NOT_USED, "entered after the last calibration: "
                              "recalibrate to use it")
    if rows:
        r = rows[0]
        return MeasurementUse(m, origin, REPLACED,
                              f"{m.name} {_fmt(float(r['measured']))} {r.get('unit', m.unit)}"
                              f" ({r.get('source') or 'no source'})")
    said = next((w for w in summary.get("warnings", []) if str(w).startswith(f"{m.name} (")),
                None)
    if said:
        return MeasurementUse(m, origin, NOT_USED, str(said).split(" left out of the fit: ")[-1])
    for day, ms in reversed(list(earlier)):
        if any(x.name == m.name and math.isclose(x.value, m.value, rel_tol=1e-6)
               for x in ms):
            return MeasurementUse(m, origin, EARLIER, f"fitted at the visit of day {day}; "
                                  "its information is in the posterior")
    parts = DIFFERENCES.get(m.name)
    if parts and considered is not None and all(
            any(name == p and source == m.source for name, _, source in considered)
            for p in parts):
        return MeasurementUse(m, origin, NOT_USED, f"computed from {parts[0]} and {parts[1]} "
                              f"of the same source ({m.source or 'no source'}), which the "
                              "calibration was given (counted once)")
    if considered is not None:
        return MeasurementUse(m, origin, NOT_USED, "the model does not predict it (kept as a "
                              "measurement of the patient)")
    return MeasurementUse(m, origin, NOT_USED, "not in the last calibration: the model does "
                          "not predict it, or it was added after that calibration (the "
                          "calibration record is too old to say which)")


def measurement_use(twin, audit_entries: Sequence) -> list[MeasurementUse]:
    """Every measurement of ``twin`` — clinical, then image-derived ones not already listed —
    with what its last calibration (in ``audit_entries``) did with it.

    Examples
    --------
    >>> [u.text() for u in measurement_use(doc.twin, doc.audit.entries)]  # doctest: +SKIP
    ['used', 'used', 'replaced by LVEDV 118 mL (CT segmentation)']
    """
    summary = last_calibration(audit_entries)
    earlier = [(v.day, v.measurements) for v in twin.visits[:-1]]
    seen = set()
    out = []
    images = list(twin.anatomy.measurements) if twin.anatomy is not None else []
    from_images = {(m.name, m.value, m.unit, m.source) for m in images}
    for m in [*twin.measurements, *images]:  # a calibration stores the image values it used
        key = (m.name, m.value, m.unit, m.source)
        if key in seen:
            continue
        seen.add(key)
        out.append(use_of(m, summary, given=key not in from_images, earlier=earlier))
    return out


#: A fit row's note saying the value is one phase of a volume curve fitted whole (the
#: calibration's wording: "not used as a separate datum: the whole LV volume curve …").
_IN_CURVE = re.compile(r"the whole (LV|RV) volume curve")


def curve_chamber(row: dict) -> str | None:
    """'LV' or 'RV' if the fit ``row`` is a value the whole volume curve of that chamber
    stands in for (fitted once, as phases of the curve), else None.

    >>> curve_chamber({"name": "LVEDV", "used": False, "note": "not used as a separate "
    ...                "datum: the whole LV volume curve of the same images is used"})
    'LV'
    """
    if row.get("used"):
        return None
    found = _IN_CURVE.search(str(row.get("note") or ""))
    return found.group(1) if found else None


def _why_left_out(row: dict) -> str:
    """The reason a fit row was left out, as its note gives it (without the check that
    follows it: a miss of the posterior predictive is not a reason)."""
    why = str(row.get("note") or "").split("; checked against")[0]
    if why.startswith("missed by the posterior predictive"):
        why = why.split("; ", 1)[1] if "; " in why else ""
    return _without_source(why.removeprefix("not used in the fit: ").strip())


def _without_source(why: str) -> str:
    """``why`` without the source named after "of the same source" (the per-measurement
    listing names it; in the one-line account it doubled the line).

    >>> _without_source("computed from A and B of the same source (MR (see notes)), which "
    ...                 "are used")
    'computed from A and B of the same source, which are used'
    """
    head, sep, tail = why.partition("of the same source (")
    if not sep:
        return why
    depth = 1
    for i, ch in enumerate(tail):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return head + "of the same source" + tail[i + 1:]
    return why


@dataclass(frozen=True)
class MeasurementCounts:
    """How many measurements a twin holds, and the one account of what its last calibration
    used: the values it fitted, the volume curves it fitted whole (their phases and the
    values each stands in for) and what it left out and why. ``twin create``, ``info``, the
    report and the Calibrate step print this text (review12b #5: they said 9, 11 and 14 for
    one file; review13 #9: "12 of 12" against "6 of 12", the curves unnamed).

    ``given`` is None when there was no calibration (or its record is too old to list them).
    ``curves``: (chamber, phases) of each volume curve fitted; ``in_curve``: the values a
    curve stands in for (LVEDV … of the same images); ``why``: name → reason left out.

    Examples
    --------
    >>> c = MeasurementCounts(9, 5, ("LVEDV", "LVSV", "RVEF", "CO"), ("LVEDV", "CO"))
    >>> c.held_text()
    '14 measurements (9 from the images, 5 entered)'
    >>> c.calibration_text()
    'calibrated to 2 of the 4 measurements given (2 left out: LVSV, RVEF)'
    >>> MeasurementCounts(13, 3, ("LVEDV", "LVESV", "SBP", "HR"), ("SBP", "HR"),
    ...                   curves=(("LV", 20),), in_curve=("LVEDV", "LVESV")).calibration_text()
    'calibrated to 2 measured values (SBP, HR) + the LV volume curve (20 phases, in place of \
LVEDV, LVESV)'
    """

    images: int
    entered: int
    given: tuple[str, ...] | None
    used: tuple[str, ...]
    curves: tuple[tuple[str, int], ...] = ()
    in_curve: tuple[str, ...] = ()
    why: tuple[tuple[str, str], ...] = ()

    @property
    def held(self) -> int:
        """Every measurement the file holds (assumed values are not measurements)."""
        return self.images + self.entered

    def held_text(self) -> str:
        """'14 measurements (9 from the images, 5 entered)'."""
        n = self.held
        return (f"{n} measurement{'' if n == 1 else 's'}"
                + (f" ({self.images} from the images, {self.entered} entered)"
                   if self.images else ""))

    def left_out(self) -> list[str]:
        """The measurements given but neither fitted nor stood in for by a curve."""
        return [n for n in dict.fromkeys(self.given or ())
                if n not in self.used and n not in self.in_curve]

    def _left_out_text(self) -> str:
        out = self.left_out()
        if not out:
            return ""
        why = dict(self.why)
        sep = "; " if any(why.get(n) for n in out) else ", "
        return (f" ({len(out)} left out: "
                + sep.join(f"{n}: {why[n]}" if why.get(n) else n for n in out) + ")")

    def calibration_text(self) -> str:
        """'calibrated to 9 of the 11 measurements given (2 left out: LVSV, RVEF)', or with
        volume curves 'calibrated to 6 measured values (HR, …) + the LV volume curve
        (20 phases, in place of LVEDV, LVESV, LVSV) and the RV volume curve (…)'."""
        if self.given is None:
            return "no per-measurement calibration record"
        if not self.curves:
            return (f"calibrated to {len(self.used)} of the {len(self.given)} measurement"
                    f"{'' if len(self.given) == 1 else 's'} given" + self._left_out_text())
        used = list(dict.fromkeys(self.used))
        curves = " and ".join(
            f"the {c} volume curve ({k} phases"
            + (f", in place of {', '.join(n for n in self.in_curve if n.startswith(c))}"
               if any(n.startswith(c) for n in self.in_curve) else "") + ")"
            for c, k in self.curves)
        values = (f"{len(used)} measured value{'' if len(used) == 1 else 's'} "
                  f"({', '.join(used)}) + " if used else "")
        return f"calibrated to {values}{curves}" + self._left_out_text()

    def text(self) -> str:
        """'holds 14 measurements (…); calibrated to 9 of the 11 measurements given (…)'."""
        return f"holds {self.held_text()}; {self.calibration_text()}"


def calibration_account(summary: dict | None, images: int = 0,
                        entered: int = 0) -> MeasurementCounts:
    """The account of what a calibration used, from its summary (the audit record's, or a
    fresh result's ``{"fit": rows, "volume_curves": curves}``): the one function behind
    every place that says it (:class:`MeasurementCounts`). ``images``/``entered``: the
    measurements the twin holds (:func:`held_counts`).

    Examples
    --------
    >>> rows = [{"name": "LVEDV", "used": False, "note": "not used as a separate datum: "
    ...          "the whole LV volume curve of the same images is used (counted once)"},
    ...         {"name": "SBP", "used": True}]
    >>> calibration_account({"fit": rows, "volume_curves": [{"chamber": "LV",
    ...                      "phases": 20}]}).calibration_text()
    'calibrated to 1 measured value (SBP) + the LV volume curve (20 phases, in place of LVEDV)'
    """
    rows = (summary or {}).get("fit")
    if rows is None:
        return MeasurementCounts(images, entered, None, ())
    curves = tuple((str(c.get("chamber", "?")), int(c.get("phases") or 0))
                   for c in (summary or {}).get("volume_curves") or [])
    in_curve = tuple(str(r.get("name")) for r in rows if curves and curve_chamber(r))
    used = tuple(str(r.get("name")) for r in rows if _row_used(r))
    why = tuple((str(r.get("name")), _why_left_out(r)) for r in rows
                if not _row_used(r) and str(r.get("name")) not in in_curve)
    return MeasurementCounts(images, entered, tuple(str(r.get("name")) for r in rows), used,
                             curves, in_curve, why)


def _row_used(row: dict) -> bool:
    return bool(row.get("used")) or str(row.get("note") or "").startswith("set directly")


def held_counts(twin) -> tuple[int, int]:
    """(from the images, entered) measurements of ``twin``, each once; a calibration's copy
    of an image value and an assumed value are not counted."""
    images = list(twin.anatomy.measurements) if getattr(twin, "anatomy", None) else []
    keys = {_key(m) for m in images}
    entered = [m for m in twin.measurements if _key(m) not in keys and not is_assumed(m)]
    return len(images), len(entered)


#: Said of a calibration whose record does not name the prior it started from.
PRIOR_NOT_RECORDED = ("not recorded (the file's calibration record predates the record of "
                      "its prior)")


def prior_of_record(summary: dict | None) -> str | None:
    """The prior a calibration started from, named as the Calibrate step named it when it
    ran (kept in the record's ``prior``: review13 #7); None if the twin was never
    calibrated; :data:`PRIOR_NOT_RECORDED` for a record that does not say.

    Examples
    --------
    >>> prior_of_record({"prior": {"preset": "severe_as", "described": "Severe aortic "
    ...                  "stenosis prior (chosen: AVA 0.7 cm² < 1.5 cm²)"}})
    'Severe aortic stenosis prior (chosen: AVA 0.7 cm² < 1.5 cm²)'
    >>> prior_of_record({"prior": {"preset": "hfref", "reason": "EF 30 % < 40 %"}})
    'Heart failure with reduced ejection fraction prior (chosen: EF 30 % < 40 %)'
    >>> prior_of_record({"fit": []}) == PRIOR_NOT_RECORDED
    True
    """
    if summary is None:
        return None
    prior = summary.get("prior")
    if not isinstance(prior, dict) or not prior.get("preset"):
        return PRIOR_NOT_RECORDED
    if prior.get("described"):
        return str(prior["described"])
    # a record of this session's earlier builds keeps the preset and the reason only; the
    # words of PriorChoice.describe (personalize sits above io: not imported here)
    from twinviewer.physiology.presets import PRESETS

    preset = str(prior["preset"])
    p = PRESETS.get(preset)
    name = ("previous visit's posterior" if preset == "previous visit" else
            f"{p.title.removesuffix(' at rest') if p else preset} prior")
    reason = str(prior.get("reason") or "")
    how = ("chosen by the user" + (f"; {reason}" if reason and reason != "chosen by the user"
                                   else "")) if prior.get("overridden") else \
        (f"chosen: {reason}" if reason else "")
    return f"{name} ({how})" if how else name


def measurement_counts(twin, audit_entries: Sequence) -> MeasurementCounts:
    """The :class:`MeasurementCounts` of ``twin`` and its last calibration (in the audit)."""
    return calibration_account(last_calibration(audit_entries), *held_counts(twin))

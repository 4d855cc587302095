"""Diagnose the hidden lesion: the app picks a virtual heart (optionally with a random,
seeded severity), shows what a clinician would measure, and scores the student's diagnosis
and severity with an explanation built from the numbers.

The truth is graded from the simulated heart's own values by the ACC/AHA 2020, ESC and ASE criteria
(:mod:`twinviewer.teaching.grading`), never from the heart's name. The student sees simulated
*measurements*: the true values plus seeded measurement error of the size each method has,
each with its 95 % interval, so a borderline case can honestly be graded differently from
the measurements than from the truth (the explanation says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from twinviewer.physiology import simulate
from twinviewer.teaching.grading import DIAGNOSES, SEVERITIES, Finding, primary, values_of
from twinviewer.teaching.hearts import (
    REFERENCE,
    heart,
    heart_names,
    lesion_parameters,
    with_severity,
)


@dataclass(frozen=True)
class Method:
    """How a clinician measures a quantity, and that method's error (1 SD)."""

    key: str
    label: str
    unit: str
    sd: float
    relative: bool
    method: str
    group: str


#: What is shown, with typical measurement error (1 SD): echo volumes ±10 % (Lang 2015 test–
#: retest), EF ±5 points, Doppler velocity ±0.2 m/s, gradients ±10 %, continuity-equation
#: AVA ±0.15 cm², PISA EROA ±0.08 cm², regurgitant volume ±12 mL, cuff pressure ±5 mmHg;
#: catheter pressures ±2 mmHg. UNSOURCED where no reference is given: estimates (planimetry
#: MVA ±0.2 cm², Qp:Qs ±0.15, PVR ±0.5 WU, defect areas, A-wave ±10 points).
METHODS: tuple[Method, ...] = (
    Method("HR", "Heart rate", "bpm", 2.0, False, "ECG", "vitals"),
    Method("SBP", "Systolic blood pressure", "mmHg", 5.0, False, "cuff", "vitals"),
    Method("DBP", "Diastolic blood pressure", "mmHg", 5.0, False, "cuff", "vitals"),
    Method("LVEDV", "LV end-diastolic volume", "mL", 0.10, True, "echo biplane", "echo"),
    Method("LVESV", "LV end-systolic volume", "mL", 0.10, True, "echo biplane", "echo"),
    Method("LVEF", "LV ejection fraction", "%", 5.0, False, "echo biplane", "echo"),
    Method("AV_peak_velocity", "Aortic peak velocity", "m/s", 0.2, False, "CW Doppler",
           "echo"),
    Method("AV_mean_gradient", "Aortic mean gradient", "mmHg", 0.10, True, "CW Doppler",
           "echo"),
    Method("AVA", "Aortic valve area", "cm^2", 0.15, False, "continuity equation", "echo"),
    Method("EROA", "Mitral EROA", "cm^2", 0.08, False, "PISA", "echo"),
    Method("MR_volume", "Mitral regurgitant volume", "mL", 12.0, False, "PISA", "echo"),
    Method("MR_fraction", "Mitral regurgitant fraction", "%", 8.0, False, "PISA", "echo"),
    Method("AR_EROA", "Aortic regurgitant orifice (EROA)", "cm^2", 0.08, False, "PISA",
           "echo"),
    Method("AR_volume", "Aortic regurgitant volume", "mL", 12.0, False, "PISA", "echo"),
    Method("AR_fraction", "Aortic regurgitant fraction", "%", 8.0, False, "PISA", "echo"),
    Method("MVA", "Mitral valve area", "cm^2", 0.2, False, "planimetry", "echo"),
    Method("MV_mean_gradient", "Mitral mean gradient", "mmHg", 0.10, True, "CW Doppler",
           "echo"),
    Method("atrial_contraction", "Atrial contraction (mitral A wave)", "% of normal", 10.0,
           False, "PW Doppler", "echo"),
    Method("ASD_area", "Atrial septal defect", "cm^2", 0.15, False, "colour Doppler / TOE",
           "echo"),
    Method("VSD_area", "Ventricular septal defect", "cm^2", 0.08, False, "colour Doppler",
           "echo"),
    Method("QpQs", "Pulmonary to systemic flow (Qp:Qs)", "ratio", 0.15, False,
           "Doppler / oximetry", "echo"),
    Method("PASP", "Pulmonary artery systolic pressure", "mmHg", 5.0, False,
           "TR jet (Bernoulli)", "echo"),
    Method("LVEDP", "LV end-diastolic pressure", "mmHg", 2.0, False, "catheter", "pressures"),
    Method("LAP", "Wedge (left atrial) pressure", "mmHg", 2.0, False, "catheter",
           "pressures"),
    Method("mPAP", "Mean pulmonary artery pressure", "mmHg", 2.0, False, "catheter",
           "pressures"),
    Method("CVP", "Right atrial pressure", "mmHg", 2.0, False, "catheter", "pressures"),
    Method("PVR", "Pulmonary vascular resistance", "WU", 0.5, False, "catheter", "pressures"),
)


@dataclass(frozen=True)
class Reading:
    """One simulated measurement: value, its 95 % interval, unit and method."""

    key: str
    label: str
    value: float
    low: float
    high: float
    unit: str
    method: str
    group: str

    def text(self) -> str:
        d = 2 if self.unit in ("cm^2", "ratio") else 1 if abs(self.value) < 10 else 0
        unit = {"cm^2": " cm²", "ratio": ""}.get(self.unit, f" {self.unit}")
        return (f"{self.label}: {self.value:.{d}f}{unit} (95 % {self.low:.{d}f}–"
                f"{self.high:.{d}f}, {self.method})")


@dataclass
class Case:
    """A hidden heart: which one (kept from the student), the truth, and what is shown."""

    heart_name: str
    severity_factor: float
    params: np.ndarray
    truth: Finding
    readings: list[Reading]
    results: object

    def reading(self, key: str) -> Reading:
        return next(r for r in self.readings if r.key == key)


@dataclass(frozen=True)
class Score:
    """The student's score (0–3) and the explanation."""

    points: int
    out_of: int
    diagnosis_ok: bool
    severity_ok: bool
    explanation: str


def case_pool() -> list[str]:
    """Hearts diagnose mode draws from: every virtual heart on the reference heart's model
    (so a lesion's severity can be scaled from the healthy heart)."""
    ref = heart(REFERENCE).model
    return [n for n in heart_names() if heart(n).model is ref]


#: The range random severity is drawn from (0 = the healthy heart, 1 = the preset), before it
#: is narrowed to where the heart still grades as its own lesion (:func:`graded_range`).
SEVERITY_RANGE = (0.6, 1.3)
#: Bisection tolerance and the margin kept inside a grading threshold (severity factor).
_TOL, _MARGIN = 0.01, 0.02


def _true_finding(name: str, factor: float) -> Finding | None:
    """Heart ``name`` with its lesion scaled by ``factor``, graded from its true values (None
    when it reaches no periodic beat)."""
    p = heart(name)
    v = with_severity(name, factor) if factor != 1.0 else p.vector()
    r = simulate(p.model, v)
    if not r.ok[0]:
        return None
    return primary(values_of({k: float(x[0]) for k, x in r.metrics.items()},
                             dict(zip(p.model.parameter_names, v, strict=True))))


@cache
def graded_range(name: str) -> tuple[float, float]:
    """The severity factors within :data:`SEVERITY_RANGE` at which heart ``name`` still
    grades as its own lesion (the diagnosis of the preset itself), each end found by
    bisection and kept :data:`_MARGIN` inside the threshold: a mild hypertensive heart
    scaled ×0.6 grades "normal" and is not drawn.

    Examples
    --------
    >>> lo, hi = graded_range("hypertensive_heart")
    >>> 0.6 < lo < 1.0 <= hi <= 1.3
    True
    """
    low, high = SEVERITY_RANGE
    own = _true_finding(name, 1.0)
    if own is None or not lesion_parameters(name):
        return 1.0, 1.0

    def ok(f: float) -> bool:
        g = _true_finding(name, f)
        return g is not None and g.diagnosis == own.diagnosis

    def edge(inside: float, outside: float) -> float:
        if ok(outside):
            return outside
        while abs(outside - inside) > _TOL:
            mid = 0.5 * (inside + outside)
            inside, outside = (mid, outside) if ok(mid) else (inside, mid)
        step = _MARGIN if outside > inside else -_MARGIN
        return inside - step if abs(inside - 1.0) > _MARGIN else inside

    return edge(1.0, low), edge(1.0, high)


def make_case(seed: int, heart_name: str | None = None, random_severity: bool = True) -> Case:
    """A hidden-lesion case; the same ``seed`` gives the same case.

    Parameters
    ----------
    seed : int
        Seeds the heart choice, its severity and the measurement errors.
    heart_name : str, optional
        A fixed heart; by default one is drawn from :func:`case_pool`.
    random_severity : bool
        Scale the lesion by a factor drawn in 0.6–1.3 (0 = healthy, 1 = the preset), narrowed
        to the factors at which the heart still grades as its own lesion
        (:func:`graded_range`).

    Examples
    --------
    >>> c = make_case(3, "severe_as", random_severity=False)
    >>> (c.truth.diagnosis, c.truth.severity)
    ('aortic stenosis', 'severe')
    """
    rng = np.random.default_rng(seed)
    pool = case_pool()
    name = heart_name or pool[int(rng.integers(len(pool)))]
    p = heart(name)
    factor = float(rng.uniform(*graded_range(name))) if random_severity and \
        lesion_parameters(name) else 1.0
    v = with_severity(name, factor) if factor != 1.0 else p.vector()
    r = simulate(p.model, v)
    if not r.ok[0]:
        v, factor = p.vector(), 1.0
        r = simulate(p.model, v)
    names = list(p.model.parameter_names)
    true_vals = values_of({k: float(x[0]) for k, x in r.metrics.items()},
                          dict(zip(names, v, strict=True)))
    readings = []
    # nothing to measure where colour Doppler shows no jet or no defect
    absent = {k for k, keys in (("EROA", ("EROA", "MR_volume", "MR_fraction")),
                                ("AR_EROA", ("AR_EROA", "AR_volume", "AR_fraction")),
                                ("ASD_area", ("ASD_area",)), ("VSD_area", ("VSD_area",)))
              if not true_vals.get(k, 0.0) > 0.01 for k in keys}
    for m in METHODS:
        x = true_vals.get(m.key, np.nan)
        if not np.isfinite(x):
            continue
        sd = m.sd * abs(x) if m.relative else m.sd
        lo_bound = 0.0
        if m.key in absent:
            x, sd = 0.0, 0.0
        y = max(lo_bound, x + sd * float(rng.standard_normal()))
        readings.append(Reading(m.key, m.label, y, max(lo_bound, y - 1.96 * sd),
                                y + 1.96 * sd, m.unit, m.method, m.group))
    return Case(name, factor, v, primary(true_vals), readings, r)


def measured_values(case: Case) -> dict[str, float]:
    """The readings as a grading input (what the student can grade from)."""
    return {r.key: r.value for r in case.readings}


def score(case: Case, diagnosis: str, severity: str) -> Score:
    """Score a proposed diagnosis and severity: 2 points for the diagnosis, 1 for its
    severity; the explanation cites the criteria and this heart's numbers.

    Examples
    --------
    >>> c = make_case(3, "severe_as", random_severity=False)
    >>> score(c, "aortic stenosis", "severe").points
    3
    >>> score(c, "mitral regurgitation", "severe").points
    0
    """
    if diagnosis not in DIAGNOSES:
        raise ValueError(f"unknown diagnosis {diagnosis!r}; choose one of "
                         f"{', '.join(DIAGNOSES)}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}; choose one of "
                         f"{', '.join(SEVERITIES)}")
    t = case.truth
    d_ok = diagnosis == t.diagnosis
    s_ok = d_ok and (severity == t.severity or not t.severity_text)
    points = 2 * d_ok + s_ok
    p = heart(case.heart_name)
    sev_word = f" ({t.severity_text})" if t.severity_text else ""
    lines = [f"{'Correct' if d_ok else 'Not quite'}: the hidden heart is "
             f"{t.diagnosis}{sev_word} — {p.title}"
             + (f", lesion scaled ×{case.severity_factor:.2f} from the healthy heart"
                if case.severity_factor != 1.0 else "") + ".",
             "Graded from the heart's true values (ACC/AHA 2020, ESC and ASE criteria):"]
    lines += [f"  • {e}" for e in t.evidence]
    m = primary(measured_values(case))
    if (m.diagnosis, m.severity) != (t.diagnosis, t.severity):
        lines.append(f"From the measurements alone it grades as {m.diagnosis}"
                     f"{f' ({m.severity_text})' if m.severity_text else ''}: "
                     f"measurement error can move a borderline case across a threshold — "
                     f"look at the intervals.")
    if d_ok and not s_ok:
        lines.append(f"The diagnosis is right; the severity is {t.severity}, not {severity}.")
    if d_ok and not t.graded:
        lines.append(f"No guideline grades the severity of {t.diagnosis}: the severity point "
                     f"comes with the diagnosis.")
    lines.append(f"Score {points}/3.")
    return Score(points, 3, d_ok, s_ok, "\n".join(lines))

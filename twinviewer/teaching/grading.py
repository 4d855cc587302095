"""Grading a heart from its numbers, with the ACC/AHA 2020, ESC and ASE criteria (REFERENCE.md,
INTERVENTIONS.md).

A grade comes from simulated (or measured) values only, never from a heart's name, so a new
virtual heart is graded without a change here. Each rule is one entry of :data:`RULES`.

Criteria
--------
Valve stenoses follow one guideline, ACC/AHA 2020 (INTERVENTIONS.md §1), with its bounds
inclusive as written. Aortic stenosis: severe AVA ≤ 1.0 cm², mean gradient ≥ 40 mmHg or peak
velocity ≥ 4 m/s; moderate AVA > 1.0–1.5 cm², mean gradient 20–39 mmHg or peak velocity
3.0–3.9 m/s; mild peak velocity 2.6–2.9 m/s (ASE 2017). Primary mitral regurgitation (ASE 2017,
ACC/AHA 2020): severe EROA ≥ 0.40 cm², regurgitant volume ≥ 60 mL or fraction ≥ 50 %;
moderate EROA 0.20–0.39 cm², volume 30–59 mL, fraction 30–49 %; mild below. LV systolic
function, one scheme with HFpEF (universal definition of HF 2021, ESC 2021 HF): LVEF ≤ 40 %
is HFrEF (30–40 % moderately, < 30 % severely reduced), > 40 to < 50 % mildly reduced
(HFmrEF 41–49 %, graded mild), ≥ 50 % preserved.
Aortic regurgitation (ASE 2017 / ESC/EACTS 2021): severe EROA ≥ 0.30 cm², volume ≥ 60 mL or
fraction ≥ 50 %; moderate EROA 0.10–0.29, 30–59 mL, 30–49 %; mild below. Mitral stenosis
(ACC/AHA 2020): severe MVA ≤ 1.5 cm² (stages C/D; very severe ≤ 1.0), progressive MVA > 1.5
(stage B; graded mild here up to 2.0 cm², normal 4–6): the guideline has no "moderate" MS. The
mean gradient depends on rate and flow, so it is evidence, not the grade.
Hypertension (ESC/ESH 2018): grade 1 SBP 140–159 or DBP 90–99 mmHg (mild), grade 2 160–179 /
100–109 (moderate), grade 3 ≥ 180 / ≥ 110 (severe). Pre-capillary pulmonary hypertension
(ESC/ERS 2022): mPAP > 20 mmHg with PAWP ≤ 15 mmHg and PVR > 2 WU; PVR > 5 WU is severe (the
guideline names no other grade: 2–5 WU is called moderate here). Left-to-right shunts (ESC
2020 ACHD): Qp:Qs ≥ 1.5 is significant (moderate here), ≥ 2.0 large (severe), 1.1–1.5 small
(mild); the defect's site (atrial or ventricular septum) is seen on colour Doppler.
HFpEF (ESC 2021: LVEF ≥ 50 % with raised filling pressure, LVEDP ≥ 16 or PAWP ≥ 15 mmHg) and
atrial fibrillation (ESC 2020: no organised atrial contraction) have no guideline severity
scale: their findings are *ungraded* (``graded`` False) and rank as a moderate finding.

Each value in the evidence is written with enough decimals to show on which side of the
thresholds printed beside it it lies (a mean gradient of 39.6 mmHg is "39.6", not "40 (severe
≥ 40)" under a moderate grade: review15b #3).
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
    graded: bool = True  # False: no guideline severity scale; severity is "moderate" = present

    @property
    def rank(self) -> int:
        return SEVERITIES.index(self.severity)

    @property
    def severity_text(self) -> str:
        """The severity as shown: empty for a normal heart or an ungraded diagnosis."""
        return "" if self.diagnosis == "normal" or not self.graded else self.severity


def _v(values: Mapping[str, float], name: str) -> float:
    x = values.get(name, np.nan)
    return float(x) if x is not None else float("nan")


def _shown(x: float, decimals: int, *edges: float) -> str:
    """``x`` to ``decimals``, or finer where that rounding would put it on, or across, a
    threshold in ``edges`` that it does not reach (so the text never contradicts the grade).

    Examples
    --------
    >>> _shown(39.6, 0, 20, 40), _shown(38.7, 0, 20, 40), _shown(40.0, 0, 40)
    ('39.6', '39', '40')
    >>> _shown(0.3951, 2, 0.2, 0.4), _shown(1.004, 1, 1.0, 1.5), _shown(float("nan"), 1)
    ('0.395', '1.004', '–')
    """
    if not np.isfinite(x):
        return "–"
    d = decimals
    while d < decimals + 4:
        text = f"{x:.{d}f}"
        p = float(text)
        if all(p != t and (p > t) == (x > t) or x == t for t in edges):
            return text
        d += 1
    return f"{x:.{d}f}"


def _worst(*levels: str) -> str:
    return max(levels, key=SEVERITIES.index)


def _level(x: float, severe: float, moderate: float, mild: float) -> str:
    """The grade of ``x`` against its severe / moderate / mild thresholds (≥ each)."""
    return ("severe" if x >= severe else "moderate" if x >= moderate
            else "mild" if x >= mild else "none")


def _aortic_stenosis(v: Mapping[str, float]) -> Finding:
    ava, mg, vmax = _v(v, "AVA"), _v(v, "AV_mean_gradient"), _v(v, "AV_peak_velocity")
    by_area = "severe" if ava <= 1.0 else "moderate" if ava <= 1.5 else "none"
    by_grad = "severe" if mg >= 40 else "moderate" if mg >= 20 else "none"
    by_vel = ("severe" if vmax >= 4.0 else "moderate" if vmax >= 3.0
              else "mild" if vmax >= 2.6 else "none")
    sev = _worst(by_area, by_grad, by_vel)
    ev = (f"AVA {_shown(ava, 2, 1.0, 1.5)} cm² (ACC/AHA 2020: severe ≤ 1.0, moderate > 1.0–1.5)",
          f"mean gradient {_shown(mg, 0, 20, 40)} mmHg (severe ≥ 40, moderate 20–39)",
          f"peak velocity {_shown(vmax, 1, 2.6, 3.0, 4.0)} m/s (severe ≥ 4, moderate 3–3.9, "
          f"mild 2.6–2.9)")
    return Finding("aortic stenosis", sev, ev)


def _mitral_regurgitation(v: Mapping[str, float]) -> Finding:
    eroa, rvol, rf = _v(v, "EROA"), _v(v, "MR_volume"), _v(v, "MR_fraction")
    sev = _worst(_level(eroa, 0.40, 0.20, 0.05), _level(rvol, 60, 30, 8),
                 _level(rf, 50, 30, 10))
    ev = (f"EROA {_shown(eroa, 2, 0.05, 0.2, 0.4)} cm² (severe ≥ 0.40, moderate 0.20–0.39)",
          f"regurgitant volume {_shown(rvol, 0, 8, 30, 60)} mL (severe ≥ 60, moderate 30–59)",
          f"regurgitant fraction {_shown(rf, 0, 10, 30, 50)} % (severe ≥ 50, moderate 30–49)")
    return Finding("mitral regurgitation", sev, ev)


def _lv_systolic(v: Mapping[str, float]) -> Finding:
    ef = _v(v, "LVEF")
    sev = ("severe" if ef < 30 else "moderate" if ef <= 40 else "mild" if ef < 50
           else "none")
    ev = (f"LVEF {_shown(ef, 0, 30, 40, 50)} % (HFrEF ≤ 40: moderately reduced 30–40, severely "
          f"< 30; mildly reduced (HFmrEF) > 40 to < 50; preserved ≥ 50)",)
    return Finding("heart failure with reduced EF", sev, ev)


def _aortic_regurgitation(v: Mapping[str, float]) -> Finding:
    eroa, rvol, rf = _v(v, "AR_EROA"), _v(v, "AR_volume"), _v(v, "AR_fraction")
    sev = _worst(_level(eroa, 0.30, 0.10, 0.05), _level(rvol, 60, 30, 8),
                 _level(rf, 50, 30, 10))
    ev = (f"AR EROA {_shown(eroa, 2, 0.05, 0.1, 0.3)} cm² (severe ≥ 0.30, moderate 0.10–0.29)",
          f"AR volume {_shown(rvol, 0, 8, 30, 60)} mL (severe ≥ 60, moderate 30–59)",
          f"AR fraction {_shown(rf, 0, 10, 30, 50)} % (severe ≥ 50, moderate 30–49)")
    return Finding("aortic regurgitation", sev, ev)


def _mitral_stenosis(v: Mapping[str, float]) -> Finding:
    mva, mg = _v(v, "MVA"), _v(v, "MV_mean_gradient")
    sev = "severe" if mva <= 1.5 else "mild" if mva <= 2.0 else "none"
    ev = (f"MVA {_shown(mva, 1, 1.0, 1.5, 2.0)} cm² (ACC/AHA 2020: severe ≤ 1.5, very severe "
          f"≤ 1.0; progressive > 1.5, mild here to 2.0; normal 4–6)",
          f"mitral mean gradient {_shown(mg, 0, 5, 10)} mmHg (usually > 5–10 in severe MS at "
          f"60–80 bpm; depends on rate and flow)")
    return Finding("mitral stenosis", sev, ev)


def _hypertension(v: Mapping[str, float]) -> Finding:
    sbp, dbp = _v(v, "SBP"), _v(v, "DBP")
    sev = _worst(_level(sbp, 180, 160, 140), _level(dbp, 110, 100, 90))
    bp = f"{_shown(sbp, 0, 140, 160, 180)}/{_shown(dbp, 0, 90, 100, 110)}"
    ev = (f"blood pressure {bp} mmHg (grade 1 ≥ 140/90, grade 2 ≥ 160/100, "
          f"grade 3 ≥ 180/110)",)
    return Finding("hypertension", sev, ev)


def _pulmonary_hypertension(v: Mapping[str, float]) -> Finding:
    mpap, pvr, lap = _v(v, "mPAP"), _v(v, "PVR"), _v(v, "LAP")
    pre = mpap > 20 and lap <= 15 and pvr > 2
    sev = "none" if not pre else "severe" if pvr > 5 else "moderate"
    ev = (f"mPAP {_shown(mpap, 0, 20)} mmHg (PH > 20), PAWP {_shown(lap, 0, 15)} mmHg "
          f"(pre-capillary ≤ 15), PVR {_shown(pvr, 1, 2, 5)} WU (> 2; severe > 5)",)
    return Finding("pulmonary hypertension", sev, ev)


def _shunt(site: str, key: str) -> Callable[[Mapping[str, float]], Finding]:
    def rule(v: Mapping[str, float]) -> Finding:
        area, qpqs = _v(v, key), _v(v, "QpQs")
        sev = "none" if not area > 0.01 else _level(qpqs, 2.0, 1.5, 1.1)
        ratio = _shown(qpqs, 2, 1.1, 1.5, 2.0)
        ev = (f"defect at the {site} septum {area:.2f} cm², Qp:Qs {ratio} (small 1.1–1.5, "
              f"significant ≥ 1.5, large ≥ 2.0)",)
        return Finding(f"{site} septal defect", sev, ev)
    rule.__name__ = f"_{site}_septal_defect"
    return rule


def _hfpef(v: Mapping[str, float]) -> Finding:
    ef, edp, lap = _v(v, "LVEF"), _v(v, "LVEDP"), _v(v, "LAP")
    present = ef >= 50 and (edp >= 16 or lap >= 15)
    ev = (f"LVEF {_shown(ef, 0, 50)} % (≥ 50) with LVEDP {_shown(edp, 0, 16)} mmHg (≥ 16) or "
          f"PAWP {_shown(lap, 0, 15)} mmHg (≥ 15) at rest",)
    return Finding("heart failure with preserved EF", "moderate" if present else "none", ev,
                   graded=False)


def _atrial_fibrillation(v: Mapping[str, float]) -> Finding:
    kick, hr = _v(v, "atrial_contraction"), _v(v, "HR")
    present = kick < 10.0
    ev = (f"atrial contraction (mitral A wave) {_shown(kick, 0, 10)} % of normal (absent in AF), "
          f"ventricular rate {hr:.0f} bpm (lenient rate-control target < 110)",)
    return Finding("atrial fibrillation", "moderate" if present else "none", ev,
                   graded=False)


#: Rules in order of precedence when two findings are equally severe (valve and structural
#: lesions first: they are the cause a clinician looks for; HFpEF last, since a stiff,
#: pressure-loaded ventricle with high filling pressure accompanies most of the others).
RULES: tuple[Callable[[Mapping[str, float]], Finding], ...] = (
    _aortic_stenosis, _mitral_regurgitation, _aortic_regurgitation, _mitral_stenosis,
    _shunt("atrial", "ASD_area"), _shunt("ventricular", "VSD_area"), _pulmonary_hypertension,
    _lv_systolic, _hypertension, _atrial_fibrillation, _hfpef)

#: Diagnoses a student can choose from.
DIAGNOSES: tuple[str, ...] = ("normal", "aortic stenosis", "mitral regurgitation",
                              "aortic regurgitation", "mitral stenosis",
                              "atrial septal defect", "ventricular septal defect",
                              "pulmonary hypertension", "heart failure with reduced EF",
                              "heart failure with preserved EF", "hypertension",
                              "atrial fibrillation")


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


#: Findings that name the main diagnosis only when nothing else is at least moderate: raised
#: pulmonary pressures and filling pressures follow a left-heart lesion or a shunt (ESC/ERS
#: 2022 groups PH by its cause), so a mitral stenosis with PVR 6 WU is a mitral stenosis.
SECONDARY: frozenset[str] = frozenset({"pulmonary hypertension",
                                       "heart failure with preserved EF"})


def primary(values: Mapping[str, float]) -> Finding:
    """The main diagnosis: the most severe finding of at least moderate grade (a mild finding
    alone is reported as normal with that note), ties broken by :data:`RULES` order; a
    :data:`SECONDARY` finding only when no other finding is at least moderate.

    Examples
    --------
    >>> primary({"AVA": 3.5, "AV_mean_gradient": 3, "AV_peak_velocity": 1.2, "EROA": 0.0,
    ...          "MR_volume": 0, "MR_fraction": 0, "LVEF": 25}).diagnosis
    'heart failure with reduced EF'
    """
    fs = findings(values)
    moderate = SEVERITIES.index("moderate")
    causes = [f for f in fs if f.diagnosis not in SECONDARY and f.rank >= moderate]
    best = max(causes or fs, key=lambda f: f.rank)  # max keeps the first of equals
    if best.rank < moderate:
        ev = tuple(e for f in fs for e in f.evidence)
        return Finding("normal", "none", ev)
    return best


def values_of(metrics: Mapping[str, float], params: Mapping[str, float]) -> dict[str, float]:
    """The numbers grading reads: metrics plus AVA and EROA (the valves' areas, cm², which an
    echo estimates by the continuity equation and PISA)."""
    out = {k: float(v) for k, v in metrics.items()}
    out["AVA"] = float(params.get("AV.EOA", np.nan))
    out["EROA"] = float(params.get("MV.EROA", np.nan))
    out["AR_EROA"] = float(params.get("AV.EROA", np.nan))
    out["MVA"] = float(params.get("MV.EOA", np.nan))
    out["ASD_area"] = float(params.get("ASD.area", 0.0))
    out["VSD_area"] = float(params.get("VSD.area", 0.0))
    out["atrial_contraction"] = 100.0 * float(params.get("ATRIA.kick", 1.0))  # % of normal
    return out

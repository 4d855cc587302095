"""The library of virtual hearts for teaching: diseases that behave (and look) like them.

Each :class:`VirtualHeart` is a set of parameter values of the four-chamber model, a short
description for students (what the disease is, what to look for in the PV loop and the
numbers), the grading criteria it claims (ESC/EACTS, ASE, ESC/ERS, ESC/ESH; each criterion
names its source) and anatomy hints the 3D view uses (wall thickness; the chamber volumes
come from the simulation itself). Every heart is checked against its own criteria by
``tests/physiology/test_virtual_hearts.py`` and by ``twinviewer validate``.

Examples
--------
>>> heart = get_heart("asd")
>>> heart.title
'Atrial septal defect'
>>> [c.metric for c in heart.criteria][:2]
['ASD.area', 'QpQs']
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twinviewer.physiology import four_chamber
from twinviewer.physiology.ensemble import sample_prior
from twinviewer.physiology.model import ModelError, ModelSpec
from twinviewer.physiology.simulate import Results, simulate

ASE_2009_AS = "ASE/EACVI 2017 & ESC/EACTS 2021 aortic stenosis grading (REFERENCE.md)"
ASE_MR = "ESC/EACTS 2021, ASE 2017 severe MR (REFERENCE.md)"
ASE_AR = "ASE 2017 / ESC/EACTS 2021 severe AR: EROA ≥ 0.30 cm², RVol ≥ 60 mL, RF ≥ 50 %"
ASE_MS = "ASE/EAE 2009 (Baumgartner) severe MS: MVA < 1.0 cm², mean gradient > 10 mmHg, " \
         "PASP > 50 mmHg"
ESC_HF = "ESC 2021 heart failure guidelines (HFrEF LVEF ≤ 40 %; HFpEF LVEF ≥ 50 % with " \
         "raised filling pressure: LVEDP ≥ 16 or PAWP ≥ 15 mmHg at rest)"
ESH_HTN = "ESC/ESH 2018 grade 2 hypertension: SBP 160–179 and/or DBP 100–109 mmHg"
ESC_PH = "ESC/ERS 2022 pulmonary hypertension: mPAP > 20 mmHg; pre-capillary PAWP ≤ 15 " \
         "mmHg and PVR > 2 WU; PVR > 5 WU severe"
ESC_ACHD = "ESC 2020 adult congenital heart disease: significant left-to-right shunt " \
           "Qp:Qs ≥ 1.5 with PVR < 3 WU (closure indicated); ASD → RV volume overload, " \
           "VSD → LV volume overload"
ESC_AF = "ESC 2020 atrial fibrillation: no organised atrial contraction; rapid ventricular " \
         "response above the lenient rate-control target of 110 bpm"
NORMAL = "Normal adult ranges (REFERENCE.md)"
NORMOTENSIVE = "Chronic compensated valve lesion: blood pressure held in the normal adult " \
               "range by reflex and neurohumoral tone (REFERENCE.md MAP 90–100 mmHg, " \
               "± 5 mmHg; docs/references.md)"


@dataclass(frozen=True)
class Criterion:
    """One grading criterion: a metric (or parameter) within ``[low, high]``.

    ``None`` leaves a side open. ``metric`` is a metric name of
    :data:`~twinviewer.physiology.metrics.METRICS` or a parameter name of the model.
    """

    metric: str
    low: float | None
    high: float | None
    source: str

    def holds(self, value: float) -> bool:
        """True if ``value`` meets the criterion (a NaN never does)."""
        return bool(np.isfinite(value) and (self.low is None or value >= self.low)
                    and (self.high is None or value <= self.high))

    def text(self) -> str:
        """``'QpQs ≥ 1.5'``-style text."""
        if self.low is not None and self.high is not None:
            return f"{self.metric} {self.low:g}–{self.high:g}"
        if self.low is not None:
            return f"{self.metric} ≥ {self.low:g}"
        return f"{self.metric} ≤ {self.high:g}"


@dataclass(frozen=True)
class AnatomyHints:
    """What the 3D view needs beyond the simulated volumes.

    ``lv_wall_mm``: end-diastolic LV wall thickness as echo measures it (normal 6–10 mm in
    men, Lang 2015; concentric hypertrophy ≥ 12 mm), the 3D wall's
    :func:`twinviewer.imaging.disease_anatomy.wall_thickness_mm`. ``rv_wall_mm``: least RV
    free-wall thickness (normal ≤ 5 mm; hypertrophied > 5 mm, Rudski 2010). ``highlight``:
    structure keys a lesson may point at (vocabulary keys, e.g. ``'aortic_valve'``).
    """

    lv_wall_mm: float = 9.0
    rv_wall_mm: float = 4.0
    highlight: tuple[str, ...] = ()


@dataclass(frozen=True)
class VirtualHeart:
    """A virtual heart of the teaching library.

    Parameters
    ----------
    name, title
        Preset name (stable, used by lessons) and display title.
    description
        What the disease is, for students.
    look_for
        What to look for in the PV loop and the numbers.
    values
        Parameter overrides of :attr:`model`'s defaults.
    criteria
        The grading the heart claims; checked by tests and ``twinviewer validate``.
    anatomy
        Hints for the disease anatomy (wall thickness, structures to highlight).
    """

    name: str
    title: str
    description: str
    look_for: str
    values: Mapping[str, float] = field(default_factory=dict)
    criteria: tuple[Criterion, ...] = ()
    anatomy: AnatomyHints = AnatomyHints()
    model: ModelSpec = four_chamber.MODEL

    def vector(self) -> np.ndarray:
        """The heart's parameter vector, shape (P,)."""
        return self.model.vector(dict(self.values))

    def grade(self, metrics: Mapping[str, float]) -> list[tuple[Criterion, float, bool]]:
        """Each criterion with the heart's value and whether it holds.

        ``metrics``: metric name → value of one simulated member (parameters are read from
        :attr:`values` and the model defaults).
        """
        vec = self.vector()
        out = []
        for c in self.criteria:
            if c.metric in self.model.parameter_names:
                v = float(vec[self.model.index(c.metric)])
            else:
                v = float(metrics[c.metric])
            out.append((c, v, c.holds(v)))
        return out


def _c(metric: str, low: float | None, high: float | None, source: str) -> Criterion:
    return Criterion(metric, low, high, source)


_HYPERTROPHY = 14.0  # mm: concentric LV hypertrophy (≥ 12 mm is hypertrophied, Lang 2015)

HEARTS: tuple[VirtualHeart, ...] = (
    VirtualHeart(
        "healthy", "Healthy adult at rest",
        "A normal adult heart at rest: every number inside the normal adult ranges.",
        "The PV loop is a tall rectangle: isovolumic contraction, ejection down to about "
        "50 mL, isovolumic relaxation, filling to about 130 mL. EF about 60 %, LVEDP below "
        "12 mmHg, 120/80 mmHg.",
        {},
        (_c("LVEF", 55, 70, NORMAL), _c("LVEDV", 120, 150, NORMAL),
         _c("LVEDP", 5, 12, NORMAL), _c("MAP", 90, 100, NORMAL), _c("CO", 4, 8, NORMAL),
         _c("mPAP", None, 20, ESC_PH), _c("QpQs", 0.95, 1.05, ESC_ACHD))),
    VirtualHeart(
        "moderate_as", "Moderate aortic stenosis",
        "The aortic valve opens less (AVA 1.1 cm²): the LV must build a higher pressure "
        "than the aorta to eject, and the wall thickens a little (concentric remodelling).",
        "A gap between the LV and aortic pressures during ejection (the gradient, 20–40 "
        "mmHg mean); the PV loop is taller, its width (stroke volume) normal.",
        {"AV.EOA": 1.1, "LV.EA": 3.63, "LV.EB": 0.0388, "V_total": 1307.0},
        (_c("AV.EOA", 1.0, 1.5, ASE_2009_AS), _c("AV_mean_gradient", 20, 40, ASE_2009_AS),
         _c("AV_peak_velocity", 3.0, 4.0, ASE_2009_AS)),
        AnatomyHints(lv_wall_mm=12.0, highlight=("aortic_valve",))),
    VirtualHeart(
        "severe_as", "Severe aortic stenosis",
        "A tight, calcified aortic valve (AVA 0.70 cm²). The LV compensates with concentric "
        "hypertrophy and keeps its EF, at the cost of a stiff wall and high systolic "
        "pressure.",
        "LV systolic pressure far above the aortic (mean gradient ≥ 40 mmHg, jet ≥ 4 m/s); "
        "a tall, narrow PV loop with a steep diastolic limb (stiff, thick LV).",
        {"AV.EOA": 0.70, "LV.EA": 5.59, "LV.EB": 0.0733, "V_total": 1313.0, "LA.EB": 0.5},
        (_c("AV.EOA", None, 0.99, ASE_2009_AS), _c("AV_mean_gradient", 40, None, ASE_2009_AS),
         _c("AV_peak_velocity", 4.0, None, ASE_2009_AS), _c("LVEF", 50, None, ESC_HF)),
        AnatomyHints(lv_wall_mm=_HYPERTROPHY, highlight=("aortic_valve",))),
    VirtualHeart(
        "severe_ar", "Severe aortic regurgitation",
        "The aortic valve leaks (EROA 0.5 cm²): blood falls back into the LV in diastole. "
        "The LV dilates (eccentric remodelling) to eject the leaked volume again each beat.",
        "A wide PV loop shifted right (large EDV) with no true isovolumic relaxation; a low "
        "diastolic and a wide pulse pressure; regurgitant volume ≥ 60 mL and fraction ≥ "
        "50 %.",
        {"AV.EROA": 0.5, "LV.V0": 45.0, "LV.EB": 0.024, "LV.KB": 0.010, "LV.EA": 1.8,
         "V_total": 1330.0, "HR": 72.0},
        (_c("AV.EROA", 0.30, None, ASE_AR), _c("AR_volume", 60, None, ASE_AR),
         _c("AR_fraction", 50, None, ASE_AR), _c("LVEDV", 200, None, ASE_AR)),
        AnatomyHints(lv_wall_mm=10.0, highlight=("aortic_valve",))),
    VirtualHeart(
        "severe_mr", "Severe primary mitral regurgitation",
        "A flail or prolapsing mitral leaflet (EROA 0.5 cm²): part of every stroke goes "
        "back into the left atrium. The LV dilates with a large mitral annulus and the LA "
        "enlarges.",
        "No isovolumic contraction: the LV volume falls as soon as it contracts; a wide loop "
        "with a large total but a small forward stroke volume; regurgitant fraction ≥ 50 %.",
        # SYS.R_AR 1.1 and V_total 1400 mL (fix15d; were the default 0.904 and 1290): the
        # open-loop heart read 95/63 (MAP 79), as if MR lowered the pressure; a compensated
        # MR patient's reflex tone holds MAP (NORMOTENSIVE). Now ≈ 110/78, MAP 94 mmHg, CO
        # 4.4 L/min, RF 60 %, LAP 21.5 mmHg. Mostly volume rather than resistance: a higher
        # afterload alone (SYS.R_AR 1.35) shrinks the edge-to-edge repair's gradient rise
        # (evidence row teer-gradient-rf) from +1.4 to +0.8 mmHg (reported +1.5); here +1.50.
        {"MV.EROA": 0.5, "MV.EOA": 6.0, "LV.V0": 40.0, "LV.EB": 0.0262, "LV.KB": 0.011,
         "LV.EA": 1.63, "V_total": 1400.0, "HR": 78.0, "SYS.R_AR": 1.1},
        (_c("MV.EROA", 0.40, None, ASE_MR), _c("MR_volume", 60, None, ASE_MR),
         _c("MR_fraction", 50, None, ASE_MR), _c("MAP", 85, 105, NORMOTENSIVE)),
        AnatomyHints(lv_wall_mm=9.0, highlight=("mitral_valve",))),
    VirtualHeart(
        "mitral_stenosis", "Severe mitral stenosis",
        "A narrowed rheumatic mitral valve (MVA 0.9 cm²): the LA must push blood through a "
        "small orifice, so LA pressure rises, the LA enlarges and the pulmonary pressure "
        "climbs; the LV itself is small and underfilled.",
        "A small PV loop (low EDV) with a normal LV; a high mean mitral gradient (> 10 mmHg) "
        "and high LA and pulmonary pressures.",
        # SYS.R_AR 1.15 and V_total 1430 mL (fix15d; were 1.0 and 1300): 92/65 (MAP 79)
        # before; now ≈ 108/80, MAP 94 mmHg (NORMOTENSIVE), gradient and PASP still severe.
        {"MV.EOA": 0.9, "LA.EB": 0.25, "LA.V0": 60.0, "HR": 80.0, "PUL.R_AR": 0.42,
         "V_total": 1430.0, "SYS.R_AR": 1.15},
        (_c("MV.EOA", None, 0.99, ASE_MS), _c("MV_mean_gradient", 10, None, ASE_MS),
         _c("PASP", 50, None, ASE_MS), _c("MAP", 85, 105, NORMOTENSIVE)),
        AnatomyHints(highlight=("mitral_valve", "la"))),
    VirtualHeart(
        "hfref", "Heart failure with reduced ejection fraction",
        "A dilated, poorly contracting LV (dilated cardiomyopathy or after infarction): EF "
        "below 40 %, raised filling pressures and secondary pulmonary hypertension. Shown "
        "without reflex compensation: its blood pressure (about 92/67 mmHg) is what the weak "
        "heart alone gives; a patient's reflex and neurohumoral tone usually hold it near "
        "110–125 mmHg systolic, so heart failure does not by itself mean a low pressure.",
        "A wide, short PV loop shifted far right (large EDV and ESV); a flat ESPVR (low Ees); "
        "high LVEDP; low stroke volume.",
        # LA.EA 0.4 (healthy 0.595): with the model's A wave (v2.2) a fully contracting LA
        # gave this heart E/A 1.4 and an LVEDP 3.3 mmHg above the mean LA pressure; LA
        # booster function is reduced in advanced HFrEF and, with EF 24 % and LAP ≈ 18 mmHg,
        # the ASE/EACVI algorithm expects restrictive filling, E/A ≥ 2 (Nagueh et al., JASE
        # 2016, grade III). Now E/A 2.2, LVEDP 19.3 vs LAP 18.5 mmHg.
        # Open loop, not normotensive (fix15d, review15 #2): ≈ 92/67 mmHg, MAP 79, below the
        # HFrEF trials' mean SBP ≈ 116–121 (docs/references.md). Raising SYS.R_AR/V_total to
        # SBP 101–108 kept the lesion but broke four intervention checks calibrated on this
        # heart (the refit's guard no longer refuses session 9's nitroprusside, a regulated
        # LVAD at 8000 rpm reaches MAP 120–125, milrinone's acute MAP flag); so the heart is
        # kept and its description says it is shown without reflex compensation.
        {"LV.EA": 1.22, "LV.EB": 0.0742, "LV.KB": 0.011, "LV.V0": 70.0,
         "V_total": 1327.0, "HR": 82.0, "SYS.R_AR": 1.1, "RV.EA": 0.35, "FFR": 0.0,
         "LA.EA": 0.4},
        (_c("LVEF", None, 40, ESC_HF), _c("LVEDP", 12, None, ESC_HF),
         _c("mPAP", 20, None, ESC_PH)),
        AnatomyHints(lv_wall_mm=8.0)),
    VirtualHeart(
        "hfpef", "Heart failure with preserved ejection fraction",
        "A stiff, hypertrophied LV (EDPVR stiffness 0.027 /mL, Cardiol Res Pract 2011) with "
        "normal EF: the LV fills only at a high pressure, which backs up into the lungs.",
        "A normal-width PV loop with a steep diastolic limb; EF ≥ 50 % but LVEDP ≥ 16 mmHg "
        "and LA pressure ≥ 15 mmHg.",
        {"LV.KB": 0.027, "LV.EA": 4.0, "LV.EB": 0.05, "V_total": 1300.0, "SYS.R_AR": 1.1,
         "SYS.C_AR": 1.0},
        (_c("LVEF", 50, None, ESC_HF), _c("LVEDP", 16, None, ESC_HF),
         _c("LAP", 15, None, ESC_HF)),
        AnatomyHints(lv_wall_mm=13.0)),
    VirtualHeart(
        "hypertensive_heart", "Hypertensive heart disease",
        "Long-standing high blood pressure (stiff arteries, high resistance): the LV "
        "thickens (concentric hypertrophy) to carry the load and becomes stiffer.",
        "A taller PV loop (high end-systolic pressure, steep Ea line); 160–179 / 100–109 "
        "mmHg; EF preserved, LVEDP mildly raised.",
        {"SYS.R_AR": 1.35, "SYS.C_AR": 0.8, "LV.EA": 3.8, "LV.EB": 0.04, "LV.KB": 0.018,
         "V_total": 1240.0},
        (_c("SBP", 160, 179, ESH_HTN), _c("DBP", 90, 109, ESH_HTN), _c("LVEF", 50, None, ESC_HF)),
        AnatomyHints(lv_wall_mm=13.0)),
    VirtualHeart(
        "asd", "Atrial septal defect",
        "A hole between the atria (secundum ASD, effective area 1.5 cm²): blood crosses from "
        "the left to the right atrium, so the right heart and the lungs carry more blood "
        "than the body receives.",
        "A large RV and RA; pulmonary flow well above systemic flow (Qp:Qs ≥ 1.5); the LV "
        "PV loop is normal or small; pulmonary pressures normal while PVR is low.",
        {"ASD.area": 1.5, "V_total": 1250.0, "RA.V0": 25.0},
        (_c("ASD.area", 0.01, None, ESC_ACHD), _c("QpQs", 1.5, None, ESC_ACHD),
         _c("shunt_flow", 0.5, None, ESC_ACHD), _c("PVR", None, 3.0, ESC_ACHD)),
        AnatomyHints(rv_wall_mm=4.0, highlight=("la", "ra"))),
    VirtualHeart(
        "vsd", "Ventricular septal defect",
        "A restrictive hole in the ventricular septum (effective area 0.25 cm²): in systole "
        "the LV ejects both into the aorta and through the defect into the RV and the "
        "pulmonary artery; the extra blood returns to the LA and LV.",
        "A wide LV loop with a high EF (part of the stroke goes to the low-pressure RV); LA "
        "and LV volume overload; Qp:Qs ≥ 1.5.",
        {"VSD.area": 0.25, "V_total": 1250.0},
        (_c("VSD.area", 0.01, None, ESC_ACHD), _c("QpQs", 1.5, None, ESC_ACHD),
         _c("shunt_flow", 0.5, None, ESC_ACHD), _c("PVR", None, 3.0, ESC_ACHD),
         _c("LVEDV", 140, None, ESC_ACHD)),
        AnatomyHints(highlight=("lv_blood", "rv_blood"))),
    VirtualHeart(
        "pulmonary_hypertension", "Pulmonary arterial hypertension",
        "Narrowed small pulmonary arteries (pre-capillary PH): the RV must pump against a "
        "high resistance; it dilates and the RA enlarges, while the left heart is normal.",
        "PA pressures near systemic (mean > 20, here about 50 mmHg) with a normal LA "
        "pressure; PVR > 5 WU (severe); large RV volumes.",
        {"PUL.R_AR": 0.45, "PUL.C_AR": 1.2, "RV.EA": 0.9, "RV.V0": 50.0, "RA.V0": 30.0,
         "V_total": 1250.0},
        (_c("mPAP", 20, None, ESC_PH), _c("LAP", None, 15, ESC_PH), _c("PVR", 5, None, ESC_PH)),
        AnatomyHints(rv_wall_mm=8.0, highlight=("rv_blood", "pulmonary_artery"))),
    VirtualHeart(
        "atrial_fibrillation", "Atrial fibrillation with rapid ventricular response",
        "The atria quiver instead of contracting, so the atrial kick is lost, and the "
        "ventricles beat fast (115 /min). The model shows the loss of atrial contraction and "
        "the fast rate at a REGULAR rate: beat-to-beat irregularity is not simulated.",
        "No A wave: LV filling ends without the late diastolic bump; a smaller PV loop (less "
        "filling time, no atrial kick); an enlarged LA.",
        {"ATRIA.kick": 0.0, "HR": 115.0, "LA.V0": 50.0},
        (_c("ATRIA.kick", 0.0, 0.0, ESC_AF), _c("HR", 110, None, ESC_AF)),
        AnatomyHints(highlight=("la",))),
)
HEART_BY_NAME: dict[str, VirtualHeart] = {h.name: h for h in HEARTS}


def get_heart(name: str) -> VirtualHeart:
    """The virtual heart called ``name``, with the choices in the message if unknown.

    Examples
    --------
    >>> get_heart("vsd").values["VSD.area"]
    0.25
    """
    try:
        return HEART_BY_NAME[name]
    except KeyError:
        raise ModelError(f"unknown virtual heart {name!r}; choose one of: "
                         f"{', '.join(HEART_BY_NAME)}") from None


def library() -> list[dict[str, str]]:
    """What a "New virtual patient" picker lists: name, title and description per heart.

    Examples
    --------
    >>> len(library()) >= 12
    True
    """
    return [{"name": h.name, "title": h.title, "description": h.description,
             "look_for": h.look_for} for h in HEARTS]


def criteria_table() -> dict[str, tuple[tuple[str, float | None, float | None], ...]]:
    """Heart name → (metric, low, high) criteria, the form ``twinviewer validate`` uses."""
    return {h.name: tuple((c.metric, c.low, c.high) for c in h.criteria) for h in HEARTS}


# ---------------------------------------------------------------- switching between hearts
_memory: dict[tuple, Results] = {}
_memory_lock = threading.Lock()


def states_cache_dir() -> Path:
    """Where converged ensemble states of the hearts are kept (``TWINVIEWER_CACHE_DIR``
    overrides the platform cache folder)."""
    env = os.environ.get("TWINVIEWER_CACHE_DIR")
    if env:
        return Path(env) / "virtual_hearts"
    import platformdirs

    return Path(platformdirs.user_cache_dir("twinviewer")) / "virtual_hearts"


def heart_ensemble(name: str, n: int = 200, seed: int = 0) -> np.ndarray:
    """The heart's prior ensemble, (n, P): the same members as
    :func:`twinviewer.twins.twin_from_preset` draws for the preset of that name."""
    h = get_heart(name)
    base = h.vector()
    return sample_prior(h.model, n, base=base, seed=seed) if n > 1 else base[None, :].copy()


def predict(name: str, n: int = 200, seed: int = 0, *, memory: bool = True,
            states: bool = True, directory: Path | None = None) -> Results:
    """Predictions (with intervals) of a virtual heart's prior ensemble, made fast for
    switching between hearts.

    Three levels: results already computed in this process are returned as they are
    (``memory``); otherwise members start from their converged states of an earlier run
    (``states``, kept in :func:`states_cache_dir` per model equation hash, heart, size and
    seed), so they need only the two beats that confirm periodicity; otherwise a cold start.
    A stale or unreadable state file only costs time: it is ignored.

    Examples
    --------
    >>> r = predict("healthy", n=1, states=False)
    >>> 55 < float(r.metrics["LVEF"][0]) < 65
    True
    """
    h = get_heart(name)
    key = (h.model.name, h.model.equation_hash, name, n, seed)
    if memory:
        with _memory_lock:
            hit = _memory.get(key)
        if hit is not None:
            return hit
    P = heart_ensemble(name, n, seed)
    folder = Path(directory) if directory is not None else states_cache_dir()
    path = folder / f"{h.model.name}-{h.model.equation_hash}-{name}-{n}-{seed}.npy"
    warm = None
    if states:
        warm = _read_states(path) if path.exists() else shipped_states(name, n, seed)
        if warm is not None and warm.shape != (n, len(h.model.states)):
            warm = None
    res = simulate(h.model, P, warm_start=warm)
    if states and res.ok.all():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                np.save(fh, res.final_state)
            tmp.replace(path)
        except OSError:
            pass  # a read-only cache only makes the next switch slower
    if memory:
        with _memory_lock:
            _memory[key] = res
    return res


#: Converged states of every heart's default ensemble, shipped so that even the first visit
#: is a warm start; regenerate after a model change with ``python -c "from
#: twinviewer.physiology.virtual_hearts import write_shipped_states as w; w()"`` (~1 min).
SHIPPED_STATES = Path(__file__).with_name("virtual_heart_states.npz")


def _read_states(path: Path) -> np.ndarray | None:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None


def shipped_states(name: str, n: int = 200, seed: int = 0) -> np.ndarray | None:
    """The shipped converged states of a heart's ensemble, or None when absent or made with
    other equations (then a cold start; only slower)."""
    if not SHIPPED_STATES.exists():
        return None
    try:
        with np.load(SHIPPED_STATES, allow_pickle=False) as z:
            if str(z["equation_hash"]) != get_heart(name).model.equation_hash:
                return None
            key = f"{name}-{n}-{seed}"
            return np.array(z[key]) if key in z.files else None
    except (OSError, ValueError, KeyError):
        return None


def write_shipped_states(path: Path = SHIPPED_STATES, n: int = 200, seed: int = 0) -> Path:
    """Simulate every heart's default ensemble cold and store the converged states."""
    arrays = {"equation_hash": np.array(four_chamber.MODEL.equation_hash)}
    for h in HEARTS:
        res = simulate(h.model, heart_ensemble(h.name, n, seed))
        arrays[f"{h.name}-{n}-{seed}"] = res.final_state.astype(np.float32)
    tmp = path.with_suffix(".part.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    return path


def prefetch(names: list[str] | None = None, n: int = 200, seed: int = 0,
             cancel=None) -> None:
    """Compute (and keep) the predictions of several hearts, e.g. in a background thread at
    start-up, so that switching to any of them later is a memory hit; ``cancel()`` stops
    between hearts."""
    for name in names or [h.name for h in HEARTS]:
        if cancel is not None and cancel():
            return
        predict(name, n, seed)


def forget_predictions() -> None:
    """Drop the in-process results (tests, benchmarks, a changed model)."""
    with _memory_lock:
        _memory.clear()

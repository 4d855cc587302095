"""Clinical metrics of one converged beat, for every ensemble member at once.

Conventions (events, not volume extremes, so that regurgitation, leaks and devices cannot move
them):

* **End-diastole (pressure)** is the onset of ventricular activation (the R wave): LVEDP is the
  LV pressure at the onset of LV activation and RVEDP the RV pressure at the onset of RV
  activation, as a catheter reads it just before the isovolumic upstroke. The onset is time 0
  of the recorded beat unless the model declares a ventricular onset parameter (``LV.tC``,
  ``RV.tC``, as in Regazzoni 2022). Volumes keep the imaging convention: EDV is the largest
  and ESV the smallest volume of the beat.
* **End-systole (for Ea and Ees)** is the instant of maximal LV elastance p/(V − V0)
  (Suga–Sagawa) or the end of ejection (aortic valve closure), whichever comes first. In a
  time-varying-elastance chamber maximal elastance is the end of contraction whether or not
  the aortic valve opens (LVAD); in severe mitral regurgitation it can fall after aortic
  closure, during regurgitant emptying, and closure is then used. Ea = end-systolic pressure
  / total stroke volume;
  Ees = end-systolic pressure / (end-systolic volume − V0).

Valve gradients are Doppler gradients: where the model declares the valve's effective
orifice area (``AV.EOA``, ``MV.EOA``) they are the simplified Bernoulli 4v² with v = Q/EOA
in m/s and the clinical coefficient exactly 4 (:data:`DOPPLER_COEFFICIENT`, Baumgartner 2009),
peak and mean over forward flow, as echocardiography reports them (the ASE tables of
prosthetic gradients are Doppler values), so that a printed peak gradient is 4·Vmax² of the
printed peak velocity. The model's own orifice loss is ρ/2·v² = 3.975·v²
(:data:`~twinviewer.physiology.elements.K_BERNOULLI`, blood 1.06 g/mL): the reported
gradient is 0.6 % above it, as an echo machine's is above the catheter's. The model's small
viscous loss and any inertial pressure are not part of it. Without
a declared EOA (resistive valves) they are the transvalvular pressure drop during forward
flow. **Forward flow** for the mean gradient is flow above :data:`FORWARD_FRACTION` (0.1 %)
of the beat's peak forward flow through that valve, as a Doppler trace is averaged over
the envelope of the jet, not over the valve's closing trickle: with inertial valves the
flow after closure decays through values of 0.005–0.04 mL/s for a sample or two, and
counting them as forward pulled the severe-AS mean gradient 0.9 mmHg (2 %) down at 200
steps per beat (docs/notes/eject8.md, default9.md). The peak gradient is the largest over
any forward flow (the same at any threshold). Cardiac output is *net forward* flow into the
aorta (through the aortic valve and any LVAD), so mitral regurgitation lowers it.

**Regurgitant volumes** (MR, AR, TR) count the backflow through the regurgitant orifice
(EROA × jet VTI, as PISA does), not the closing volume every inertial valve returns while it
shuts (:func:`regurgitant_volume`): a competent valve's is 0, not ~1.5 mL, and
LVSV − forward SV exceeds MR volume by the mitral and aortic closing volumes. Regurgitant
fractions are RVol / LVSV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinviewer.core.format import unit
from twinviewer.core.units import ML_TO_M3, MMHG_TO_PA
from twinviewer.physiology.elements import MIN_ORIFICE_CM2


@dataclass(frozen=True)
class Metric:
    """Declaration of one clinical metric."""

    name: str
    unit: str
    label: str
    description: str
    group: str

    @property
    def title(self) -> str:
        """The metric in words with its unit, as every table heads it (GUI, CLI).

        Examples
        --------
        >>> METRIC_BY_NAME["AV_mean_gradient"].title, METRIC_BY_NAME["QpQs"].title
        ('Aortic valve mean gradient (mmHg)', 'Qp:Qs')
        """
        u = unit(self.unit)
        return f"{self.label} ({u})" if u else self.label


METRICS: tuple[Metric, ...] = (
    Metric("HR", "bpm", "Heart rate", "beats per minute", "rhythm"),
    Metric("LVEDV", "mL", "LV end-diastolic volume", "largest LV volume", "left ventricle"),
    Metric("LVESV", "mL", "LV end-systolic volume", "smallest LV volume", "left ventricle"),
    Metric("LVSV", "mL", "LV stroke volume", "LVEDV − LVESV (total, incl. regurgitant)",
           "left ventricle"),
    Metric("LVEF", "%", "LV ejection fraction", "LVSV / LVEDV", "left ventricle"),
    Metric("CO", "L/min", "Cardiac output", "net forward flow into the aorta", "flow"),
    Metric("SV_forward", "mL", "Forward stroke volume", "net flow into the aorta per beat",
           "flow"),
    Metric("SBP", "mmHg", "Systolic blood pressure", "max systemic arterial pressure",
           "systemic"),
    Metric("DBP", "mmHg", "Diastolic blood pressure", "min systemic arterial pressure",
           "systemic"),
    # the waveform mean (DBP + ≈0.5·PP for this 0D loop), 4–13 mmHg above the formula value
    # beside the same SBP/DBP: said where it is read (review15b #6)
    Metric("MAP", "mmHg", "Mean arterial pressure",
           "time-mean central aortic pressure; not (SBP + 2·DBP)/3", "systemic"),
    Metric("LVSP", "mmHg", "LV systolic pressure", "max LV pressure", "left ventricle"),
    Metric("LVminP", "mmHg", "LV minimum pressure", "min LV pressure", "left ventricle"),
    Metric("LVEDP", "mmHg", "LV end-diastolic pressure",
           "LV pressure at the onset of LV activation (R wave)", "left ventricle"),
    Metric("LAP", "mmHg", "Mean left atrial pressure", "≈ PCWP", "left atrium"),
    Metric("CVP", "mmHg", "Central venous pressure", "mean right atrial pressure",
           "right heart"),
    Metric("PASP", "mmHg", "PA systolic pressure", "max pulmonary arterial pressure",
           "right heart"),
    Metric("PADP", "mmHg", "PA diastolic pressure", "min pulmonary arterial pressure",
           "right heart"),
    Metric("mPAP", "mmHg", "Mean PA pressure", "time-mean pulmonary arterial pressure",
           "right heart"),
    Metric("RVEDV", "mL", "RV end-diastolic volume", "largest RV volume", "right heart"),
    Metric("RVESV", "mL", "RV end-systolic volume", "smallest RV volume", "right heart"),
    Metric("RVEF", "%", "RV ejection fraction", "(RVEDV − RVESV) / RVEDV", "right heart"),
    Metric("RVEDP", "mmHg", "RV end-diastolic pressure",
           "RV pressure at the onset of RV activation (R wave)", "right heart"),
    Metric("AV_peak_gradient", "mmHg", "Aortic valve peak gradient",
           "peak Doppler gradient 4v² (v = flow / EOA)", "aortic valve"),
    Metric("AV_mean_gradient", "mmHg", "Aortic valve mean gradient",
           "mean Doppler gradient 4v² over forward flow", "aortic valve"),
    Metric("AV_peak_velocity", "m/s", "Aortic peak velocity", "peak flow / EOA",
           "aortic valve"),
    Metric("AR_volume", "mL", "Aortic regurgitant volume",
           "backward flow per beat through the regurgitant orifice (EROA × jet VTI)",
           "aortic valve"),
    Metric("MV_mean_gradient", "mmHg", "Mitral mean gradient",
           "mean Doppler gradient 4v² over forward flow", "mitral valve"),
    Metric("MR_volume", "mL", "Mitral regurgitant volume",
           "backward flow per beat through the regurgitant orifice (EROA × jet VTI)",
           "mitral valve"),
    Metric("MR_fraction", "%", "Mitral regurgitant fraction", "MR volume / LVSV",
           "mitral valve"),
    Metric("AR_fraction", "%", "Aortic regurgitant fraction", "AR volume / LVSV",
           "aortic valve"),
    Metric("MV_peak_gradient", "mmHg", "Mitral peak gradient",
           "peak Doppler gradient 4v² over forward flow", "mitral valve"),
    Metric("TR_volume", "mL", "Tricuspid regurgitant volume",
           "backward flow per beat through the regurgitant orifice (EROA × jet VTI)",
           "right heart"),
    Metric("PVR", "WU", "Pulmonary vascular resistance",
           "(mPAP − mean LA pressure) / pulmonary flow (Wood units, mmHg·min/L)",
           "right heart"),
    Metric("SVR", "WU", "Systemic vascular resistance",
           "(MAP − CVP) / systemic flow (Wood units)", "systemic"),
    Metric("QpQs", "1", "Qp:Qs", "pulmonary / systemic flow (1: no shunt; > 1 left-to-right)",
           "shunt"),
    Metric("shunt_flow", "L/min", "Net shunt flow",
           "net left-to-right flow through septal defects (ASD + VSD)", "shunt"),
    Metric("SW", "J", "LV stroke work", "area of the LV pressure–volume loop",
           "left ventricle"),
    # end-systole as end_systole_index finds it: capped at aortic closure (numbers17 F12)
    Metric("Ea", "mmHg/mL", "Arterial elastance",
           "LV end-systolic pressure / LVSV (end-systole: maximal elastance, or aortic "
           "closure if earlier, as in severe MR)", "coupling"),
    Metric("Ees", "mmHg/mL", "End-systolic elastance",
           "LV p / (V − V0) at end-systole (maximal elastance, or aortic closure if "
           "earlier, as in severe MR)", "coupling"),
    Metric("VAD_flow", "L/min", "LVAD flow", "mean pump flow", "device"),
    Metric("AV_opening", "1", "Aortic valve opens", "1 if the aortic valve opens in the beat",
           "device"),
    Metric("LV_suction", "1", "LV suction", "1 if the LV collapses to its unstressed volume "
           "or its pressure falls below −2 mmHg", "device"),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}

#: The lesion or device a metric is about: the parameters of which one must be non-zero for
#: it to bear on a heart (a competent valve's regurgitant volume is 0: its closing volume is
#: not counted, :func:`regurgitant_volume`; Qp:Qs without a shunt is 1 by
#: construction).
LESION_PARAMETERS: dict[str, tuple[str, ...]] = {
    "AR_volume": ("AV.EROA",), "AR_fraction": ("AV.EROA",),
    "MR_volume": ("MV.EROA",), "MR_fraction": ("MV.EROA",),
    "TR_volume": ("TV.EROA",),
    "QpQs": ("ASD.area", "VSD.area"), "shunt_flow": ("ASD.area", "VSD.area"),
    "VAD_flow": ("VAD.speed",), "AV_opening": ("VAD.speed",), "LV_suction": ("VAD.speed",),
}


def relevant_metrics(parameter_names, ensemble, metrics=METRICS) -> list[Metric]:
    """The ``metrics`` that bear on an ensemble: a lesion's or device's rows only when its
    parameter is non-zero in at least one member (see :data:`LESION_PARAMETERS`). A metric
    whose parameters the model does not have is kept (the model may express it otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> names = ["HR", "TV.EROA"]
    >>> [m.name for m in relevant_metrics(names, np.array([[70.0, 0.0]]))
    ...  if m.name in ("HR", "TR_volume")]
    ['HR']
    """
    ens = np.atleast_2d(np.asarray(ensemble, dtype=float))
    names = list(parameter_names)

    def present(metric: Metric) -> bool:
        needs = LESION_PARAMETERS.get(metric.name)
        if not needs or not all(n in names for n in needs):
            return True
        return any(bool(np.any(ens[:, names.index(n)] != 0.0)) for n in needs)

    return [m for m in metrics if present(m)]



def irrelevant_names(parameter_names, ensembles, measured=()) -> set[str]:
    """The metric names no view shows for these ensembles (the baseline's and each
    what-if's parameter matrices): a lesion's or device's rows whose parameter is zero in
    every member of every ensemble (:func:`relevant_metrics`), unless measured. The one rule
    of the simulate CLI, the GUI's metrics table, the report and ``whatif`` (review15b #7: a
    competent mitral valve's closing backflow, ~1.5 mL, was printed as "Mitral regurgitant
    fraction 2.0 %" in the report). No ensemble known: nothing is left out.

    Examples
    --------
    >>> import numpy as np
    >>> names = ["HR", "MV.EROA"]
    >>> sorted(irrelevant_names(names, [np.array([[70.0, 0.0]])]))
    ['MR_fraction', 'MR_volume']
    >>> irrelevant_names(names, [np.array([[70.0, 0.0]]), np.array([[70.0, 0.1]])])
    set()
    >>> irrelevant_names(names, [np.array([[70.0, 0.0]])], measured=["MR_fraction"])
    {'MR_volume'}
    """
    ensembles = [e for e in ensembles if e is not None]
    if not ensembles:
        return set()
    kept: set[str] = set()
    for ens in ensembles:
        kept |= {m.name for m in relevant_metrics(parameter_names, ens)}
    return {m.name for m in METRICS} - kept - set(measured)

#: The simplified Bernoulli coefficient of reported Doppler gradients, mmHg per (m/s)²:
#: ΔP = 4·v², exactly 4 as echocardiography prints it (Baumgartner et al., JASE 2009;
#: INTERVENTIONS.md §1), not the model's ρ/2 = 3.975 (review numbers17 F6).
DOPPLER_COEFFICIENT = 4.0

#: Fraction of the peak forward flow above which a sample counts as forward flow for a mean
#: gradient (metrics' module docstring). 0.1 % brings the severe-AS mean gradient at 200
#: steps per beat within 0.013 mmHg of 3200 steps (eject8).
FORWARD_FRACTION = 1e-3


def forward_mean(dp: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Mean of ``dp`` over the samples of forward flow, per member (0 without forward flow).

    A sample is forward when its flow ``q`` exceeds :data:`FORWARD_FRACTION` of the member's
    peak forward flow, so the closing valve's trickle does not dilute the mean.

    Examples
    --------
    >>> q = np.array([[0.0, 200.0, 400.0, 200.0, 0.01]])  # a 0.01 mL/s trickle at closure
    >>> forward_mean(np.array([[0.0, 10.0, 40.0, 10.0, 0.0]]), q).tolist()
    [20.0]
    """
    peak = np.maximum(q.max(axis=1, keepdims=True), 0.0)
    mask = (q > 0.0) & (q > FORWARD_FRACTION * peak)
    n = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (dp * mask).sum(axis=1) / np.maximum(n, 1), 0.0)


def onset_index(params: dict[str, np.ndarray], name: str, period: np.ndarray,
                n: int) -> np.ndarray:
    """Sample index (0…n−1) of a chamber's activation onset in the recorded beat.

    The recorded beat starts at ventricular onset unless the model has an onset parameter
    ``{name}.tC`` (s).

    Examples
    --------
    >>> onset_index({"LV.tC": np.array([0.1])}, "LV", np.array([0.8]), 200).tolist()
    [25]
    >>> onset_index({}, "LV", np.array([0.8]), 200).tolist()
    [0]
    """
    onset = params.get(f"{name}.tC")
    if onset is None:
        return np.zeros(period.shape, dtype=int)
    return np.rint(np.mod(onset, period) / period * n).astype(int) % n


def end_systole_index(p: np.ndarray, v: np.ndarray, v0: np.ndarray,
                      q_out: np.ndarray | None = None) -> np.ndarray:
    """Sample of end-systole per member: maximal elastance p / (V − V0) (Suga–Sagawa) or the
    end of ejection, whichever comes first.

    The end of ejection is the last sample of forward outflow (``q_out`` > 0, aortic valve
    closure) in the ejection that holds the peak outflow. In severe mitral regurgitation the
    ventricle keeps emptying backwards after the aortic valve closes, and p / (V − V0) can
    peak there (about 60 ms after closure in ``severe_mr``); end-systole is then capped at
    closure. Without ``q_out``, or when the valve does not open (peak outflow ≤ 1 mL/s, e.g.
    a full-support LVAD), maximal elastance alone is used. Samples with V − V0 below 1 mL
    are skipped so a collapsed chamber cannot divide by (nearly) zero.

    Examples
    --------
    >>> p = np.array([[10.0, 100.0, 120.0, 20.0]]); v = np.array([[120.0, 100.0, 60.0, 60.0]])
    >>> end_systole_index(p, v, np.array([10.0])).tolist()
    [2]
    >>> q = np.array([[0.0, 300.0, 0.0, 0.0]])  # the aortic valve closes after sample 1
    >>> end_systole_index(p, v, np.array([10.0]), q).tolist()
    [1]
    """
    dv = v - v0[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(dv >= 1.0, p / dv, -np.inf)
    i_max = e.argmax(axis=1)
    if q_out is None:
        return i_max
    n = p.shape[1]
    rows = np.arange(p.shape[0])[:, None]
    steps = np.arange(n)[None, :]
    fwd = q_out > 0.0
    i_peak = q_out.argmax(axis=1)
    # offsets from the peak outflow to the first non-forward sample, forwards and backwards
    after = ~fwd[rows, (i_peak[:, None] + steps) % n]
    before = ~fwd[rows, (i_peak[:, None] - steps) % n]
    k_end = np.where(after.any(axis=1), after.argmax(axis=1), n)
    k_start = np.where(before.any(axis=1), before.argmax(axis=1), n)
    i_open = (i_peak - k_start + 1) % n
    i_close = (i_peak + k_end - 1) % n
    late = (i_max - i_open) % n > (i_close - i_open) % n
    ejects = q_out.max(axis=1) > 1.0
    return np.where(ejects & late, i_close, i_max)


def regurgitant_volume(series: dict[str, np.ndarray], params: dict[str, np.ndarray],
                       valve: str, dt: np.ndarray) -> np.ndarray:
    """Backward flow per beat (mL) through a valve's regurgitant orifice, per member.

    Doppler's regurgitant volume is the flow through the regurgitant orifice,
    RVol = EROA × VTI of the jet (PISA method, ASE 2017), not the closing volume every
    valve with inertia returns while its leaflets close (~1.5 mL at the mitral valve of
    the default model; ISO 5840 names the two closing and leakage volume). Where the model
    has the valve's opening state ``zeta_<valve>`` (Mynard valves: one flow Q through the
    area A = EROA + ζ·(EOA − EROA)), the jet velocity is Q/A and the orifice's own flow
    EROA·Q/A — the share of the backflow the two parallel openings, with the same pressure
    drop, Bernoulli loss and inertance per area, each carry in proportion to their area.
    Once the valve is shut (ζ = 0) that is all the backflow; a competent valve
    (EROA = 0) has none. Without an opening state (resistive or quasi-steady
    orifice valves) backward flow runs through EROA alone and is counted whole.

    Examples
    --------
    >>> q = np.array([[300.0, -100.0, -50.0]])        # mL/s: forward, closing, shut
    >>> z = np.array([[1.0, 0.5, 0.0]])
    >>> par = {"MV.EOA": np.array([4.0]), "MV.EROA": np.array([0.2])}
    >>> dt = np.array([[0.01]])
    >>> float(regurgitant_volume({"Q_MV": q, "zeta_MV": z}, par, "MV", dt).round(3)[0])
    0.595
    >>> float(regurgitant_volume({"Q_MV": q}, par, "MV", dt)[0])   # no opening state
    1.5
    """
    back = np.maximum(-series[f"Q_{valve}"], 0.0)
    zeta = series.get(f"zeta_{valve}")
    eroa, eoa = params.get(f"{valve}.EROA"), params.get(f"{valve}.EOA")
    if zeta is not None and eroa is not None and eoa is not None:
        low = np.maximum(eroa, MIN_ORIFICE_CM2)[:, None]   # as the kernel floors them
        span = np.maximum(np.maximum(eoa, MIN_ORIFICE_CM2)[:, None] - low, 0.0)
        area = low + np.clip(zeta, 0.0, 1.0) * span
        back = back * np.maximum(eroa, 0.0)[:, None] / area
    return (back * dt).sum(1)


def _doppler_drop(dp: np.ndarray, q: np.ndarray, eoa: np.ndarray | None) -> np.ndarray:
    # 4v² with v = Q/EOA where the orifice area is declared; the pressure drop otherwise.
    if eoa is None:
        return dp
    v = q / np.maximum(eoa, MIN_ORIFICE_CM2)[:, None] / 100.0   # mL/s / cm² = cm/s → m/s
    return DOPPLER_COEFFICIENT * v ** 2


def compute_metrics(series: dict[str, np.ndarray], period: np.ndarray,
                    params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Clinical metrics from one beat per member.

    Parameters
    ----------
    series
        Name → (N, n) samples over one beat (states and outputs).
    period
        (N,) beat length in s.
    params
        Name → (N,) parameter values (uses ``LV.V0``, the valves' ``EOA`` and the chambers'
        onset ``LV.tC`` / ``RV.tC`` where the model has them).

    Returns
    -------
    dict
        Metric name → (N,) values in the units of :data:`METRICS`.
    """
    n = series["V_LV"].shape[1]
    dt = period[:, None] / n
    rows = np.arange(series["V_LV"].shape[0])
    v_lv, p_lv, p_ao = series["V_LV"], series["p_LV"], series["p_AO"]
    q_av, q_mv = series["Q_AV"], series["Q_MV"]
    i_ed = onset_index(params, "LV", period, n)
    v0 = params.get("LV.V0", np.zeros_like(period))
    i_es = end_systole_index(p_lv, v_lv, v0, q_av)
    out: dict[str, np.ndarray] = {"HR": 60.0 / period}
    out["LVEDV"] = v_lv.max(axis=1)
    out["LVESV"] = v_lv.min(axis=1)
    out["LVSV"] = out["LVEDV"] - out["LVESV"]
    out["LVEF"] = 100.0 * out["LVSV"] / out["LVEDV"]
    q_vad = series["Q_VAD"]
    out["SV_forward"] = ((q_av + q_vad) * dt).sum(axis=1)
    out["CO"] = out["SV_forward"] * out["HR"] / 1000.0
    out["SBP"], out["DBP"], out["MAP"] = p_ao.max(1), p_ao.min(1), p_ao.mean(1)
    out["LVSP"], out["LVminP"] = p_lv.max(1), p_lv.min(1)
    out["LVEDP"] = p_lv[rows, i_ed]
    out["LAP"] = series["p_LA"].mean(1)
    out["CVP"] = series["p_RA"].mean(1)
    p_pa = series["p_AR_PUL"]
    out["PASP"], out["PADP"], out["mPAP"] = p_pa.max(1), p_pa.min(1), p_pa.mean(1)
    v_rv = series["V_RV"]
    out["RVEDV"], out["RVESV"] = v_rv.max(1), v_rv.min(1)
    out["RVEF"] = 100.0 * (out["RVEDV"] - out["RVESV"]) / out["RVEDV"]
    out["RVEDP"] = series["p_RV"][rows, onset_index(params, "RV", period, n)]
    dp_av = _doppler_drop(p_lv - p_ao, q_av, params.get("AV.EOA"))
    out["AV_peak_gradient"] = np.where(q_av > 0, dp_av, 0.0).max(1)
    out["AV_mean_gradient"] = forward_mean(dp_av, q_av)
    if "AV.EOA" in params:
        # peak over forward flow: a valve that never opens has only backflow, 0 (review17 F7)
        out["AV_peak_velocity"] = np.maximum(q_av.max(1), 0.0) / params["AV.EOA"] / 100.0
    out["AR_volume"] = regurgitant_volume(series, params, "AV", dt)
    out["MV_mean_gradient"] = forward_mean(
        _doppler_drop(series["p_LA"] - p_lv, q_mv, params.get("MV.EOA")), q_mv)
    out["MR_volume"] = regurgitant_volume(series, params, "MV", dt)
    out["MR_fraction"] = 100.0 * out["MR_volume"] / out["LVSV"]
    out["AR_fraction"] = 100.0 * out["AR_volume"] / out["LVSV"]
    out["MV_peak_gradient"] = np.where(q_mv > 0, _doppler_drop(
        series["p_LA"] - p_lv, q_mv, params.get("MV.EOA")), 0.0).max(1)
    out["TR_volume"] = regurgitant_volume(series, params, "TV", dt)
    # Pulmonary flow is net flow through the pulmonary valve, systemic flow net flow into
    # the aorta: a left-to-right shunt makes Qp exceed Qs (Qp:Qs, as by oximetry or Doppler).
    qp = (series["Q_PV"] * dt).sum(1) * out["HR"] / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["QpQs"] = qp / out["CO"]
        out["PVR"] = (out["mPAP"] - out["LAP"]) / qp
        out["SVR"] = (out["MAP"] - out["CVP"]) / out["CO"]
    shunt = np.zeros_like(period)
    for key in ("Q_ASD", "Q_VSD"):
        if key in series:
            shunt = shunt + (series[key] * dt).sum(1)
    out["shunt_flow"] = shunt * out["HR"] / 1000.0
    # Stroke work: the loop runs counter-clockwise, so −∮p dV is its (positive) area.
    dv = np.roll(v_lv, -1, axis=1) - v_lv
    p_mid = 0.5 * (p_lv + np.roll(p_lv, -1, axis=1))
    out["SW"] = -(p_mid * dv).sum(1) * MMHG_TO_PA * ML_TO_M3
    p_es = p_lv[rows, i_es]
    out["Ea"] = p_es / out["LVSV"]
    out["Ees"] = p_es / (v_lv[rows, i_es] - v0)
    out["VAD_flow"] = q_vad.mean(1) * 0.06
    out["AV_opening"] = (q_av.max(1) > 1.0).astype(float)
    out["LV_suction"] = ((out["LVESV"] < v0 + 2.0) | (out["LVminP"] < -2.0)).astype(float)
    return out

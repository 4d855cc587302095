"""Clinical metrics of one converged beat, for every ensemble member at once.

Conventions: the recorded beat starts at ventricular onset. End-diastole is the lowest-pressure
instant within 1 mL of the largest LV volume (before isovolumic contraction raises the
pressure); end-systole the highest-pressure instant within 1 mL of the smallest volume (before
isovolumic relaxation lowers it). Valve gradients are the model's
transvalvular pressure drop while flow is forward, which, without pressure recovery, is what
Doppler's 4v² measures. Cardiac output is *net forward* flow into the aorta (through the
aortic valve and any LVAD), so mitral regurgitation lowers it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinviewer.core.units import ML_TO_M3, MMHG_TO_PA


@dataclass(frozen=True)
class Metric:
    """Declaration of one clinical metric."""

    name: str
    unit: str
    label: str
    description: str
    group: str


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
    Metric("MAP", "mmHg", "Mean arterial pressure", "time-mean systemic arterial pressure",
           "systemic"),
    Metric("LVSP", "mmHg", "LV systolic pressure", "max LV pressure", "left ventricle"),
    Metric("LVminP", "mmHg", "LV minimum pressure", "min LV pressure", "left ventricle"),
    Metric("LVEDP", "mmHg", "LV end-diastolic pressure", "LV pressure at end-diastole",
           "left ventricle"),
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
    Metric("AV_peak_gradient", "mmHg", "Aortic valve peak gradient",
           "max LV–aortic pressure drop", "aortic valve"),
    Metric("AV_mean_gradient", "mmHg", "Aortic valve mean gradient",
           "mean LV–aortic pressure drop during forward flow", "aortic valve"),
    Metric("AV_peak_velocity", "m/s", "Aortic peak velocity", "peak flow / EOA",
           "aortic valve"),
    Metric("AR_volume", "mL", "Aortic regurgitant volume", "backward flow per beat",
           "aortic valve"),
    Metric("MV_mean_gradient", "mmHg", "Mitral mean gradient",
           "mean LA–LV pressure drop during forward flow", "mitral valve"),
    Metric("MR_volume", "mL", "Mitral regurgitant volume", "backward flow per beat",
           "mitral valve"),
    Metric("MR_fraction", "%", "Mitral regurgitant fraction", "MR volume / LVSV",
           "mitral valve"),
    Metric("TR_volume", "mL", "Tricuspid regurgitant volume", "backward flow per beat",
           "right heart"),
    Metric("SW", "J", "LV stroke work", "area of the LV pressure–volume loop",
           "left ventricle"),
    Metric("Ea", "mmHg/mL", "Arterial elastance", "end-systolic pressure / LVSV",
           "coupling"),
    Metric("Ees", "mmHg/mL", "End-systolic elastance", "peak LV elastance (EA + EB)",
           "coupling"),
    Metric("VAD_flow", "L/min", "LVAD flow", "mean pump flow", "device"),
    Metric("AV_opening", "1", "Aortic valve opens", "1 if the aortic valve opens in the beat",
           "device"),
    Metric("LV_suction", "1", "LV suction", "1 if the LV collapses to its unstressed volume "
           "or its pressure falls below −2 mmHg", "device"),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}


def _forward_mean(dp, q):
    mask = q > 0.0
    n = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (dp * mask).sum(axis=1) / np.maximum(n, 1), 0.0)


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
        Name → (N,) parameter values (uses ``HR``, ``LV.EA``, ``LV.EB``, ``LV.V0`` and the
        valves' ``EOA`` where the model has them).

    Returns
    -------
    dict
        Metric name → (N,) values in the units of :data:`METRICS`.
    """
    n = series["V_LV"].shape[1]
    dt = period[:, None] / n
    rows = np.arange(series["V_LV"].shape[0])
    v_lv, p_lv, p_ao = series["V_LV"], series["p_LV"], series["p_AO"]
    q_av, q_mv, q_tv = series["Q_AV"], series["Q_MV"], series["Q_TV"]
    near_ed = v_lv >= v_lv.max(axis=1, keepdims=True) - 1.0
    near_es = v_lv <= v_lv.min(axis=1, keepdims=True) + 1.0
    i_ed = np.where(near_ed, p_lv, np.inf).argmin(axis=1)
    i_es = np.where(near_es, p_lv, -np.inf).argmax(axis=1)
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
    dp_av = p_lv - p_ao
    out["AV_peak_gradient"] = np.where(q_av > 0, dp_av, 0.0).max(1)
    out["AV_mean_gradient"] = _forward_mean(dp_av, q_av)
    if "AV.EOA" in params:
        out["AV_peak_velocity"] = q_av.max(1) / params["AV.EOA"] / 100.0
    out["AR_volume"] = (np.maximum(-q_av, 0.0) * dt).sum(1)
    out["MV_mean_gradient"] = _forward_mean(series["p_LA"] - p_lv, q_mv)
    out["MR_volume"] = (np.maximum(-q_mv, 0.0) * dt).sum(1)
    out["MR_fraction"] = 100.0 * out["MR_volume"] / out["LVSV"]
    out["TR_volume"] = (np.maximum(-q_tv, 0.0) * dt).sum(1)
    # Stroke work: the loop runs counter-clockwise, so −∮p dV is its (positive) area.
    dv = np.roll(v_lv, -1, axis=1) - v_lv
    p_mid = 0.5 * (p_lv + np.roll(p_lv, -1, axis=1))
    out["SW"] = -(p_mid * dv).sum(1) * MMHG_TO_PA * ML_TO_M3
    out["Ea"] = p_lv[rows, i_es] / out["LVSV"]
    if "LV.EA" in params:
        out["Ees"] = params["LV.EA"] + params["LV.EB"]
    out["VAD_flow"] = q_vad.mean(1) * 0.06
    out["AV_opening"] = (q_av.max(1) > 1.0).astype(float)
    v0 = params.get("LV.V0", np.zeros_like(period))
    out["LV_suction"] = ((out["LVESV"] < v0 + 2.0) | (out["LVminP"] < -2.0)).astype(float)
    return out

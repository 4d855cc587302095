"""Version 1.0 of the built-in clinical model, kept unchanged (linear passive filling,
quasi-steady valves, √RR timing) so that benchmarks compare the richer version 2 against it in
one run and twins locked to v1.0 stay explainable. Not registered as a preset model.

Original description follows.

The built-in clinical model: a closed-loop, four-chamber circulation with valves described
by effective orifice areas, so that stenosis and regurgitation are set in clinical numbers.

Structure of Regazzoni et al. (2022), with three changes that clinical use needs:

* valves follow the steady Bernoulli loss ΔP = ρ/(2·EOA²)·Q|Q| plus a small viscous term,
  forward through ``EOA`` and backward through the regurgitant orifice ``EROA`` (cm²);
* activation is timed from ventricular onset (t = 0, the R wave): the atria contract
  ``AVD`` seconds earlier, and contraction and relaxation durations, given at 75 bpm, scale
  with √(RR/0.8 s) (Bazett-like) and never overrun the beat;
* the aortic root has a characteristic impedance in series with the aortic valve (a
  three-element windkessel), which shapes the ejection and the systolic pressure;
* an optional continuous-flow left ventricular assist device from the LV to the aorta, with
  a HeartMate 3–like head–flow curve, is off at speed 0.
"""

from __future__ import annotations

import numpy as np

from twinviewer.core.parameter import Parameter, Prior
from twinviewer.physiology import closed_loop as cl
from twinviewer.physiology.elements import activation, orifice_valve, pump_flow
from twinviewer.physiology.jit import model_function
from twinviewer.physiology.model import ADULT_RESTING_RANGES, ModelSpec

#: Viscous part of each valve's loss (mmHg·s/mL): 1.5 mmHg at 500 mL/s.
R_VISCOUS = 0.003
#: Heart rate at which activation durations are given.
RR_REFERENCE = 0.8

_CHAMBERS = {
    #       EA     EB     TC     TR    V0     EA range     EB range
    "LA": (0.14, 0.43, 0.12, 0.15, 31.0, (0.005, 2.0), (0.02, 3.0)),
    "LV": (2.52, 0.068, 0.34, 0.17, 10.0, (0.1, 15.0), (0.01, 1.5)),
    "RA": (0.06, 0.23, 0.12, 0.15, 14.0, (0.005, 2.0), (0.01, 2.0)),
    "RV": (0.43, 0.013, 0.30, 0.15, 10.0, (0.02, 5.0), (0.003, 1.0)),
}
_VALVES = {"MV": 4.0, "AV": 3.5, "TV": 5.0, "PV": 3.0}
_CIRCULATION = {
    "SYS.R_AR": 0.93, "SYS.C_AR": 1.64, "SYS.R_VEN": 0.10, "SYS.C_VEN": 40.0,
    "SYS.L_AR": 0.005, "SYS.L_VEN": 0.0005,
    "PUL.R_AR": 0.068, "PUL.C_AR": 3.0, "PUL.R_VEN": 0.01, "PUL.C_VEN": 16.0,
    "PUL.L_AR": 0.0005, "PUL.L_VEN": 0.0005,
}
_V_TOTAL = 1152.0
# Defaults: a healthy adult at rest, fitted once (scipy least_squares) to mid-normal targets
# (REFERENCE.md): LVEDV 130 mL, LVESV 52 mL, 120/78 mmHg, LVEDP 8, LAP 9, CVP 4, PA 24/10 mmHg,
# largest LA / RA volumes 58 / 50 mL (LA volume index ≤ 34 mL/m², RA about 25 mL/m²).
#: A limit-cycle state of the defaults, used as the cold start (then volume-corrected).
_TEMPLATE = np.array([46.0, 128.0, 21.4, 138.8, 82.8, 12.7, 10.6, 8.8, 75.3, 106.2, 28.3, 63.7])


def _parameters() -> tuple[Parameter, ...]:
    ps = [
        Parameter("HR", "bpm", 70.0, "heart rate", (30.0, 220.0), Prior("lognormal", 70, 0.12)),
        Parameter("AVD", "s", 0.16, "atrioventricular delay: atrial onset before ventricular "
                  "onset (PR interval)", (0.02, 0.4), Prior("lognormal", 0.16, 0.15)),
    ]
    for ch, (ea, eb, tc, tr, v0, ea_rng, eb_rng) in _CHAMBERS.items():
        ps += [
            Parameter(f"{ch}.EA", "mmHg/mL", ea, f"{ch} active elastance (contractility)",
                      ea_rng),
            Parameter(f"{ch}.EB", "mmHg/mL", eb, f"{ch} passive elastance (diastolic stiffness)",
                      eb_rng),
            Parameter(f"{ch}.TC", "s", tc, f"{ch} contraction duration at 75 bpm", (0.05, 0.6),
                      Prior("lognormal", tc, 0.1)),
            Parameter(f"{ch}.TR", "s", tr, f"{ch} relaxation duration at 75 bpm", (0.05, 0.6),
                      Prior("lognormal", tr, 0.1)),
            Parameter(f"{ch}.V0", "mL", v0, f"{ch} unstressed volume", (0.0, 150.0),
                      Prior("lognormal", v0, 0.3)),
        ]
    for v, eoa in _VALVES.items():
        ps += [
            Parameter(f"{v}.EOA", "cm^2", eoa, f"{v} effective orifice area (forward)",
                      (0.2, 8.0), Prior("lognormal", eoa, 0.1)),
            Parameter(f"{v}.EROA", "cm^2", 0.0, f"{v} effective regurgitant orifice area",
                      (0.0, 1.5), Prior("lognormal", 0.0, 0.2)),
        ]
    ps += cl.circulation_parameters(_CIRCULATION)
    ps += [
        Parameter("V_total", "mL", _V_TOTAL, "blood volume held by the loop (chambers plus "
                  "stressed vessel volume)", (300.0, 6000.0), Prior("lognormal", _V_TOTAL, 0.1)),
        Parameter("SYS.Z_AO", "mmHg*s/mL", 0.04, "aortic characteristic impedance",
                  (0.005, 0.3)),
        Parameter("VAD.speed", "krpm", 0.0, "LVAD pump speed (0: no device)", (0.0, 10.0),
                  Prior("lognormal", 0.0, 0.03)),
    ]
    return tuple(ps)


PARAMETERS = _parameters()
_I = {p.name: i for i, p in enumerate(PARAMETERS)}
I_HR, I_AVD = _I["HR"], _I["AVD"]
I_LA, I_LV, I_RA, I_RV = (_I[f"{c}.EA"] for c in ("LA", "LV", "RA", "RV"))
I_MV, I_AV, I_TV, I_PV = (_I[f"{v}.EOA"] for v in ("MV", "AV", "TV", "PV"))
I_SYS = _I["SYS.R_AR"]
I_VTOTAL = _I["V_total"]
I_VAD = _I["VAD.speed"]
I_ZAO = _I["SYS.Z_AO"]


@model_function
def _elastance(t, period, onset, p, i):
    # p[i:i+5] = EA, EB, TC, TR, V0 of one chamber; durations scale with the beat length
    # and are shrunk together if they would overrun 90 % of it.
    scale = np.sqrt(period / RR_REFERENCE)
    scale = np.minimum(scale, 0.9 * period / (p[i + 2] + p[i + 3]))
    return p[i + 1] + p[i] * activation(t, period, onset, p[i + 2] * scale, p[i + 3] * scale)


@model_function
def observe(t, y, p):
    """Chamber pressures, valve flows and device flow (see :data:`closed_loop.OUTPUTS`)."""
    period = 60.0 / p[I_HR]
    atrial_onset = (period - p[I_AVD]) % period
    p_la = _elastance(t, period, atrial_onset, p, I_LA) * (y[cl.V_LA] - p[I_LA + 4])
    p_lv = _elastance(t, period, 0.0, p, I_LV) * (y[cl.V_LV] - p[I_LV + 4])
    p_ra = _elastance(t, period, atrial_onset, p, I_RA) * (y[cl.V_RA] - p[I_RA + 4])
    p_rv = _elastance(t, period, 0.0, p, I_RV) * (y[cl.V_RV] - p[I_RV + 4])
    q_mv = orifice_valve(p_la - p_lv, p[I_MV], p[I_MV + 1], R_VISCOUS)
    # The aortic root's characteristic impedance sits in series with the valve, so the root
    # pressure p_ao = p_AR_SYS + Z_AO·Q_AV carries the early-systolic shoulder.
    q_av = orifice_valve(p_lv - y[cl.P_AR_SYS], p[I_AV], p[I_AV + 1], R_VISCOUS + p[I_ZAO])
    q_tv = orifice_valve(p_ra - p_rv, p[I_TV], p[I_TV + 1], R_VISCOUS)
    q_pv = orifice_valve(p_rv - y[cl.P_AR_PUL], p[I_PV], p[I_PV + 1], R_VISCOUS)
    p_ao = y[cl.P_AR_SYS] + p[I_ZAO] * q_av
    q_vad = pump_flow(y[cl.P_AR_SYS] - p_lv, p[I_VAD])
    return p_la, p_lv, p_ra, p_rv, q_mv, q_av, q_tv, q_pv, q_vad, p_ao


@model_function
def rhs(t, y, p, dydt):
    """Right-hand side of the four-chamber EOA loop."""
    p_la, p_lv, p_ra, p_rv, q_mv, q_av, q_tv, q_pv, q_vad, p_ao = observe(t, y, p)
    cl.chamber_derivatives(y, dydt, q_mv, q_av + q_vad, q_tv, q_pv)
    cl.vessel_derivatives(y, p, dydt, I_SYS, q_av + q_vad, p_ra, q_pv, p_la)


initial_state, conserved_volume, set_volume = cl.volume_functions(_TEMPLATE, I_SYS, I_VTOTAL)


MODEL = ModelSpec(
    name="four_chamber_eoa",
    version="1.0",
    title="Closed-loop four-chamber circulation with valves by effective orifice area",
    states=cl.STATES,
    parameters=PARAMETERS,
    outputs=cl.OUTPUTS,
    rhs=rhs,
    observe=observe,
    initial_state=initial_state,
    conserved_volume=conserved_volume,
    set_volume=set_volume,
    assumptions=(
        "Chambers are time-varying elastances: pressure is linear in volume at every instant "
        "(no explicit end-diastolic pressure–volume curvature, no ventricular interaction).",
        "Valve flow is quasi-steady: the Bernoulli orifice loss plus a small viscous term; "
        "valve opening and closing are instantaneous and valve inertance is neglected; "
        "no pressure recovery downstream of the valve (gradients are Doppler-like).",
        "Systemic and pulmonary circulations are single RLC compartments each; the model "
        "itself has no baroreflex or other autoregulation: a what-if runs 'regulated' by "
        "default (steady-state arterial baroreflex, twinviewer.interventions.baroreflex), or "
        "'acute, unregulated' when that mode is chosen.",
        "Contraction and relaxation durations scale with √RR; the atrioventricular delay is "
        "fixed by AVD.",
        "The blood volume held by the loop (V_total) is conserved over the beat.",
        "The LVAD head–flow curve is a quadratic fit to HeartMate 3 IFU points (4–8 krpm).",
    ),
    context_of_use="Adult resting haemodynamics, HR 40–180 bpm, sinus rhythm or paced, with "
    "aortic stenosis, mitral regurgitation, reduced ejection fraction and their "
    "treatments (valve replacement, edge-to-edge repair, acute drug effects, pacing, LVAD). "
    "Not validated for congenital disease, arrhythmia, shunts, exercise or chronic "
    "remodelling. Research and education use only.",
    validity_ranges=ADULT_RESTING_RANGES,
    references=(
        "Regazzoni F et al. J Comput Phys 2022;457:111083 (structure).",
        "Baumgartner H et al. JASE 2009 (Bernoulli, valve grading).",
        "Abbott HeartMate 3 IFU, H–Q curves (pump).",
    ),
    equation_sources=(_elastance, activation, cl.chamber_derivatives, orifice_valve,
                      pump_flow, cl.vessel_derivatives),
)

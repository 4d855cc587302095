"""The built-in clinical model: a closed-loop, four-chamber circulation with valves described
by effective orifice areas, so that stenosis and regurgitation are set in clinical numbers.

Structure of Regazzoni et al. (2022), with the changes that clinical use needs:

* valves have inertance and opening dynamics (Mynard et al. 2012): each valve's flow obeys
  L·dQ/dt = ΔP − r·Q − ρ/(2·A²)·Q|Q| with L = ρ·l_eff/A, and its opening state ζ moves with
  the pressure difference; the area A runs from the regurgitant orifice ``EROA`` (shut) to
  the forward ``EOA`` (open, cm²), so that held steady the loss is the Bernoulli
  ΔP = ρ/(2·EOA²)·Q|Q| plus a small viscous term (version 3.0; before, the valves were that
  quasi-steady loss with instantaneous opening, kept as :data:`QUASI_STEADY_MODEL`);
* passive filling is exponential (EDPVR p = EB/KB·(e^{KB·(V−V0)} − 1)), so that end-diastolic
  volume saturates as filling pressure rises (the Starling plateau by LVEDP ≈ 15–20 mmHg);
  the chamber pressure blends the linear end-systolic curve EA·(V − V0) and the EDPVR with
  the activation a(t): p = a·EA·(V − V0) + (1 − a)·EDPVR(V), so EA is the end-systolic
  elastance;
* activation is timed from ventricular onset (t = 0, the R wave): the atria contract
  ``AVD`` seconds earlier; contraction and relaxation durations, given at 75 bpm, scale with
  heart rate as Weissler's ejection time LVET = 413 − 1.7·HR ms (Weissler 1968), never below
  0.35 of their 75-bpm value and never overrunning the beat;
* force–frequency relation: ventricular active elastance is multiplied by
  1 + FFR·(HR − 70 bpm)/45 bpm (FFR: fractional contractility gain for +45 bpm; Schaefer 1988
  measured dP/dtmax +12 % (preload falling) to +36 % (preload held) for +45 bpm);
* the aortic root has a characteristic impedance in series with the aortic valve (a
  three-element windkessel), which shapes the ejection and the systolic pressure;
* optional septal defects: an atrial (``ASD.area``) and a ventricular (``VSD.area``) shunt,
  each a bidirectional orifice with the same Bernoulli loss as the valves, so that flow
  goes left to right while the left-sided pressure is higher (zero area: no defect);
* atrial contraction can be switched off (``ATRIA.kick`` 1 → 0, atrial fibrillation): the
  atria are then purely passive reservoirs and conduits;
* an optional continuous-flow left ventricular assist device from the LV to the aorta, with
  a HeartMate 3–like head–flow curve, is off at speed 0.

Version 3.1, the default (:data:`MODEL`), adds the LV's source resistance
(:data:`K_SOURCE`, Shroff et al. 1985), which rounds the ejection behind a prosthesis.
Version 3.0 added the valves' inertance and opening states (8 more states, no new
parameter: the valve constants are fixed, see :data:`L_EFF`); it is kept as
:data:`MODEL_V3_0`, so that twins made with it re-run on their own equations.
Version 2.1 adds the septal defects and ATRIA.kick (2.0 had neither). Version 2.2 gives the
healthy heart an E wave, diastasis and an A wave (pulmonary venous resistance by Gaar's
split, a compliant LA reservoir, faster LV relaxation: see ``_CHAMBERS``). Version 1.0 (linear
filling, √RR timing, no force–frequency) is kept in
:mod:`twinviewer.physiology.four_chamber_v1` for comparison.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from twinviewer.core.parameter import Parameter, Prior
from twinviewer.physiology import closed_loop as cl
from twinviewer.physiology.elements import (
    activation,
    mynard_valve_step,
    orifice_valve,
    pump_flow,
    shunt_flow,
)
from twinviewer.physiology.jit import model_function
from twinviewer.physiology.model import ADULT_RESTING_RANGES, ModelSpec, OutputSpec, StateSpec

#: Viscous part of each valve's loss (mmHg·s/mL): 1.5 mmHg at 500 mL/s.
R_VISCOUS = 0.003
#: Heart rate (bpm) at which activation durations are given.
HR_REFERENCE = 75.0
#: Weissler's ejection time regression LVET[ms] = A − B·HR[bpm] (men; Weissler et al.,
#: Circulation 1968): durations scale with it.
WEISSLER_A = 413.0
WEISSLER_B = 1.7
#: Shortest duration scale (Weissler's line is fitted up to about 150 bpm).
MIN_TIMING_SCALE = 0.35
#: Heart rate (bpm) at which the force–frequency factor is 1, and the rise it is given for.
FFR_HR_REFERENCE = 70.0
FFR_HR_STEP = 45.0
#: Largest exponent of the passive curve (keeps e^x finite for an over-filled chamber).
MAX_PASSIVE_EXPONENT = 30.0

_CHAMBERS = {
    #       EA     EB     TC     TR    V0     EA range     EB range       KB
    "LA": (0.595, 0.14, 0.12, 0.15, 6.76, (0.005, 3.0), (0.005, 3.0), 0.02),
    "LV": (2.663, 0.0257, 0.425, 0.100, 10.0, (0.1, 15.0), (0.002, 1.5), 0.014),
    "RA": (0.291, 0.07, 0.12, 0.15, 14.0, (0.005, 2.0), (0.002, 2.0), 0.02),
    "RV": (0.567, 0.0126, 0.332, 0.15, 10.0, (0.02, 5.0), (0.001, 1.0), 0.011),
}
# Atrial kick (version 2.2; issue 17). With the pulmonary vascular resistance almost all
# upstream of the pulmonary venous compliance (PUL.R_VEN 0.01 of 0.077 mmHg·s/mL) and a stiff
# LA (EB 0.329, V0 31 mL) the LA was a conduit on a 16 mL/mmHg reservoir: LA pressure could
# not fall during early filling, so the E wave lasted all of diastole (no diastasis; mitral
# flow still 300 mL/s at atrial onset), and atrial contraction pushed blood back into the
# lungs instead of into the LV (no A wave). Now (a) PUL.R_VEN is 40 % of the pulmonary
# resistance, as the capillary pressure sits at LAP + 0.4·(PAP − LAP) (Gaar et al., Am J
# Physiol 1967); (b) LA.EB 0.14 mmHg/mL with V0 6.8 mL: a passive slope of 0.16–0.3 mmHg/mL
# over the LA's working volumes, as Regazzoni 2022's linear LA (0.18 mmHg/mL, V0 4 mL),
# V0 refitted for the same largest LA volume (58 mL); (c) LV.TR 0.10 s (was 0.15): the
# isovolumic relaxation time becomes 81 ms (was 116; normal 67 ± 8 ms at 21–40 years,
# 74 ± 7 at 41–60: Nagueh et al., JASE 2009), with LV.TC 0.425 s (was 0.409) to keep the
# ejection time on Weissler's line. V_total, SYS.R_AR, SYS.C_AR, PUL.R_AR and LA.V0 were
# refitted (scipy least_squares) to the targets below. Result at 60/70/75 bpm on model 2.2:
# E/A 1.9/1.7/1.6, atrial filling fraction 28/38/43 %; on the default model 3.1 (inertial
# valves, source resistance): E/A 1.72/1.55/1.48, 28/37/42 % (tests/physiology/
# test_atrial_kick.py; README's figures are checked against the model there).
# RA.EB and RV.EB (version 2.1 defaults were 0.181 and 0.0042): a stiff RA and a very
# compliant RV put RA pressure at 1.2–1.6 mmHg through diastole and a 9.5 mmHg v wave in
# systole, so RVEDP (1.0 mmHg) sat 3 mmHg below the mean RA pressure (4.0), where with the
# tricuspid valve open they agree within 1–2 mmHg. RA.EB is Regazzoni 2022's RA passive
# elastance (0.07 mmHg/mL, ../shared/REFERENCE.md); RV.EB × 3 then brings RVEDP to the mean
# RA pressure (healthy 3.1 / 3.6 mmHg, RA normal 2–6) with the left heart unchanged.
#: Where each chamber's passive stiffness exponent KB comes from.
_KB_SOURCE = {
    "LV": "0D normal 0.014 /mL (Ursino 1998 via VAD-0D-DNN; INTERVENTIONS.md §7); patients "
          "0.011 (controls) – 0.027 (HFpEF) /mL",
    "RV": "UNSOURCED: the lower end of the LV values (the RV is more compliant)",
    "LA": "UNSOURCED", "RA": "UNSOURCED",
}
_VALVES = {"MV": 4.0, "AV": 3.5, "TV": 5.0, "PV": 3.0}
_CIRCULATION = {
    "SYS.R_AR": 0.9038, "SYS.C_AR": 1.5025, "SYS.R_VEN": 0.10, "SYS.C_VEN": 40.0,
    "SYS.L_AR": 0.005, "SYS.L_VEN": 0.0005,
    "PUL.R_AR": 0.0513, "PUL.C_AR": 3.0, "PUL.R_VEN": 0.0342, "PUL.C_VEN": 16.0,
    "PUL.L_AR": 0.0005, "PUL.L_VEN": 0.0005,
}
_V_TOTAL = 1162.6
# Defaults: a healthy adult at rest, fitted once (scipy least_squares) to mid-normal targets
# (REFERENCE.md): LVEDV 130 mL, LVESV 52 mL, 120/78 mmHg, LVEDP 8, LAP 9, CVP 4, PA 24/10 mmHg,
# largest LA / RA volumes 58 / 50 mL (LA volume index ≤ 34 mL/m², RA about 25 mL/m²), and
# LV ejection time 300 ms at 70 bpm (Weissler: 294 ms; 313 ms in version 2.2, see above).
#: A limit-cycle state of the defaults, used as the cold start (then volume-corrected).
_TEMPLATE = np.array([22.0, 131.1, 26.6, 128.8, 84.7, 12.9, 12.0, 11.0, 79.8, 95.1, 19.1, 81.0])


def _parameters() -> tuple[Parameter, ...]:
    ps = [
        Parameter("HR", "bpm", 70.0, "heart rate", (30.0, 220.0), Prior("lognormal", 70, 0.12)),
        Parameter("AVD", "s", 0.16, "atrioventricular delay: atrial onset before ventricular "
                  "onset (PR interval)", (0.02, 0.4), Prior("lognormal", 0.16, 0.15)),
    ]
    for ch, (ea, eb, tc, tr, v0, ea_rng, eb_rng, kb) in _CHAMBERS.items():
        ps += [
            Parameter(f"{ch}.EA", "mmHg/mL", ea, f"{ch} active elastance (contractility)",
                      ea_rng),
            Parameter(f"{ch}.EB", "mmHg/mL", eb, f"{ch} passive elastance at the unstressed "
                      "volume (slope of the EDPVR at V0)", eb_rng),
            Parameter(f"{ch}.TC", "s", tc, f"{ch} contraction duration at 75 bpm", (0.05, 0.6),
                      Prior("lognormal", tc, 0.1)),
            Parameter(f"{ch}.TR", "s", tr, f"{ch} relaxation duration at 75 bpm", (0.05, 0.6),
                      Prior("lognormal", tr, 0.1)),
            Parameter(f"{ch}.V0", "mL", v0, f"{ch} unstressed volume", (0.0, 150.0),
                      Prior("lognormal", v0, 0.3)),
            Parameter(f"{ch}.KB", "1/mL", kb, f"{ch} passive stiffness exponent of the EDPVR "
                      f"({_KB_SOURCE[ch]})", (0.001, 0.08), Prior("lognormal", kb, 0.25)),
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
        Parameter("ASD.area", "cm^2", 0.0, "atrial septal defect effective orifice area "
                  "(0: intact septum)", (0.0, 6.0), Prior("lognormal", 0.0, 0.2)),
        Parameter("VSD.area", "cm^2", 0.0, "ventricular septal defect effective orifice "
                  "area (0: intact septum)", (0.0, 3.0), Prior("lognormal", 0.0, 0.2)),
        Parameter("ATRIA.kick", "1", 1.0, "fraction of normal atrial contraction (1: sinus "
                  "rhythm; 0: atrial fibrillation, no atrial contraction)", (0.0, 1.0)),
        Parameter("FFR", "1", 0.12, "force–frequency relation: fractional rise of ventricular "
                  "active elastance for +45 bpm above 70 bpm (Schaefer 1988: dP/dtmax +12 % "
                  "with preload falling, +36 % with preload held; blunted or negative in "
                  "heart failure)", (-0.5, 1.0), Prior("normal", 0.12, 0.08)),
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
I_FFR = _I["FFR"]
I_ASD, I_VSD, I_KICK = _I["ASD.area"], _I["VSD.area"], _I["ATRIA.kick"]

#: The shared outputs plus the two shunt flows.
OUTPUTS = (*cl.OUTPUTS,
           OutputSpec("Q_ASD", "mL/s", "flow through an atrial septal defect, LA → RA "
                      "positive (left to right)"),
           OutputSpec("Q_VSD", "mL/s", "flow through a ventricular septal defect, LV → RV "
                      "positive (left to right)"))


@model_function
def timing_scale(period):
    """Factor on the 75-bpm activation durations at beat length ``period`` (s): Weissler's
    LVET(HR)/LVET(75 bpm), at least :data:`MIN_TIMING_SCALE`."""
    hr = 60.0 / period
    s = (WEISSLER_A - WEISSLER_B * hr) / (WEISSLER_A - WEISSLER_B * HR_REFERENCE)
    return np.maximum(s, MIN_TIMING_SCALE)


@model_function
def _activation(t, period, onset, p, i, strength):
    # Activation of the chamber whose EA sits at column ``i`` (p[i+2], p[i+3] = TC, TR).
    # Durations are shrunk together if they would overrun 90 % of the beat. ``strength``
    # scales the activation itself (0: a purely passive chamber, as the fibrillating atria).
    scale = np.minimum(timing_scale(period), 0.9 * period / (p[i + 2] + p[i + 3]))
    return strength * activation(t, period, onset, p[i + 2] * scale, p[i + 3] * scale)


@model_function
def activations(t, p):
    """Activations of LA, LV, RA, RV (in that order) at time ``t`` within the beat."""
    period = 60.0 / p[I_HR]
    atrial_onset = (period - p[I_AVD]) % period
    kick = p[I_KICK]
    return (_activation(t, period, atrial_onset, p, I_LA, kick),
            _activation(t, period, 0.0, p, I_LV, 1.0),
            _activation(t, period, atrial_onset, p, I_RA, kick),
            _activation(t, period, 0.0, p, I_RV, 1.0))


@model_function
def drivers(t, p, out):
    """:func:`activations` written into ``out``: they depend on time and parameters only,
    so the engine tabulates them once per member."""
    a0, a1, a2, a3 = activations(t, p)
    out[0] = a0
    out[1] = a1
    out[2] = a2
    out[3] = a3


#: Number of time-only inputs (:func:`drivers`).
N_DRIVERS = 4


@model_function
def _pressure(act, v, p, i, inotropy):
    # p[i:i+6] = EA, EB, TC, TR, V0, KB of one chamber at activation ``act``.
    x = v - p[i + 4]
    passive = p[i + 1] / p[i + 5] * (np.exp(np.minimum(p[i + 5] * x, MAX_PASSIVE_EXPONENT))
                                     - 1.0)
    # Active and passive curves blend with the activation (Suga–Sagawa ESPVR at full
    # activation, EDPVR at rest), so that EA is the end-systolic elastance itself.
    return act * inotropy * p[i] * x + (1.0 - act) * passive


@model_function
def force_frequency(p):
    """Factor on ventricular active elastance at the member's heart rate (≥ 0.2)."""
    return np.maximum(1.0 + p[I_FFR] * (p[I_HR] - FFR_HR_REFERENCE) / FFR_HR_STEP, 0.2)


@model_function
def _observe(y, p, a0, a1, a2, a3):
    # Everything observable, given the four chamber activations.
    ffr = force_frequency(p)
    p_la = _pressure(a0, y[cl.V_LA], p, I_LA, 1.0)
    p_lv = _pressure(a1, y[cl.V_LV], p, I_LV, ffr)
    p_ra = _pressure(a2, y[cl.V_RA], p, I_RA, 1.0)
    p_rv = _pressure(a3, y[cl.V_RV], p, I_RV, ffr)
    q_mv = orifice_valve(p_la - p_lv, p[I_MV], p[I_MV + 1], R_VISCOUS)
    # The aortic root's characteristic impedance sits in series with the valve, so the root
    # pressure p_ao = p_AR_SYS + Z_AO·Q_AV carries the early-systolic shoulder.
    q_av = orifice_valve(p_lv - y[cl.P_AR_SYS], p[I_AV], p[I_AV + 1], R_VISCOUS + p[I_ZAO])
    q_tv = orifice_valve(p_ra - p_rv, p[I_TV], p[I_TV + 1], R_VISCOUS)
    q_pv = orifice_valve(p_rv - y[cl.P_AR_PUL], p[I_PV], p[I_PV + 1], R_VISCOUS)
    p_ao = y[cl.P_AR_SYS] + p[I_ZAO] * q_av
    q_vad = pump_flow(y[cl.P_AR_SYS] - p_lv, p[I_VAD])
    q_asd = shunt_flow(p_la - p_ra, p[I_ASD])
    q_vsd = shunt_flow(p_lv - p_rv, p[I_VSD])
    return p_la, p_lv, p_ra, p_rv, q_mv, q_av, q_tv, q_pv, q_vad, p_ao, q_asd, q_vsd


@model_function
def observe(t, y, p):
    """Chamber pressures, valve, device and shunt flows (see :data:`OUTPUTS`)."""
    a0, a1, a2, a3 = activations(t, p)
    return _observe(y, p, a0, a1, a2, a3)


@model_function
def loop_derivatives(y, p, dydt, q_mv, q_av, q_tv, q_pv, q_vad, p_ra, p_la, q_asd, q_vsd):
    """Derivatives of the chamber volumes and the vessel states, given the valve, device
    and shunt flows (mL/s) and the atrial pressures (mmHg): the part of the right-hand side
    that every valve model of the four-chamber loop shares."""
    cl.chamber_derivatives(y, dydt, q_mv, q_av + q_vad, q_tv, q_pv)
    # Septal defects move blood between the two sides of the heart.
    dydt[cl.V_LA] -= q_asd
    dydt[cl.V_RA] += q_asd
    dydt[cl.V_LV] -= q_vsd
    dydt[cl.V_RV] += q_vsd
    cl.vessel_derivatives(y, p, dydt, I_SYS, q_av + q_vad, p_ra, q_pv, p_la)


@model_function
def rhs(t, y, p, dydt, a):
    """Right-hand side of the four-chamber EOA loop, given the activations ``a``
    (:func:`drivers`)."""
    p_la, p_lv, p_ra, p_rv, q_mv, q_av, q_tv, q_pv, q_vad, p_ao, q_asd, q_vsd = _observe(
        y, p, a[0], a[1], a[2], a[3])
    loop_derivatives(y, p, dydt, q_mv, q_av, q_tv, q_pv, q_vad, p_ra, p_la, q_asd, q_vsd)


# Valves with inertance and opening dynamics (version 3.0; issue 12 item 2). Each valve has
# a flow state Q (mL/s) and an opening state ζ (0 shut, 1 fully open), Mynard et al. 2012:
# L·dQ/dt = Δp − r·Q − ρ/(2A²)·Q|Q| with L = ρ·l_eff/A and A = EROA + ζ·(EOA − EROA);
# dζ/dt = (1 − ζ)·K_open·Δp while Δp > 0, ζ·K_close·Δp while Δp < 0. They are stiff, so the
# engine advances them by the closed-form split step (:func:`advance_valves`). The effective
# lengths and rate constants are fixed constants of this model, not parameters (so the
# parameter vector, priors and saved twins of 2.2 carry over); ``four_chamber_valves``
# exposes them as parameters for calibration and sensitivity studies.
VALVES = ("MV", "AV", "TV", "PV")
#: Effective length of each valve's inertance (cm), UNSOURCED (INTERVENTIONS.md §1: "typical
#: K_vo/K_vc/l_eff UNSOURCED"): 1 cm, of the order of the leaflet length.
L_EFF_MV = L_EFF_AV = L_EFF_TV = L_EFF_PV = 1.0
L_EFF = {"MV": L_EFF_MV, "AV": L_EFF_AV, "TV": L_EFF_TV, "PV": L_EFF_PV}
#: Opening and closing rate constants (1/(mmHg·s)): 0.02 cm²/(dyn·s), the value often quoted
#: for Mynard-type valves (UNSOURCED), × 1333.22 dyn/cm² per mmHg.
K_OPEN = 0.02 * 1333.22387415
K_CLOSE = 0.02 * 1333.22387415
VALVE_STATES = (
    *(StateSpec(f"Q_{v}_dyn", "mL/s", f"{v} flow (inertial valve state; output Q_{v})", 0.5)
      for v in VALVES),
    *(StateSpec(f"zeta_{v}", "1", f"{v} opening state (0 shut, 1 fully open)", 0.01)
      for v in VALVES),
)
STATES = (*cl.STATES, *VALVE_STATES)
Q_MV, Q_AV, Q_TV, Q_PV = range(12, 16)
Z_MV, Z_AV, Z_TV, Z_PV = range(16, 20)


@model_function
def chamber_pressures(y, p, a0, a1, a2, a3):
    """LA, LV, RA, RV pressures (mmHg) for the chamber activations ``a0``–``a3``."""
    ffr = force_frequency(p)
    return (_pressure(a0, y[cl.V_LA], p, I_LA, 1.0),
            _pressure(a1, y[cl.V_LV], p, I_LV, ffr),
            _pressure(a2, y[cl.V_RA], p, I_RA, 1.0),
            _pressure(a3, y[cl.V_RV], p, I_RV, ffr))


@model_function
def observe_inertial(y, p, a0, a1, a2, a3):
    """Everything observable of the loop with inertial valves, given the activations: the
    valve flows are the valves' own states."""
    p_la, p_lv, p_ra, p_rv = chamber_pressures(y, p, a0, a1, a2, a3)
    q_av = y[Q_AV]
    p_ao = y[cl.P_AR_SYS] + p[I_ZAO] * q_av
    q_vad = pump_flow(y[cl.P_AR_SYS] - p_lv, p[I_VAD])
    q_asd = shunt_flow(p_la - p_ra, p[I_ASD])
    q_vsd = shunt_flow(p_lv - p_rv, p[I_VSD])
    return (p_la, p_lv, p_ra, p_rv, y[Q_MV], q_av, y[Q_TV], y[Q_PV], q_vad, p_ao, q_asd,
            q_vsd)


@model_function
def observe_valves(t, y, p):
    """Chamber pressures, valve, device and shunt flows of the loop with inertial valves
    (see :data:`OUTPUTS`)."""
    a0, a1, a2, a3 = activations(t, p)
    return observe_inertial(y, p, a0, a1, a2, a3)


@model_function
def valve_loop_derivatives(y, p, dydt, p_la, p_lv, p_ra, p_rv):
    """Derivatives of the loop with inertial valves, given the chamber pressures (mmHg):
    the valve flows are the valves' own states, whose derivatives here are zero."""
    q_vad = pump_flow(y[cl.P_AR_SYS] - p_lv, p[I_VAD])
    q_asd = shunt_flow(p_la - p_ra, p[I_ASD])
    q_vsd = shunt_flow(p_lv - p_rv, p[I_VSD])
    loop_derivatives(y, p, dydt, y[Q_MV], y[Q_AV], y[Q_TV], y[Q_PV], q_vad, p_ra, p_la,
                     q_asd, q_vsd)
    for j in range(Q_MV, Z_PV + 1):
        dydt[j] = 0.0 * dydt[cl.V_LA]


@model_function
def rhs_valves(t, y, p, dydt, a):
    """Right-hand side with inertial valves: chambers and vessels; the valve states are
    advanced by :func:`split_step`, so their derivatives here are zero."""
    p_la, p_lv, p_ra, p_rv = chamber_pressures(y, p, a[0], a[1], a[2], a[3])
    valve_loop_derivatives(y, p, dydt, p_la, p_lv, p_ra, p_rv)


@model_function
def advance_valves(dt, y, p, a, l_mv, l_av, l_tv, l_pv, k_open, k_close, mem):
    """Advance the four valves' flow and opening states in ``y`` over ``dt`` (s) up to the
    time of the activations ``a``, with the chamber volumes held, for effective lengths
    ``l_*`` (cm) and rate constants ``k_open``, ``k_close`` (1/(mmHg·s))
    (:func:`valve_steps`; ``mem``: see there)."""
    p_la, p_lv, p_ra, p_rv = chamber_pressures(y, p, a[0], a[1], a[2], a[3])
    valve_steps(dt, y, p, p_la, p_lv, p_ra, p_rv, l_mv, l_av, l_tv, l_pv, k_open, k_close,
                mem, 0.0 * dt)


@model_function
def _ramp(dp, last, inv_dt, h, end):
    # The valve's Δp at the start and the end of a valve step that ends ``end`` after the
    # pressures' time: linear in time with the slope between the last two RK4 step starts
    # (centred for the half step after an RK4 step, whose end pressures are known).
    slope = (dp - last) * inv_dt
    dp1 = dp + slope * end
    return dp1 - slope * h, dp1


@model_function
def valve_steps(dt, y, p, p_la, p_lv, p_ra, p_rv, l_mv, l_av, l_tv, l_pv, k_open, k_close,
                mem, end):
    """:func:`advance_valves` given the chamber pressures (mmHg) at ``end`` (s) before the
    step's end. The engine's split memory ``mem`` holds the RK4 step (``mem[0]``) and each
    valve's Δp at the last RK4 step's start (``mem[1:5]``, valid once ``mem[5]`` is 1): Δp
    runs linearly over the valve step, so a narrow valve whose flow relaxes faster than a
    step follows the pressures instead of lagging them by half a step. A step with
    ``end`` > 0 (the half step before an RK4 step, at its start) records its Δp there."""
    d_mv, d_av = p_la - p_lv, p_lv - y[cl.P_AR_SYS]
    d_tv, d_pv = p_ra - p_rv, p_rv - y[cl.P_AR_PUL]
    inv = mem[5] / mem[0]
    a0, a1 = _ramp(d_mv, mem[1], inv, dt, end)
    y[Q_MV], y[Z_MV] = mynard_valve_step(y[Q_MV], y[Z_MV], a0, a1, p[I_MV], p[I_MV + 1],
                                         R_VISCOUS, l_mv, k_open, k_close, dt)
    a0, a1 = _ramp(d_av, mem[2], inv, dt, end)
    y[Q_AV], y[Z_AV] = mynard_valve_step(y[Q_AV], y[Z_AV], a0, a1, p[I_AV], p[I_AV + 1],
                                         R_VISCOUS + p[I_ZAO], l_av, k_open, k_close, dt)
    a0, a1 = _ramp(d_tv, mem[3], inv, dt, end)
    y[Q_TV], y[Z_TV] = mynard_valve_step(y[Q_TV], y[Z_TV], a0, a1, p[I_TV], p[I_TV + 1],
                                         R_VISCOUS, l_tv, k_open, k_close, dt)
    a0, a1 = _ramp(d_pv, mem[4], inv, dt, end)
    y[Q_PV], y[Z_PV] = mynard_valve_step(y[Q_PV], y[Z_PV], a0, a1, p[I_PV], p[I_PV + 1],
                                         R_VISCOUS, l_pv, k_open, k_close, dt)
    if np.any(end > 0.0):  # the half step before an RK4 step (numpy: every member's is)
        mem[1] = d_mv
        mem[2] = d_av
        mem[3] = d_tv
        mem[4] = d_pv
        mem[5] = 1.0 + 0.0 * mem[5]


@model_function
def source_valve_steps(dt, y, p, p_la, p_lv, p_iso, r_src, p_ra, p_rv, l_mv, l_av, l_tv,
                       l_pv, k_open, k_close, mem, end):
    """:func:`valve_steps` with the LV's source resistance (version 3.1; a copy, so that
    version 3.0's equations and hash stay as they were): the aortic valve is driven from
    the LV's isovolumic pressure ``p_iso`` (mmHg) through the source resistance ``r_src``
    (mmHg·s/mL) in series with it (:func:`source_pressures`)."""
    d_mv, d_av = p_la - p_lv, p_iso - y[cl.P_AR_SYS]
    d_tv, d_pv = p_ra - p_rv, p_rv - y[cl.P_AR_PUL]
    inv = mem[5] / mem[0]
    a0, a1 = _ramp(d_mv, mem[1], inv, dt, end)
    y[Q_MV], y[Z_MV] = mynard_valve_step(y[Q_MV], y[Z_MV], a0, a1, p[I_MV], p[I_MV + 1],
                                         R_VISCOUS, l_mv, k_open, k_close, dt)
    a0, a1 = _ramp(d_av, mem[2], inv, dt, end)
    y[Q_AV], y[Z_AV] = mynard_valve_step(y[Q_AV], y[Z_AV], a0, a1, p[I_AV], p[I_AV + 1],
                                         R_VISCOUS + p[I_ZAO] + r_src, l_av, k_open, k_close,
                                         dt)
    a0, a1 = _ramp(d_tv, mem[3], inv, dt, end)
    y[Q_TV], y[Z_TV] = mynard_valve_step(y[Q_TV], y[Z_TV], a0, a1, p[I_TV], p[I_TV + 1],
                                         R_VISCOUS, l_tv, k_open, k_close, dt)
    a0, a1 = _ramp(d_pv, mem[4], inv, dt, end)
    y[Q_PV], y[Z_PV] = mynard_valve_step(y[Q_PV], y[Z_PV], a0, a1, p[I_PV], p[I_PV + 1],
                                         R_VISCOUS, l_pv, k_open, k_close, dt)
    if np.any(end > 0.0):  # the half step before an RK4 step (numpy: every member's is)
        mem[1] = d_mv
        mem[2] = d_av
        mem[3] = d_tv
        mem[4] = d_pv
        mem[5] = 1.0 + 0.0 * mem[5]


@model_function
def split_step(t, dt, y, p, a, mem):
    """Advance the valve states over ``dt`` up to time ``t``, the rest held (the default
    model's fixed effective lengths and rate constants; the engine calls it for the half
    step after an RK4 step, :func:`split_rhs` for the one before)."""
    advance_valves(dt, y, p, a, L_EFF_MV, L_EFF_AV, L_EFF_TV, L_EFF_PV, K_OPEN, K_CLOSE,
                   mem)


@model_function
def split_rhs(t, dt, y, p, dydt, a, mem):
    """The valve step over ``dt`` up to half an RK4 step after ``t`` (the pressures held at
    ``t``'s volumes), then :func:`rhs_valves` at ``t``, with the chamber pressures computed
    once (the valve step does not move the volumes they depend on)."""
    p_la, p_lv, p_ra, p_rv = chamber_pressures(y, p, a[0], a[1], a[2], a[3])
    valve_steps(dt, y, p, p_la, p_lv, p_ra, p_rv, L_EFF_MV, L_EFF_AV, L_EFF_TV, L_EFF_PV,
                K_OPEN, K_CLOSE, mem, 0.5 * mem[0])
    valve_loop_derivatives(y, p, dydt, p_la, p_lv, p_ra, p_rv)


# LV source resistance (version 3.1; issue 12 item 3). A time-varying elastance ejecting
# through an open valve gives a flow that peaks early and tails off (about a triangle):
# mean/peak Doppler gradient 0.31-0.38 behind prostheses of 1.3-2.0 cm², where the ASE
# tables give 0.55-0.65 (Perimount 19-25 mm), so every peak gradient was far too high. The
# ejecting ventricle loses pressure with its outflow, in proportion to the pressure it
# develops: p_LV = p_iso - R_i·Q_AV with R_i = K_SOURCE·p_iso (Shroff, Janicki & Weber, Am J
# Physiol 1985; the "ejection effect"), which rounds the ejection: mean/peak
# 0.43-0.53 at 0.0008 s/mL. K_SOURCE's value is not from a table here (UNSOURCED): 0.0006
# is the largest at which every prosthesis row that passes on 3.0 still passes (Evolut R
# 34 mm, 4.15 against 4.1 mmHg; docs/notes/eject8.md).
# No published value was found for the ejection effect's coefficient in the references the
# project holds or the search corpora (docs/notes/default9.md), so it stays labelled
# UNSOURCED in the model card.
#: LV source resistance per mmHg of isovolumic pressure (s/mL).
K_SOURCE = 0.0006


@model_function
def source_pressures(y, p, a0, a1, a2, a3):
    """LA, LV, RA, RV pressures (mmHg) with the LV's source resistance, plus the LV's
    isovolumic pressure (mmHg) and its source resistance R_i = K_SOURCE·p_iso
    (mmHg·s/mL): p_LV = p_iso − R_i·Q_AV while the aortic valve ejects."""
    p_la, p_iso, p_ra, p_rv = chamber_pressures(y, p, a0, a1, a2, a3)
    r_src = K_SOURCE * np.maximum(p_iso, 0.0)
    return p_la, p_iso - r_src * np.maximum(y[Q_AV], 0.0), p_ra, p_rv, p_iso, r_src


@model_function
def observe_source(t, y, p):
    """:func:`observe_valves` with the LV's source resistance (version 3.1)."""
    a0, a1, a2, a3 = activations(t, p)
    p_la, p_lv, p_ra, p_rv, p_iso, r_src = source_pressures(y, p, a0, a1, a2, a3)
    q_av = y[Q_AV]
    p_ao = y[cl.P_AR_SYS] + p[I_ZAO] * q_av
    q_vad = pump_flow(y[cl.P_AR_SYS] - p_lv, p[I_VAD])
    q_asd = shunt_flow(p_la - p_ra, p[I_ASD])
    q_vsd = shunt_flow(p_lv - p_rv, p[I_VSD])
    return (p_la, p_lv, p_ra, p_rv, y[Q_MV], q_av, y[Q_TV], y[Q_PV], q_vad, p_ao, q_asd,
            q_vsd)


@model_function
def rhs_source(t, y, p, dydt, a):
    """:func:`rhs_valves` with the LV's source resistance (version 3.1)."""
    p_la, p_lv, p_ra, p_rv, p_iso, r_src = source_pressures(y, p, a[0], a[1], a[2], a[3])
    valve_loop_derivatives(y, p, dydt, p_la, p_lv, p_ra, p_rv)


@model_function
def split_step_source(t, dt, y, p, a, mem):
    """:func:`split_step` with the LV's source resistance (version 3.1)."""
    p_la, p_lv, p_ra, p_rv, p_iso, r_src = source_pressures(y, p, a[0], a[1], a[2], a[3])
    source_valve_steps(dt, y, p, p_la, p_lv, p_iso, r_src, p_ra, p_rv, L_EFF_MV, L_EFF_AV,
                       L_EFF_TV, L_EFF_PV, K_OPEN, K_CLOSE, mem, 0.0 * dt)


@model_function
def split_rhs_source(t, dt, y, p, dydt, a, mem):
    """:func:`split_rhs` with the LV's source resistance (version 3.1): the chamber pressures
    once; the LV pressure, which depends on the aortic flow, again after the valve step."""
    p_la, p_lv, p_ra, p_rv, p_iso, r_src = source_pressures(y, p, a[0], a[1], a[2], a[3])
    source_valve_steps(dt, y, p, p_la, p_lv, p_iso, r_src, p_ra, p_rv, L_EFF_MV, L_EFF_AV,
                       L_EFF_TV, L_EFF_PV, K_OPEN, K_CLOSE, mem, 0.5 * mem[0])
    p_lv = p_iso - r_src * np.maximum(y[Q_AV], 0.0)
    valve_loop_derivatives(y, p, dydt, p_la, p_lv, p_ra, p_rv)


#: Cold start with inertial valves: the defaults' limit-cycle state at ventricular onset
#: (mitral and tricuspid valves closing, still partly open).
TEMPLATE_VALVES = np.array([21.2, 132.1, 24.9, 130.1, 84.0, 12.9, 12.1, 11.1, 79.0, 99.6,
                            19.9, 99.3, 6.4, 0.0, 66.8, 0.0, 0.54, 0.0, 0.93, 0.0])
_qs_volume = cl.volume_functions(_TEMPLATE, I_SYS, I_VTOTAL)
initial_state, conserved_volume, set_volume = cl.volume_functions(TEMPLATE_VALVES, I_SYS,
                                                                  I_VTOTAL)

_QUASI_STEADY_VALVES = (
    "Valve flow is quasi-steady: the Bernoulli orifice loss plus a small viscous term; "
    "valve opening and closing are instantaneous and valve inertance is neglected; "
    "no pressure recovery downstream of the valve (gradients are Doppler 4v²).")
_INERTIAL_VALVES = (
    "Valves have inertance (L = ρ·l_eff/A) and an opening state driven by the pressure "
    "difference (Mynard et al. 2012); effective lengths (1 cm) and rate constants "
    "(0.02 cm²/(dyn·s)) are UNSOURCED. Valve states are advanced by an L-stable "
    "second-order step in half steps around each RK4 step of the chambers (Strang "
    "splitting, second order in the step), the pressure difference across each valve "
    "linear in time over its step. Gradients are "
    "Doppler 4v² with v = Q/EOA; no pressure recovery.")

#: Version 3.0 of the default model (the default until version 3.1): inertial valves, no LV
#: source resistance. Kept with its own name and version, so that twins made with it open
#: and re-run on their own equations (``presets.model_for``), and selectable for comparison
#: (``presets.valve_model("inertial-3.0")``, ``twinviewer validate --valves inertial-3.0``).
MODEL_V3_0 = ModelSpec(
    name="four_chamber_eoa",
    version="3.0",
    title="Closed-loop four-chamber circulation with valves by effective orifice area "
          "(version 3.0, without the LV source resistance)",
    states=STATES,
    parameters=PARAMETERS,
    outputs=OUTPUTS,
    rhs=rhs_valves,
    observe=observe_valves,
    initial_state=initial_state,
    conserved_volume=conserved_volume,
    set_volume=set_volume,
    assumptions=(
        "Chambers are time-varying elastances blending a linear end-systolic curve EA·(V − V0) "
        "and an exponential EDPVR with the activation (no ventricular interaction, no "
        "viscoelasticity). KB of the LV is the 0D normal 0.014 /mL; RV, LA, RA values are "
        "UNSOURCED.",
        _INERTIAL_VALVES,
        "Systemic and pulmonary circulations are single RLC compartments each; the model "
        "itself has no baroreflex: a what-if runs 'regulated' by default (steady-state "
        "arterial baroreflex on HR, EA, SYS.R_AR and stressed volume, "
        "twinviewer.interventions.baroreflex), or 'acute, unregulated' (before the reflex "
        "acts) when that mode is chosen.",
        "Contraction and relaxation durations scale with Weissler's LVET(HR) (413 − 1.7·HR "
        "ms); the atrioventricular delay is fixed by AVD; ventricular EA follows a linear "
        "force–frequency relation (FFR per +45 bpm).",
        "The blood volume held by the loop (V_total) is conserved over the beat.",
        "The LVAD head–flow curve is a quadratic fit to HeartMate 3 IFU points (4–8 krpm).",
        "Septal defects (ASD, VSD) are quasi-steady Bernoulli orifices of fixed area between "
        "the atria or the ventricles, flow following the instantaneous pressure difference "
        "in either direction; no ventricular interdependence through the septum.",
        "Atrial fibrillation is represented only as absent atrial contraction (ATRIA.kick = "
        "0) at a fixed, regular heart rate: each simulated beat is periodic, so beat-to-beat "
        "RR irregularity is not modelled.",
    ),
    context_of_use="Adult resting haemodynamics, HR 40–180 bpm, sinus rhythm or paced, with "
    "aortic stenosis, mitral regurgitation, reduced ejection fraction and their "
    "treatments (valve replacement, edge-to-edge repair, acute drug effects, pacing, LVAD). "
    "Simple septal defects (ASD, VSD) and atrial fibrillation as loss of atrial "
    "contraction are represented for education; not validated for complex congenital "
    "disease, irregular rhythm, exercise or chronic remodelling (remodelled hearts are "
    "set by their parameters). Research and education use only.",
    validity_ranges=ADULT_RESTING_RANGES,
    references=(
        "Regazzoni F et al. J Comput Phys 2022;457:111083 (structure).",
        "Baumgartner H et al. JASE 2009 (Bernoulli, valve grading).",
        "Weissler AM et al. Circulation 1968 (LVET = 413 − 1.7·HR ms).",
        "Schaefer S et al. AJC 1988 (force–frequency, dP/dtmax +12–36 % for +45 bpm).",
        "Abbott HeartMate 3 IFU, H–Q curves (pump).",
        "Mynard JP et al. Int J Numer Method Biomed Eng 2012;28:626–641 (valve).",
    ),
    equation_sources=(_pressure, timing_scale, force_frequency, activation,
                      loop_derivatives, cl.chamber_derivatives, mynard_valve_step,
                      advance_valves, shunt_flow, pump_flow, cl.vessel_derivatives),
    drivers=drivers,
    n_drivers=N_DRIVERS,
    split_step=split_step,
    split_rhs=split_rhs,
    # Chosen by accuracy (tests/physiology/test_step_accuracy.py, against scipy Radau on the
    # unsplit equations): the fewest steps, a multiple of the 200 recorded samples, at which
    # every periodic metric in mmHg / mL of the healthy, severe AS and severe MR hearts is
    # within the engine's documented 0.2 mmHg / 0.3 mL: largest errors 0.04 / 0.08 / 0.02
    # (LVSP of severe AS). That needs the valve steps' Δp ramp (valve_steps): with Δp held
    # the severe AS heart's LVSP was 0.25 mmHg off at 200 steps, as its narrow valve's flow
    # relaxes faster than a step and lagged the pressures by half a step.
    steps_per_beat=200,
)

#: Version 2.2 of the default model, with quasi-steady valves (instantaneous opening, no
#: inertance), kept for comparison (``presets.valve_model("quasi-steady")``).
QUASI_STEADY_MODEL = replace(
    MODEL_V3_0, name="four_chamber_eoa_qs", version="2.2",
    title="Closed-loop four-chamber circulation with quasi-steady valves by effective "
          "orifice area (version 2.2 of four_chamber_eoa)",
    states=cl.STATES, rhs=rhs, observe=observe,
    initial_state=_qs_volume[0], conserved_volume=_qs_volume[1], set_volume=_qs_volume[2],
    assumptions=tuple(_QUASI_STEADY_VALVES if a is _INERTIAL_VALVES else a
                      for a in MODEL_V3_0.assumptions),
    references=MODEL_V3_0.references[:-1],
    equation_sources=(_pressure, timing_scale, force_frequency, activation,
                      loop_derivatives, cl.chamber_derivatives, orifice_valve, shunt_flow,
                      pump_flow, cl.vessel_derivatives),
    split_step=None,
    split_rhs=None,
    # Chosen by accuracy as the default model's (see above): quasi-steady valves reach the
    # documented accuracy at 200 steps (largest metric errors 0.013 / 0.015 / 0.025; over
    # 20 prior members 0.06 from 3200 steps, the periodicity tolerance's, as 3.0's 0.07).
    steps_per_beat=200,
)

_SOURCE_RESISTANCE = (
    "The LV has a source resistance proportional to the pressure it develops (Shroff et al. "
    "1985; 0.0006 s/mL per unit of isovolumic pressure, UNSOURCED, chosen on the ASE "
    "tables' mean/peak prosthetic gradients): while the aortic valve ejects, the LV "
    "pressure is its isovolumic pressure less that resistance times the aortic flow, which "
    "rounds the ejection flow.")

#: LV contraction duration at 75 bpm of version 3.1 (s; 3.0: 0.425), refitted to Weissler's
#: ejection time (LVET = 413 − 1.7·HR ms) because the source resistance lengthens ejection:
#: with 3.0's 0.425 s the healthy heart ejected for 317 ms at 70 bpm (+7.9 %; 3.0: 313).
#: RMS deviation from Weissler's line over 60–110 bpm (1000 samples per beat): 0.400 4.2 %,
#: 0.405 4.2 %, 0.410 4.4 %, 0.425 6.1 %. 0.41 is the largest value of that flat optimum: at
#: 0.40 the mitral-stenosis preset's mean gradient falls to 9.9 mmHg (criterion ≥ 10). At
#: 0.41: +4.7 / −0.5 / −4.2 % at 70 / 90 / 110 bpm; the healthy heart's other values barely
#: move (EF 59.6 %, 119/78 mmHg; docs/notes/default9.md).
LV_TC_V3_1 = 0.41
PARAMETERS_V3_1 = tuple(
    replace(p, default=LV_TC_V3_1, prior=Prior("lognormal", LV_TC_V3_1, p.prior.scale))
    if p.name == "LV.TC" else p for p in PARAMETERS)

#: The default model, version 3.1: version 3.0 with the LV's source resistance (issue 12;
#: docs/notes/eject8.md, default9.md). It passes 10 of the 13 prosthesis rows of the
#: evidence table where 3.0 passes 4, its Doppler mean/peak gradient ratio behind a
#: prosthesis is 0.39–0.49 (3.0: 0.29–0.42; ASE tables 0.55–0.65), at 1.04× 3.0's CPU.
MODEL = replace(
    MODEL_V3_0, version="3.1", parameters=PARAMETERS_V3_1,
    title="Closed-loop four-chamber circulation with valves by effective orifice area and "
          "an LV source resistance",
    rhs=rhs_source, observe=observe_source,
    split_step=split_step_source, split_rhs=split_rhs_source,
    assumptions=(*MODEL_V3_0.assumptions[:2], _SOURCE_RESISTANCE,
                 *MODEL_V3_0.assumptions[2:]),
    references=(*MODEL_V3_0.references,
                "Shroff SG, Janicki JS, Weber KT. Am J Physiol 1985 (LV systolic source "
                "resistance)."),
    equation_sources=(*MODEL_V3_0.equation_sources, source_pressures, split_rhs_source),
)
#: The default model by what it adds (version 3.1); the same object as :data:`MODEL`.
SOURCE_RESISTANCE_MODEL = MODEL

"""The Regazzoni et al. (2022) closed loop, exactly as published: resistive (Rmin/Rmax) valves
and absolute activation timing. Kept as the reference against which the engine is validated
(REFERENCE.md table); clinical work uses :mod:`twinviewer.physiology.four_chamber`.
"""

from __future__ import annotations

import numpy as np

from twinviewer.core.parameter import Parameter, Prior
from twinviewer.physiology import closed_loop as cl
from twinviewer.physiology.elements import activation, resistive_valve
from twinviewer.physiology.jit import model_function
from twinviewer.physiology.model import ADULT_RESTING_RANGES, ModelSpec

_CHAMBERS = {
    #       EA     EB     TC    TR    tC   V0
    "LA": (0.07, 0.18, 0.17, 0.17, 0.9, 4.0),
    "LV": (4.482, 0.170, 0.25, 0.4, 0.1, 42.0),
    "RA": (0.06, 0.07, 0.17, 0.17, 0.9, 4.0),
    "RV": (0.200, 0.029, 0.25, 0.4, 0.1, 16.0),
}
_CIRCULATION = {
    "SYS.R_AR": 0.733, "SYS.C_AR": 1.372, "SYS.R_VEN": 0.32, "SYS.C_VEN": 11.363,
    "SYS.L_AR": 0.005, "SYS.L_VEN": 0.0005,
    "PUL.R_AR": 0.046, "PUL.C_AR": 20.0, "PUL.R_VEN": 0.0015, "PUL.C_VEN": 16.0,
    "PUL.L_AR": 0.0005, "PUL.L_VEN": 0.0005,
}
#: Limit-cycle state at t = 0 stored with the `circulation` package (MIT), used as cold start.
_TEMPLATE = np.array([87.183, 118.52, 86.833, 166.177, 87.675, 35.898, 19.545, 15.004,
                      71.104, 94.039, 94.084, 473.279])


def _parameters() -> tuple[Parameter, ...]:
    ps = [Parameter("HR", "bpm", 75.0, "heart rate", (30.0, 220.0), Prior("lognormal", 75, 0.1))]
    for ch, (ea, eb, tc, tr, onset, v0) in _CHAMBERS.items():
        ps += [
            Parameter(f"{ch}.EA", "mmHg/mL", ea, f"{ch} active elastance", (1e-3, 20.0)),
            Parameter(f"{ch}.EB", "mmHg/mL", eb, f"{ch} passive elastance", (1e-3, 5.0)),
            Parameter(f"{ch}.TC", "s", tc, f"{ch} contraction duration", (0.05, 0.8),
                      Prior("lognormal", tc, 0.1)),
            Parameter(f"{ch}.TR", "s", tr, f"{ch} relaxation duration", (0.05, 0.8),
                      Prior("lognormal", tr, 0.1)),
            Parameter(f"{ch}.tC", "s", onset, f"{ch} contraction onset", (0.0, 2.0),
                      Prior("normal", onset, 0.02)),
            Parameter(f"{ch}.V0", "mL", v0, f"{ch} unstressed volume", (0.0, 200.0)),
        ]
    for v in ("MV", "AV", "TV", "PV"):
        ps += [
            Parameter(f"{v}.Rmin", "mmHg*s/mL", 0.0075, f"{v} open resistance", (1e-4, 1.0)),
            Parameter(f"{v}.Rmax", "mmHg*s/mL", 75006.2, f"{v} closed resistance", (10.0, 1e7)),
        ]
    ps += cl.circulation_parameters(_CIRCULATION)
    vol = float(cl.conserved_volume(_TEMPLATE, np.array([[p.default for p in ps] + [0.0]]),
                                    len(ps) - 12)[0])
    ps.append(Parameter("V_total", "mL", round(vol, 1),
                        "blood volume held by the loop (chambers plus stressed vessel volume)",
                        (300.0, 6000.0), Prior("lognormal", round(vol, 1), 0.1)))
    return tuple(ps)


PARAMETERS = _parameters()
_I = {p.name: i for i, p in enumerate(PARAMETERS)}
I_HR = _I["HR"]
I_LA, I_LV, I_RA, I_RV = (_I[f"{c}.EA"] for c in ("LA", "LV", "RA", "RV"))
I_MV, I_AV, I_TV, I_PV = (_I[f"{v}.Rmin"] for v in ("MV", "AV", "TV", "PV"))
I_SYS = _I["SYS.R_AR"]
I_VTOTAL = _I["V_total"]


@model_function
def _elastance(t, period, p, i):
    # p[i:i+6] = EA, EB, TC, TR, tC, V0 of one chamber
    return p[i + 1] + p[i] * activation(t, period, p[i + 4] % period, p[i + 2], p[i + 3])


@model_function
def observe(t, y, p):
    """Chamber pressures and valve flows (see :data:`closed_loop.OUTPUTS`)."""
    period = 60.0 / p[I_HR]
    p_la = _elastance(t, period, p, I_LA) * (y[cl.V_LA] - p[I_LA + 5])
    p_lv = _elastance(t, period, p, I_LV) * (y[cl.V_LV] - p[I_LV + 5])
    p_ra = _elastance(t, period, p, I_RA) * (y[cl.V_RA] - p[I_RA + 5])
    p_rv = _elastance(t, period, p, I_RV) * (y[cl.V_RV] - p[I_RV + 5])
    q_mv = resistive_valve(p_la - p_lv, p[I_MV], p[I_MV + 1])
    q_av = resistive_valve(p_lv - y[cl.P_AR_SYS], p[I_AV], p[I_AV + 1])
    q_tv = resistive_valve(p_ra - p_rv, p[I_TV], p[I_TV + 1])
    q_pv = resistive_valve(p_rv - y[cl.P_AR_PUL], p[I_PV], p[I_PV + 1])
    return p_la, p_lv, p_ra, p_rv, q_mv, q_av, q_tv, q_pv, 0.0 * q_av, y[cl.P_AR_SYS]


@model_function
def rhs(t, y, p, dydt):
    """Right-hand side of the Regazzoni 2022 loop."""
    p_la, p_lv, p_ra, p_rv, q_mv, q_av, q_tv, q_pv, q_vad, p_ao = observe(t, y, p)
    cl.chamber_derivatives(y, dydt, q_mv, q_av, q_tv, q_pv)
    cl.vessel_derivatives(y, p, dydt, I_SYS, q_av, p_ra, q_pv, p_la)


initial_state, conserved_volume, set_volume = cl.volume_functions(_TEMPLATE, I_SYS, I_VTOTAL)


MODEL = ModelSpec(
    name="regazzoni2022",
    version="1.0",
    title="Regazzoni et al. 2022 closed-loop circulation (resistive valves)",
    states=cl.STATES,
    parameters=PARAMETERS,
    outputs=cl.OUTPUTS,
    rhs=rhs,
    observe=observe,
    initial_state=initial_state,
    conserved_volume=conserved_volume,
    set_volume=set_volume,
    assumptions=(
        "Chambers are time-varying elastances: pressure is linear in volume at every instant.",
        "Valves are ideal diodes with a small open (Rmin) and a huge closed (Rmax) resistance; "
        "they cannot represent stenosis or regurgitation in clinical terms.",
        "Activation timing is absolute (seconds), so it is valid only near 75 bpm.",
        "Systemic and pulmonary circulations are single RLC compartments each.",
    ),
    context_of_use="Reference and teaching: reproduces the published limit cycle of Regazzoni "
    "et al. 2022. Not for patient-specific valve disease.",
    # activation timing is absolute (seconds): valid only near 75 bpm
    validity_ranges={**ADULT_RESTING_RANGES, "HR": (60.0, 90.0)},
    references=("Regazzoni F et al. J Comput Phys 2022;457:111083.",),
    equation_sources=(_elastance, activation, cl.chamber_derivatives, resistive_valve,
                      cl.vessel_derivatives),
)

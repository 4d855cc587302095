"""What the two built-in closed loops share: states, vessel compartments, blood volume.

Both follow the structure of Regazzoni et al. (2022): four chambers with time-varying
elastance, and systemic and pulmonary arterial and venous RLC compartments.
"""

from __future__ import annotations

import numpy as np

from twinviewer.core.parameter import Parameter, Prior
from twinviewer.physiology.jit import model_function
from twinviewer.physiology.model import OutputSpec, StateSpec

STATES = (
    StateSpec("V_LA", "mL", "left atrial volume", 0.02),
    StateSpec("V_LV", "mL", "left ventricular volume", 0.02),
    StateSpec("V_RA", "mL", "right atrial volume", 0.02),
    StateSpec("V_RV", "mL", "right ventricular volume", 0.02),
    StateSpec("p_AR_SYS", "mmHg", "systemic arterial pressure", 0.02),
    StateSpec("p_VEN_SYS", "mmHg", "systemic venous pressure", 0.02),
    StateSpec("p_AR_PUL", "mmHg", "pulmonary arterial pressure", 0.02),
    StateSpec("p_VEN_PUL", "mmHg", "pulmonary venous pressure", 0.02),
    StateSpec("Q_AR_SYS", "mL/s", "systemic arterial flow", 0.5),
    StateSpec("Q_VEN_SYS", "mL/s", "systemic venous return", 0.5),
    StateSpec("Q_AR_PUL", "mL/s", "pulmonary arterial flow", 0.5),
    StateSpec("Q_VEN_PUL", "mL/s", "pulmonary venous return", 0.5),
)

OUTPUTS = (
    OutputSpec("p_LA", "mmHg", "left atrial pressure"),
    OutputSpec("p_LV", "mmHg", "left ventricular pressure"),
    OutputSpec("p_RA", "mmHg", "right atrial pressure"),
    OutputSpec("p_RV", "mmHg", "right ventricular pressure"),
    OutputSpec("Q_MV", "mL/s", "mitral valve flow (negative: regurgitation)"),
    OutputSpec("Q_AV", "mL/s", "aortic valve flow (negative: regurgitation)"),
    OutputSpec("Q_TV", "mL/s", "tricuspid valve flow"),
    OutputSpec("Q_PV", "mL/s", "pulmonary valve flow"),
    OutputSpec("Q_VAD", "mL/s", "left ventricular assist device flow"),
    OutputSpec("p_AO", "mmHg", "aortic root pressure (where a cuff or catheter reads it)"),
)

# Index of each state, for readable equations (numba folds them into constants).
V_LA, V_LV, V_RA, V_RV, P_AR_SYS, P_VEN_SYS, P_AR_PUL, P_VEN_PUL = range(8)
Q_AR_SYS, Q_VEN_SYS, Q_AR_PUL, Q_VEN_PUL = range(8, 12)
VESSEL_PRESSURES = (P_AR_SYS, P_VEN_SYS, P_AR_PUL, P_VEN_PUL)


def circulation_parameters(values: dict[str, float]) -> list[Parameter]:
    """Systemic and pulmonary RLC parameters with the given defaults."""
    desc = {
        "SYS.R_AR": ("mmHg*s/mL", "systemic arterial resistance", (0.2, 4.0)),
        "SYS.C_AR": ("mL/mmHg", "systemic arterial compliance", (0.2, 5.0)),
        "SYS.R_VEN": ("mmHg*s/mL", "systemic venous resistance", (0.01, 1.5)),
        "SYS.C_VEN": ("mL/mmHg", "systemic venous compliance", (2.0, 100.0)),
        "SYS.L_AR": ("mmHg*s^2/mL", "systemic arterial inertance", (1e-4, 0.05)),
        "SYS.L_VEN": ("mmHg*s^2/mL", "systemic venous inertance", (1e-5, 0.01)),
        "PUL.R_AR": ("mmHg*s/mL", "pulmonary arterial resistance", (0.005, 0.8)),
        "PUL.C_AR": ("mL/mmHg", "pulmonary arterial compliance", (1.0, 60.0)),
        "PUL.R_VEN": ("mmHg*s/mL", "pulmonary venous resistance", (1e-4, 0.3)),
        "PUL.C_VEN": ("mL/mmHg", "pulmonary venous compliance", (2.0, 60.0)),
        "PUL.L_AR": ("mmHg*s^2/mL", "pulmonary arterial inertance", (1e-5, 0.01)),
        "PUL.L_VEN": ("mmHg*s^2/mL", "pulmonary venous inertance", (1e-5, 0.01)),
    }
    out = []
    for name, (unit, text, rng) in desc.items():
        # Inertances are poorly known and weakly influential: wide priors.
        spread = 0.3 if ".L_" in name else 0.2
        out.append(Parameter(name, unit, values[name], text, rng,
                             Prior("lognormal", values[name], spread)))
    return out


@model_function
def vessel_derivatives(y, p, dydt, i_sys, q_into_aorta, p_ra, q_into_pa, p_la):
    """Derivatives of the 8 vessel states given the flows into the aorta and the pulmonary
    artery and the atrial pressures. ``i_sys`` is the column of ``SYS.R_AR``; the 12
    circulation parameters follow it in the order of :func:`circulation_parameters`."""
    r_ar_s = p[i_sys]
    c_ar_s = p[i_sys + 1]
    r_ven_s = p[i_sys + 2]
    c_ven_s = p[i_sys + 3]
    l_ar_s = p[i_sys + 4]
    l_ven_s = p[i_sys + 5]
    r_ar_p = p[i_sys + 6]
    c_ar_p = p[i_sys + 7]
    r_ven_p = p[i_sys + 8]
    c_ven_p = p[i_sys + 9]
    l_ar_p = p[i_sys + 10]
    l_ven_p = p[i_sys + 11]
    dydt[P_AR_SYS] = (q_into_aorta - y[Q_AR_SYS]) / c_ar_s
    dydt[P_VEN_SYS] = (y[Q_AR_SYS] - y[Q_VEN_SYS]) / c_ven_s
    dydt[P_AR_PUL] = (q_into_pa - y[Q_AR_PUL]) / c_ar_p
    dydt[P_VEN_PUL] = (y[Q_AR_PUL] - y[Q_VEN_PUL]) / c_ven_p
    dydt[Q_AR_SYS] = (y[P_AR_SYS] - y[P_VEN_SYS] - r_ar_s * y[Q_AR_SYS]) / l_ar_s
    dydt[Q_VEN_SYS] = (y[P_VEN_SYS] - p_ra - r_ven_s * y[Q_VEN_SYS]) / l_ven_s
    dydt[Q_AR_PUL] = (y[P_AR_PUL] - y[P_VEN_PUL] - r_ar_p * y[Q_AR_PUL]) / l_ar_p
    dydt[Q_VEN_PUL] = (y[P_VEN_PUL] - p_la - r_ven_p * y[Q_VEN_PUL]) / l_ven_p


@model_function
def chamber_derivatives(y, dydt, q_mv, q_lv_out, q_tv, q_pv):
    """Volume derivatives of the four chambers; ``q_lv_out`` is all flow leaving the LV
    (aortic valve plus any device)."""
    dydt[V_LA] = y[Q_VEN_PUL] - q_mv
    dydt[V_LV] = q_mv - q_lv_out
    dydt[V_RA] = y[Q_VEN_SYS] - q_tv
    dydt[V_RV] = q_tv - q_pv


def _compliances(P: np.ndarray, i_sys: int) -> np.ndarray:
    return P[:, [i_sys + 1, i_sys + 3, i_sys + 7, i_sys + 9]]


def conserved_volume(Y: np.ndarray, P: np.ndarray, i_sys: int) -> np.ndarray:
    """Blood volume the loop conserves: chamber volumes plus stressed vessel volumes (mL)."""
    Y = np.atleast_2d(Y)
    P = np.atleast_2d(P)
    return Y[:, :4].sum(axis=1) + (_compliances(P, i_sys) * Y[:, list(VESSEL_PRESSURES)]).sum(1)


def set_volume(Y: np.ndarray, P: np.ndarray, i_sys: int, i_volume: int) -> np.ndarray:
    """Shift the four vessel pressures by one common amount so that the conserved volume
    equals each member's volume parameter. Returns a new array."""
    Y = np.array(np.atleast_2d(Y), dtype=float)
    P = np.atleast_2d(P)
    deficit = P[:, i_volume] - conserved_volume(Y, P, i_sys)
    shift = deficit / _compliances(P, i_sys).sum(axis=1)
    for col in VESSEL_PRESSURES:
        Y[:, col] += shift
    return Y


def volume_functions(template: np.ndarray, i_sys: int, i_volume: int):
    """The ``initial_state``, ``conserved_volume`` and ``set_volume`` functions of a loop
    whose circulation parameters start at column ``i_sys`` and whose blood volume parameter
    is column ``i_volume``; cold starts are ``template`` volume-corrected per member."""

    def initial_state_(P: np.ndarray) -> np.ndarray:
        P = np.atleast_2d(P)
        return set_volume_(np.tile(template, (P.shape[0], 1)), P)

    def conserved_volume_(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
        return conserved_volume(Y, P, i_sys)

    def set_volume_(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
        return set_volume(Y, P, i_sys, i_volume)

    return initial_state_, conserved_volume_, set_volume_

"""One time-varying-elastance ventricle, a three-element Windkessel and a venous reservoir.

A closed loop of three states: ventricular volume ``V_V`` (mL), Windkessel compliance
pressure ``P_AR`` (mmHg) and venous pressure ``P_VEN`` (mmHg). Inflow and outflow valves are
ideal diodes with small resistances; the arterial load is the three-element Windkessel
(characteristic impedance ``WK.Z``, peripheral resistance ``WK.R``, compliance ``WK.C``;
Westerhof et al. 1971). Written once for scalars and numpy arrays (ensemble on the last axis).
"""

from __future__ import annotations

import numpy as np

from twinviewer.core.parameter import Parameter, Prior
from twinviewer.physiology.model import ModelSpec, OutputSpec, StateSpec
from twinviewer.physiology.presets import Preset

_PARAMS = (
    Parameter("HR", "bpm", 75.0, "heart rate", (30.0, 200.0), Prior("lognormal", 75.0, 0.1)),
    Parameter("V.EA", "mmHg/mL", 2.5, "ventricular active elastance", (0.1, 10.0)),
    Parameter("V.EB", "mmHg/mL", 0.06, "ventricular passive elastance", (0.005, 1.0)),
    Parameter("V.V0", "mL", 10.0, "ventricular unstressed volume", (0.0, 100.0),
              Prior("normal", 10.0, 2.0)),
    Parameter("V.TC", "s", 0.3, "contraction duration", (0.1, 0.6), Prior("lognormal", 0.3, 0.1)),
    Parameter("V.TR", "s", 0.15, "relaxation duration", (0.05, 0.4),
              Prior("lognormal", 0.15, 0.1)),
    Parameter("R_IN", "mmHg*s/mL", 0.01, "inflow valve resistance (open)", (1e-3, 0.5)),
    Parameter("R_OUT", "mmHg*s/mL", 0.01, "outflow valve resistance (open)", (1e-3, 0.5)),
    Parameter("WK.Z", "mmHg*s/mL", 0.05, "characteristic impedance of the aorta", (1e-3, 0.5)),
    Parameter("WK.R", "mmHg*s/mL", 0.85, "peripheral resistance", (0.2, 5.0)),
    Parameter("WK.C", "mL/mmHg", 1.5, "arterial compliance", (0.2, 10.0)),
    Parameter("VEN.C", "mL/mmHg", 40.0, "venous compliance", (5.0, 200.0)),
    Parameter("V_total", "mL", 600.0, "stressed blood volume in the loop", (200.0, 3000.0),
              Prior("lognormal", 600.0, 0.1)),
)
_I = {p.name: i for i, p in enumerate(_PARAMS)}
HR, EA, EB, V0, TC, TR = (_I[k] for k in ("HR", "V.EA", "V.EB", "V.V0", "V.TC", "V.TR"))
R_IN, R_OUT, Z, R, C, C_VEN, V_TOTAL = (
    _I[k] for k in ("R_IN", "R_OUT", "WK.Z", "WK.R", "WK.C", "VEN.C", "V_total"))
_TEMPLATE = np.array([120.0, 80.0, 8.0])


def _activation(t, tc, tr):
    """Cosine rise over ``tc`` then fall over ``tr``, 0 for the rest of the beat."""
    rise = 0.5 * (1.0 - np.cos(np.pi * np.minimum(t / tc, 1.0)))
    fall = 0.5 * (1.0 + np.cos(np.pi * np.minimum(np.maximum(t - tc, 0.0) / tr, 1.0)))
    return np.where(t < tc, rise, fall)


def observe(t, y, p):
    """Ventricular and aortic pressure, inflow and outflow."""
    p_v = (p[EB] + p[EA] * _activation(t, p[TC], p[TR])) * (y[0] - p[V0])
    q_in = np.maximum(y[2] - p_v, 0.0) / p[R_IN]
    q_out = np.maximum(p_v - y[1], 0.0) / (p[R_OUT] + p[Z])
    return p_v, y[1] + p[Z] * q_out, q_in, q_out


def rhs(t, y, p, dydt):
    """Volume balance of the ventricle, the Windkessel and the venous reservoir."""
    p_v, p_ao, q_in, q_out = observe(t, y, p)
    q_sys = (y[1] - y[2]) / p[R]
    dydt[0] = q_in - q_out
    dydt[1] = (q_out - q_sys) / p[C]
    dydt[2] = (q_sys - q_in) / p[C_VEN]


def conserved_volume(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Stressed volume held by the loop, mL (ventricle + arterial + venous)."""
    return Y[:, 0] + P[:, C] * Y[:, 1] + P[:, C_VEN] * Y[:, 2]


def set_volume(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Put the missing (or surplus) volume in the venous reservoir."""
    Y = np.array(Y, dtype=float)
    Y[:, 2] += (P[:, V_TOTAL] - conserved_volume(Y, P)) / P[:, C_VEN]
    return Y


def initial_state(P: np.ndarray) -> np.ndarray:
    P = np.atleast_2d(P)
    return set_volume(np.tile(_TEMPLATE, (P.shape[0], 1)), P)


MODEL = ModelSpec(
    name="single_ventricle",
    version="0.1.0",
    title="Single ventricle with a three-element Windkessel (teaching)",
    states=(StateSpec("V_V", "mL", "ventricular volume", 0.02),
            StateSpec("P_AR", "mmHg", "Windkessel compliance pressure", 0.02),
            StateSpec("P_VEN", "mmHg", "venous pressure", 0.02)),
    parameters=_PARAMS,
    outputs=(OutputSpec("p_V", "mmHg", "ventricular pressure"),
             OutputSpec("p_AO", "mmHg", "aortic pressure (after the impedance)"),
             OutputSpec("Q_IN", "mL/s", "inflow valve flow"),
             OutputSpec("Q_OUT", "mL/s", "outflow valve flow")),
    rhs=rhs,
    observe=observe,
    initial_state=initial_state,
    conserved_volume=conserved_volume,
    set_volume=set_volume,
    assumptions=(
        "One ventricle stands for the whole heart: no atria, no right heart, no pulmonary "
        "circulation.",
        "The ventricle is a linear time-varying elastance; valves are ideal diodes.",
        "The arterial tree is a three-element Windkessel; the veins are one compliance.",
    ),
    context_of_use="Teaching the pressure-volume loop and arterial load (Windkessel). Not for "
    "any patient-specific prediction: it has no atria, right heart or lungs.",
    references=("Suga H, Sagawa K. Circ Res 1974;35:117-126.",
                "Westerhof N et al. Med Biol Eng Comput 2009;47:131-141."),
    equation_sources=(_activation,),
    # validity domain as data (checked by the explanations): resting adult values the
    # defaults and their prior were checked against (textbook ranges, with margins)
    validity_ranges={"HR": (45.0, 120.0), "LVEF": (20.0, 80.0), "LVEDV": (60.0, 250.0),
                     "SBP": (80.0, 200.0), "DBP": (40.0, 120.0), "CO": (2.0, 9.0)},
    # series roles (metrics, cycle signals, calibration) and parameter roles (interventions
    # and parameter measurements, named as the built-in four-chamber model's parameters)
    roles={"V_LV": "V_V", "p_LV": "p_V", "p_AO": "p_AO", "Q_AV": "Q_OUT", "Q_MV": "Q_IN",
           "LV.EA": "V.EA", "LV.EB": "V.EB", "LV.V0": "V.V0", "LV.TC": "V.TC",
           "LV.TR": "V.TR", "SYS.R_AR": "WK.R", "SYS.C_AR": "WK.C", "SYS.Z_AO": "WK.Z",
           "SYS.C_VEN": "VEN.C"},
)

PRESET = Preset("teaching_single_ventricle", "Teaching heart (one ventricle)",
                "A single ventricle at rest with a normal arterial load, for teaching the "
                "pressure-volume loop.", MODEL)

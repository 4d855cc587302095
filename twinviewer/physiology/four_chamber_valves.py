"""The built-in clinical model with dynamic valves: valve inertance and opening dynamics.

Everything of :mod:`twinviewer.physiology.four_chamber` (chambers, timing, force–frequency,
circulation, shunts, LVAD), with its four quasi-steady Bernoulli valves replaced by Mynard
et al. (2012) valves: each valve has a flow state Q with inertance,
L·dQ/dt = Δp − R·Q − ρ/(2A²)·Q|Q|, L = ρ·l_eff/A, and an opening state ζ ∈ [0, 1] driven by
the pressure difference; the effective area is A = EROA + ζ·(EOA − EROA), so the forward
orifice is the declared EOA once the valve is fully open and the regurgitant orifice EROA
once it is shut.

Valve states are stiff (a closing valve's loss rate is |Q|/(l_eff·A), and opening/closing
rates K·|Δp| reach thousands per second), far beyond what the engine's explicit RK4 step
resolves. They are therefore advanced by the engine's split step (``ModelSpec.split_step``)
in closed form after every RK4 step: ζ exactly for the pressure difference at the step's
end, Q by one backward-Euler step solved in closed form
(:func:`~.elements.mynard_valve_step`). Within an RK4 step the chambers see the valve
flows of the step's start (Lie splitting, first order in the coupling; the valve's own
damping is implicit, so the scheme is stable at any step).

The parameters are those of ``four_chamber_eoa`` (same names, same columns) plus each
valve's effective length ``l_eff`` and the opening and closing rate constants. Their values
are UNSOURCED (INTERVENTIONS.md §1: "typical K_vo/K_vc/l_eff UNSOURCED"); the rate
constants are of the order of 0.02 cm²/(dyn·s), the value often quoted for Mynard-type
valves.
"""

from __future__ import annotations

import numpy as np

from twinviewer.core.parameter import Parameter, Prior
from twinviewer.physiology import closed_loop as cl
from twinviewer.physiology import four_chamber as fc
from twinviewer.physiology.elements import (
    activation,
    mynard_valve_step,
    pump_flow,
    shunt_flow,
)
from twinviewer.physiology.jit import model_function
from twinviewer.physiology.model import ModelSpec, StateSpec

#: Opening and closing rate constants (1/(mmHg·s)): 0.02 cm²/(dyn·s) × 1333.22 dyn/cm²/mmHg.
K_OPEN = 0.02 * 1333.22387415
K_CLOSE = 0.02 * 1333.22387415
#: Effective length of each valve (cm), UNSOURCED.
_L_EFF = {"MV": 1.0, "AV": 1.0, "TV": 1.0, "PV": 1.0}

VALVES = ("MV", "AV", "TV", "PV")
STATES = (
    *cl.STATES,
    *(StateSpec(f"Q_{v}_dyn", "mL/s", f"{v} flow (inertial valve state; output Q_{v})", 0.5)
      for v in VALVES),
    *(StateSpec(f"zeta_{v}", "1", f"{v} opening state (0 shut, 1 fully open)", 0.01)
      for v in VALVES),
)
Q_MV, Q_AV, Q_TV, Q_PV = range(12, 16)
Z_MV, Z_AV, Z_TV, Z_PV = range(16, 20)


def _parameters() -> tuple[Parameter, ...]:
    ps = list(fc.PARAMETERS)
    for v, length in _L_EFF.items():
        ps.append(Parameter(f"{v}.L_EFF", "cm", length, f"{v} effective length of the valve's "
                            "inertance L = ρ·l_eff/A (UNSOURCED)", (0.1, 5.0),
                            Prior("lognormal", length, 0.3)))
    ps += [
        Parameter("VALVE.K_OPEN", "1/(mmHg*s)", K_OPEN, "valve opening rate constant "
                  "(Mynard 2012 K_vo; UNSOURCED value 0.02 cm²/(dyn·s))", (1.0, 500.0),
                  Prior("lognormal", K_OPEN, 0.3)),
        Parameter("VALVE.K_CLOSE", "1/(mmHg*s)", K_CLOSE, "valve closing rate constant "
                  "(Mynard 2012 K_vc; UNSOURCED value 0.02 cm²/(dyn·s))", (1.0, 500.0),
                  Prior("lognormal", K_CLOSE, 0.3)),
    ]
    return tuple(ps)


PARAMETERS = _parameters()
_I = {p.name: i for i, p in enumerate(PARAMETERS)}
I_LEFF = _I["MV.L_EFF"]  # MV, AV, TV, PV follow
I_KOPEN, I_KCLOSE = _I["VALVE.K_OPEN"], _I["VALVE.K_CLOSE"]


@model_function
def _pressures(y, p, a0, a1, a2, a3):
    ffr = fc.force_frequency(p)
    return (fc._pressure(a0, y[cl.V_LA], p, fc.I_LA, 1.0),
            fc._pressure(a1, y[cl.V_LV], p, fc.I_LV, ffr),
            fc._pressure(a2, y[cl.V_RA], p, fc.I_RA, 1.0),
            fc._pressure(a3, y[cl.V_RV], p, fc.I_RV, ffr))


@model_function
def _observe(y, p, a0, a1, a2, a3):
    p_la, p_lv, p_ra, p_rv = _pressures(y, p, a0, a1, a2, a3)
    q_av = y[Q_AV]
    p_ao = y[cl.P_AR_SYS] + p[fc.I_ZAO] * q_av
    q_vad = pump_flow(y[cl.P_AR_SYS] - p_lv, p[fc.I_VAD])
    q_asd = shunt_flow(p_la - p_ra, p[fc.I_ASD])
    q_vsd = shunt_flow(p_lv - p_rv, p[fc.I_VSD])
    return (p_la, p_lv, p_ra, p_rv, y[Q_MV], q_av, y[Q_TV], y[Q_PV], q_vad, p_ao, q_asd,
            q_vsd)


@model_function
def observe(t, y, p):
    """Chamber pressures, valve, device and shunt flows (as ``four_chamber_eoa``)."""
    period = 60.0 / p[fc.I_HR]
    atrial_onset = (period - p[fc.I_AVD]) % period
    kick = p[fc.I_KICK]
    return _observe(y, p,
                    fc._activation(t, period, atrial_onset, p, fc.I_LA, kick),
                    fc._activation(t, period, 0.0, p, fc.I_LV, 1.0),
                    fc._activation(t, period, atrial_onset, p, fc.I_RA, kick),
                    fc._activation(t, period, 0.0, p, fc.I_RV, 1.0))


@model_function
def rhs(t, y, p, dydt, a):
    """Right-hand side: chambers and vessels; valve states are advanced by
    :func:`split_step`, so their derivatives here are zero."""
    p_la, p_lv, p_ra, p_rv, q_mv, q_av, q_tv, q_pv, q_vad, p_ao, q_asd, q_vsd = _observe(
        y, p, a[0], a[1], a[2], a[3])
    fc.loop_derivatives(y, p, dydt, q_mv, q_av, q_tv, q_pv, q_vad, p_ra, p_la, q_asd, q_vsd)
    for j in range(Q_MV, Z_PV + 1):
        dydt[j] = 0.0 * dydt[cl.V_LA]


@model_function
def split_step(t, dt, y, p, a):
    """Advance the four valves' flow and opening states over the step ``dt`` ending at
    ``t``, with the chamber pressures at ``t`` (:func:`~.elements.mynard_valve_step`)."""
    p_la, p_lv, p_ra, p_rv = _pressures(y, p, a[0], a[1], a[2], a[3])
    k_open, k_close = p[I_KOPEN], p[I_KCLOSE]
    y[Q_MV], y[Z_MV] = mynard_valve_step(y[Q_MV], y[Z_MV], p_la - p_lv, p[fc.I_MV],
                                         p[fc.I_MV + 1], fc.R_VISCOUS, p[I_LEFF], k_open,
                                         k_close, dt)
    y[Q_AV], y[Z_AV] = mynard_valve_step(y[Q_AV], y[Z_AV], p_lv - y[cl.P_AR_SYS], p[fc.I_AV],
                                         p[fc.I_AV + 1], fc.R_VISCOUS + p[fc.I_ZAO],
                                         p[I_LEFF + 1], k_open, k_close, dt)
    y[Q_TV], y[Z_TV] = mynard_valve_step(y[Q_TV], y[Z_TV], p_ra - p_rv, p[fc.I_TV],
                                         p[fc.I_TV + 1], fc.R_VISCOUS, p[I_LEFF + 2], k_open,
                                         k_close, dt)
    y[Q_PV], y[Z_PV] = mynard_valve_step(y[Q_PV], y[Z_PV], p_rv - y[cl.P_AR_PUL], p[fc.I_PV],
                                         p[fc.I_PV + 1], fc.R_VISCOUS, p[I_LEFF + 3], k_open,
                                         k_close, dt)


#: Cold start: the default model's template, valve flows at rest, mitral and tricuspid open.
_TEMPLATE = np.concatenate([fc._TEMPLATE, [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]])
initial_state, conserved_volume, set_volume = cl.volume_functions(_TEMPLATE, fc.I_SYS,
                                                                  fc.I_VTOTAL)

MODEL = ModelSpec(
    name="four_chamber_valves",
    version="1.0",
    title="Closed-loop four-chamber circulation with dynamic (Mynard) valves",
    states=STATES,
    parameters=PARAMETERS,
    outputs=fc.OUTPUTS,
    rhs=rhs,
    observe=observe,
    initial_state=initial_state,
    conserved_volume=conserved_volume,
    set_volume=set_volume,
    assumptions=(
        *(a for a in fc.MODEL.assumptions if not a.startswith("Valve flow is quasi-steady")),
        "Valves have inertance (L = ρ·l_eff/A) and an opening state driven by the pressure "
        "difference (Mynard et al. 2012); effective lengths and rate constants are "
        "UNSOURCED. Valve states are advanced by a closed-form split step after each RK4 "
        "step (first order in the valve–chamber coupling). Gradients are Doppler 4v² with "
        "v = Q/EOA; no pressure recovery.",
    ),
    context_of_use=fc.MODEL.context_of_use,
    references=(*fc.MODEL.references,
                "Mynard JP et al. Int J Numer Method Biomed Eng 2012;28:626–641 (valve)."),
    equation_sources=(fc._pressure, fc.timing_scale, fc.force_frequency, activation,
                      fc.loop_derivatives, cl.chamber_derivatives, mynard_valve_step,
                      shunt_flow, pump_flow, cl.vessel_derivatives),
    drivers=fc.drivers,
    n_drivers=fc.N_DRIVERS,
    split_step=split_step,
)

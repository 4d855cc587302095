"""The built-in clinical model with the valves' inertance and rate constants as parameters.

Since version 3.0 the default model :mod:`twinviewer.physiology.four_chamber` has these
valves itself, with fixed effective lengths and rate constants; this model has the same
equations (its state and right-hand side are the default's) and makes those constants
parameters, for calibration and sensitivity studies. The valves are Mynard
et al. (2012) valves: each valve has a flow state Q with inertance,
L·dQ/dt = Δp − R·Q − ρ/(2A²)·Q|Q|, L = ρ·l_eff/A, and an opening state ζ ∈ [0, 1] driven by
the pressure difference; the effective area is A = EROA + ζ·(EOA − EROA), so the forward
orifice is the declared EOA once the valve is fully open and the regurgitant orifice EROA
once it is shut.

Valve states are stiff (a closing valve's loss rate is |Q|/(l_eff·A), and opening/closing
rates K·|Δp| reach thousands per second), far beyond what the engine's explicit RK4 step
resolves. They are therefore advanced by the engine's split step (``ModelSpec.split_step``)
in closed form, a half step before and a half step after every RK4 step of the chambers
(Strang splitting): ζ exactly for the pressure difference held, Q by the L-stable,
second-order SDIRK2 step, each stage solved in closed form
(:func:`~.elements.mynard_valve_step`), so the scheme is second order and stable at any
step.

The parameters are those of ``four_chamber_eoa`` (same names, same columns) plus each
valve's effective length ``l_eff`` and the opening and closing rate constants. Their values
are UNSOURCED (INTERVENTIONS.md §1: "typical K_vo/K_vc/l_eff UNSOURCED"); the rate
constants are of the order of 0.02 cm²/(dyn·s), the value often quoted for Mynard-type
valves.
"""

from __future__ import annotations

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
from twinviewer.physiology.model import ModelSpec

#: Opening and closing rate constants (1/(mmHg·s)), the default model's.
K_OPEN = fc.K_OPEN
K_CLOSE = fc.K_CLOSE
VALVES = fc.VALVES
STATES = fc.STATES
Q_MV, Q_AV, Q_TV, Q_PV = fc.Q_MV, fc.Q_AV, fc.Q_TV, fc.Q_PV
Z_MV, Z_AV, Z_TV, Z_PV = fc.Z_MV, fc.Z_AV, fc.Z_TV, fc.Z_PV
_pressures = fc.chamber_pressures


def _parameters() -> tuple[Parameter, ...]:
    ps = list(fc.PARAMETERS)
    for v, length in fc.L_EFF.items():
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
def split_step(t, dt, y, p, a, mem):
    """Advance the four valves' flow and opening states over ``dt`` up to time ``t``, the
    rest held, with this member's effective lengths and rate constants
    (:func:`~.four_chamber.split_step`)."""
    fc.advance_valves(dt, y, p, a, p[I_LEFF], p[I_LEFF + 1], p[I_LEFF + 2], p[I_LEFF + 3],
                      p[I_KOPEN], p[I_KCLOSE], mem)


@model_function
def split_rhs(t, dt, y, p, dydt, a, mem):
    """:func:`split_step` before an RK4 step, then the right-hand side at ``t``, the chamber
    pressures computed once (:func:`~.four_chamber.split_rhs`)."""
    p_la, p_lv, p_ra, p_rv = fc.chamber_pressures(y, p, a[0], a[1], a[2], a[3])
    fc.valve_steps(dt, y, p, p_la, p_lv, p_ra, p_rv, p[I_LEFF], p[I_LEFF + 1],
                   p[I_LEFF + 2], p[I_LEFF + 3], p[I_KOPEN], p[I_KCLOSE], mem, 0.5 * mem[0])
    fc.valve_loop_derivatives(y, p, dydt, p_la, p_lv, p_ra, p_rv)


#: Cold start: the default model's.
_TEMPLATE = fc.TEMPLATE_VALVES
initial_state, conserved_volume, set_volume = cl.volume_functions(_TEMPLATE, fc.I_SYS,
                                                                  fc.I_VTOTAL)

MODEL = ModelSpec(
    name="four_chamber_valves",
    version="1.1",
    title="Closed-loop four-chamber circulation with dynamic (Mynard) valves whose "
          "inertance and rate constants are parameters",
    states=STATES,
    parameters=PARAMETERS,
    outputs=fc.OUTPUTS,
    rhs=fc.rhs_valves,
    observe=fc.observe_valves,
    initial_state=initial_state,
    conserved_volume=conserved_volume,
    set_volume=set_volume,
    assumptions=fc.MODEL_V3_0.assumptions,
    context_of_use=fc.MODEL_V3_0.context_of_use,
    references=fc.MODEL_V3_0.references,
    equation_sources=(fc._pressure, fc.timing_scale, fc.force_frequency, activation,
                      fc.loop_derivatives, cl.chamber_derivatives, mynard_valve_step,
                      fc.advance_valves, shunt_flow, pump_flow, cl.vessel_derivatives),
    drivers=fc.drivers,
    n_drivers=fc.N_DRIVERS,
    split_step=split_step,
    split_rhs=split_rhs,
)

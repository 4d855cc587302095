"""Building blocks of the lumped circulation, written once for scalars and arrays.

Every function here uses only arithmetic, comparisons and numpy ufuncs, so numba compiles it
for one ensemble member and numpy evaluates it for a whole ensemble (last axis = members).
A branch is allowed only on ``np.any`` of a condition (a scalar in the compiled kernel, the
whole ensemble in numpy), and only to skip work whose result the branch-free form zeroes.
Units: mL, mmHg, s, mL/s, cm².
"""

from __future__ import annotations

import numpy as np

from twinviewer.physiology.jit import model_function

BLOOD_DENSITY = 1.06  # g/mL
#: ρ/2 expressed so that ΔP[mmHg] = K_BERNOULLI / EOA[cm²]² · Q[mL/s]²  (≈ 4 v², v in m/s)
K_BERNOULLI = 0.5 * BLOOD_DENSITY * 1e3 * 1e-4 / 133.322387415
#: Smallest orifice the solver is given, so a "closed" valve (EROA = 0) stays finite.
MIN_ORIFICE_CM2 = 1e-4


@model_function
def activation(t, period, onset, t_contract, t_relax):
    """Cosine activation in [0, 1] of a chamber (Regazzoni et al. 2022).

    Contraction rises over ``t_contract`` from ``onset`` and relaxation falls over
    ``t_relax``; times in s, ``t`` within the beat of length ``period`` (``0 ≤ onset <
    period``). Contraction plus relaxation must fit in the beat: a longer one is cut at the
    next onset. Written with a single cosine and no branch, as it dominates the cost of a
    right-hand side.
    """
    d = t - onset
    tau = d + period * (d < 0.0) - period * (d >= period)
    rising = tau < t_contract
    x = rising * (tau / t_contract) + (1.0 - rising) * (1.0 + (tau - t_contract) / t_relax)
    # 0.5·(1 − cos πx) for x in [0, 2] equals 0.5·(1 − sin πw) with w = |1 − x| − 1/2.
    return 0.5 * (1.0 - _sin_pi(np.abs(1.0 - x) - 0.5)) * (x < 2.0)


@model_function
def _sin_pi(w):
    # sin(πw) for |w| ≤ 1/2 by its Taylor series to w¹⁵: error below 1e-11, and several
    # times cheaper than a libm call inside the right-hand side.
    z = np.pi * w
    z2 = z * z
    return z * (1.0 + z2 * (-1.0 / 6 + z2 * (1.0 / 120 + z2 * (-1.0 / 5040 + z2 * (
        1.0 / 362880 + z2 * (-1.0 / 39916800 + z2 * (1.0 / 6227020800
                                                      - z2 / 1307674368000)))))))


@model_function
def resistive_valve(dp, r_open, r_closed):
    """Flow (mL/s) through a diode-like valve with resistance ``r_open`` forward and
    ``r_closed`` backward (mmHg·s/mL), for a pressure drop ``dp`` (mmHg) across it."""
    return dp / r_open * (dp > 0.0) + dp / r_closed * (dp <= 0.0)


@model_function
def _orifice_flow(a, area, r_visc):
    # Solve a = r_visc·Q + K/area²·Q² for Q ≥ 0, in the form that stays exact as a → 0.
    b = K_BERNOULLI / (area * area)
    return 2.0 * a / (r_visc + np.sqrt(r_visc * r_visc + 4.0 * b * a))


@model_function
def orifice_valve(dp, eoa, eroa, r_visc):
    """Flow (mL/s) through a valve described by effective orifice areas.

    Forward flow through ``eoa`` and backward (regurgitant) flow through ``eroa`` (cm²) both
    follow the steady Bernoulli loss ΔP = ρ/(2·A²)·Q|Q| plus a small viscous term
    ``r_visc``·Q (mmHg·s/mL), so that ΔP ≈ 4v² as in Doppler echocardiography.
    """
    forward = dp > 0.0
    # One orifice at a time (the open one for the sign of dp): one square root, not two.
    area = np.maximum(eoa * forward + eroa * (1.0 - forward), MIN_ORIFICE_CM2)
    q = _orifice_flow(np.abs(dp), area, r_visc)
    return q * forward - q * (1.0 - forward)


#: Diagonal coefficient of the two-stage SDIRK2 method of :func:`mynard_valve_step`, and
#: (1 − γ)/γ, the weight of its first stage in the second.
SDIRK_GAMMA = 1.0 - 0.5 ** 0.5
SDIRK_RATIO = (1.0 - SDIRK_GAMMA) / SDIRK_GAMMA
#: Valve inertance per effective length and area: L = ρ·l_eff/A (mmHg·s²/mL for l_eff in cm
#: and A in cm²; ρ in g/mL, 1 mmHg = 1333.22 dyn/cm²).
K_INERTANCE = BLOOD_DENSITY / 1333.22387415


@model_function
def _inertial_stage(q0, dp, area, r_visc, l_h):
    # The backward-Euler stage Q of (l_h/area)·(Q − q0) = dp − r_visc·Q − K/area²·Q|Q|
    # (l_h = ρ·l_eff/h): Q has the sign of c = dp + (l_h/area)·q0 and |Q| is the positive
    # root of K/area²·x² + (r_visc + l_h/area)·x − |c| = 0, as _orifice_flow, with one
    # division by the area.
    inv = 1.0 / area
    inertia = l_h * inv
    c = dp + inertia * q0
    a = np.abs(c)
    r = r_visc + inertia
    x = 2.0 * a / (r + np.sqrt(r * r + 4.0 * K_BERNOULLI * inv * inv * a))
    return x * (c > 0.0) - x * (c <= 0.0)


@model_function
def mynard_valve_step(q, zeta, dp0, dp1, eoa, eroa, r_visc, l_eff, k_open, k_close, dt):
    """One step ``dt`` (s) of a valve with inertance and opening dynamics (Mynard et al.
    2012): ``(flow, opening state)`` at the step's end, stable at any step.

    The pressure difference across the valve (mmHg) runs linearly from ``dp0`` at the
    step's start to ``dp1`` at its end. The opening state ζ ∈ [0, 1] moves towards 1 at rate
    ``k_open``·Δp while Δp is positive and towards 0 at rate ``k_close``·|Δp| while it is
    negative (1/(mmHg·s)); it is advanced exactly (for a Δp that keeps its sign over the
    step). The effective area interpolates between the regurgitant and the forward orifice,
    A = EROA + ζ·(EOA − EROA) (cm²), and the flow ``q`` (mL/s) follows
    L·dQ/dt = Δp − r_visc·Q − ρ/(2A²)·Q|Q| with L = ρ·l_eff/A (``l_eff`` in cm), advanced
    by the two-stage, L-stable SDIRK2 method (second order), each stage a quadratic in
    the stage flow solved in closed form, so that the stiff loss of a closing valve is
    damped at any step. The engine calls it for half steps on either side of each RK4 step
    of the chambers (Strang splitting), which makes the coupled step second order.

    Examples
    --------
    >>> q, z = 0.0, 0.0
    >>> for _ in range(2000):  # 4 mmHg held across an open 1 cm² valve for 2 s
    ...     q, z = mynard_valve_step(q, z, 4.0, 4.0, 1.0, 0.0, 0.003, 1.0, 26.7, 26.7, 1e-3)
    >>> round(float(z), 3), round(float(q), 1)   # fully open, the steady Bernoulli flow
    (1.0, 96.6)
    """
    zeta = np.minimum(np.maximum(zeta, 0.0), 1.0)
    low = np.maximum(eroa, MIN_ORIFICE_CM2)
    span = np.maximum(np.maximum(eoa, MIN_ORIFICE_CM2) - low, 0.0)
    # Two stages of the L-stable, stiffly accurate SDIRK2 (Alexander 1977; γ = 1 − 1/√2),
    # second order, each stage a backward-Euler solve in closed form with ζ (hence the area
    # and the inertance) exact at the stage's time:
    #   stage 1 at γ·dt:  L₁·(Q₁ − Q)/(γ·dt) = Δp₁ − r·Q₁ − B₁·Q₁|Q₁|
    #   stage 2 at dt:    L₂·(Q' − Q̃)/(γ·dt) = Δp₂ − r·Q' − B₂·Q'|Q'|,
    #                     Q̃ = Q + (1 − γ)/γ·(Q₁ − Q)   (each stage: _inertial_stage)
    # ζ at a stage time τ from the mean Δp over [0, τ] (exact while Δp keeps its sign;
    # interpolating it at the first stage saves an exponential but made the quarter-step
    # limit cycles worse: 13 % more work in a cold start).
    h = SDIRK_GAMMA * dt
    ramp = dp1 - dp0
    dp_1 = dp0 + SDIRK_GAMMA * ramp
    m1 = dp0 + 0.5 * SDIRK_GAMMA * ramp
    m2 = dp0 + 0.5 * ramp
    f1 = m1 > 0.0
    f2 = m2 > 0.0
    d1 = np.exp(-(k_open * f1 - k_close * (1.0 - f1)) * m1 * h)
    d2 = np.exp(-(k_open * f2 - k_close * (1.0 - f2)) * m2 * dt)
    z1 = f1 * (1.0 - (1.0 - zeta) * d1) + (1.0 - f1) * zeta * d1
    z2 = f2 * (1.0 - (1.0 - zeta) * d2) + (1.0 - f2) * zeta * d2
    l_h = K_INERTANCE * l_eff / h
    q1 = _inertial_stage(q, dp_1, low + z1 * span, r_visc, l_h)
    return _inertial_stage(q + SDIRK_RATIO * (q1 - q), dp1, low + z2 * span, r_visc, l_h), z2


#: Small viscous term of a septal defect (mmHg·s/mL), as the valves' viscous term.
R_SHUNT = 0.003


@model_function
def shunt_flow(dp, area):
    """Flow (mL/s) through a septal defect of effective orifice ``area`` (cm²) for the
    pressure difference ``dp`` (mmHg) across it: the valves' Bernoulli loss in both
    directions, zero for a zero area (intact septum).

    Examples
    --------
    >>> round(float(shunt_flow(4.0, 1.0)), 1)   # 4 mmHg ≈ 1 m/s through 1 cm²
    96.6
    >>> float(shunt_flow(4.0, 0.0))
    0.0
    """
    if not np.any(area > 0.0):  # intact septum (the usual case): no square root
        return 0.0 * dp
    q = orifice_valve(dp, area, area, R_SHUNT)
    return q * (area > 0.0)


#: HeartMate 3 head–flow curve H = a·ω² − r·Q − b·Q|Q| (ω in krpm, Q in mL/s, H in mmHg),
#: least-squares fit to the digitised IFU points in shared/INTERVENTIONS.md §6 (4000–8000 rpm).
PUMP_A = 3.62  # mmHg/krpm²
PUMP_B = 1.75 / (1000.0 / 60.0) ** 2  # mmHg/(mL/s)²
PUMP_R = 0.01  # mmHg·s/mL, small linear term that keeps the inversion smooth at zero flow


@model_function
def pump_flow(rise, speed_krpm):
    """Flow (mL/s) of a continuous-flow pump for a pressure rise ``rise`` (mmHg) at
    ``speed_krpm``; zero when the speed is zero (no device)."""
    if not np.any(speed_krpm > 0.0):  # no device (the usual case): no square root
        return 0.0 * rise
    head = PUMP_A * speed_krpm * speed_krpm - rise
    a = np.abs(head)
    q = 2.0 * a / (PUMP_R + np.sqrt(PUMP_R * PUMP_R + 4.0 * PUMP_B * a))
    return (q * (head > 0.0) - q * (head <= 0.0)) * (speed_krpm > 0.0)

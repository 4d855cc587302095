"""Equations of the blocks and svZeroDSolver's generalized-alpha integrator.

The network is the DAE ``E(y, t) y' + F(y, t) y + c(y, t) = 0``. Every block writes its
rows exactly as svZeroDSolver's ``src/model/<Block>.cpp`` (BSD-3-Clause, SimVascular) does,
with the same signs and scaling, because the Newton stopping test ``max |residual| < atol``
acts on those rows; the same rows therefore give the same converged answer.

Rather than storing E, F, c and their derivatives, each entry goes straight into the Newton
residual ``r = -(E y'_m + F y_f + c)`` and Jacobian ``J = (E + dc/dy') alpha_m +
(F + dc/dy) alpha_f gamma dt``.

Everything here is plain Python on numpy arrays and scalars, compiled by numba when it is
available (``TWINVIEWER_NUMBA=0`` switches compilation off; the answer is the same).

Why this integrator is kept beside the ensemble engine, which runs imported closed-loop
networks as :class:`ModelSpec` models (:mod:`.model`): (1) it reproduces svZeroDSolver's
*discrete* output, step for step, to 1e-6 of each variable's range on the five stored
regression cases; an ODE integrator of the same equations agrees only to svZeroDSolver's own
time-step error (4e-4 at the files' steps), so "same answer as svZeroDSolver" needs the same
scheme; (2) it solves networks with algebraic nodes (RCR / RESISTANCE / FLOW / PRESSURE
boundary conditions, ``BloodVessel`` with its capacitor behind the resistor, a tanh valve or
inductor into a node without storage, ``ClosedLoopHeartAndPulmonary``), which the engine's
explicit RK4 cannot reduce to an ODE. Removing it would need an implicit ensemble step with
a per-member Jacobian in the engine.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from twinviewer.physiology.svzerod import blocks as bt

try:
    import numba

    USE_NUMBA = os.environ.get("TWINVIEWER_NUMBA", "1") != "0"
except ImportError:  # pragma: no cover - numba is a declared dependency
    numba = None
    USE_NUMBA = False


def _jit(func):
    if USE_NUMBA:
        return numba.njit(cache=True, error_model="numpy")(func)
    return func


# Integer codes as plain module constants so numba folds them.
_BV = bt.BLOOD_VESSEL
_BVCRL = bt.BLOOD_VESSEL_CRL
_JUN = bt.JUNCTION
_FLOW = bt.FLOW_BC
_PRES = bt.PRESSURE_BC
_RES = bt.RESISTANCE_BC
_RCR = bt.RCR_BC
_CLRCR = bt.CLOSED_LOOP_RCR_BC
_CLH = bt.CLOSED_LOOP_HEART
_VTANH = bt.VALVE_TANH
_VPW = bt.PIECEWISE_VALVE
_CEI = bt.CHAMBER_ELASTANCE_INDUCTOR
_LEC = bt.LINEAR_ELASTANCE_CHAMBER

# Fourier modes (cos, sin) of the normalised ventricular elastance used by
# ClosedLoopHeartAndPulmonary (svZeroDSolver ClosedLoopHeartPulmonary.cpp).
_CLH_MODES = np.array([
    [0.283748803, 0.000000000], [0.031830626, -0.374299825], [-0.209472400, -0.018127770],
    [0.020520047, 0.073971113], [0.008316883, -0.047249597], [-0.041677660, 0.003212163],
    [0.000867323, 0.019441411], [-0.001675379, -0.005565534], [-0.011252277, 0.003401432],
    [-0.000414677, 0.008376795], [0.000253749, -0.000071880], [-0.002584966, 0.001566861],
    [0.000584752, 0.003143555], [0.000028502, -0.000024787], [0.000022961, -0.000007476],
    [0.000018735, -0.000001281], [0.000015573, 0.000001781], [0.000013133, 0.000003494],
    [0.000011199, 0.000004507], [0.000009634, 0.000005117], [0.000008343, 0.000005481],
    [0.000007265, 0.000005687], [0.000006354, 0.000005789], [0.000005575, 0.000005821],
    [0.000004903, 0.000005805]])

STATUS_OK = 0
STATUS_NOT_CONVERGED = 1
STATUS_NOT_FINITE = 2
STATUS_SINGULAR = 3


@_jit
def param_values(t, is_table, const, tab_ptr, tab_t, tab_v, out):
    """Evaluate all parameters at time ``t`` (periodic linear interpolation of tables)."""
    for k in range(out.size):
        if not is_table[k]:
            out[k] = const[k]
            continue
        a = tab_ptr[k]
        b = tab_ptr[k + 1]
        period = tab_t[b - 1] - tab_t[a]
        rt = np.fmod(t, period)
        lo = a
        hi = b
        while lo < hi:  # lower_bound: first time >= rt
            mid = (lo + hi) // 2
            if tab_t[mid] < rt:
                lo = mid + 1
            else:
                hi = mid
        kk = lo
        if kk == b:
            kk = b - 1
        elif tab_t[kk] == rt:
            out[k] = tab_v[kk]
            continue
        m = kk - 1 if kk > a else a + 1
        out[k] = tab_v[m] + (tab_v[kk] - tab_v[m]) / (tab_t[kk] - tab_t[m]) * (rt - tab_t[m])


@_jit
def activation(t, period, pv, base):
    """Chamber activation in [0, 1]; ``pv[base]`` holds the type code, then its parameters."""
    code = int(pv[base])
    if code == 1:  # half_cosine
        t_active = pv[base + 1]
        t_twitch = pv[base + 2]
        t_in = np.fmod(t, period)
        t_contract = t_in - t_active if t_in >= t_active else 0.0
        if t_contract <= t_twitch:
            return -0.5 * math.cos(2.0 * math.pi * t_contract / t_twitch) + 0.5
        return 0.0
    if code == 2:  # piecewise_cosine
        c_start = pv[base + 1]
        r_start = pv[base + 2]
        c_dur = pv[base + 3]
        r_dur = pv[base + 4]
        x = np.fmod(t - c_start, period)
        if 0.0 <= x < c_dur:
            return 0.5 * (1.0 - math.cos(math.pi * x / c_dur))
        x = np.fmod(t - r_start, period)
        if 0.0 <= x < r_dur:
            return 0.5 * (1.0 + math.cos(math.pi * x / r_dur))
        return 0.0
    if code == 3:  # two_hill, normalised to a peak of 1
        t_shift = pv[base + 1]
        t_in = np.fmod(t, period)
        ts = np.fmod(t_in - t_shift, period)
        if ts < 0.0:
            ts += period
        g1 = (ts / pv[base + 2]) ** pv[base + 4]
        g2 = (ts / pv[base + 3]) ** pv[base + 5]
        return pv[base + 6] * (g1 / (1.0 + g1)) * (1.0 / (1.0 + g2))
    return 0.0


@_jit
def _e(jac, res, yd, am, i, j, a):
    """Entry ``a`` of E at (i, j)."""
    res[i] -= a * yd[j]
    jac[i, j] += a * am


@_jit
def _f(jac, res, y, cj, i, j, a):
    """Entry ``a`` of F at (i, j)."""
    res[i] -= a * y[j]
    jac[i, j] += a * cj


@_jit
def _sign(x):
    return (0.0 < x) - (x < 0.0)


@_jit
def assemble(t, period, y, yd, pv, btype, bvar_ptr, bvars, beq_ptr, beqs, bpar_ptr, bpars,
             bnin, am, cj, jac, res, zero_mask):
    """Newton residual and Jacobian of the whole network at (t, y, y').

    ``zero_mask`` marks flows that svZeroDSolver's ``post_solve`` resets to zero (closed
    valves of the closed-loop heart).
    """
    jac[:, :] = 0.0
    res[:] = 0.0
    zero_mask[:] = False
    for b in range(btype.size):
        v = bvars[bvar_ptr[b]:bvar_ptr[b + 1]]
        e = beqs[beq_ptr[b]:beq_ptr[b + 1]]
        p = bpars[bpar_ptr[b]:bpar_ptr[b + 1]]
        typ = btype[b]
        if typ == _BV or typ == _BVCRL:
            r_ = pv[p[0]]
            c_ = pv[p[1]]
            l_ = pv[p[2]]
            s_ = pv[p[3]]
            _e(jac, res, yd, am, e[0], v[3], -l_)
            _e(jac, res, yd, am, e[1], v[0], -c_)
            _f(jac, res, y, cj, e[0], v[0], 1.0)
            _f(jac, res, y, cj, e[0], v[2], -1.0)
            _f(jac, res, y, cj, e[1], v[1], 1.0)
            _f(jac, res, y, cj, e[1], v[3], -1.0)
            if typ == _BV:
                # R on the inflow, capacitor behind the resistor (svZeroDSolver BloodVessel)
                _e(jac, res, yd, am, e[1], v[1], c_ * r_)
                _f(jac, res, y, cj, e[0], v[1], -r_)
                if s_ != 0.0:
                    q = y[v[1]]
                    dq = yd[v[1]]
                    sr = s_ * abs(q)
                    res[e[0]] -= -sr * q
                    res[e[1]] -= sr * 2.0 * c_ * dq
                    jac[e[0], v[1]] += s_ * _sign(q) * -2.0 * q * cj
                    jac[e[1], v[1]] += s_ * _sign(q) * 2.0 * c_ * dq * cj + sr * 2.0 * c_ * am
            else:
                # BloodVesselCRL: capacitor at the inlet, R-L on the outflow
                _f(jac, res, y, cj, e[0], v[3], -r_)
                if s_ != 0.0:
                    q = y[v[3]]
                    res[e[0]] -= -s_ * abs(q) * q
                    jac[e[0], v[3]] += -2.0 * s_ * abs(q) * cj
        elif typ == _JUN:
            n_in = bnin[b]
            n = e.size
            for i in range(n - 1):  # equal pressures
                _f(jac, res, y, cj, e[i], v[0], 1.0)
                _f(jac, res, y, cj, e[i], v[2 * i + 2], -1.0)
            for i in range(n):  # mass conservation
                _f(jac, res, y, cj, e[n - 1], v[2 * i + 1], 1.0 if i < n_in else -1.0)
        elif typ == _FLOW:
            _f(jac, res, y, cj, e[0], v[1], 1.0)
            res[e[0]] -= -pv[p[0]]
        elif typ == _PRES:
            _f(jac, res, y, cj, e[0], v[0], 1.0)
            res[e[0]] -= -pv[p[0]]
        elif typ == _RES:
            _f(jac, res, y, cj, e[0], v[0], 1.0)
            _f(jac, res, y, cj, e[0], v[1], -pv[p[0]])
            res[e[0]] -= -pv[p[1]]
        elif typ == _RCR:
            rp = pv[p[0]]
            c_ = pv[p[1]]
            rd = pv[p[2]]
            pd = pv[p[3]]
            _f(jac, res, y, cj, e[0], v[0], 1.0)
            _f(jac, res, y, cj, e[0], v[1], -rp)
            _f(jac, res, y, cj, e[0], v[2], -1.0)
            _e(jac, res, yd, am, e[1], v[2], -rd * c_)
            _f(jac, res, y, cj, e[1], v[1], rd)
            _f(jac, res, y, cj, e[1], v[2], -1.0)
            res[e[1]] -= pd
        elif typ == _CLRCR:
            rp = pv[p[0]]
            c_ = pv[p[1]]
            rd = pv[p[2]]
            _f(jac, res, y, cj, e[0], v[1], -1.0)
            _f(jac, res, y, cj, e[0], v[3], 1.0)
            _e(jac, res, yd, am, e[0], v[4], c_)
            _f(jac, res, y, cj, e[1], v[0], 1.0)
            _f(jac, res, y, cj, e[1], v[1], -rp)
            _f(jac, res, y, cj, e[1], v[4], -1.0)
            _f(jac, res, y, cj, e[2], v[2], -1.0)
            _f(jac, res, y, cj, e[2], v[3], -rd)
            _f(jac, res, y, cj, e[2], v[4], 1.0)
        elif typ == _VTANH:
            rmin = pv[p[0]]
            rmax = pv[p[1]]
            k = pv[p[2]]
            p_in = y[v[0]]
            q_in = y[v[1]]
            p_out = y[v[2]]
            th = math.tanh(k * (p_out - p_in))
            dth = k * (1.0 - th * th)  # d tanh / d p_out
            _f(jac, res, y, cj, e[0], v[0], 1.0)
            _f(jac, res, y, cj, e[0], v[2], -1.0)
            _f(jac, res, y, cj, e[0], v[1], -0.5 * (rmax + rmin))
            _f(jac, res, y, cj, e[1], v[1], 1.0)
            _f(jac, res, y, cj, e[1], v[3], -1.0)
            _f(jac, res, y, cj, e[2], v[4], 1.0)
            res[e[0]] -= -0.5 * q_in * (rmax - rmin) * th
            res[e[2]] -= -0.5 * (1.0 + th)
            jac[e[0], v[0]] += 0.5 * q_in * (rmax - rmin) * dth * cj
            jac[e[0], v[1]] += -0.5 * (rmax - rmin) * th * cj
            jac[e[0], v[2]] += -0.5 * q_in * (rmax - rmin) * dth * cj
            jac[e[2], v[0]] += 0.5 * dth * cj
            jac[e[2], v[2]] += -0.5 * dth * cj
        elif typ == _VPW:
            rmin = pv[p[0]]
            rmax = pv[p[1]]
            resistance = rmin if y[v[2]] < y[v[0]] else rmax
            _f(jac, res, y, cj, e[0], v[0], 1.0)
            _f(jac, res, y, cj, e[0], v[2], -1.0)
            _f(jac, res, y, cj, e[0], v[1], -resistance)
            _f(jac, res, y, cj, e[1], v[1], 1.0)
            _f(jac, res, y, cj, e[1], v[3], -1.0)
        elif typ == _CEI or typ == _LEC:
            if typ == _CEI:
                act = activation(t, period, pv, p[5])
                emax = pv[p[0]]
                emin = pv[p[1]]
                vrd = pv[p[2]]
                vrs = pv[p[3]]
                vrest = (1.0 - act) * (vrd - vrs) + vrs
                elas = (emax - emin) * act + emin
                _e(jac, res, yd, am, e[1], v[3], -pv[p[4]])
            else:
                act = activation(t, period, pv, p[3])
                elas = pv[p[1]] + pv[p[0]] * act
                vrest = pv[p[2]]
            # P_in = E(t) (V - V_rest); P_in = P_out; Q_in - Q_out = dV/dt
            _f(jac, res, y, cj, e[0], v[0], 1.0)
            _f(jac, res, y, cj, e[0], v[4], -elas)
            res[e[0]] -= elas * vrest
            _f(jac, res, y, cj, e[1], v[0], 1.0)
            _f(jac, res, y, cj, e[1], v[2], -1.0)
            _f(jac, res, y, cj, e[2], v[1], 1.0)
            _f(jac, res, y, cj, e[2], v[3], -1.0)
            _e(jac, res, yd, am, e[2], v[4], -1.0)
        elif typ == _CLH:
            _closed_loop_heart(t, period, y, yd, pv, v, e, p, am, cj, jac, res, zero_mask)


@_jit
def _closed_loop_heart(t, period, y, yd, pv, v, e, p, am, cj, jac, res, zero_mask):
    """ClosedLoopHeartAndPulmonary: four chambers, pulmonary RC and diode valves."""
    tsa = period * pv[p[0]]
    tpwave = period / pv[p[1]]
    t_in = np.fmod(t, period)
    aa = 0.0
    if t_in <= tpwave:
        aa = 0.5 * (1.0 - math.cos(2.0 * math.pi * (t_in - tpwave + tsa) / tsa))
    elif t_in >= (period - tsa) + tpwave and t_in < period:
        aa = 0.5 * (1.0 - math.cos(2.0 * math.pi * (t_in - tpwave - (period - tsa)) / tsa))
    e_norm = 0.0
    for i in range(_CLH_MODES.shape[0]):
        e_norm += (_CLH_MODES[i, 0] * math.cos(2.0 * math.pi * i * t_in / period)
                   - _CLH_MODES[i, 1] * math.sin(2.0 * math.pi * i * t_in / period))
    elv = e_norm * pv[p[3]]
    erv = e_norm * pv[p[2]]
    lrv_a = pv[p[6]]
    rrv_a = pv[p[7]]
    lra_v = pv[p[8]]
    rra_v = pv[p[9]]
    lla_v = pv[p[10]]
    rla_v = pv[p[11]]
    rlv_ao = pv[p[12]]
    llv_a = pv[p[13]]
    vrv_u = pv[p[14]]
    vlv_u = pv[p[15]]
    rpd = pv[p[16]]
    cp = pv[p[17]]
    cpa = pv[p[18]]
    kxp_ra = pv[p[19]]
    kxv_ra = pv[p[20]]
    emax_ra = pv[p[21]]
    vaso_ra = pv[p[22]]
    kxp_la = pv[p[23]]
    kxv_la = pv[p[24]]
    emax_la = pv[p[25]]
    vaso_la = pv[p[26]]

    # Passive atrial pressure-volume curves
    ex_ra = math.exp((y[v[4]] - vaso_ra) * kxv_ra)
    ex_la = math.exp((y[v[11]] - vaso_la) * kxv_la)
    psi_ra = kxp_ra * (ex_ra - 1.0)
    psi_la = kxp_la * (ex_la - 1.0)
    dpsi_ra = kxp_ra * ex_ra * kxv_ra
    dpsi_la = kxp_la * ex_la * kxv_la

    # Valve states (1 open, 0 closed) from the current iterate
    v5 = 0.0 if (y[v[0]] <= y[v[6]] and y[v[5]] <= 0.0) else 1.0
    v8 = 0.0 if (y[v[6]] <= y[v[9]] and y[v[8]] <= 0.0) else 1.0
    v12 = 0.0 if (y[v[10]] <= y[v[13]] and y[v[12]] <= 0.0) else 1.0
    v15 = 0.0 if (y[v[13]] <= y[v[2]] and y[v[15]] <= 0.0) else 1.0
    zero_mask[v[5]] = v5 < 0.5
    zero_mask[v[8]] = v8 < 0.5
    zero_mask[v[12]] = v12 < 0.5
    zero_mask[v[15]] = v15 < 0.5

    # Eq 0: right atrial pressure
    _f(jac, res, y, cj, e[0], v[0], 1.0)
    _f(jac, res, y, cj, e[0], v[4], -aa * emax_ra)
    res[e[0]] -= aa * emax_ra * vaso_ra + psi_ra * (aa - 1.0)
    jac[e[0], v[4]] += dpsi_ra * (aa - 1.0) * cj
    # Eq 1: aortic pressure
    _e(jac, res, yd, am, e[1], v[2], cpa)
    _f(jac, res, y, cj, e[1], v[3], 1.0)
    _f(jac, res, y, cj, e[1], v[15], -v15)
    # Eq 2: right atrial volume
    _e(jac, res, yd, am, e[2], v[4], 1.0)
    _f(jac, res, y, cj, e[2], v[1], -1.0)
    _f(jac, res, y, cj, e[2], v[5], v5)
    # Eq 3: right atrial outflow
    _e(jac, res, yd, am, e[3], v[5], lra_v)
    _f(jac, res, y, cj, e[3], v[0], -1.0)
    _f(jac, res, y, cj, e[3], v[6], 1.0)
    _f(jac, res, y, cj, e[3], v[5], rra_v * v5)
    # Eq 4: right ventricular pressure
    _f(jac, res, y, cj, e[4], v[6], 1.0)
    _f(jac, res, y, cj, e[4], v[7], -erv)
    res[e[4]] -= erv * vrv_u
    # Eq 5: right ventricular volume
    _e(jac, res, yd, am, e[5], v[7], 1.0)
    _f(jac, res, y, cj, e[5], v[5], -v5)
    _f(jac, res, y, cj, e[5], v[8], v8)
    # Eq 6: right ventricular outflow
    _e(jac, res, yd, am, e[6], v[8], lrv_a)
    _f(jac, res, y, cj, e[6], v[6], -1.0)
    _f(jac, res, y, cj, e[6], v[9], 1.0)
    _f(jac, res, y, cj, e[6], v[8], rrv_a * v8)
    # Eq 7: pulmonary pressure
    _e(jac, res, yd, am, e[7], v[9], cp)
    _f(jac, res, y, cj, e[7], v[9], 1.0 / rpd)
    _f(jac, res, y, cj, e[7], v[10], -1.0 / rpd)
    _f(jac, res, y, cj, e[7], v[8], -v8)
    # Eq 8: left atrial pressure
    _f(jac, res, y, cj, e[8], v[10], 1.0)
    _f(jac, res, y, cj, e[8], v[11], -aa * emax_la)
    res[e[8]] -= aa * emax_la * vaso_la + psi_la * (aa - 1.0)
    jac[e[8], v[11]] += dpsi_la * (aa - 1.0) * cj
    # Eq 9: left atrial volume
    _e(jac, res, yd, am, e[9], v[11], 1.0)
    _f(jac, res, y, cj, e[9], v[8], -v8)
    _f(jac, res, y, cj, e[9], v[12], v12)
    # Eq 10: left atrial outflow
    _e(jac, res, yd, am, e[10], v[12], lla_v)
    _f(jac, res, y, cj, e[10], v[10], -1.0)
    _f(jac, res, y, cj, e[10], v[13], 1.0)
    _f(jac, res, y, cj, e[10], v[12], rla_v * v12)
    # Eq 11: left ventricular pressure
    _f(jac, res, y, cj, e[11], v[13], 1.0)
    _f(jac, res, y, cj, e[11], v[14], -elv)
    res[e[11]] -= elv * vlv_u
    # Eq 12: left ventricular volume
    _e(jac, res, yd, am, e[12], v[14], 1.0)
    _f(jac, res, y, cj, e[12], v[12], -v12)
    _f(jac, res, y, cj, e[12], v[15], v15)
    # Eq 13: left ventricular outflow
    _f(jac, res, y, cj, e[13], v[2], 1.0)
    _f(jac, res, y, cj, e[13], v[13], -1.0)
    _e(jac, res, yd, am, e[13], v[15], llv_a)
    _f(jac, res, y, cj, e[13], v[15], rlv_ao * v15)


@_jit
def solve_in_place(a, b, perm):
    """Solve ``a x = b`` by LU with partial pivoting; ``a`` and ``b`` are overwritten.

    Hand-written because the systems are small (tens of unknowns): this avoids LAPACK's
    call overhead and compiles quickly. Returns False if a pivot is exactly zero.
    """
    n = b.size
    for i in range(n):
        perm[i] = i
    for col in range(n):
        piv = col
        big = abs(a[col, col])
        for r in range(col + 1, n):
            if abs(a[r, col]) > big:
                big = abs(a[r, col])
                piv = r
        if big == 0.0 or not math.isfinite(big):
            return False
        if piv != col:
            for c in range(n):
                tmp = a[col, c]
                a[col, c] = a[piv, c]
                a[piv, c] = tmp
            tmp = b[col]
            b[col] = b[piv]
            b[piv] = tmp
        inv = 1.0 / a[col, col]
        for r in range(col + 1, n):
            f = a[r, col] * inv
            if f != 0.0:
                a[r, col] = 0.0
                for c in range(col + 1, n):
                    a[r, c] -= f * a[col, c]
                b[r] -= f * b[col]
    for r in range(n - 1, -1, -1):
        acc = b[r]
        for c in range(r + 1, n):
            acc -= a[r, c] * b[c]
        b[r] = acc / a[r, r]
    return True


@_jit
def integrate(y, yd, step_times, dt, store, out, rho, atol, max_iter, period,
              is_table, const, tab_ptr, tab_t, tab_v,
              btype, bvar_ptr, bvars, beq_ptr, beqs, bpar_ptr, bpars, bnin):
    """Generalized-alpha steps from ``step_times[k]`` to ``step_times[k] + dt``.

    ``y`` and ``yd`` are updated in place. After step k the state is copied to the next
    row of ``out`` when ``store[k]``. Returns ``(status, failed_step, total_newton_iters)``.
    """
    n = y.size
    alpha_m = 0.5 * (3.0 - rho) / (1.0 + rho)
    alpha_f = 1.0 / (1.0 + rho)
    gamma = 0.5 + alpha_m - alpha_f
    ydot_init = 1.0 - 1.0 / gamma
    y_coeff = gamma * dt
    cj = alpha_f * y_coeff
    pv = np.empty(const.size)
    jac = np.empty((n, n))
    res = np.empty(n)
    zero_mask = np.zeros(n, dtype=np.bool_)
    yn = np.empty(n)
    ydn = np.empty(n)
    y_af = np.empty(n)
    yd_am = np.empty(n)
    perm = np.empty(n, dtype=np.int64)
    row = 0
    total_iter = 0
    for k in range(step_times.size):
        for i in range(n):
            yn[i] = y[i]
            ydn[i] = yd[i] * ydot_init
        t_new = step_times[k] + alpha_f * dt
        param_values(t_new, is_table, const, tab_ptr, tab_t, tab_v, pv)
        converged = False
        for it in range(max_iter):
            for i in range(n):
                yd_am[i] = yd[i] + (ydn[i] - yd[i]) * alpha_m
                y_af[i] = y[i] + (yn[i] - y[i]) * alpha_f
            assemble(t_new, period, y_af, yd_am, pv, btype, bvar_ptr, bvars, beq_ptr, beqs,
                     bpar_ptr, bpars, bnin, alpha_m, cj, jac, res, zero_mask)
            worst = 0.0
            for i in range(n):
                a = abs(res[i])
                if not a <= worst:  # also catches NaN
                    worst = a
            if not math.isfinite(worst):
                return STATUS_NOT_FINITE, k, total_iter
            if worst < atol:
                converged = True
                break
            if it == max_iter - 1:
                break
            if not solve_in_place(jac, res, perm):
                return STATUS_SINGULAR, k, total_iter
            dyd = res
            for i in range(n):
                if zero_mask[i]:
                    yn[i] = 0.0
                ydn[i] += dyd[i]
                yn[i] += dyd[i] * y_coeff
            total_iter += 1
        if not converged:
            return STATUS_NOT_CONVERGED, k, total_iter
        for i in range(n):
            y[i] = yn[i]
            yd[i] = ydn[i]
        if store[k]:
            for i in range(n):
                out[row, i] = y[i]
            row += 1
    return STATUS_OK, -1, total_iter


@functools.lru_cache(maxsize=512)
def two_hill_normalisation(tau_1: float, tau_2: float, m1: float, m2: float,
                           period: float) -> float:
    """1 / max of the two-hill shape over one period, scanned at 1e-5 as svZeroDSolver does.

    Cached: the scan costs about 2 ms and chambers usually share their timing.
    """
    t = np.arange(0.0, period, 1e-5)
    g1 = (t / tau_1) ** m1
    g2 = (t / tau_2) ** m2
    peak = float(np.max((g1 / (1.0 + g1)) * (1.0 / (1.0 + g2))))
    if not (peak > 0.0 and math.isfinite(peak)):
        raise ValueError("two_hill activation has no positive peak within the period")
    return 1.0 / peak

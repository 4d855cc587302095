"""engine6 probe: order of convergence of the inertial-valve split step.

Run from the worktree: ``PYTHONPATH=$PWD python docs/notes/engine6_convergence.py``.

1. One beat from a fixed state of the healthy, severe AS and severe MR presets, integrated
   by the engine (numpy path) at 100/200/400/800 steps and by scipy ``solve_ivp`` Radau
   (rtol 1e-10) on the unsplit equations (valve flows and opening states as ODE states):
   largest error in the chamber volumes (mL) and arterial pressures (mmHg) at the beat's end.
2. Periodic metrics of 20 prior members at 100/200/400/800 steps against 1600 steps.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.integrate import solve_ivp

from twinviewer.physiology import Settings, get_preset, sample_prior, simulate
from twinviewer.physiology import closed_loop as cl
from twinviewer.physiology import elements as el
from twinviewer.physiology import four_chamber as fc
from twinviewer.physiology import integrator as ig
from twinviewer.physiology.jit import python_function

M = fc.MODEL
STEPS = (100, 200, 400, 800)
_rhs = python_function(M.rhs)
_act = python_function(fc.activations)
_press = python_function(fc.chamber_pressures)
_VALVE_DP = (("MV", fc.Q_MV, fc.Z_MV), ("AV", fc.Q_AV, fc.Z_AV), ("TV", fc.Q_TV, fc.Z_TV),
             ("PV", fc.Q_PV, fc.Z_PV))


def full_rhs(t, y, p):
    """The unsplit equations: chambers and vessels as the model's rhs, the valves'
    L·dQ/dt = Δp − r·Q − B·Q|Q| and dζ/dt as ODEs."""
    a = np.array(_act(t % (60.0 / p[fc.I_HR]), p))
    d = np.zeros_like(y)
    _rhs(t, y, p, d, a)
    p_la, p_lv, p_ra, p_rv = _press(y, p, *a)
    dps = (p_la - p_lv, p_lv - y[cl.P_AR_SYS], p_ra - p_rv, p_rv - y[cl.P_AR_PUL])
    rv = (fc.R_VISCOUS, fc.R_VISCOUS + p[fc.I_ZAO], fc.R_VISCOUS, fc.R_VISCOUS)
    for (v, iq, iz), dp, r in zip(_VALVE_DP, dps, rv, strict=True):
        i = fc._I[f"{v}.EOA"]
        low = max(p[i + 1], el.MIN_ORIFICE_CM2)
        z = min(max(y[iz], 0.0), 1.0)
        area = low + z * max(max(p[i], el.MIN_ORIFICE_CM2) - low, 0.0)
        q = y[iq]
        inert = el.K_INERTANCE * fc.L_EFF[v] / area
        d[iq] = (dp - r * q - el.K_BERNOULLI / area**2 * q * abs(q)) / inert
        d[iz] = ((1.0 - z) * fc.K_OPEN * dp) if dp > 0 else (z * fc.K_CLOSE * dp)
    return d


def one_beat(y0, p, steps):
    st = -np.ones(1, dtype=np.int64)
    atol = np.array([s.atol for s in M.states])
    _, _, ye = ig.integrate_to_periodic(
        M.rhs, y0[None], p[None], fc.I_HR, steps=steps, samples=1, min_beats=1, max_beats=1,
        atol=atol, status=st, accelerate=False, method="numpy", drivers=M.drivers,
        n_drivers=M.n_drivers, split_step=M.split_step)
    return ye[0]


def radau_table():
    print("one beat vs Radau (rtol 1e-10): largest error, volumes mL / pressures mmHg")
    for name in ("healthy", "severe_as", "severe_mr"):
        p = M.vector(get_preset(name).values)
        y0 = simulate(M, p[None], settings=Settings(steps_per_beat=800)).final_state[0]
        ref = solve_ivp(full_rhs, (0.0, 60.0 / p[fc.I_HR]), y0, method="Radau", rtol=1e-10,
                        atol=1e-10, args=(p,)).y[:, -1]
        errs = []
        for s in STEPS:
            e = np.abs(one_beat(y0, p, s) - ref)
            errs.append((e[:4].max(), e[4:12].max()))
        vol = " ".join(f"{v:.2e}" for v, _ in errs)
        prs = " ".join(f"{q:.2e}" for _, q in errs)
        order = np.log2(errs[-2][0] / errs[-1][0])
        print(f"  {name:10s} V: {vol} | P: {prs} | order(400→800, V) {order:.2f}")


def metric_table(n=20):
    print(f"{n} prior members, periodic metrics: largest |x(steps) - x(1600)|")
    P = sample_prior(M, n, seed=1)
    runs = {s: simulate(M, P, settings=Settings(steps_per_beat=s, samples_per_beat=100,
                                                coarse_start=False))
            for s in (*STEPS, 1600)}
    for key in ("SBP", "DBP", "LVEDV", "LVESV", "AV_mean_gradient"):
        gaps = [np.nanmax(np.abs(runs[s].metrics[key] - runs[1600].metrics[key]))
                for s in STEPS]
        print(f"  {key:17s} " + " ".join(f"{g:.3f}" for g in gaps))


if __name__ == "__main__":
    if "metrics" not in sys.argv[1:]:
        radau_table()
    if "radau" not in sys.argv[1:]:
        metric_table()

"""Template of the compiled RK4 ensemble kernel (see :mod:`twinviewer.physiology.kernels`).

numba caches a compiled function only if every function it calls is a module global, not an
argument. So this file is copied once per model into the kernel cache with the import line
below (marked ``MODEL-RHS``) pointing at that model's right-hand side; the copy is compiled
and cached by numba. As written here it is the kernel of the built-in four-chamber model.
"""

import numba
import numpy as np

from twinviewer.physiology.four_chamber import rhs  # MODEL-RHS

PERIODIC, NOT_PERIODIC, DIVERGED = 0, 1, 2
BLOW_UP = 1e7


@numba.njit(nogil=True, cache=True)
def kernel(Y0, P, hr_col, steps, stride, min_beats, max_beats, atol, accelerate, rec, status,
           beats, yend):
    """RK4 over beats for members ``i`` with ``status[i] < 0``; see integrator.py."""
    n, s_count = Y0.shape
    k1 = np.empty(s_count)
    k2 = np.empty(s_count)
    k3 = np.empty(s_count)
    k4 = np.empty(s_count)
    tmp = np.empty(s_count)
    d_last = np.empty(s_count)
    for i in range(n):
        if status[i] >= 0:
            continue
        p = P[i]
        dt = 60.0 / p[hr_col] / steps
        y = Y0[i].copy()
        prev = y.copy()
        code = NOT_PERIODIC
        norm_last = -1.0
        ratio_last = -1.0
        for b in range(max_beats):
            blown = False
            for s in range(steps):
                if s % stride == 0:
                    rec[i, :, s // stride] = y
                    for j in range(s_count):  # stop a blow-up early: inf/nan steps are slow
                        if not abs(y[j]) < BLOW_UP:
                            blown = True
                    if blown:
                        break
                t = s * dt
                rhs(t, y, p, k1)
                for j in range(s_count):
                    tmp[j] = y[j] + 0.5 * dt * k1[j]
                rhs(t + 0.5 * dt, tmp, p, k2)
                for j in range(s_count):
                    tmp[j] = y[j] + 0.5 * dt * k2[j]
                rhs(t + 0.5 * dt, tmp, p, k3)
                for j in range(s_count):
                    tmp[j] = y[j] + dt * k3[j]
                rhs(t + dt, tmp, p, k4)
                for j in range(s_count):
                    y[j] += dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
            beats[i] = b + 1
            err = 0.0
            norm = 0.0
            dot = 0.0
            bad = False
            for j in range(s_count):
                if not (np.isfinite(y[j]) and abs(y[j]) < BLOW_UP):
                    bad = True
                d = (y[j] - prev[j]) / atol[j]
                err = max(err, abs(d))
                norm += d * d
                dot += d * d_last[j]
            if bad:
                code = DIVERGED
                break
            if err <= 1.0 and b + 1 >= min_beats:
                code = PERIODIC
                break
            # A slow transient (blood volume settling between compartments) decays by a
            # steady factor q per beat along a fixed direction: once two consecutive beats
            # show that, jump by its geometric tail q/(1-q) (Aitken). The jump combines
            # beat-start states, so blood volume is kept; the stop test above still needs a
            # plain integrated beat.
            norm = np.sqrt(norm)
            ratio = norm / norm_last if norm_last > 0.0 else -1.0
            # norm is exactly 0 when a member repeats its beat bit for bit before min_beats.
            aligned = norm_last > 0.0 and norm > 0.0 and dot / (norm * norm_last) > 0.995
            jump = (accelerate and aligned and 0.3 < ratio < 0.95
                    and abs(ratio - ratio_last) < 0.02)
            factor = ratio / (1.0 - ratio) if jump else 0.0
            for j in range(s_count):
                step = y[j] - prev[j]
                d_last[j] = step / atol[j]
                y[j] += factor * step
                prev[j] = y[j]
            norm_last = -1.0 if jump else norm
            ratio_last = -1.0 if jump else ratio
        status[i] = code
        yend[i] = y

"""Template of the compiled RK4 ensemble kernel (see :mod:`twinviewer.physiology.kernels`).

numba caches a compiled function only if every function it calls is a module global, not an
argument. So this file is copied once per model into the kernel cache with the import line
below (marked ``MODEL-RHS``) pointing at that model's right-hand side; the copy is compiled
and cached by numba. Models with tabulated drivers or a split step (``ModelSpec.drivers``,
``ModelSpec.split_step``) get the text substitutions of ``kernels.kernel_source``; the line
marked ``MODEL-SPLIT-PRE`` and ``MODEL-SPLIT-STEP`` are where a split step goes: a half step
before and a half step after each RK4 step (Strang splitting, second order); between two RK4
steps inside a beat the two halves are one whole step (a model with a ``split_rhs`` has the
half step before and the first right-hand side in one call; ``smem`` is the split step's
memory). The line marked ``MEMBER-PARAMETERS`` becomes a tuple of the member's parameters
when the model's functions accept one (see ``kernels.kernel_source``).
"""

import numba
import numpy as np

from twinviewer.physiology.acceleration import MEMORY
from twinviewer.physiology.acceleration import anderson_update_compiled as anderson_update
from twinviewer.physiology.four_chamber import rhs  # MODEL-RHS

PERIODIC, NOT_PERIODIC, DIVERGED = 0, 1, 2
SPLIT_MEMORY = 8
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
    dg = np.empty((MEMORY, s_count))
    df = np.empty((MEMORY, s_count))
    g_last = np.empty(s_count)
    f_last = np.empty(s_count)
    meta = np.zeros(3, dtype=np.int64)
    smem = np.zeros(SPLIT_MEMORY)  # noqa: F841 - a split step's memory (see ModelSpec)
    for i in range(n):
        if status[i] >= 0:
            continue
        p = P[i]  # MEMBER-PARAMETERS
        dt = 60.0 / p[hr_col] / steps
        h_pre = 0.5 * dt  # noqa: F841 - the split step before the next RK4 step, if any
        smem[:] = 0.0
        smem[0] = dt
        y = Y0[i].copy()
        prev = y.copy()
        code = NOT_PERIODIC
        meta[:] = 0
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
                pass  # MODEL-SPLIT-PRE
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
                pass  # MODEL-SPLIT-STEP
            beats[i] = b + 1
            err = 0.0
            bad = False
            for j in range(s_count):
                if not (np.isfinite(y[j]) and abs(y[j]) < BLOW_UP):
                    bad = True
                err = max(err, abs((y[j] - prev[j]) / atol[j]))
            if bad:
                code = DIVERGED
                break
            if err <= 1.0 and b + 1 >= min_beats:
                code = PERIODIC
                break
            # Start the next beat from the Anderson combination of the last beats (see
            # acceleration.py); the stop test above still needs a plain integrated beat.
            if accelerate:
                anderson_update(y, prev, atol, dg, df, g_last, f_last, meta)
            for j in range(s_count):
                prev[j] = y[j]
        status[i] = code
        yend[i] = y

"""Fixed-step RK4 integration of an ensemble, beat by beat, to a periodic steady state.

Each member takes the same number of steps per beat (so its step is its own beat length
divided by ``steps``), which keeps beats aligned in step index whatever the heart rate. After
every beat the state at the beat's start is compared with the previous one; a member stops as
soon as every state changed by less than its tolerance (``StateSpec.atol``), and the beat just
integrated, which was recorded, is its periodic solution. RK4 preserves linear invariants, so
the loop's blood volume is conserved to round-off.

Two paths give the same answer: a numba kernel (members in parallel, each in a tight scalar
loop) and plain numpy (members vectorised on the last axis).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from twinviewer.physiology.acceleration import MEMORY, anderson_update
from twinviewer.physiology.jit import HAVE_NUMBA, python_function
from twinviewer.physiology.kernels import get_kernel

# Member status codes.
PERIODIC = 0
NOT_PERIODIC = 1
DIVERGED = 2
INVALID = 3
CANCELLED = 4

#: A state beyond this magnitude (mL, mmHg, mL/s) counts as a blown-up integration.
BLOW_UP = 1e7
#: Size of a split step's memory (``ModelSpec.split_step``), as the kernel template's.
SPLIT_MEMORY = 8


def _with_drivers(rhs, drivers, n_drivers):
    """``rhs`` with the drivers evaluated at the same time, for the numpy path."""
    rhs, drivers = python_function(rhs), python_function(drivers)

    def rhs_(t, y, p, dydt):
        a = np.empty((n_drivers, y.shape[1]))
        drivers(t, p, a)
        rhs(t, y, p, dydt, a)

    return rhs_


def _split_numpy(split_step, drivers, n_drivers):
    """``split_step(t, dt, y, p, mem)`` (also ``split_rhs(t, dt, y, p, dydt, mem)``) for
    the numpy path, with the drivers at ``t`` before ``mem`` if the model declares them."""
    split_step = python_function(split_step)
    if drivers is None:
        return split_step
    drivers = python_function(drivers)

    def split_(t, dt, y, p, *rest):
        a = np.empty((n_drivers, y.shape[1]))
        drivers(t, p, a)
        split_step(t, dt, y, p, *rest[:-1], a, rest[-1])

    return split_


def _rk4_beats_numpy(rhs, Y0, P, hr_col, steps, stride, min_beats, max_beats, atol,
                     accelerate, rec, status, beats, yend, split_step=None, split_rhs=None):
    # ``rhs``, ``split_step`` and ``split_rhs`` are plain Python here (see python_function).
    todo = np.flatnonzero(status < 0)
    y = Y0[todo].T.copy()  # (S, n)
    prev = y.copy()
    n_beat = np.zeros(todo.size, dtype=np.int64)
    n, s_count = Y0.shape
    dg = np.empty((n, MEMORY, s_count))  # Anderson history, per member (see acceleration.py)
    df = np.empty((n, MEMORY, s_count))
    g_last = np.empty((n, s_count))
    f_last = np.empty((n, s_count))
    meta = np.zeros((n, 3), dtype=np.int64)
    k1, k2, k3, k4 = (np.empty_like(y) for _ in range(4))
    mem = np.zeros((SPLIT_MEMORY, todo.size))  # each member's split memory, as the kernel's
    for b in range(max_beats):
        if todo.size == 0:
            break
        p = P[todo].T
        dt = 60.0 / p[hr_col] / steps
        mem[0] = dt
        h_pre = 0.5 * dt
        for s in range(steps):
            if s % stride == 0:
                rec[todo, :, s // stride] = y.T
            t = s * dt
            if split_rhs is not None:  # Strang splitting, as the kernel template
                split_rhs(t, h_pre, y, p, k1, mem)
            else:
                if split_step is not None:
                    split_step(t, h_pre, y, p, mem)
                rhs(t, y, p, k1)
            if (split_step is not None) and s % stride == 0 and s > 0:
                rec[todo, :, s // stride] = 0.5 * (rec[todo, :, s // stride] + y.T)
            rhs(t + 0.5 * dt, y + 0.5 * dt * k1, p, k2)
            rhs(t + 0.5 * dt, y + 0.5 * dt * k2, p, k3)
            rhs(t + dt, y + dt * k3, p, k4)
            y += dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            if split_step is not None:
                if s + 1 == steps:
                    split_step(t + dt, 0.5 * dt, y, p, mem)
                    h_pre = 0.5 * dt
                else:
                    h_pre = dt
        n_beat += 1
        bad = ~np.all(np.isfinite(y) & (np.abs(y) < BLOW_UP), axis=0)
        err = np.max(np.abs((y - prev) / atol[:, None]), axis=0)
        done = bad | ((err <= 1.0) & (n_beat >= min_beats)) | (b == max_beats - 1)
        idx = todo[done]
        status[idx] = np.where(bad[done], DIVERGED,
                               np.where(err[done] <= 1.0, PERIODIC, NOT_PERIODIC))
        beats[idx] = n_beat[done]
        yend[idx] = y[:, done].T
        keep = ~done
        todo, y, prev, n_beat = todo[keep], y[:, keep], prev[:, keep], n_beat[keep]
        mem = mem[:, keep]
        if accelerate:  # the same scalar update as the compiled kernel, member by member
            for k, i in enumerate(todo):
                col, start = y[:, k].copy(), prev[:, k].copy()
                anderson_update(col, start, atol, dg[i], df[i], g_last[i], f_last[i], meta[i])
                y[:, k] = col
        prev = y.copy()
        k1, k2, k3, k4 = (np.empty_like(y) for _ in range(4))


def integrate_to_periodic(rhs, Y0: np.ndarray, P: np.ndarray, hr_col: int, *, steps: int,
                          samples: int, min_beats: int, max_beats: int, atol: np.ndarray,
                          status: np.ndarray, accelerate: bool = True,
                          method: str = "auto", threads: int | None = None,
                          drivers=None, n_drivers: int = 0, split_step=None,
                          split_rhs=None):
    """Integrate every member whose ``status`` is negative until its beat is periodic.

    Parameters
    ----------
    rhs
        Model right-hand side ``rhs(t, y, p, dydt)``.
    Y0, P
        Start states (N, S) and parameters (N, P).
    steps, samples
        RK4 steps per beat and recorded samples per beat (``steps`` must be a multiple).
    status
        (N,) int array; members with a status ≥ 0 are skipped. Filled on return.
    accelerate
        Start each beat from the Anderson combination of the last beats
        (:mod:`.acceleration`); the returned beat is always a plain integrated, periodic
        beat.
    method
        ``'numba'``, ``'numpy'`` or ``'auto'``.
    drivers, n_drivers
        The model's time-only inputs, if it declares them (see :class:`ModelSpec`).
    split_step
        The model's closed-form update of its stiff states after each RK4 step, if it
        declares one (see :class:`ModelSpec`).
    split_rhs
        The split step and the right-hand side in one call, if the model declares it (see
        :class:`ModelSpec`): used at the start of each RK4 step, with the same result.
    threads
        Threads of the compiled path; default ``NUMBA_NUM_THREADS`` (the number of cores
        unless that variable says otherwise).

    Returns
    -------
    rec : (N, S, samples) states over the last beat integrated
    beats : (N,) number of beats integrated
    yend : (N, S) state at the end of the last beat (start of the next: a warm start)
    """
    if steps % samples:
        raise ValueError(f"steps per beat ({steps}) must be a multiple of samples ({samples})")
    n, s_count = Y0.shape
    rec = np.full((n, s_count, samples), np.nan)
    beats = np.zeros(n, dtype=np.int64)
    yend = np.array(Y0, dtype=float)
    args = (np.ascontiguousarray(Y0, float), np.ascontiguousarray(P, float), hr_col, steps,
            steps // samples, min_beats, max_beats, np.asarray(atol, float), bool(accelerate), rec,
            status, beats, yend)
    if method == "auto":
        method = "numba" if HAVE_NUMBA else "numpy"
    if method == "numba":
        if not HAVE_NUMBA:
            raise RuntimeError("numba is not available (or TWINVIEWER_NUMBA=0)")
        _run_threaded(get_kernel(rhs, drivers, n_drivers, split_step, n_params=P.shape[1],
                                 n_states=s_count, split_rhs=split_rhs), args, n, threads)
    elif method == "numpy":
        pure = (python_function(rhs) if drivers is None
                else _with_drivers(rhs, drivers, n_drivers))
        split, fused = (None if f is None else _split_numpy(f, drivers, n_drivers)
                        for f in (split_step, split_rhs))
        _rk4_beats_numpy(pure, *args, split_step=split, split_rhs=fused)
    else:
        raise ValueError(f"unknown integration method {method!r}")
    return rec, beats, yend


def _run_threaded(kernel, args, n: int, threads: int | None = None) -> None:
    """Run a nogil kernel over contiguous blocks of members on ``threads`` cores.

    Four blocks per thread: members need different numbers of beats, and smaller blocks
    keep both cores busy to the end."""
    y0, p, hr_col, steps, stride, min_b, max_b, atol, acc, rec, status, beats, yend = args
    if threads is None:
        import numba

        threads = numba.config.NUMBA_NUM_THREADS
    # TWINVIEWER_THREADS caps the engine's threads (cohort workers set 1: Dask owns the cores)
    cap = int(os.environ.get("TWINVIEWER_THREADS", "0") or 0) or os.cpu_count() or 1
    n_threads = max(1, min(threads, cap, n // 8 or 1))
    if n_threads == 1:
        kernel(*args)
        return
    blocks = min(4 * n_threads, max(n_threads, n // 8))
    bounds = np.linspace(0, n, blocks + 1).astype(int)
    with ThreadPoolExecutor(n_threads) as pool:
        futures = [
            pool.submit(kernel, y0[a:b], p[a:b], hr_col, steps, stride, min_b, max_b, atol, acc,
                        rec[a:b], status[a:b], beats[a:b], yend[a:b])
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        for f in futures:
            f.result()

"""Anderson acceleration of the beat-to-beat map, per ensemble member.

Finding the periodic steady state is a fixed-point problem: ``F(x)`` is the state after one
beat started at ``x``, and the limit cycle is ``x = F(x)``. Integrating beat after beat is
the plain fixed-point iteration; its slow modes (blood settling between compartments) decay
by a factor per beat close to one, so a cold start takes a dozen beats or more. Anderson
acceleration (type II, Walker & Ni, SIAM J Numer Anal 2011) combines the last few beats:
with residuals ``g_k = (F(x_k) − x_k)`` scaled by each state's tolerance, it takes the
combination of recent beats whose residuals cancel best (a small least-squares problem,
solved here by modified Gram–Schmidt) and starts the next beat there. Several slow modes are
removed at once, where a one-direction (Aitken) jump removes one.

The combination is affine (its weights sum to one), so linear invariants such as the blood
volume of a closed loop are kept. The stop test is unchanged: a member is periodic when a
plain integrated beat returns to its start within tolerance, so acceleration changes how
fast the limit cycle is found, never what counts as found.

One scalar function serves both engine paths (compiled per member inside the kernel, and
called per member from the numpy path), so both give the same answer to round-off.
"""

from __future__ import annotations

import numpy as np

from twinviewer.physiology.jit import HAVE_NUMBA

#: Beats kept in the history (memory of the least-squares problem).
MEMORY = 3
#: A history column whose orthogonal part is below this fraction of its norm is dropped.
DROP = 1e-8


def anderson_update(y, prev, atol, dg, df, g_last, f_last, meta):
    """Replace ``y = F(prev)`` in place by the Anderson-accelerated next start.

    Parameters
    ----------
    y
        (S,) state at the end of the beat just integrated, ``F(prev)``; overwritten.
    prev
        (S,) state at the start of that beat.
    atol
        (S,) per-state tolerances (the residual's scale).
    dg, df
        (MEMORY, S) history of residual and end-state differences (circular).
    g_last, f_last
        (S,) previous beat's scaled residual and end state.
    meta
        (3,) int64: number of stored pairs, next slot, whether ``g_last`` is set. Zero it
        for a new member.

    Examples
    --------
    >>> import numpy as np
    >>> S = 2; dg = np.zeros((MEMORY, S)); df = np.zeros((MEMORY, S))
    >>> gl = np.zeros(S); fl = np.zeros(S); meta = np.zeros(3, dtype=np.int64)
    >>> x = np.array([1.0, 1.0])
    >>> for _ in range(4):  # F(x) = A x with a fixed point at 0
    ...     y = np.array([0.9 * x[0], 0.5 * x[1]])
    ...     anderson_update(y, x, np.ones(S), dg, df, gl, fl, meta)
    ...     x = y
    >>> bool(np.abs(x).max() < 1e-8)
    True
    """
    s_count = y.shape[0]
    m_max = dg.shape[0]
    g = np.empty(s_count)
    for j in range(s_count):
        g[j] = (y[j] - prev[j]) / atol[j]
    if meta[2] == 1:
        slot = meta[1]
        for j in range(s_count):
            dg[slot, j] = g[j] - g_last[j]
            df[slot, j] = y[j] - f_last[j]
        meta[1] = (slot + 1) % m_max
        meta[0] = min(meta[0] + 1, m_max)
    for j in range(s_count):
        g_last[j] = g[j]
        f_last[j] = y[j]
    meta[2] = 1
    k = meta[0]
    if k == 0:
        return
    # Least squares min ‖g − ΔG γ‖ by modified Gram–Schmidt on the stored columns.
    q = np.empty((k, s_count))
    r = np.zeros((k, k))
    keep = np.zeros(k)
    for c in range(k):
        norm0 = 0.0
        for j in range(s_count):
            q[c, j] = dg[c, j]
            norm0 += q[c, j] * q[c, j]
        norm0 = np.sqrt(norm0)
        for c2 in range(c):
            if keep[c2] > 0.0:
                dot = 0.0
                for j in range(s_count):
                    dot += q[c2, j] * q[c, j]
                r[c2, c] = dot
                for j in range(s_count):
                    q[c, j] -= dot * q[c2, j]
        nrm = 0.0
        for j in range(s_count):
            nrm += q[c, j] * q[c, j]
        nrm = np.sqrt(nrm)
        if not nrm > DROP * norm0:
            continue
        keep[c] = 1.0
        r[c, c] = nrm
        for j in range(s_count):
            q[c, j] /= nrm
    qg = np.zeros(k)
    for c in range(k):
        if keep[c] > 0.0:
            acc = 0.0
            for j in range(s_count):
                acc += q[c, j] * g[j]
            qg[c] = acc
    gamma = np.zeros(k)
    for c in range(k - 1, -1, -1):
        if keep[c] > 0.0:
            acc = qg[c]
            for c2 in range(c + 1, k):
                acc -= r[c, c2] * gamma[c2]
            gamma[c] = acc / r[c, c]
    ok = True
    for j in range(s_count):
        step = 0.0
        for c in range(k):
            step += gamma[c] * df[c, j]
        if not np.isfinite(step):
            ok = False
        g[j] = step  # reuse as scratch
    if ok:
        for j in range(s_count):
            y[j] -= g[j]


def __getattr__(name: str):
    # the compiled helper is made on first use (by a kernel): importing this module, as
    # every reader of a twin does, must not import numba (see physiology/jit.py)
    if name != "anderson_update_compiled":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if HAVE_NUMBA:
        import numba

        value = numba.njit(nogil=True, cache=False, error_model="numpy")(anderson_update)
    else:  # pragma: no cover - the no-numba CI job
        value = anderson_update
    globals()[name] = value
    return value

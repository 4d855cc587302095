"""Ensembles of parameter sets: sampling around a twin's values from the model's priors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twinviewer.physiology.model import ModelSpec


def sample_prior(model: ModelSpec, n: int, *, base: np.ndarray | None = None,
                 names: Sequence[str] | None = None, seed: int | None = 0,
                 scramble: bool = True) -> np.ndarray:
    """Sample ``n`` parameter sets from the priors, centred on ``base``.

    Each parameter's prior shape (log-normal, normal, uniform) is moved to the base value, so
    a preset or a calibrated twin keeps its own values as the centre; parameters not in
    ``names`` stay at their base value. Draws use a scrambled Sobol' sequence
    (:mod:`scipy.stats.qmc`) and are clipped to each parameter's plausible range.

    Parameters
    ----------
    model
        The model declaration.
    n
        Number of members.
    base
        (P,) centre values; the model defaults if None.
    names
        Parameters to vary; all parameters if None.
    seed
        Seed of the scrambled sequence.

    Returns
    -------
    (n, P) array
    """
    base = model.default_vector() if base is None else np.asarray(base, dtype=float)
    cols = [model.index(name) for name in (names or model.parameter_names)]
    out = np.tile(base, (n, 1))
    if not cols or n == 0:
        return out
    from scipy.stats import qmc  # imported here: scipy.stats costs ~1 s at start-up

    sampler = qmc.Sobol(d=len(cols), scramble=scramble, seed=seed)
    m = int(np.ceil(np.log2(max(n, 2))))
    u = sampler.random_base2(m)[:n]
    u = np.clip(u, 1e-9, 1 - 1e-9)
    for k, j in enumerate(cols):
        par = model.parameters[j]
        out[:, j] = par.prior.centred(base[j]).ppf(u[:, k])
        out[:, j] = np.clip(out[:, j], *par.plausible)
    return out

"""Global sensitivity: Sobol first-order and total indices with confidence intervals.

Two estimators over the same box of parameter ranges (uniform on each range):

* ``'saltelli'``: SALib's Saltelli/Sobol' design (N·(d+2) runs) and Jansen/Saltelli
  estimators with bootstrap confidence intervals; convergence is judged from the interval
  widths and from the change between the first N/2 and all N base samples.
* ``'pce'``: a polynomial chaos surrogate (:mod:`twinviewer.explain.surrogate`) fitted on a
  quasi-random design, indices from its coefficients, intervals by bootstrap refits, and the
  surrogate's leave-one-out error reported beside them.

The model is any ``evaluate(X) -> {output: (n,)}``; :func:`model_evaluator` wraps the ensemble
engine (chunks, warm start, progress and cancel hooks).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import qmc

from twinviewer.explain import surrogate
from twinviewer.physiology import Cancelled, ModelSpec, Settings, simulate

Evaluate = Callable[[np.ndarray], Mapping[str, np.ndarray]]
Progress = Callable[[float, str], None]
#: ``mapper(evaluate, blocks, outputs, done)`` evaluates every block (e.g. on a Dask cluster,
#: see :func:`twinviewer.cohort.cluster.sobol_mapper`), calling ``done(rows)`` as each block
#: completes, and returns ``[{output: values}]`` in the order of ``blocks``.
Mapper = Callable[[Evaluate, list[np.ndarray], Sequence[str], Callable[[int], None]],
                  list[Mapping[str, np.ndarray]]]

#: Convergence threshold: the largest 95 % CI half-width, and the largest change of an index
#: between N/2 and N base samples, must both be below it.
CI_THRESHOLD = 0.05
#: Surrogate indices are trusted only if the leave-one-out error is below this.
SURROGATE_MAX_ERROR = 0.05
#: Share of failed runs above which indices are not called converged.
MAX_FAILED_SHARE = 0.01


@dataclass(frozen=True)
class SobolIndices:
    """Sobol indices of one output.

    ``S1_conf`` / ``ST_conf`` are half-widths of 95 % confidence intervals. ``stability`` is
    the largest change of any index between half and all the base samples (Saltelli), or
    NaN for the surrogate. ``validation_error`` is the surrogate's relative leave-one-out
    error (None for direct sampling).
    """

    output: str
    names: tuple[str, ...]
    S1: np.ndarray
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    method: str
    n_base: int
    n_runs: int
    n_failed: int
    stability: float
    converged: bool
    validation_error: float | None = None
    notes: tuple[str, ...] = ()

    def ranked(self, top: int | None = None) -> list[tuple[str, float, float]]:
        """(name, ST, ST_conf) by decreasing total index."""
        order = np.argsort(-np.nan_to_num(self.ST, nan=-1.0), kind="stable")
        out = [(self.names[i], float(self.ST[i]), float(self.ST_conf[i])) for i in order]
        return out[:top] if top is not None else out

    def to_dict(self) -> dict:
        return {
            "output": self.output, "method": self.method, "n_base": self.n_base,
            "n_runs": self.n_runs, "n_failed": self.n_failed, "converged": self.converged,
            "stability": None if np.isnan(self.stability) else self.stability,
            "validation_error": self.validation_error, "notes": list(self.notes),
            "indices": {n: {"S1": float(self.S1[i]), "S1_conf": float(self.S1_conf[i]),
                            "ST": float(self.ST[i]), "ST_conf": float(self.ST_conf[i])}
                        for i, n in enumerate(self.names)},
        }


@dataclass(frozen=True)
class SobolResult:
    """Indices of several outputs over one box of parameter ranges."""

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    indices: dict[str, SobolIndices]
    elapsed: float
    extra: dict = field(default_factory=dict)

    def __getitem__(self, output: str) -> SobolIndices:
        return self.indices[output]


def _check_box(names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> None:
    if len(names) == 0:
        raise ValueError("Sobol analysis needs at least one parameter")
    if len(set(names)) != len(names):
        raise ValueError(f"parameter names repeat: {list(names)}")
    if len(bounds) != len(names):
        raise ValueError(f"{len(names)} parameters but {len(bounds)} ranges")
    for n, (lo, hi) in zip(names, bounds, strict=True):
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"range of {n} must be finite with low < high, got {lo}–{hi}")


def _power_of_two(n: int) -> int:
    if n < 4:
        raise ValueError(f"Sobol analysis needs at least 4 base samples, got {n}")
    return 1 << int(np.ceil(np.log2(n)))


def _run_chunks(evaluate: Evaluate, X: np.ndarray, outputs: Sequence[str], chunk: int,
                progress: Progress | None, cancel: Callable[[], bool] | None,
                label: str, mapper: Mapper | None = None) -> dict[str, np.ndarray]:
    n = X.shape[0]
    Y = {o: np.full(n, np.nan) for o in outputs}
    if mapper is not None:
        starts = list(range(0, n, chunk))
        done = [0]

        def block_done(rows: int) -> None:
            done[0] += rows
            if progress is not None:
                progress(done[0] / n, f"{label}: {done[0]} of {n} runs")

        got = mapper(evaluate, [X[a:a + chunk] for a in starts], list(outputs), block_done)
        for a, g in zip(starts, got, strict=True):
            for o in outputs:
                try:
                    Y[o][a:a + chunk] = np.asarray(g[o], dtype=float).reshape(-1)
                except KeyError:
                    raise ValueError(f"the model gave no output {o!r}") from None
        return Y
    for a in range(0, n, chunk):
        if cancel is not None and cancel():
            raise Cancelled(f"{label} cancelled after {a} of {n} runs")
        b = min(n, a + chunk)
        got = evaluate(X[a:b])
        for o in outputs:
            try:
                Y[o][a:b] = np.asarray(got[o], dtype=float).reshape(-1)
            except KeyError:
                raise ValueError(f"the model gave no output {o!r}") from None
        if progress is not None:
            progress(b / n, f"{label}: {b} of {n} runs")
    return Y


def _impute(y: np.ndarray) -> tuple[np.ndarray, int]:
    bad = ~np.isfinite(y)
    if bad.any() and not bad.all():
        y = y.copy()
        y[bad] = np.mean(y[~bad])
    return y, int(bad.sum())


def _salib_indices(problem: dict, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    from SALib.analyze import sobol as salib_sobol

    d = problem["num_vars"]
    if np.var(y) <= 1e-24 * max(1.0, float(np.mean(y)) ** 2):
        z = np.zeros(d)
        return z, z, z, z
    r = salib_sobol.analyze(problem, y, calc_second_order=False, num_resamples=200,
                            conf_level=0.95, seed=seed)
    return (np.asarray(r["S1"]), np.asarray(r["S1_conf"]), np.asarray(r["ST"]),
            np.asarray(r["ST_conf"]))


def saltelli(evaluate: Evaluate, names: Sequence[str], bounds: Sequence[tuple[float, float]],
             outputs: Sequence[str], n_base: int = 256, *, seed: int = 0, chunk: int = 1024,
             progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
             ci_threshold: float = CI_THRESHOLD, mapper: Mapper | None = None
             ) -> SobolResult:
    """Sobol indices by direct Saltelli sampling (SALib), N·(d+2) evaluations.

    Parameters
    ----------
    evaluate
        ``evaluate(X (n, d)) -> {output: (n,)}``; NaN marks a failed run (replaced by the
        output's mean, counted in ``n_failed``).
    names, bounds
        Parameters and their (low, high) ranges; inputs are uniform on the box.
    outputs
        Output names to analyse.
    n_base
        Base samples N (rounded up to a power of two).
    progress, cancel
        Hooks called between chunks; ``cancel() -> True`` raises :class:`Cancelled`.
    ci_threshold
        Largest 95 % CI half-width (and N/2 → N change) of a converged output.
    mapper
        Evaluates the chunks elsewhere (a Dask cluster); default: here, one after another.
    """
    from SALib.sample import sobol as salib_sample

    _check_box(names, bounds)
    n_base = _power_of_two(n_base)
    d = len(names)
    problem = {"num_vars": d, "names": list(names), "bounds": [list(b) for b in bounds]}
    X = salib_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    # Chunks hold whole Saltelli blocks [A, AB_1..AB_d, B] so an evaluator may use the block
    # structure (see model_evaluator's ``block``).
    chunk = max(d + 2, chunk // (d + 2) * (d + 2))
    t0 = time.perf_counter()
    Y = _run_chunks(evaluate, X, outputs, chunk, progress, cancel, "Sobol sampling", mapper)
    elapsed = time.perf_counter() - t0
    half = (n_base // 2) * (d + 2)
    out: dict[str, SobolIndices] = {}
    for o in outputs:
        y, failed = _impute(Y[o])
        notes: list[str] = []
        if failed == y.size:
            nan = np.full(d, np.nan)
            out[o] = SobolIndices(o, tuple(names), nan, nan, nan, nan, "saltelli", n_base,
                                  y.size, failed, np.nan, False,
                                  notes=("every run failed",))
            continue
        s1, s1c, st, stc = _salib_indices(problem, y, seed)
        h1, _, ht, _ = _salib_indices(problem, y[:half], seed)
        stability = float(np.nanmax(np.abs(np.r_[st - ht, s1 - h1])))
        width = float(np.nanmax(np.r_[s1c, stc]))
        if failed:
            notes.append(f"{failed} of {y.size} runs failed (replaced by the mean)")
        if np.var(y) == 0:
            notes.append("output does not vary over the ranges")
        converged = (width <= ci_threshold and stability <= ci_threshold
                     and failed <= MAX_FAILED_SHARE * y.size)
        if not converged:
            notes.append(f"not converged: largest CI half-width {width:.3f}, change from "
                         f"N/2 to N {stability:.3f} (threshold {ci_threshold}); "
                         f"increase N (currently {n_base})")
        out[o] = SobolIndices(o, tuple(names), s1, s1c, st, stc, "saltelli", n_base, y.size,
                              failed, stability, converged, notes=tuple(notes))
    return SobolResult(tuple(names), tuple(map(tuple, bounds)), out, elapsed)


def polynomial_chaos(evaluate: Evaluate, names: Sequence[str],
                     bounds: Sequence[tuple[float, float]], outputs: Sequence[str],
                     n_train: int = 512, *, max_degree: int = 3, seed: int = 0,
                     chunk: int = 1024, progress: Progress | None = None,
                     cancel: Callable[[], bool] | None = None,
                     ci_threshold: float = CI_THRESHOLD) -> SobolResult:
    """Sobol indices from a polynomial chaos surrogate fitted on ``n_train`` runs.

    The degree (≤ ``max_degree``) is chosen per output by leave-one-out error, which is
    reported as ``validation_error``; confidence half-widths are 1.96 bootstrap standard
    deviations. Failed runs are left out of the fit.
    """
    _check_box(names, bounds)
    n_train = _power_of_two(n_train)
    d = len(names)
    U = qmc.Sobol(d, scramble=True, seed=seed).random(n_train) * 2.0 - 1.0
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    X = lo + (U + 1.0) / 2.0 * (hi - lo)
    t0 = time.perf_counter()
    Y = _run_chunks(evaluate, X, outputs, chunk, progress, cancel, "surrogate training")
    elapsed = time.perf_counter() - t0
    out: dict[str, SobolIndices] = {}
    for o in outputs:
        ok = np.isfinite(Y[o])
        failed = int((~ok).sum())
        notes: list[str] = []
        try:
            pce = surrogate.best_fit(U[ok], Y[o][ok], max_degree)
        except ValueError as exc:
            nan = np.full(d, np.nan)
            out[o] = SobolIndices(o, tuple(names), nan, nan, nan, nan, "pce", n_train,
                                  n_train, failed, np.nan, False, None, (str(exc),))
            continue
        s1, st = pce.sobol()
        deg = int(pce.alphas.sum(axis=1).max())
        b1, bt = surrogate.bootstrap_sobol(U[ok], Y[o][ok], deg, seed=seed)
        s1c, stc = 1.96 * b1, 1.96 * bt
        width = float(np.nanmax(np.r_[s1c, stc]))
        converged = (pce.loo_error <= SURROGATE_MAX_ERROR and width <= ci_threshold
                     and failed <= MAX_FAILED_SHARE * n_train)
        notes.append(f"degree-{deg} polynomial chaos on {int(ok.sum())} runs, "
                     f"leave-one-out error {100 * pce.loo_error:.1f} % of the output's SD")
        if failed:
            notes.append(f"{failed} of {n_train} runs failed (left out of the fit)")
        if not converged:
            notes.append(f"not trusted: validation error {100 * pce.loo_error:.1f} % "
                         f"(limit {100 * SURROGATE_MAX_ERROR:.0f} %), largest CI half-width "
                         f"{width:.3f} (limit {ci_threshold})")
        out[o] = SobolIndices(o, tuple(names), s1, s1c, st, stc, "pce", n_train, n_train,
                              failed, np.nan, converged, pce.loo_error, tuple(notes))
    return SobolResult(tuple(names), tuple(map(tuple, bounds)), out, elapsed)


# ---------------------------------------------------------------------- the ensemble engine
def parameter_ranges(model: ModelSpec, base: np.ndarray, names: Sequence[str], *,
                     level: float = 0.9, ensemble: np.ndarray | None = None
                     ) -> list[tuple[float, float]]:
    """Ranges for a Sobol analysis around a twin.

    With ``ensemble`` (a calibrated posterior), the central ``level`` interval of each
    parameter's members; otherwise the prior's central ``level`` interval re-centred on the
    twin's value. Both are clipped to the plausible range.
    """
    base = np.asarray(base, dtype=float)
    a = (1.0 - level) / 2.0
    out = []
    for n in names:
        j = model.index(n)
        par = model.parameters[j]
        if ensemble is not None:
            lo, hi = np.quantile(np.asarray(ensemble)[:, j], [a, 1.0 - a])
        else:
            lo, hi = par.prior.centred(base[j]).interval(level)
        lo, hi = max(lo, par.plausible[0]), min(hi, par.plausible[1])
        if not lo < hi:
            raise ValueError(f"{n} has no spread to analyse (range {lo:g}–{hi:g} {par.unit}); "
                             f"leave it out of the Sobol parameters")
        out.append((float(lo), float(hi)))
    return out


def model_evaluator(model: ModelSpec, base: np.ndarray, names: Sequence[str], *,
                    warm_start: np.ndarray | None = None, settings: Settings | None = None,
                    block: int | None = None,
                    derived: Callable[[np.ndarray], None] | None = None) -> Evaluate:
    """``evaluate(X)`` that sets the named columns of ``base`` from X and runs the ensemble
    engine, returning every metric.

    Parameters
    ----------
    warm_start
        The base's periodic state; every member starts from it.
    block
        Saltelli block length d + 2 (rows [A, AB_1..AB_d, B]). Then the A and B rows run
        first and each AB_i row starts from its A row's periodic state: AB_i differs from A
        in one parameter, so it reaches its own periodic state in about a third fewer beats.
    derived
        ``derived(P)`` updates parameters that follow from the sampled ones, in place.
    """
    base = np.asarray(base, dtype=float)
    cols = [model.index(n) for n in names]
    ws = None if warm_start is None else np.asarray(warm_start, dtype=float).reshape(1, -1)

    def evaluate(X: np.ndarray) -> dict[str, np.ndarray]:
        P = np.tile(base, (X.shape[0], 1))
        P[:, cols] = X
        if derived is not None:
            derived(P)
        w = None if ws is None else np.repeat(ws, X.shape[0], axis=0)
        if block is None or X.shape[0] % block:
            return simulate(model, P, warm_start=w, settings=settings).metrics
        pos = np.arange(X.shape[0]) % block
        first = (pos == 0) | (pos == block - 1)
        r1 = simulate(model, P[first], warm_start=None if w is None else w[first],
                      settings=settings)
        a_state = r1.final_state[0::2]  # rows A of each block (A, B alternate in `first`)
        rest = ~first
        w2 = np.repeat(a_state, block - 2, axis=0)
        bad = ~r1.ok[0::2]
        if w is not None and bad.any():  # an A that failed: start its block from the base
            w2[np.repeat(bad, block - 2)] = ws
        r2 = simulate(model, P[rest], warm_start=w2, settings=settings)
        out = {}
        for k, v in r1.metrics.items():
            y = np.empty(X.shape[0])
            y[first], y[rest] = v, r2.metrics[k]
            out[k] = y
        return out

    return evaluate


def model_sobol(model: ModelSpec, base: np.ndarray, names: Sequence[str],
                outputs: Sequence[str], *, n: int = 256, method: str = "saltelli",
                ensemble: np.ndarray | None = None, level: float = 0.9, seed: int = 0,
                warm_start: np.ndarray | None = None, settings: Settings | None = None,
                progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
                ci_threshold: float = CI_THRESHOLD, mapper: Mapper | None = None
                ) -> SobolResult:
    """Sobol indices of clinical metrics of a model around one parameter vector.

    ``method='saltelli'`` uses ``n`` base samples (n·(d+2) runs); ``'pce'`` uses ``n``
    training runs for the surrogate. See :func:`parameter_ranges` for the ranges.
    ``mapper`` (Saltelli only) runs the chunks on a cluster; ``ci_threshold`` is the
    convergence verdict's largest CI half-width.
    """
    from twinviewer.physiology import METRIC_BY_NAME

    unknown = [o for o in outputs if o not in METRIC_BY_NAME]
    if unknown:
        raise ValueError(f"unknown metric {unknown[0]!r}; choose one of: "
                         f"{', '.join(METRIC_BY_NAME)}")
    bounds = parameter_ranges(model, base, names, level=level, ensemble=ensemble)
    evaluate = model_evaluator(model, base, names, warm_start=warm_start, settings=settings,
                               block=len(names) + 2 if method == "saltelli" else None)
    if method == "saltelli":
        res = saltelli(evaluate, names, bounds, outputs, n, seed=seed, progress=progress,
                       cancel=cancel, ci_threshold=ci_threshold, mapper=mapper)
    elif method == "pce":
        if mapper is not None:
            raise ValueError("the distributed path runs direct Saltelli sampling; drop "
                             "--surrogate or --distributed")
        res = polynomial_chaos(evaluate, names, bounds, outputs, n, seed=seed,
                               progress=progress, cancel=cancel, ci_threshold=ci_threshold)
    else:
        raise ValueError(f"unknown Sobol method {method!r}; use 'saltelli' or 'pce'")
    res.extra["ranges_from"] = "posterior ensemble" if ensemble is not None else \
        f"prior {int(round(100 * level))} % interval centred on the twin"
    return res

"""Simulate an ensemble to its periodic steady state and compute its clinical metrics.

A single twin is an ensemble of one. Members are independent: a member with implausible
parameters, one that diverges and one that never becomes periodic each get a message naming
the member and the cause, and every other member still returns its results.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from twinviewer.core.stats import central_interval
from twinviewer.physiology import integrator as ig
from twinviewer.physiology.metrics import METRIC_BY_NAME, compute_metrics
from twinviewer.physiology.model import ModelSpec

STATUS_TEXT = {
    ig.PERIODIC: "periodic",
    ig.NOT_PERIODIC: "not periodic",
    ig.DIVERGED: "diverged",
    ig.INVALID: "invalid parameters",
    ig.CANCELLED: "cancelled",
}


#: Fewest RK4 steps per beat of a coarse pass, and its beat limit (a member still moving
#: after that many coarse beats goes on to the fine pass from where it got to).
COARSE_MIN_STEPS = 100
COARSE_MAX_BEATS = 40


def _coarse_levels(steps: int) -> list[int]:
    """Steps per beat of the coarse passes before a fine pass of ``steps``: a quarter
    (if at least :data:`COARSE_MIN_STEPS`), then a half.

    (A model with a split step had none while its split was first order: the quarter-step
    limit cycle lay 0.3–1.9 mmHg from the fine one, physio6 note. The Strang split with a
    second-order valve step, engine6, put it back.)"""
    levels = [steps // d for d in (4, 2) if steps % d == 0 and steps // d >= COARSE_MIN_STEPS]
    return levels or ([steps // 2] if steps % 2 == 0 else [])


class Cancelled(Exception):
    """Raised when a caller's cancel hook asks a long run to stop."""


@dataclass(frozen=True)
class Settings:
    """Integration settings.

    ``steps_per_beat`` RK4 steps (None: the model's own, ``ModelSpec.steps_per_beat``,
    chosen by accuracy; 400 is 2 ms at 75 bpm) and ``samples_per_beat`` recorded
    samples of the final beat; a member is periodic once no state changes between two
    consecutive beat starts by more than its ``StateSpec.atol`` (0.02 mL, 0.02 mmHg,
    0.5 mL/s), checked from ``min_beats`` on and up to ``max_beats``. With ``coarse_start``
    a cold member first settles with fewer steps, then is refined; ``Results.beats``
    counts both passes. With ``accelerate`` each beat starts from the Anderson combination
    of the last beats (:mod:`.acceleration`), which removes the slow transients. Either
    way a periodic member lies within about 0.3 mL / 0.2 mmHg of the exact periodic
    solution (tested against a 100× tighter tolerance).
    """

    steps_per_beat: int | None = None
    samples_per_beat: int = 200
    min_beats: int = 2
    max_beats: int = 150
    coarse_start: bool = True
    accelerate: bool = True
    method: str = "auto"


@dataclass
class Results:
    """Simulation results of an ensemble (N members).

    Attributes
    ----------
    time : (N, n) time within the recorded beat, s (0 = ventricular onset)
    series : name → (N, n) states and outputs over that beat
    metrics : name → (N,) clinical metrics (NaN for members that failed)
    final_state : (N, S) state at the end of the beat: a warm start for the next run
    status : (N,) integrator status codes; ``ok`` is the mask of periodic members
    messages : per member, None or a message naming the member and the problem
    """

    model: ModelSpec
    params: np.ndarray
    time: np.ndarray
    series: dict[str, np.ndarray]
    metrics: dict[str, np.ndarray]
    final_state: np.ndarray
    status: np.ndarray
    beats: np.ndarray
    messages: list[str | None] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.params.shape[0]

    @property
    def ok(self) -> np.ndarray:
        return self.status == ig.PERIODIC

    def errors(self) -> list[str]:
        return [m for m in self.messages if m]

    def unit(self, name: str) -> str:
        """Unit of a metric, state or output."""
        if name in METRIC_BY_NAME:
            return METRIC_BY_NAME[name].unit
        return self.model.unit_of(name)

    def summary(self, name: str, level: float = 0.9) -> tuple[float, float, float]:
        """Median and central ``level`` interval of a metric over the periodic members."""
        return central_interval(self.metrics[name], level, mask=self.ok)

    def subset(self, index) -> Results:
        """The results of some members (an index array, slice or boolean mask)."""
        idx = np.arange(self.n)[index]
        return Results(
            self.model, self.params[idx], self.time[idx],
            {k: v[idx] for k, v in self.series.items()},
            {k: v[idx] for k, v in self.metrics.items()},
            self.final_state[idx], self.status[idx], self.beats[idx],
            [self.messages[i] for i in idx],
        )


_PRIOR_WIDTHS: dict[int, np.ndarray] = {}
#: Series the clinical metrics are computed from (the four-chamber roles of a model).
_METRIC_SERIES = {"V_LV", "p_LV", "p_AO", "Q_AV", "Q_MV", "Q_TV", "Q_VAD", "p_LA", "p_RA",
                  "p_AR_PUL", "V_RV"}


def _blame(model: ModelSpec, p: np.ndarray) -> str:
    """Name the parameter furthest from its default in units of its prior's 90 % width: the
    likeliest culprit of a failure."""
    widths = _PRIOR_WIDTHS.get(id(model))
    if widths is None:  # scipy.stats intervals are slow to build: once per model
        widths = np.array([np.subtract(*par.prior.interval(0.9)[::-1])
                           for par in model.parameters])
        _PRIOR_WIDTHS[id(model)] = widths
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(widths > 0, np.abs(p - model.default_vector()) / widths, -1.0)
    j = int(np.nanargmax(z))
    par = model.parameters[j]
    return f"{par.name} = {p[j]:.4g} {par.unit}"


#: Model name → ``runner(model, params, warm_start, settings) -> Results`` that runs the
#: model's ensembles elsewhere: the plugins layer sends plugin models to a worker process.
RUNNERS: dict[str, Callable] = {}


def simulate(model: ModelSpec, params: np.ndarray, *, warm_start: np.ndarray | None = None,
             settings: Settings | None = None,
             progress: Callable[[float, str], None] | None = None,
             cancel: Callable[[], bool] | None = None, chunk: int = 512) -> Results:
    """Integrate an ensemble to its periodic steady state.

    Parameters
    ----------
    model
        The model declaration.
    params
        (N, P) or (P,) parameter values in the model's units and order.
    warm_start
        (N, S) states to start from (e.g. each member's baseline ``final_state``); the
        blood volume is re-set to each member's ``V_total``. Members with a non-finite warm
        state start cold.
    settings
        Integration settings.
    progress, cancel
        Optional hooks called between chunks of members: ``progress(fraction, text)`` and
        ``cancel() -> bool`` (True raises :class:`Cancelled`).

    Returns
    -------
    Results
    """
    if model.name in RUNNERS:
        return RUNNERS[model.name](model, params, warm_start, settings)
    settings = settings or Settings()
    P = np.array(np.atleast_2d(params), dtype=float)
    if P.shape[1] != len(model.parameters):
        raise ValueError(f"{model.name}: expected {len(model.parameters)} parameters per "
                         f"member, got {P.shape[1]}")
    n = P.shape[0]
    status = np.full(n, -1, dtype=np.int64)
    messages: list[str | None] = [None] * n
    for i, msg in enumerate(model.check_parameters(P)):
        if msg:
            status[i] = ig.INVALID
            messages[i] = f"member {i}: {msg}"
    good = status < 0
    Y0 = np.full((n, len(model.states)), np.nan)
    if good.any():
        Y0[good] = model.initial_state(P[good])
    use = np.zeros(n, dtype=bool)
    if warm_start is not None:
        W = np.atleast_2d(np.asarray(warm_start, dtype=float))
        if W.shape != (n, len(model.states)):
            raise ValueError(f"{model.name}: warm_start must have shape ({n}, "
                             f"{len(model.states)}) (members × states), got {W.shape}")
        use = good & np.all(np.isfinite(W), axis=1)
        if use.any():
            Y0[use] = model.set_volume(W[use], P[use])
    hr_col = model.index(model.heart_rate_parameter)
    atol = np.array([s.atol for s in model.states])
    rec = np.full((n, len(model.states), settings.samples_per_beat), np.nan)
    beats = np.zeros(n, dtype=np.int64)
    yend = Y0.copy()
    cold = good.copy() if warm_start is None else good & ~use
    settled = np.zeros(n, dtype=bool)  # starts on its coarse limit cycle
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        if cancel is not None and cancel():
            raise Cancelled(f"simulation cancelled after {a} of {n} members")
        idx = np.arange(a, b)
        steps = settings.steps_per_beat or model.steps_per_beat
        coarse = idx[cold[idx]]
        for c_steps in (_coarse_levels(steps) if settings.coarse_start else ()):
            # Cold members first find their limit cycle with a quarter, then half the steps
            # (cheap, and within a few hundredths of a mL of the fine one); a member that
            # found it at one level needs only one beat to confirm it at the next, and the
            # fine pass below needs only a beat or two. A member that fails at a level goes
            # on from where it got to (a diverged one from its start).
            for group, min_beats in ((coarse[settled[coarse]], 1),
                                     (coarse[~settled[coarse]], settings.min_beats)):
                if group.size == 0:
                    continue
                st = status[group].copy()
                _, bt, ye = ig.integrate_to_periodic(
                    model.rhs, np.nan_to_num(Y0[group]), P[group], hr_col, steps=c_steps,
                    samples=1, min_beats=min_beats,
                    max_beats=min(settings.max_beats, COARSE_MAX_BEATS), atol=atol,
                    status=st, accelerate=settings.accelerate, method=settings.method,
                    drivers=model.drivers, n_drivers=model.n_drivers,
                    split_step=model.split_step, split_rhs=model.split_rhs)
                found = st == ig.PERIODIC
                moved = found | ((st == ig.NOT_PERIODIC) & np.all(np.isfinite(ye), axis=1))
                Y0[group[moved]] = ye[moved]
                settled[group] = found
                beats[group] += bt
        # A member that blows up is retried with a halved step (twice) before it is declared
        # divergent: stiff parameter sets need smaller steps than the typical member.
        for attempt in range(3):
            todo = idx[status[idx] < 0]
            if todo.size == 0:
                break
            # A member that starts on its coarse limit cycle is periodic as soon as one fine
            # beat returns to its start (it has already integrated min_beats coarse ones).
            first = settled[todo] if attempt == 0 else np.zeros(todo.size, dtype=bool)
            for group, min_beats in ((todo[first], 1), (todo[~first], settings.min_beats)):
                if group.size == 0:
                    continue
                st = status[group].copy()
                r, bt, ye = ig.integrate_to_periodic(
                    model.rhs, np.nan_to_num(Y0[group]), P[group], hr_col, steps=steps,
                    samples=settings.samples_per_beat, min_beats=min_beats,
                    max_beats=settings.max_beats, atol=atol, status=st,
                    accelerate=settings.accelerate, method=settings.method,
                    drivers=model.drivers, n_drivers=model.n_drivers,
                    split_step=model.split_step, split_rhs=model.split_rhs)
                rec[group], yend[group] = r, ye
                beats[group] += bt
                retry = (st == ig.DIVERGED) & (attempt < 2)
                st[retry] = -1
                status[group] = st
            steps *= 2
        if progress is not None:
            progress(b / n, f"simulated {b} of {n} members")
    for i in np.flatnonzero((status == ig.DIVERGED) | (status == ig.NOT_PERIODIC)):
        if status[i] == ig.DIVERGED:
            messages[i] = (f"member {i}: the solution diverged (non-finite or unbounded state) "
                           f"after {beats[i]} beats; most unusual parameter: "
                           f"{_blame(model, P[i])}")
        else:
            messages[i] = (f"member {i}: no periodic state within {settings.max_beats} beats "
                           f"(cycle-to-cycle change above tolerance); most unusual parameter: "
                           f"{_blame(model, P[i])}")
    return _assemble(model, P, rec, yend, status, beats, messages, settings.method)


def _outputs(model: ModelSpec, P: np.ndarray, rec: np.ndarray, time: np.ndarray,
             method: str) -> list[np.ndarray]:
    """The model's outputs at every recorded sample: one (N, n) array per output."""
    from twinviewer.physiology.jit import HAVE_NUMBA, python_function

    n, s_count, m = rec.shape
    if method != "numpy" and HAVE_NUMBA and n * m >= 4096:
        from twinviewer.physiology.kernels import get_observer

        out = np.empty((len(model.outputs), n, m))
        rec, P, time = (np.ascontiguousarray(a) for a in (rec, P, time))
        try:
            observer = get_observer(model.observe)
            half = n // 2  # two blocks of members, one per core (the observer drops the GIL)
            with ThreadPoolExecutor(2) as pool:
                for f in [pool.submit(observer, rec[a:b], P[a:b], time[a:b], out[:, a:b])
                          for a, b in ((0, half), (half, n))]:
                    f.result()
            return list(out)
        except Exception:  # noqa: BLE001 - e.g. outputs of mixed types: use numpy below
            pass
    # All members and samples at once, through the numpy path of `observe`.
    flat_y = rec.transpose(1, 0, 2).reshape(s_count, n * m)
    flat_p = np.repeat(P, m, axis=0).T
    outs = python_function(model.observe)(time.reshape(-1), flat_y, flat_p)
    return [np.broadcast_to(v, (n * m,)).reshape(n, m) for v in outs]


def _assemble(model, P, rec, yend, status, beats, messages, method="auto") -> Results:
    n, _, m = rec.shape
    period = 60.0 / P[:, model.index(model.heart_rate_parameter)]
    time = period[:, None] * np.arange(m)[None, :] / m
    series = {name: rec[:, j, :] for j, name in enumerate(model.state_names)}
    for name, values in zip(model.output_names, _outputs(model, P, rec, time, method),
                            strict=True):
        series[name] = values
    par = {name: P[:, j] for j, name in enumerate(model.parameter_names)}
    metrics: dict[str, np.ndarray] = {}
    if _METRIC_SERIES <= series.keys():  # a model without the four-chamber roles has none
        with np.errstate(invalid="ignore", divide="ignore"):
            metrics = compute_metrics(series, period, par)
    bad = status != ig.PERIODIC
    for v in metrics.values():
        v[bad] = np.nan
    for k in series:
        series[k] = np.array(series[k])
        series[k][bad] = np.nan
    return Results(model, P, time, series, metrics, yend, status, beats, messages)

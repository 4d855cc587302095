"""One chunk of a cohort: patients × members through baseline and scenarios (no Dask here).

A chunk is plain data (:class:`Chunk`) and its result a table (:func:`run_chunk`), so the same
function runs in-process, on a local cluster or on a remote worker, and gives the same rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twinviewer.cohort.spec import CohortSpec
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.compare import DIRECTIONS, Interval, harmed, improvement
from twinviewer.interventions.scenario import apply_scenario, lvef_of
from twinviewer.physiology import METRIC_BY_NAME, MODELS, ModelError, simulate

#: Statistic columns per metric: ``METRIC:STAT``.
STATS = ("baseline_median", "baseline_lo", "baseline_hi", "scenario_median", "scenario_lo",
         "scenario_hi", "diff_median", "diff_lo", "diff_hi", "improved", "worsened")


@dataclass(frozen=True)
class Chunk:
    """Work unit: some patients of a cohort.

    Attributes
    ----------
    index : chunk number (its file name in the run folder)
    patients : patient numbers (rows of the population)
    ids : pseudonyms (``virtual-000012`` or the twin's own)
    ensembles : per patient (M_i, P) parameter sets; None for a virtual population, whose
        members are generated on the worker from the spec (cheaper than shipping them)
    features : patient feature name → (len(patients),) values
    """

    index: int
    spec: CohortSpec
    model_name: str
    patients: tuple[int, ...]
    ids: tuple[str, ...]
    features: dict[str, np.ndarray]
    ensembles: tuple[np.ndarray, ...] | None = None
    equation_hash: str = ""
    #: per patient, a saved twin's interval context (dict; {}: not calibrated), so that its
    #: unmeasured outputs carry the learned model error (:mod:`twinviewer.personalize.shown`)
    contexts: tuple[dict, ...] | None = None


#: Changes whenever the same spec would give other rows (part of the run folder's hash, so a
#: run of an older version is never resumed). 2: device draws seeded per patient. 3: a saved
#: twin's unmeasured outputs with the learned model error (session 10).
WORK_VERSION = 3


def patient_scenario(scenario: Scenario, seed: int, patient: int) -> Scenario:
    """The scenario as applied to one cohort patient: every step with a seeded per-member
    draw (a ``seed`` setting, e.g. a prosthesis EOA) that the spec did not seed explicitly
    gets a seed of its own from *(population seed, patient, step)*.

    Without it every patient's member k would draw the same EOA quantile, correlating the
    device draws across the cohort.

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> sc = Scenario("tavi", (InterventionStep("tavi_sapien3", {"size": 26.0}),))
    >>> a, b = (patient_scenario(sc, 7, p).steps[0].settings["seed"] for p in (0, 1))
    >>> a != b
    True
    """
    from twinviewer.interventions import get_intervention

    steps = []
    for k, step in enumerate(scenario.steps):
        iv = get_intervention(step.name)
        if "seed" in {s.name for s in iv.settings} and "seed" not in step.settings:
            state = np.random.SeedSequence([int(seed), int(patient), k]).generate_state(1)
            step = InterventionStep(step.name, {**step.settings,
                                                "seed": float(int(state[0]) % 2**31)})
        steps.append(step)
    return Scenario(scenario.name, tuple(steps), scenario.regulation)


def _ensembles(chunk: Chunk) -> list[np.ndarray]:
    if chunk.ensembles is not None:
        return [np.asarray(e, dtype=float) for e in chunk.ensembles]
    from twinviewer.cohort.population import member_ensemble, virtual_population

    model, pop = virtual_population(chunk.spec)
    return [member_ensemble(model, pop[i], chunk.spec.members, seed=chunk.spec.seed,
                            patient=i, spread=chunk.spec.member_spread)
            for i in chunk.patients]


def _context(chunk: Chunk, k: int):
    """The interval context of the chunk's ``k``-th patient, or None (not calibrated)."""
    if not chunk.contexts or not chunk.contexts[k]:
        return None
    from twinviewer.personalize.shown import IntervalContext

    return IntervalContext.from_dict(chunk.contexts[k])


def run_chunk(chunk: Chunk, *, engine_threads: int | None = None) -> pd.DataFrame:
    """Baseline and every scenario for the chunk's patients; one row per patient × scenario.

    All members of all patients run in one ensemble call per scenario (the engine's fast
    path); each scenario member starts from its own baseline cycle and is paired with it.

    Parameters
    ----------
    chunk
        The work unit.
    engine_threads
        Threads of the ensemble engine (``TWINVIEWER_THREADS``); Dask workers use 1 so that
        Dask, not the engine, owns the cores.

    Returns
    -------
    DataFrame
        Columns ``patient``, ``id``, ``scenario``, ``members``, ``n_paired``, ``param:NAME``
        features, and ``METRIC:STAT`` for each metric and :data:`STATS` entry.
    """
    if engine_threads is not None:
        os.environ["TWINVIEWER_THREADS"] = str(engine_threads)
    spec = chunk.spec
    model = MODELS.get(chunk.model_name)
    if model is None or (chunk.equation_hash and model.equation_hash != chunk.equation_hash):
        # a worker with another twinviewer version must not answer with other equations
        raise ModelError(f"this worker's {chunk.model_name} equations "
                         f"({model.equation_hash if model else 'not installed'}) differ from "
                         f"the client's ({chunk.equation_hash}); install the same twinviewer "
                         f"version on every worker")
    ens = _ensembles(chunk)
    sizes = [e.shape[0] for e in ens]
    stops = np.cumsum(sizes)
    starts = stops - sizes
    P = np.vstack(ens)
    base = simulate(model, P)
    lvef = lvef_of(base)  # a β-blocker withdraws each member's resting support by it
    scen: dict[str, object] = {}
    for sc in spec.scenarios:
        # Per patient: seeded device draws depend on the patient (not on the chunking), and
        # differ between patients.
        Ps = np.vstack([apply_scenario(model, e, patient_scenario(
            Scenario(sc.name, sc.steps), spec.seed, pat), baseline_lvef=lvef[a:b])
            for e, pat, a, b in zip(ens, chunk.patients, starts, stops, strict=True)])
        scen[sc.name] = simulate(model, Ps, warm_start=base.final_state)
    rows = []
    for k, pat in enumerate(chunk.patients):
        sl = slice(starts[k], stops[k])
        b_ok = base.ok[sl]
        ctx = _context(chunk, k)
        for sc in spec.scenarios:
            r = scen[sc.name]
            ok = b_ok & r.ok[sl]
            row: dict[str, object] = {"patient": int(pat), "id": chunk.ids[k],
                                      "scenario": sc.name, "members": int(sizes[k]),
                                      "n_paired": int(ok.sum())}
            for f, v in chunk.features.items():
                row[f] = float(v[k])
            harm = (harmed(r) & ~harmed(base))[sl]  # suction is harm, never benefit
            for m in spec.metrics:
                b = base.metrics[m][sl]
                s = r.metrics[m][sl]
                both = ok & np.isfinite(b) & np.isfinite(s)
                if ctx is None:
                    bi = Interval.of(b[b_ok], spec.level)
                    si = Interval.of(s[both], spec.level)
                    di = Interval.of(s[both] - b[both], spec.level)
                else:  # the one shown interval; Δ with a common model error (paired)
                    bi = Interval(*ctx.interval(m, b, b_ok, spec.level))
                    _, sc, dc = ctx.paired(m, b, s, both, spec.level)
                    si, di = Interval(*sc), Interval(*dc)
                imp, wor = improvement(m, s[both] - b[both], harm[both])
                row.update({f"{m}:baseline_median": bi.median, f"{m}:baseline_lo": bi.lo,
                            f"{m}:baseline_hi": bi.hi, f"{m}:scenario_median": si.median,
                            f"{m}:scenario_lo": si.lo, f"{m}:scenario_hi": si.hi,
                            f"{m}:diff_median": di.median, f"{m}:diff_lo": di.lo,
                            f"{m}:diff_hi": di.hi,
                            f"{m}:improved": np.nan if imp is None else imp,
                            f"{m}:worsened": np.nan if wor is None else wor})
            rows.append(row)
    return pd.DataFrame(rows)


def column_units(spec: CohortSpec, features: list[str], model_name: str) -> dict[str, str]:
    """Unit of every numeric column (``1`` for fractions and counts)."""
    model = MODELS[model_name]
    units = {"members": "1", "n_paired": "1"}
    for f in features:
        units[f] = model.unit_of(f.removeprefix("param:"))
    for m in spec.metrics:
        u = METRIC_BY_NAME[m].unit
        for s in STATS:
            units[f"{m}:{s}"] = "1 (fraction of paired members)" if s in (
                "improved", "worsened") else u
    return units


def has_direction(metric: str) -> bool:
    """Whether a metric has a clinical "better" direction (so benefit can be scored)."""
    return metric in DIRECTIONS

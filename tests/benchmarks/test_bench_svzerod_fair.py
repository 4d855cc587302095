"""A fair benchmark against svZeroDSolver: the same case, equal accuracy, one process.

* Case: svZeroDSolver's ``closed_loop_two_hill`` (Regazzoni-type loop, two-hill activation,
  piecewise valves), from the file's initial condition. svZeroDSolver runs the file;
  TwinViewer runs the *same configuration* imported as a ModelSpec
  (:func:`twinviewer.physiology.svzerod.model.model_from_config`) through its ensemble engine.
* Accuracy: for each solver, the step is the coarsest candidate from which every finer
  candidate keeps the largest relative error of eleven metrics (LV EDV/ESV, aortic
  max/min/mean, LV peak, PA max/min, RV EDV/ESV, mean LA pressure; beat 5, each taken on the
  solver's own step points) ≤ 5e-4 against its *own* fine-step reference (16 × 688 steps).
  The two references agree with each other to about 4e-7, so both solve the same problem.
  The candidate grids are dense (every 25 steps, every 20 points); the ratio is also
  reported at the steps found without the two kink minima (aortic and PA diastolic
  pressure), whose sampled values measure the output grid more than the integration.
* Timing: svZeroDSolver as ``Solver.run()`` only (set-up and pandas excluded; it is
  single-threaded); TwinViewer's integrator only (model import and compilation excluded by a
  warm-up), N = 1000 members sampled from the imported model's prior (10 % log-normal spread
  on every parameter, heart rate included), the same number of beats from the file's initial
  state, no early exit. Best of several runs, interleaved. Figures: member-beats per second
  and the ratio, with every core and with one thread.
* Cold start to periodic steady state: 1000 members of the default clinical model
  (``healthy`` preset, prior sample) and of the imported svZeroDSolver case, full
  ``simulate`` (checks, integration, metrics).

Run: ``pytest tests/benchmarks/test_bench_svzerod_fair.py -s -p no:cacheprovider``
(or ``python -m tests.benchmarks.test_bench_svzerod_fair``). The machine may be loaded by
other work: ratios are measured in one run, side by side, and say more than absolute times.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import pytest

from twinviewer.physiology import Settings, get_preset, sample_prior, simulate
from twinviewer.physiology import integrator as ig
from twinviewer.physiology.jit import python_function
from twinviewer.physiology.svzerod.model import UNIT_SYSTEMS, model_from_config

CASE = Path(__file__).resolve().parents[1] / "data" / "svzerodsolver" / "cases" / \
    "closed_loop_two_hill.json"
FP, FV = UNIT_SYSTEMS["SI"]
TOLERANCE = 5e-4
BEATS = 5  # accuracy is judged on beat 5 from the file's initial condition
TIMED_BEATS = 10
N = 1000
REFERENCE_STEPS = 688 * 16
# Dense candidate grids: the error is not monotone in the step (extrema are read on the
# step grid, and the aortic and PA minima sit at a kink where the valve opens).
ENGINE_STEPS = tuple(range(150, 1301, 25))
SVZEROD_POINTS = tuple(range(100, 1501, 20))
#: The metrics without the two kink minima (aortic and PA diastolic), for the sensitivity
#: check: their sampled value measures where the output grid falls, not the integration.
SMOOTH = [0, 1, 2, 4, 5, 6, 8, 9, 10]


def _metrics(v_lv, p_lv, p_ao, p_pa, v_rv, p_la) -> np.ndarray:
    return np.array([v_lv.max(), v_lv.min(), p_ao.max(), p_ao.min(), p_ao.mean(), p_lv.max(),
                     p_pa.max(), p_pa.min(), v_rv.max(), v_rv.min(), p_la.mean()])


def _svzerod_config(points: int, beats: int) -> dict:
    cfg = json.loads(CASE.read_text())
    sp = cfg["simulation_parameters"]
    sp["number_of_time_pts_per_cardiac_cycle"] = points
    sp["number_of_cardiac_cycles"] = beats
    return cfg


def svzerod_metrics(svzerod, points: int) -> np.ndarray:
    solver = svzerod.Solver(_svzerod_config(points, BEATS))
    solver.run()

    def get(name: str, scale: float) -> np.ndarray:
        return np.asarray(solver.get_single_result(name))[:-1] * scale  # last beat

    return _metrics(get("Vc:LV", FV), get("pressure:LV:AV", FP), get("pressure:AV:AR_SYS", FP),
                    get("pressure:PV:AR_PUL", FP), get("Vc:RV", FV), get("pressure:LA:MV", FP))


def _engine_run(model, P: np.ndarray, steps: int, beats: int, samples: int,
                threads: int | None = None) -> np.ndarray:
    status = np.full(P.shape[0], -1, dtype=np.int64)
    _engine_run.status = status  # members that blew up stop early: count them
    rec, _, _ = ig.integrate_to_periodic(
        model.rhs, model.initial_state(P), P, model.index("HR"), steps=steps,
        samples=samples, min_beats=beats, max_beats=beats,
        atol=np.full(len(model.states), 1e-12), status=status, accelerate=False,
        method="numba", threads=threads, drivers=model.drivers, n_drivers=model.n_drivers)
    return rec


def engine_metrics(model, steps: int) -> np.ndarray:
    P = model.default_vector()[None]
    rec = _engine_run(model, P, steps, BEATS, steps)[0]
    t = np.arange(steps) * (60.0 / P[0, model.index("HR")]) / steps
    series = dict(zip(model.output_names,
                      python_function(model.observe)(t, rec, P[0][:, None]), strict=True))
    series.update({name: rec[j] for j, name in enumerate(model.state_names)})
    return _metrics(series["V_LV"], series["p_LV"], series["p_AO"], series["p_AR_PUL"],
                    series["V_RV"], series["p_LA"])


def coarsest_passing(errors: dict[int, float]) -> int | None:
    """Coarsest candidate from which every finer candidate is within the tolerance."""
    found = None
    for steps in sorted(errors, reverse=True):
        if errors[steps] > TOLERANCE:
            break
        found = steps
    return found


def _rel(a: np.ndarray, ref: np.ndarray, which=slice(None)) -> float:
    return float(np.max((np.abs(a - ref) / np.abs(ref))[which]))


def _best(func, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def _best_cpu(func, repeats: int) -> tuple[float, float]:
    """Best wall time and the process CPU time of that run (all threads): on a machine
    shared with other work, CPU time / cores estimates the wall time on free cores."""
    best = (math.inf, math.inf)
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        func()
        run = (time.perf_counter() - t0, time.process_time() - c0)
        best = min(best, run)
    return best


def run_fair_benchmark(svzerod, out=print) -> dict:
    """Find each solver's step, time both, and return (and print) the figures."""
    model = model_from_config(CASE)
    ref_engine = engine_metrics(model, REFERENCE_STEPS)
    ref_peer = svzerod_metrics(svzerod, REFERENCE_STEPS + 1)
    fig: dict = {"reference_agreement": _rel(ref_engine, ref_peer)}
    e_met = {s: engine_metrics(model, s) for s in ENGINE_STEPS}
    p_met = {s: svzerod_metrics(svzerod, s) for s in SVZEROD_POINTS}
    e_err = {s: _rel(v, ref_engine) for s, v in e_met.items()}
    p_err = {s: _rel(v, ref_peer) for s, v in p_met.items()}
    steps, points = coarsest_passing(e_err), coarsest_passing(p_err)
    smooth_steps = coarsest_passing({s: _rel(v, ref_engine, SMOOTH) for s, v in e_met.items()})
    smooth_points = coarsest_passing({s: _rel(v, ref_peer, SMOOTH) for s, v in p_met.items()})
    fig.update(engine_errors=e_err, svzerod_errors=p_err, engine_steps=steps,
               svzerod_points=points, smooth_engine_steps=smooth_steps,
               smooth_svzerod_points=smooth_points)
    out(f"fine-step references agree to {fig['reference_agreement']:.1e} (relative)")
    out("engine steps/beat -> largest relative metric error (1e-4): "
        + ", ".join(f"{s}: {e * 1e4:.1f}" for s, e in e_err.items()))
    out("svZeroDSolver points/beat -> largest relative metric error (1e-4): "
        + ", ".join(f"{s}: {e * 1e4:.1f}" for s, e in p_err.items()))
    out(f"steps found: engine {steps} RK4 steps, svZeroDSolver {points} points; without the "
        f"two kink minima: engine {smooth_steps}, svZeroDSolver {smooth_points} points")
    if steps is None or points is None:
        raise AssertionError("no candidate step reached the tolerance")

    P = sample_prior(model, N, seed=1)
    samples = math.gcd(steps, 100)
    cores = os.cpu_count() or 1
    cfg = _svzerod_config(points, TIMED_BEATS)

    def peer() -> None:
        solver = svzerod.Solver(cfg)  # set-up, outside the timed call
        t0, c0 = time.perf_counter(), time.process_time()
        solver.run()
        peer.times.append((time.perf_counter() - t0, time.process_time() - c0))

    peer.times = []
    _engine_run(model, P[:16], steps, 1, samples)  # compile or load the kernel
    peer()
    t_all, t_one = (math.inf, math.inf), (math.inf, math.inf)
    for _ in range(3):  # interleaved, so load changes hit all three alike
        t_all = min(t_all, _best_cpu(
            lambda: _engine_run(model, P, steps, TIMED_BEATS, samples), 1))
        t_one = min(t_one, _best_cpu(
            lambda: _engine_run(model, P, steps, TIMED_BEATS, samples, threads=1), 1))
        for _ in range(3):
            peer()
    (t_peer, c_peer) = min(peer.times)
    fig["diverged"] = int(np.sum(_engine_run.status == ig.DIVERGED))
    # Sensitivity: the same timing at the steps found without the two kink minima.
    cfg_s = _svzerod_config(smooth_points, TIMED_BEATS)
    samples_s = math.gcd(smooth_steps, 100)
    (t_s1, c_s1) = _best_cpu(lambda: _engine_run(model, P, smooth_steps, TIMED_BEATS,
                                                 samples_s, threads=1), 3)
    fig["smooth_diverged"] = int(np.sum(_engine_run.status == ig.DIVERGED))

    def peer_smooth() -> tuple[float, float]:
        solver = svzerod.Solver(cfg_s)
        t0, c0 = time.perf_counter(), time.process_time()
        solver.run()
        return time.perf_counter() - t0, time.process_time() - c0

    (t_ps, c_ps) = min(peer_smooth() for _ in range(9))
    fig["smooth_cpu_ratio_one_thread"] = (N * TIMED_BEATS / c_s1) / (TIMED_BEATS / c_ps)
    fig["smooth_ratio_one_thread"] = (N * TIMED_BEATS / t_s1) / (TIMED_BEATS / t_ps)
    (t_all, c_all), (t_one, c_one) = t_all, t_one
    fig["cpu_ratio_one_thread"] = (N * TIMED_BEATS / c_one) / (TIMED_BEATS / c_peer)
    fig.update({
        "svzerod_member_beats_per_s": TIMED_BEATS / t_peer,
        "engine_member_beats_per_s_all_cores": N * TIMED_BEATS / t_all,
        "engine_member_beats_per_s_one_thread": N * TIMED_BEATS / t_one,
        "cores": cores,
    })
    fig["ratio_all_cores"] = fig["engine_member_beats_per_s_all_cores"] / \
        fig["svzerod_member_beats_per_s"]
    fig["ratio_one_thread"] = fig["engine_member_beats_per_s_one_thread"] / \
        fig["svzerod_member_beats_per_s"]

    # Cold start to periodic steady state, 1000 members, full simulate().
    healthy = get_preset("healthy")
    PH = sample_prior(healthy.model, N, base=healthy.vector(), seed=0)
    simulate(healthy.model, PH[:16])
    r_h = simulate(healthy.model, PH)
    t_h, c_h = _best_cpu(lambda: simulate(healthy.model, PH), 3)
    sv_settings = Settings(steps_per_beat=steps, samples_per_beat=math.gcd(steps // 2, 100))
    simulate(model, P[:16], settings=sv_settings)
    r_s = simulate(model, P, settings=sv_settings)
    t_s, c_s = _best_cpu(lambda: simulate(model, P, settings=sv_settings), 3)
    fig.update({
        "cold_start_healthy_cpu_s": c_h, "cold_start_svzerod_case_cpu_s": c_s,
        "cold_start_healthy_s": t_h, "cold_start_healthy_periodic": int(r_h.ok.sum()),
        "cold_start_healthy_mean_beats": float(r_h.beats.mean()),
        "cold_start_svzerod_case_s": t_s, "cold_start_svzerod_case_periodic": int(r_s.ok.sum()),
        "cold_start_svzerod_case_mean_beats": float(r_s.beats.mean()),
        "cold_start_svzerod_case_steps": sv_settings.steps_per_beat,
    })
    out("")
    out(f"| solver | step (per beat) | member-beats/s | ratio | (load avg "
        f"{os.getloadavg()[0]:.1f} on {cores} cores)")
    out("|---|---|---|---|")
    out(f"| svZeroDSolver Solver.run() (1 thread) | {points - 1} steps ({points} points) | "
        f"{fig['svzerod_member_beats_per_s']:.0f} | 1 |")
    out(f"| TwinViewer engine, N = {N}, {cores} threads | {steps} RK4 steps | "
        f"{fig['engine_member_beats_per_s_all_cores']:.0f} | {fig['ratio_all_cores']:.1f}× |")
    out(f"| TwinViewer engine, N = {N}, 1 thread | {steps} RK4 steps | "
        f"{fig['engine_member_beats_per_s_one_thread']:.0f} | {fig['ratio_one_thread']:.1f}× |")
    out(f"({fig['diverged']} of {N} members blew up at {steps} steps)")
    out(f"sensitivity, steps found without the two kink minima (engine {smooth_steps}, "
        f"svZeroDSolver {smooth_points} points): ratio one thread "
        f"{fig['smooth_ratio_one_thread']:.1f}× wall, "
        f"{fig['smooth_cpu_ratio_one_thread']:.1f}× by CPU time ({fig['smooth_diverged']} of "
        f"{N} members blew up at that step and stopped early)")
    out(f"CPU time per member-beat: svZeroDSolver {c_peer / TIMED_BEATS * 1e6:.0f} µs, "
        f"engine one thread {c_one / N / TIMED_BEATS * 1e6:.0f} µs, all cores "
        f"{c_all / N / TIMED_BEATS * 1e6:.0f} µs (ratio by CPU time, one thread: "
        f"{fig['cpu_ratio_one_thread']:.1f}×)")
    out(f"cold start → periodic, N = {N}: healthy preset {t_h:.2f} s wall, {c_h:.2f} s CPU "
        f"({fig['cold_start_healthy_periodic']} periodic, {r_h.beats.mean():.1f} beats each); "
        f"svZeroDSolver case {t_s:.2f} s wall, {c_s:.2f} s CPU "
        f"({fig['cold_start_svzerod_case_periodic']} periodic, {r_s.beats.mean():.1f} beats, "
        f"{sv_settings.steps_per_beat} steps/beat)")
    return fig


def test_fair_benchmark_against_svzerodsolver():
    svzerod = pytest.importorskip("svzerod")
    fig = run_fair_benchmark(svzerod)
    # Both solvers solve the same problem, each at its own equal-accuracy step.
    assert fig["reference_agreement"] < 1e-5
    assert fig["engine_errors"][fig["engine_steps"]] <= TOLERANCE
    assert fig["svzerod_errors"][fig["svzerod_points"]] <= TOLERANCE


if __name__ == "__main__":
    import svzerod as _svzerod

    print(json.dumps(run_fair_benchmark(_svzerod), indent=1, default=float))

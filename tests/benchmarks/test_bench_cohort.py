"""Benchmark: a virtual cohort on Dask (1 vs 2 local workers, overhead vs in-process) and
Sobol at scale.

Cohort: P virtual severe-AS patients × 3 scenarios (TAVI Sapien 3, TAVI Evolut R, SAVR
Perimount) × M members, i.e. P·M·4 member-runs (baseline + 3 scenarios), timed side by side
in one run:

* in-process, the engine's own threads (one per core),
* in-process, single-threaded (``TWINVIEWER_THREADS=1``): the per-member cost on one core,
* Dask ``LocalCluster`` with 1 worker process, then with 2 (one per core);

scaling efficiency = T(1 worker) / (2 · T(2 workers)); Dask overhead = T(Dask, k workers) /
T(in-process, same cores). Each configuration writes to its own folder (no resume).

Sobol: 10 parameters of the healthy preset, 4 outputs, Saltelli with N base samples
(N·12 runs) on 2 local workers; time and share of the 80 indices (S1, ST) whose 95 % CI
half-width is ≤ 0.01.

Sizes: the defaults are the issue's, 10,000 patients × 4 members (160,000 member-runs per
configuration, 640,000 in all) and N = 10,000 (→ 16,384 base samples, 196,608 runs).

**The full run, for an idle machine** (nothing else running; check ``uptime``)::

    cd /path/to/checkout && nice -n 10 env BENCH_COHORT_JSON=bench.json \
        python -m pytest tests/benchmarks/test_bench_cohort.py --benchmark-enable -s \
        -p no:cacheprovider -q

Expected on an idle 2-core machine, from the measured CPU cost (≈ 2.0–2.2 ms per
member-run, ≈ 2 ms per Sobol run): in-process with engine threads ≈ 3–6 min, in-process
single-threaded ≈ 6 min, Dask 1 worker ≈ 6–7 min, Dask 2 workers ≈ 3–4 min (+ ≈ 10 s
cluster start-up each); the Sobol study ≈ 3.5 min sampling + 1–3 min of bootstrap on the
client: **≈ 25–30 min in all**. Under a load of ~20 on 2 cores it would take ~4–5 h (the
first configuration alone did 62 % of its work in 26 min here). Each configuration's figures
are written to ``bench.cohort.partial.json`` as it ends, the totals to
``bench.cohort.json`` / ``bench.sobol.json``. Smaller runs (say so when quoting them)::

    BENCH_COHORT_PATIENTS=600 BENCH_COHORT_MEMBERS=4 BENCH_SOBOL_N=2048 \
        pytest tests/benchmarks/test_bench_cohort.py --benchmark-enable -s
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from twinviewer.cohort.runner import run_cohort
from twinviewer.cohort.spec import parse_spec

PATIENTS = int(os.environ.get("BENCH_COHORT_PATIENTS", "10000"))
MEMBERS = int(os.environ.get("BENCH_COHORT_MEMBERS", "4"))
SOBOL_N = int(os.environ.get("BENCH_SOBOL_N", "10000"))
OUT = os.environ.get("BENCH_COHORT_JSON")
#: Which configurations to run (a: in-process engine threads, b: in-process 1 thread,
#: c: Dask 1 worker, d: Dask 2 workers); the full comparison needs all four.
CONFIGS = set(os.environ.get("BENCH_COHORT_CONFIGS", "a,b,c,d").split(","))


def _spec():
    return parse_spec({
        "population": {"preset": "severe_as", "n": PATIENTS, "seed": 7},
        "members": MEMBERS, "chunk": 25,
        "scenarios": [{"name": "tavi_s3", "steps": ["tavi_sapien3:size=26"]},
                      {"name": "tavi_evolut", "steps": ["tavi_evolut_r:size=29"]},
                      {"name": "savr", "steps": ["savr_perimount:size=23"]}],
        "metrics": ["AV_mean_gradient", "LVEDP", "CO"]})


CPU: dict[str, float] = {}
CPU_PARTS: dict[str, dict[str, float]] = {}
LOAD: dict[str, list[float]] = {}
PARTIAL: dict[str, dict] = {}


def _dump_partial(label: str, **figures) -> None:
    """Write each configuration's figures as soon as it ends (a long run may be stopped)."""
    PARTIAL[label] = figures
    if OUT:
        Path(OUT).with_suffix(".cohort.partial.json").write_text(json.dumps(
            {"patients": PATIENTS, "members": MEMBERS, "configurations": PARTIAL}, indent=1))


def _timed(label: str, folder: Path, **kw) -> tuple[float, object]:
    t0, c0 = time.perf_counter(), time.process_time()
    run = run_cohort(_spec(), folder / f"{label}.parquet", **kw)
    CPU[label] = time.process_time() - c0  # this process only (the client, for Dask)
    LOAD[label] = list(os.getloadavg())
    return time.perf_counter() - t0, run


def _cpu_seconds() -> float:
    return time.process_time()


def _warm_worker() -> None:
    from twinviewer.physiology import get_preset, simulate

    p = get_preset("severe_as")
    simulate(p.model, p.vector()[None, :])


def _dask_timed(label: str, folder: Path, workers: int) -> tuple[float, float, object]:
    """(start-up, run) seconds: a local cluster is started and its workers import twinviewer
    and load the compiled kernel first, then the cohort runs against its address."""
    from dask.distributed import Client, LocalCluster

    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(_warm_worker)
        startup = time.perf_counter() - t0
        w0 = sum(client.run(_cpu_seconds).values())
        s0 = client.run_on_scheduler(_cpu_seconds)
        seconds, run = _timed(label, folder, scheduler=cluster.scheduler_address)
        # CPU seconds of the whole Dask path: workers + scheduler + this client
        parts = {"client": CPU[label],
                 "workers": sum(client.run(_cpu_seconds).values()) - w0,
                 "scheduler": client.run_on_scheduler(_cpu_seconds) - s0}
        CPU_PARTS[label] = parts
        CPU[label] = sum(parts.values())
    return startup, seconds, run


def test_cohort_scaling_and_overhead(tmp_path):
    runs = PATIENTS * MEMBERS * 4
    # warm the kernel cache and the imports outside the timings
    run_cohort(parse_spec({
        "population": {"preset": "severe_as", "n": 2, "seed": 1}, "members": 2,
        "scenarios": [{"name": "t", "steps": ["tavi_sapien3:size=26"]}],
        "metrics": ["CO"]}), tmp_path / "warm.parquet", in_process=True)
    t: dict[str, float] = {}
    tables = {}
    saved = os.environ.get("TWINVIEWER_THREADS")
    if "a" in CONFIGS:
        t["in-process, engine threads"], tables["a"] = _timed("a", tmp_path, in_process=True)
        _dump_partial("in-process, engine threads", seconds=t["in-process, engine threads"],
                      cpu_seconds=CPU["a"], load_average=LOAD["a"])
    if "b" in CONFIGS:
        os.environ["TWINVIEWER_THREADS"] = "1"
        try:
            t["in-process, 1 thread"], tables["b"] = _timed("b", tmp_path, in_process=True)
            _dump_partial("in-process, 1 thread", seconds=t["in-process, 1 thread"],
                          cpu_seconds=CPU["b"], load_average=LOAD["b"])
        finally:
            if saved is None:
                os.environ.pop("TWINVIEWER_THREADS", None)
            else:
                os.environ["TWINVIEWER_THREADS"] = saved
    start = {}
    for label, name, workers in (("c", "dask, 1 worker", 1), ("d", "dask, 2 workers", 2)):
        if label in CONFIGS:
            start[name], t[name], tables[label] = _dask_timed(label, tmp_path, workers)
            _dump_partial(name, seconds=t[name], cpu_seconds=CPU[label],
                          cpu_seconds_parts=CPU_PARTS[label], startup_seconds=start[name],
                          load_average=LOAD[label])
    runs_ = list(tables.values())
    assert all(len(r.table) == PATIENTS * 3 for r in runs_)
    assert all(r.table.equals(runs_[0].table) for r in runs_)  # every path, the same table
    names = {"a": "in-process, engine threads", "b": "in-process, 1 thread",
             "c": "dask, 1 worker", "d": "dask, 2 workers"}

    def ratio(x: dict, a: str, b: str, k: float = 1.0) -> float | None:
        return x[a] / (k * x[b]) if a in x and b in x else None

    cpu = {names[k]: v for k, v in CPU.items()}
    result = {
        "patients": PATIENTS, "members": MEMBERS, "scenarios": 3, "member_runs": runs,
        "chunks": runs_[0].chunks_total, "seconds": t,
        "dask_startup_seconds (cluster + imports + kernel load, not in 'seconds')": start,
        "cpu_seconds": cpu,
        "dask_cpu_seconds_parts": {names[k]: v for k, v in CPU_PARTS.items()},
        # CPU time is what survives a loaded machine: the cost of the work on an idle core
        "per_member_run_ms_cpu": 1e3 * CPU["b"] / runs if "b" in CPU else None,
        "dask_cpu_overhead_1_worker": ratio(cpu, "dask, 1 worker", "in-process, 1 thread"),
        "dask_cpu_overhead_2_workers": ratio(cpu, "dask, 2 workers", "in-process, 1 thread"),
        "per_member_run_ms_1core": 1e3 * t["in-process, 1 thread"] / runs
        if "in-process, 1 thread" in t else None,
        "scaling_efficiency_2_workers": ratio(t, "dask, 1 worker", "dask, 2 workers", 2.0),
        "dask_overhead_1_worker": ratio(t, "dask, 1 worker", "in-process, 1 thread"),
        "dask_overhead_2_workers": ratio(t, "dask, 2 workers", "in-process, engine threads"),
        "load_average": os.getloadavg(),
        "load_average_after_each": {names[k]: v for k, v in LOAD.items()},
    }
    print("\ncohort benchmark:", json.dumps(result, indent=1))
    if OUT:
        Path(OUT).with_suffix(".cohort.json").write_text(json.dumps(result, indent=1))


@pytest.mark.slow
def test_sobol_at_scale():
    from twinviewer.cohort.cluster import dask_client, sobol_mapper
    from twinviewer.explain.sobol import model_sobol
    from twinviewer.physiology import get_preset, simulate

    p = get_preset("healthy")
    names = ["HR", "LV.EA", "LV.EB", "LV.V0", "RV.EA", "SYS.R_AR", "SYS.C_AR", "SYS.C_VEN",
             "V_total", "AV.EOA"]
    outputs = ["MAP", "CO", "LVEF", "LVEDP"]
    warm = simulate(p.model, p.vector()[None, :]).final_state[0]
    t0, c0 = time.perf_counter(), time.process_time()
    with dask_client(workers=2) as client:
        client.run(_warm_worker)
        startup = time.perf_counter() - t0
        w0 = sum(client.run(_cpu_seconds).values())
        s0 = client.run_on_scheduler(_cpu_seconds)
        res = model_sobol(p.model, p.vector(), names, outputs, n=SOBOL_N, warm_start=warm,
                          ci_threshold=0.01, mapper=sobol_mapper(client))
        worker_cpu = sum(client.run(_cpu_seconds).values()) - w0
        scheduler_cpu = client.run_on_scheduler(_cpu_seconds) - s0
    elapsed = time.perf_counter() - t0
    client_cpu = time.process_time() - c0
    conf = np.concatenate([np.r_[res[o].S1_conf, res[o].ST_conf] for o in outputs])
    result = {
        "parameters": len(names), "outputs": outputs, "n_base_requested": SOBOL_N,
        "n_base": res[outputs[0]].n_base, "runs": res[outputs[0]].n_runs,
        "seconds_total": elapsed, "seconds_sampling": res.elapsed,
        "seconds_cluster_startup": startup,
        # CPU: the workers' sampling, the scheduler, and this process (client: SALib's
        # design, the bootstrap of every index twice (N and N/2), and Dask's client side)
        "cpu_seconds": {"workers": worker_cpu, "scheduler": scheduler_cpu,
                        "client": client_cpu},
        "worker_cpu_ms_per_run": 1e3 * worker_cpu / res[outputs[0]].n_runs,
        "converged_share": float(np.mean(conf <= 0.01)),
        # bootstrap half-widths shrink as 1/sqrt(N): the share expected at N = 16,384 (what
        # --sobol 10000 runs after rounding up to a power of two)
        "expected_share_at_16384": float(np.mean(
            conf * np.sqrt(res[outputs[0]].n_base / 16384) <= 0.01)),
        "half_widths": {o: {"S1_conf": res[o].S1_conf.round(4).tolist(),
                            "ST_conf": res[o].ST_conf.round(4).tolist()} for o in outputs},
        "largest_half_width": float(conf.max()),
        "outputs_converged": {o: bool(res[o].converged) for o in outputs},
        "failed_runs": {o: res[o].n_failed for o in outputs},
        "load_average": os.getloadavg(),
    }
    print("\nsobol benchmark:", json.dumps(result, indent=1))
    if OUT:
        Path(OUT).with_suffix(".sobol.json").write_text(json.dumps(result, indent=1))
    assert res[outputs[0]].n_runs == res[outputs[0]].n_base * 12

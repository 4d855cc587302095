"""Plugin start-up and worker overhead (issue 16), side by side in one run.

* Start-up: building the registry (entry-point scan, manifests, RECORD fingerprints; no plugin
  imported) with 0 vs 20 extra installed plugins (dist-info folders on ``sys.path``, as pip
  leaves them). Target: at most 100 ms slower with 20.
* A plugin model's 200-member ensemble run in the worker process (pickling both ways; the
  worker is long-lived, its start is the first call's extra) vs in-process, same model, same
  settings.

Run: ``pytest tests/benchmarks/test_bench_plugins.py -s``.
"""

from __future__ import annotations

import importlib.metadata as md
import time

import numpy as np
import pytest

from tests.benchmarks.timing import best_of
from tests.plugins.helpers import installed, manifest
from twinviewer.plugins.registry import Registry
from twinviewer.plugins.store import PluginStore
from twinviewer.testing import plugin_config, plugin_registry  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


def test_startup_with_0_and_20_plugins(tmp_path, monkeypatch):
    empty, full = tmp_path / "site0", tmp_path / "site20"
    empty.mkdir()
    for i in range(20):
        installed(full, f"tv-bench-{i}", f"tv_bench_{i}_pkg",
                  manifest(f"tv_bench_{i}", models=(f"m{i}", f"n{i}")),
                  init="raise RuntimeError('imported at start-up')\n")
    store = PluginStore(tmp_path / "cfg" / "plugins.json")

    def start(site):
        monkeypatch.syspath_prepend(str(site))
        md.distributions.cache_clear() if hasattr(md.distributions, "cache_clear") else None
        t = best_of(lambda: Registry(store=store, include_core=False), repeats=7)
        n = len(Registry(store=store, include_core=False).plugins)
        monkeypatch.undo()
        return t, n

    t0, n0 = start(empty)
    t20, n20 = start(full)
    assert n20 - n0 == 20
    print(f"\nregistry start-up: {n0} plugins {t0 * 1e3:.1f} ms, {n20} plugins "
          f"{t20 * 1e3:.1f} ms: +{(t20 - t0) * 1e3:.1f} ms for 20 (machine loaded)")
    assert t20 - t0 < 0.1


def test_worker_overhead_200_members(plugin_registry):  # noqa: F811
    from twinviewer.physiology.ensemble import sample_prior
    from twinviewer.physiology.simulate import Settings, simulate
    from twinviewer.plugins.isolation import simulate_plugin_model

    reg = plugin_registry()
    model = reg.load("models", "single_ventricle")
    P = sample_prior(model, 200, base=model.default_vector(), seed=1)
    settings = Settings(method="numpy")
    from twinviewer.physiology.simulate import RUNNERS

    def in_process():
        runner = RUNNERS.pop(model.name)  # loaded plugin models are routed to the worker
        try:
            return simulate(model, P, settings=settings)
        finally:
            RUNNERS[model.name] = runner

    rows = {}
    for label, run in (("in-process", in_process),
                       ("worker", lambda: simulate_plugin_model(model, P, settings=settings))):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            r = run()
            times.append(time.perf_counter() - t)
        rows[label] = (min(times), r, times[0])
    (t_in, r_in, _), (t_w, r_w, t_cold) = rows["in-process"], rows["worker"]
    np.testing.assert_allclose(r_w.series["V_V"], r_in.series["V_V"])
    print(f"\n200-member ensemble: in-process {t_in:.2f} s, worker {t_w:.2f} s, overhead "
          f"{t_w - t_in:.2f} s ({t_w / t_in:.2f}×); first call, starting the worker: "
          f"{t_cold:.2f} s (machine loaded)")

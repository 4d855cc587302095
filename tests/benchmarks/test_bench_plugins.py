"""Plugin start-up and worker overhead (issue 16), side by side in one run.

* Start-up: building the registry (entry-point scan, manifests, RECORD fingerprints; no plugin
  imported) with 0 vs 20 extra installed plugins (dist-info folders on ``sys.path``, as pip
  leaves them), all 20 editable installs, whose package files are hashed too. Target: at
  most 100 ms slower with 20.
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


def _cpu_best(func, repeats: int = 7) -> float:
    """Shortest CPU time (time.process_time) of ``repeats`` calls, after one warm-up."""
    func()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        func()
        best = min(best, time.process_time() - t0)
    return best


def _consume(reg: Registry) -> None:
    """What start-up does with the registry: the command table, the sidebar's panels and
    the readers of a dropped file (manifests only: nothing imported)."""
    reg.contributions("commands")
    reg.contributions("panels")
    reg.readers_for("heart.seg.nrrd")
    reg.label_readers()


def test_startup_with_0_and_20_plugins(tmp_path, monkeypatch):
    """Registry built with the core's manifest and consumed as at start-up, with 0 and 20
    extra plugins, each contributing two models, a reader, a panel and a command."""
    empty, full = tmp_path / "site0", tmp_path / "site20"
    empty.mkdir()
    for i in range(20):
        text = manifest(f"tv_bench_{i}", models=(f"m{i}", f"n{i}")) + (
            f'\n[[contributions.readers]]\nname = "r{i}"\nref = "tv_bench_{i}_pkg.r:read"\n'
            f'suffixes = [".b{i}"]\nopens = "labels"\n'
            f'\n[[contributions.panels]]\nname = "p{i}"\nref = "tv_bench_{i}_pkg.p:P"\n'
            f'step = "Bench"\n'
            f'\n[[contributions.commands]]\nname = "c{i}"\nref = "tv_bench_{i}_pkg.c:run"\n')
        info = installed(full, f"tv-bench-{i}", f"tv_bench_{i}_pkg", text,
                         init="raise RuntimeError('imported at start-up')\n")
        for m in ("m", "r", "p", "c"):  # a plugin's modules, fingerprinted when editable
            (full / f"tv_bench_{i}_pkg" / f"{m}.py").write_text("x = 1\n" * 200)
        # editable installs (the slow case): their source files are hashed at start-up
        (info / "direct_url.json").write_text(
            '{"url": "file:///src", "dir_info": {"editable": true}}')
    store = PluginStore(tmp_path / "cfg" / "plugins.json")

    def build():
        reg = Registry(store=store)
        for name, rec in reg.plugins.items():  # approved: their contributions count too
            if rec.status == "needs approval":
                store.approve(name, rec.fingerprint)
        _consume(Registry(store=store))

    def start(site):
        monkeypatch.syspath_prepend(str(site))
        md.distributions.cache_clear() if hasattr(md.distributions, "cache_clear") else None
        build()
        wall = best_of(lambda: _consume(Registry(store=store)), repeats=7)
        cpu = _cpu_best(lambda: _consume(Registry(store=store)))
        reg = Registry(store=store)
        n = len(reg.plugins)
        n_panels = len(reg.contributions("panels"))
        monkeypatch.undo()
        return wall, cpu, n, n_panels

    import os

    t0, c0, n0, p0 = start(empty)
    t20, c20, n20, p20 = start(full)
    assert n20 - n0 == 20 and p20 - p0 == 20
    print(f"\nregistry start-up (core manifest + consumers), load {os.getloadavg()[0]:.1f}: "
          f"{n0} plugins {t0 * 1e3:.1f} ms wall / {c0 * 1e3:.1f} ms CPU, {n20} plugins "
          f"{t20 * 1e3:.1f} ms wall / {c20 * 1e3:.1f} ms CPU: +{(t20 - t0) * 1e3:.1f} ms wall, "
          f"+{(c20 - c0) * 1e3:.1f} ms CPU for 20")
    assert c20 - c0 < 0.1


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

    import os

    import psutil

    from twinviewer.plugins.isolation import _WORKERS

    def cpu() -> float:
        """CPU seconds of this process and of the plugin workers alive now."""
        total = time.process_time()
        for proc, _conn in list(_WORKERS.values()):
            try:
                t = psutil.Process(proc.pid).cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    rows = {}
    for label, run in (("in-process", in_process),
                       ("worker", lambda: simulate_plugin_model(model, P, settings=settings))):
        times, cpus = [], []
        for _ in range(3):
            t, c = time.perf_counter(), cpu()
            r = run()
            times.append(time.perf_counter() - t)
            cpus.append(cpu() - c)
        rows[label] = (min(times), r, times[0], min(cpus[1:] if len(cpus) > 1 else cpus))
    (t_in, r_in, _, c_in), (t_w, r_w, t_cold, c_w) = rows["in-process"], rows["worker"]
    np.testing.assert_allclose(r_w.series["V_V"], r_in.series["V_V"])
    print(f"\n200-member ensemble, load {os.getloadavg()[0]:.1f}: in-process {t_in:.2f} s wall "
          f"/ {c_in:.2f} s CPU, worker {t_w:.2f} s wall / {c_w:.2f} s CPU (parent + worker, "
          f"warm): {c_w / c_in:.2f}× CPU, {t_w / t_in:.2f}× wall; first call, starting the "
          f"worker: {t_cold:.2f} s wall")

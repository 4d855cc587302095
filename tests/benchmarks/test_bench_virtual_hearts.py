"""Time to switch between two virtual hearts with predictions (issue 17 target ≤ 0.5 s).

A switch is: the new heart's 200-member prior ensemble simulated to its periodic state with
metrics and 90 % intervals, plus its disease anatomy (the demo meshes deformed to the
nominal member's volumes and wall thickness). Measured side by side in one run, switching
healthy ↔ ASD, for the paths of :func:`virtual_hearts.predict`: cold (no converged states),
first visit (the states shipped with the package), warm (states of an earlier session on
disk) and a heart already visited in this session (memory). The nominal member alone (no
interval) is shown for comparison.

Run: ``pytest tests/benchmarks/test_bench_virtual_hearts.py --benchmark-enable -s``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh
from twinviewer.imaging.disease_anatomy import deform_anatomy, volume_curves
from twinviewer.physiology import simulate
from twinviewer.physiology import virtual_hearts as vh

PAIR = ("healthy", "asd")
N = 200
MESHES = Path(__file__).resolve().parents[2] / "meshes" / "demo_heart"


def _base() -> Anatomy:
    pv = pytest.importorskip("pyvista")
    a = Anatomy("virtual-heart")
    for f in sorted(MESHES.glob("*_E[DS].vtp")):
        key, phase = f.stem.rsplit("_", 1)
        poly = pv.read(f)
        s = a.structures.setdefault(key, Structure(key, key, (1.0, 1.0, 1.0)))
        s.meshes[{"ED": 0, "ES": 1}[phase]] = SurfaceMesh(
            np.asarray(poly.points, float), np.asarray(poly.faces).reshape(-1, 4)[:, 1:])
    return a


def _switch(name, base, tmp, *, memory, states):
    h = vh.get_heart(name)
    t0 = time.perf_counter()
    r = vh.predict(name, N, memory=memory, states=states, directory=tmp)
    t_pred = time.perf_counter() - t0
    nominal = simulate(h.model, h.vector(), warm_start=r.final_state[:1])
    deform_anatomy(base, volume_curves(nominal.series), lv_wall_mm=h.anatomy.lv_wall_mm)
    assert r.ok.mean() > 0.95
    return time.perf_counter() - t0, t_pred


def test_switch_between_two_virtual_hearts(benchmark, tmp_path):
    base = _base()
    for name in PAIR:  # compile the kernel and load everything once
        simulate(vh.get_heart(name).model, vh.get_heart(name).vector())
    rows = {}
    vh.forget_predictions()
    rows["cold (no converged states at all)"] = [
        _switch(n, base, tmp_path, memory=False, states=False) for n in PAIR]
    rows["first visit (shipped states)"] = [
        _switch(n, base, tmp_path, memory=False, states=True) for n in PAIR]
    rows["warm (states from an earlier session)"] = [
        _switch(n, base, tmp_path, memory=False, states=True) for n in PAIR]
    for n in PAIR:
        vh.predict(n, N, directory=tmp_path)
    rows["visited this session (memory)"] = [
        _switch(n, base, tmp_path, memory=True, states=True) for n in PAIR]
    t0 = time.perf_counter()
    for n in PAIR:
        h = vh.get_heart(n)
        simulate(h.model, h.vector())
    nominal = (time.perf_counter() - t0) / 2
    print(f"\nswitch between {PAIR[0]} and {PAIR[1]}, {N} members, incl. disease anatomy "
          "(loaded 2-core machine):")
    for label, ts in rows.items():
        tot = [t for t, _ in ts]
        pred = [p for _, p in ts]
        print(f"  {label:40s} {np.mean(tot):6.3f} s (ensemble {np.mean(pred):.3f} s)")
    print(f"  {'nominal member only, cold (no interval)':40s} {nominal:6.3f} s")
    benchmark.extra_info.update({k: float(np.mean([t for t, _ in v])) for k, v in rows.items()})
    benchmark.pedantic(lambda: _switch(PAIR[0], base, tmp_path, memory=False, states=True),
                       rounds=1, iterations=1)

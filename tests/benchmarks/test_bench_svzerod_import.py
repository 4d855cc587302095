"""Benchmark: TwinViewer's svZeroDSolver importer against svZeroDSolver itself.

Case ``closed_loop_two_hill`` (Regazzoni-type loop, 3 beats), at the file's 689 points per
beat and at 150. Both solvers run the same configuration in the same process; the ratio
``twinviewer / svzerod`` of best-of-N wall times is printed and stored in ``extra_info``,
against ``svzerod.simulate`` (returns a pandas DataFrame) and against ``Solver.run`` alone.
Compilation (numba) and svzerod's first-call start-up are excluded by a warm-up call.

Run with ``pytest tests/benchmarks/test_bench_svzerod_import.py --benchmark-enable -s``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.benchmarks.timing import best_of
from twinviewer.physiology.svzerod import load_config, simulate

svzerod = pytest.importorskip("svzerod")

CASE = Path(__file__).resolve().parents[1] / "data" / "svzerodsolver" / "cases" / \
    "closed_loop_two_hill.json"


def _config(points: int) -> dict:
    cfg = json.loads(CASE.read_text())
    cfg["simulation_parameters"]["number_of_time_pts_per_cardiac_cycle"] = points
    return cfg




@pytest.mark.parametrize("points", [150, 689])
def test_importer_vs_svzerod_ratio(points, benchmark):
    cfg = _config(points)
    parsed = load_config(cfg)
    ours = best_of(lambda: simulate(parsed))
    ours_with_parse = best_of(lambda: simulate(cfg))
    peer = best_of(lambda: svzerod.simulate(cfg))

    def peer_solver_only():  # svzerod without building its pandas DataFrame
        solver = svzerod.Solver(cfg)
        solver.run()
        return solver.get_single_result("pressure:LV:AV")

    peer_core = best_of(peer_solver_only)
    # Same answer, so the timings compare like with like.
    a = simulate(parsed)["pressure:LV:AV"]
    b = svzerod.simulate(cfg)
    b = b[b["name"] == "pressure:LV:AV"]["y"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-3)
    ratio = ours / peer
    benchmark.extra_info.update({
        "points_per_beat": points, "twinviewer_s": ours,
        "twinviewer_incl_parse_s": ours_with_parse, "svzerod_s": peer,
        "ratio_twinviewer_over_svzerod": ratio, "svzerod_solver_run_s": peer_core,
        "ratio_twinviewer_over_svzerod_solver_run": ours / peer_core})
    print(f"\nclosed_loop_two_hill, 3 beats x {points} pts: TwinViewer {ours * 1e3:.1f} ms "
          f"({ours_with_parse * 1e3:.1f} ms incl. parsing), svzerod.simulate {peer * 1e3:.1f} ms "
          f"(ratio {ratio:.2f}), svzerod Solver.run {peer_core * 1e3:.1f} ms "
          f"(ratio {ours / peer_core:.2f})")
    benchmark.pedantic(simulate, args=(parsed,), rounds=10, iterations=1)


@pytest.mark.parametrize("points", [150, 689])
def test_svzerod_peer(points, benchmark):
    cfg = _config(points)
    svzerod.simulate(cfg)
    benchmark.pedantic(svzerod.simulate, args=(cfg,), rounds=10, iterations=1)

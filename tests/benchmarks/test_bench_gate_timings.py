"""Time limits that gate tests used to assert, measured here on the same code (the gate has no
wall-clock asserts: on a loaded machine they fail for reasons that are not the code's).

Run: ``pytest tests/benchmarks/test_bench_gate_timings.py -s`` (under ``xvfb-run -a``).
Each prints wall and CPU time; the limits are the ones the gate tests held.
"""

from __future__ import annotations

import random
import time

import pytest


def _timed(func):
    cpu, wall = time.process_time(), time.perf_counter()
    out = func()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def test_regazzoni_sobol_within_30_s():
    """tests/explain/test_sobol.py::test_regazzoni_ranking, n = 256."""
    from twinviewer.explain.sobol import model_sobol
    from twinviewer.physiology import get_preset, simulate

    preset = get_preset("regazzoni2022")
    base = preset.vector()
    state = simulate(preset.model, base).final_state[0]
    names = ["LV.EA", "SYS.R_AR", "SYS.C_AR", "RV.EA", "PUL.R_AR", "SYS.R_VEN"]
    _, wall, cpu = _timed(lambda: model_sobol(preset.model, base, names, ["LVEF", "MAP"],
                                              n=256, warm_start=state))
    print(f"\nRegazzoni Sobol n=256: wall {wall:.1f} s, CPU {cpu:.1f} s (limit 30 s wall)")
    assert wall < 30


def test_twin_file_fuzz_within_30_s():
    """tests/io/test_fuzz.py::test_fuzzed_files_never_crash_the_reader, same cases."""
    from tests.io.test_fuzz import N_CASES, _base, _mutate
    from twinviewer.io import TwinFileError
    from twinviewer.io.twinfile import load_twin_bytes

    rng = random.Random(20261123)
    base = _base()

    def run():
        for _ in range(N_CASES):
            _, data = _mutate(base, rng)
            try:
                load_twin_bytes(data, name="fuzz.twin")
            except TwinFileError:
                pass

    _, wall, cpu = _timed(run)
    print(f"\ntwin-file fuzz, {N_CASES} cases: wall {wall:.1f} s, CPU {cpu:.1f} s "
          f"(limit 30 s wall)")
    assert wall < 30


def test_cancel_from_the_status_bar_within_2_s(qtbot):
    """tests/gui/test_main_window.py::test_cancel_a_long_job_from_the_status_bar."""
    from PySide6.QtCore import Qt

    from twinviewer.gui.job_bar import JobBar
    from twinviewer.gui.state import TwinState

    state = TwinState()
    bar = JobBar(state)
    qtbot.addWidget(bar)
    bar.show()

    def slow(progress, is_cancelled):
        for i in range(600):
            if is_cancelled():
                raise InterruptedError("stopped")
            progress(i / 600, f"step {i}")
            time.sleep(0.01)
        return "finished"

    job = state.run_job("Slow job", slow, lambda r: None, lambda e: None)
    qtbot.waitUntil(lambda: bar.isVisible() and job.fraction > 0, timeout=5000)
    t0 = time.perf_counter()
    qtbot.mouseClick(bar.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.finished, timeout=5000)
    latency = time.perf_counter() - t0
    print(f"\ncancel honoured after {latency:.2f} s (limit 2 s)")
    assert job.cancelled and latency < 2.0
    state.close()


def test_cancelled_dask_map_returns_within_15_s():
    """tests/cohort/test_dask_map.py::test_cancel_stops_the_map_and_keeps_what_was_delivered:
    40 half-second tasks on one worker, cancelled after two results (≥ 19 s if waited for)."""
    from tests.cohort.test_dask_map import _slow
    from twinviewer.cohort.cluster import dask_client, dask_map
    from twinviewer.physiology import Cancelled

    seen: dict[int, int] = {}

    def run():
        with dask_client(workers=1, processes=False) as client:
            with pytest.raises(Cancelled):
                dask_map(client, _slow, list(range(40)), keys=[f"slow-{i}" for i in range(40)],
                         on_result=lambda i, v: seen.__setitem__(i, v),
                         cancel=lambda: len(seen) >= 2)

    _, wall, cpu = _timed(run)
    print(f"\ncancelled Dask map: wall {wall:.1f} s, CPU {cpu:.1f} s (limit 15 s wall)")
    assert 2 <= len(seen) < 40 and wall < 15


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-s"])

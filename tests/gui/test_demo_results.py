"""The demo's stored predictions, shown at once on a warm start, are what a recompute gives."""

from __future__ import annotations

import numpy as np

from twinviewer.gui import demo_heart
from twinviewer.twins import simulate_twin, twin_from_preset


def _same(a, b) -> None:
    assert np.array_equal(a.params, b.params)
    assert np.array_equal(a.status, b.status) and np.array_equal(a.time, b.time)
    assert sorted(a.metrics) == sorted(b.metrics)
    for k in a.metrics:
        assert np.array_equal(a.metrics[k], b.metrics[k], equal_nan=True), k
    assert sorted(a.series) == sorted(b.series)
    for k in a.series:
        assert np.array_equal(a.series[k], b.series[k], equal_nan=True), k


def test_stored_results_are_a_recompute_bit_for_bit(tmp_path):
    twin = twin_from_preset("healthy", n=6, seed=3, pseudonym="virtual-6")
    demo_heart.store_results(twin, simulate_twin(twin), tmp_path)
    stored = demo_heart.load_stored_results(twin, tmp_path)
    _same(stored, simulate_twin(twin))
    other = twin_from_preset("healthy", n=6, seed=4, pseudonym="virtual-6")
    assert demo_heart.load_stored_results(other, tmp_path) is None  # another ensemble


def test_the_results_key_follows_the_engine_sources(tmp_path):
    src = tmp_path / "engine"
    src.mkdir()
    (src / "integrator.py").write_text("RTOL = 1e-6\n")
    before = demo_heart.engine_digest((src,))
    (src / "integrator.py").write_text("RTOL = 1e-7\n")
    demo_heart._engine_digest_memo.clear()
    assert demo_heart.engine_digest((src,)) != before
    demo_heart._engine_digest_memo.clear()


def test_the_demo_window_shows_what_a_recompute_gives(make_twin_window):
    """Whether the window took the predictions from the store (a warm start) or computed
    them, they equal a fresh ``simulate_twin`` of the twin it shows."""
    w = make_twin_window()
    shown = w.state.results
    _same(shown, simulate_twin(w.state.twin))

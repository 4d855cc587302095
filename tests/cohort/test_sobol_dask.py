"""Sobol at scale through the Dask path: the same indices as the in-process sampling."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twinviewer.cli import main
from twinviewer.cohort.cluster import dask_client, sobol_mapper
from twinviewer.explain.sobol import model_sobol, saltelli
from twinviewer.physiology import get_preset


def _ishigami(X: np.ndarray) -> dict[str, np.ndarray]:
    a, b = 7.0, 0.1
    x1, x2, x3 = X.T
    return {"y": np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)}


def test_dask_sampling_reproduces_the_ishigami_indices():
    """The Ishigami function's analytic indices (Saltelli et al. 2008, §4.2): S1 = 0.314,
    0.442, 0; ST = 0.558, 0.442, 0.244."""
    box = [(-np.pi, np.pi)] * 3
    with dask_client(workers=2, processes=False) as client:
        res = saltelli(_ishigami, ["x1", "x2", "x3"], box, ["y"], 4096, chunk=5000,
                       mapper=sobol_mapper(client), ci_threshold=0.01)
    ref = saltelli(_ishigami, ["x1", "x2", "x3"], box, ["y"], 4096, chunk=5000,
                   ci_threshold=0.01)
    np.testing.assert_array_equal(res["y"].ST, ref["y"].ST)
    np.testing.assert_allclose(res["y"].S1, [0.314, 0.442, 0.0], atol=0.03)
    np.testing.assert_allclose(res["y"].ST, [0.558, 0.442, 0.244], atol=0.03)


def test_model_sobol_on_dask_equals_in_process():
    p = get_preset("healthy")
    names = ["SYS.R_AR", "V_total", "LV.EA"]
    kw = {"n": 16, "seed": 3, "ci_threshold": 0.01}
    ref = model_sobol(p.model, p.vector(), names, ["MAP"], **kw)
    with dask_client(workers=2, processes=False) as client:
        got = model_sobol(p.model, p.vector(), names, ["MAP"], mapper=sobol_mapper(client),
                          **kw)
    np.testing.assert_allclose(got["MAP"].ST, ref["MAP"].ST, rtol=0, atol=1e-12)
    assert got["MAP"].converged is False  # N = 16 cannot reach a 0.01 half-width
    with pytest.raises(ValueError, match="drop --surrogate"):
        model_sobol(p.model, p.vector(), names, ["MAP"], n=16, method="pce",
                    mapper=sobol_mapper(None))


@pytest.mark.slow
def test_explain_cli_distributed(capsys):
    assert main(["explain", "--preset", "healthy", "--metric", "MAP", "--sobol", "16",
                 "--parameters", "4", "--distributed", "--workers", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    v = out["sobol_convergence"]
    assert v["distributed"] and v["ci_threshold"] == 0.01 and 0 <= v["converged_share"] <= 1
    assert main(["explain", "--sobol", "16", "--distributed", "--surrogate"]) == 2
    assert "drop --surrogate" in capsys.readouterr().err
    assert main(["explain", "--sobol", "16", "--ci-threshold", "2"]) == 2
    assert "--ci-threshold" in capsys.readouterr().err


def test_converged_share_counts_indices_within_the_threshold():
    from twinviewer.explain.cli import converged_share
    from twinviewer.explain.sobol import SobolIndices, SobolResult

    z = np.zeros(2)
    ind = SobolIndices("MAP", ("a", "b"), z, np.array([0.005, 0.02]), z,
                       np.array([0.01, np.nan]), "saltelli", 8, 32, 0, 0.0, False)
    res = SobolResult(("a", "b"), ((0, 1), (0, 1)), {"MAP": ind}, 1.0,
                      {"ci_threshold": 0.01})
    assert converged_share(res) == 0.5  # 0.005 and 0.01 pass; 0.02 and NaN do not


ROWS: dict[str, int] = {}


class _Counting:
    """An Ishigami evaluator that counts the rows it evaluates in :data:`ROWS` (Dask ships
    a copy of the evaluator; thread workers share this module)."""

    def __init__(self, name: str, delay: float = 0.0) -> None:
        self.name, self.delay = name, delay
        ROWS[name] = 0

    @property
    def rows(self) -> int:
        return ROWS[self.name]

    def __call__(self, X: np.ndarray) -> dict[str, np.ndarray]:
        import time

        time.sleep(self.delay)
        ROWS[self.name] += X.shape[0]
        return _ishigami(X)


def test_persisted_blocks_resume_a_stopped_study(tmp_path):
    """Blocks finished before a stop are read back, not re-run; the indices are identical
    to an uninterrupted study; a torn block file or another study's context is recomputed."""
    box = [(-np.pi, np.pi)] * 3
    names, kw = ["x1", "x2", "x3"], {"chunk": 500, "ci_threshold": 0.01}
    ref = saltelli(_ishigami, names, box, ["y"], 512, **kw)  # 2,560 runs, 6 blocks
    store = tmp_path / "blocks"
    calls = [0]

    def stop_after_two_blocks() -> bool:
        calls[0] += 1
        return len(list(store.glob("block-*.npz"))) >= 2

    ev = _Counting("first", delay=0.6)
    from twinviewer.physiology import Cancelled

    with dask_client(workers=1, processes=False) as client:
        with pytest.raises(Cancelled):
            saltelli(ev, names, box, ["y"], 512, mapper=sobol_mapper(
                client, store=store, context="ishigami", cancel=stop_after_two_blocks), **kw)
        kept = sorted(store.glob("block-*.npz"))
        assert 2 <= len(kept) < 6 and calls[0] > 0
        intact = np.load(kept[1])["y"].size
        kept[0].write_bytes(b"torn")  # a torn file is recomputed, never trusted
        ev2 = _Counting("resumed")
        res = saltelli(ev2, names, box, ["y"], 512,
                       mapper=sobol_mapper(client, store=store, context="ishigami"), **kw)
        assert ev2.rows == 2560 - intact > 0
        np.testing.assert_array_equal(res["y"].ST, ref["y"].ST)
        np.testing.assert_array_equal(res["y"].S1, ref["y"].S1)
        ev3 = _Counting("other")  # another study (context) never reuses these blocks
        saltelli(ev3, names, box, ["y"], 512,
                 mapper=sobol_mapper(client, store=store, context="other"), **kw)
        assert ev3.rows == 2560

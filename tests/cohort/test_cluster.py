"""A real Dask cluster on localhost: a separate ``dask scheduler`` and two ``dask worker``
processes (127.0.0.1 only). The cohort run against its address must equal the in-process
table, also when one worker is killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.cohort.conftest import TINY
from twinviewer.cohort.runner import run_cohort
from twinviewer.cohort.spec import parse_spec

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DASK = [sys.executable, "-m", "distributed.cli"]


def _env() -> dict[str, str]:
    # workers need twinviewer importable: the checkout under test comes first on the path
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path, "TWINVIEWER_THREADS": "1"}


def _wait(cond, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(0.2)


@pytest.fixture
def cluster(tmp_path):
    """(address, worker processes) of a scheduler and two workers, torn down afterwards."""
    from dask.distributed import Client

    sfile = tmp_path / "scheduler.json"
    procs = [subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", "0", "--dashboard-address", ":0", "--scheduler-file", str(sfile)],
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait(sfile.exists, 60, "dask scheduler")
        workers = [subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
             str(sfile), "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
             "--no-dashboard", "--name", f"w{i}"],
            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i in range(2)]
        procs += workers
        with Client(scheduler_file=str(sfile), timeout="60s") as c:
            c.wait_for_workers(2, timeout=120)
            address = c.scheduler.address
        yield address, workers
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_separate_scheduler_and_workers_give_the_in_process_table(cluster, tmp_path,
                                                                   reference_table):
    address, _ = cluster
    run = run_cohort(parse_spec(TINY), tmp_path / "r.parquet", scheduler=address)
    assert run.workers == 2
    pd.testing.assert_frame_equal(run.table, reference_table, check_exact=True)


def test_killed_worker_loses_only_its_chunk(cluster, tmp_path, reference_table):
    """SIGKILL one worker as soon as the first chunk is persisted: the scheduler re-runs the
    chunks it held on the survivor, and the table is still complete and identical."""
    address, workers = cluster
    spec = parse_spec({**TINY, "population": {**TINY["population"], "n": 12}, "chunk": 1})
    reference = run_cohort(spec, tmp_path / "ref.parquet", in_process=True).table
    from dask.distributed import Client

    killed: list[int] = []
    held: list[int] = []
    with Client(address, timeout="60s") as observer:
        w0 = next(a for a, w in observer.scheduler_info()["workers"].items()
                  if w["name"] == "w0")

        def kill_one(index: int) -> None:
            if not killed:
                held.append(len(observer.processing(workers=[w0])[w0]))
                workers[0].kill()  # no nanny: the worker process is gone for good
                killed.append(index)

        run = run_cohort(spec, tmp_path / "r.parquet", scheduler=address,
                         chunk_hook=kill_one)
    assert killed and workers[0].wait(timeout=20) == -signal.SIGKILL
    assert held[0] >= 1  # the killed worker was holding chunks, which had to be re-run
    assert run.chunks_total == 12 and len(run.table) == 24
    pd.testing.assert_frame_equal(run.table, reference, check_exact=True)

"""last16 #3: the plug-in store's read-change-write had no lock. Two changes within
milliseconds (two threads of the app, or the app and a command in another process) each
read the file, changed their own entry and wrote the whole file back: the later write
dropped the earlier change. Every change now holds an exclusive lock on a sibling lock file
from its read to its rename, so no change is lost."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from twinviewer.plugins.store import PluginStore, _locked

N_WORKERS = 4
N_CHANGES = 25


def _approve_many(path: str, who: str, start: threading.Barrier | None = None) -> None:
    store = PluginStore(Path(path), read_only=False)
    if start is not None:
        start.wait()
    for i in range(N_CHANGES):
        store.approve(f"{who}-{i}", f"fp-{who}-{i}")


def _process_target(path: str, who: str, start) -> None:
    start.wait()
    _approve_many(path, who)


def _approved(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["approved"]


def test_threads_changing_the_store_at_once_lose_nothing(tmp_path):
    p = tmp_path / "plugins.json"
    start = threading.Barrier(N_WORKERS)
    errors: list[BaseException] = []

    def run(who: str) -> None:
        try:
            _approve_many(str(p), who, start)
        except BaseException as exc:  # noqa: BLE001 - reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"t{k}",)) for k in range(N_WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(_approved(p)) == N_WORKERS * N_CHANGES


def test_processes_changing_the_store_at_once_lose_nothing(tmp_path):
    p = tmp_path / "plugins.json"
    ctx = multiprocessing.get_context("spawn")  # a command or helper is a fresh interpreter
    start = ctx.Barrier(N_WORKERS)
    procs = [ctx.Process(target=_process_target, args=(str(p), f"p{k}", start))
             for k in range(N_WORKERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0] * N_WORKERS
    assert len(_approved(p)) == N_WORKERS * N_CHANGES


def test_one_store_shared_by_threads_loses_nothing(tmp_path):
    """The app's registry holds one store; its GUI thread and a worker thread both change it."""
    store = PluginStore(tmp_path / "plugins.json", read_only=False)
    start = threading.Barrier(N_WORKERS)

    def run(who: str) -> None:
        start.wait()
        for i in range(N_CHANGES):
            store.disable(f"{who}-{i}", "failed")

    threads = [threading.Thread(target=run, args=(f"t{k}",)) for k in range(N_WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    on_disk = json.loads(store.path.read_text(encoding="utf-8"))["disabled"]
    assert len(on_disk) == len(store.data["disabled"]) == N_WORKERS * N_CHANGES


def _approve_one(path: str) -> None:
    PluginStore(Path(path), read_only=False).approve("from-the-child", "fp")


def test_a_forked_child_is_not_locked_out_by_a_parents_thread(tmp_path):
    """A process forked while another thread of its parent was changing the store inherited
    that thread's lock held, with no thread to release it, and a copy of its flocked
    descriptor: its own change waited forever. A fork now waits for the change to end."""
    if not hasattr(os, "register_at_fork"):
        pytest.skip("no fork here")
    p = tmp_path / "plugins.json"
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with _locked(p):
            holding.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    assert holding.wait(10)
    threading.Timer(0.5, release.set).start()  # the parent's change ends soon
    child = multiprocessing.get_context("fork").Process(target=_approve_one, args=(str(p),))
    child.start()
    child.join(20)
    t.join(10)
    if child.exitcode is None:
        child.kill()
        child.join(5)
        pytest.fail("the forked child's change waited for a lock nobody would release")
    assert child.exitcode == 0
    assert _approved(p) == {"from-the-child": "fp"}

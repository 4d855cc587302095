"""The stall recorder (twinviewer.core.stall_trace): a late heartbeat's stacks are written."""

from __future__ import annotations

import threading
import time

import pytest

from twinviewer.core import stall_trace


def _sleeps_on_purpose(seconds: float) -> None:
    time.sleep(seconds)


def _beats(tracer: stall_trace.StallTracer, stop: threading.Event) -> None:
    while not stop.is_set():
        tracer.beat()
        time.sleep(0.005)


def _beat_for(tracer: stall_trace.StallTracer, seconds: float) -> None:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        tracer.beat()
        time.sleep(0.005)


def test_a_late_beat_is_recorded_with_the_stack_that_held_it(tmp_path):
    out = tmp_path / "trace.jsonl"
    tracer = stall_trace.StallTracer(out, threshold_ms=40).start()
    try:
        _beat_for(tracer, 0.1)  # on time: nothing written
        assert stall_trace.read_trace(out) == []
        _sleeps_on_purpose(0.2)
        _beat_for(tracer, 0.06)
    finally:
        tracer.stop()
    (gap,) = stall_trace.gaps_of(stall_trace.read_trace(out))
    assert 190 <= gap["gap_ms"] < 400
    top = gap["stacks"][0]
    assert top["stack"][-1].endswith("sleep") or "_sleeps_on_purpose" in top["stack"][-1]
    assert any("_sleeps_on_purpose" in f for f in top["stack"])
    assert top["ms"] > 100  # sampled from the threshold (40 ms) to the beat
    assert "_sleeps_on_purpose" in stall_trace.summary([gap])


def test_only_the_watched_thread_counts(tmp_path):
    """Another thread's work does not make a gap; the watched thread's beat does."""
    out = tmp_path / "trace.jsonl"
    stop = threading.Event()
    ready = []
    def watched():
        ready.append(stall_trace.StallTracer(out, threshold_ms=40).start())
        _beats(ready[0], stop)
    t = threading.Thread(target=watched)
    t.start()
    try:
        time.sleep(0.3)  # this thread is idle, the watched one beats
    finally:
        stop.set()
        t.join()
        ready[0].stop()
    assert stall_trace.gaps_of(stall_trace.read_trace(out)) == []


def test_a_collection_in_the_gap_is_named(tmp_path):
    import gc

    out = tmp_path / "trace.jsonl"
    tracer = stall_trace.StallTracer(out, threshold_ms=40).start()
    try:
        _beat_for(tracer, 0.03)
        gc.collect(2)
        _sleeps_on_purpose(0.12)
        _beat_for(tracer, 0.06)
    finally:
        tracer.stop()
    (gap,) = stall_trace.gaps_of(stall_trace.read_trace(out))
    assert [c["generation"] for c in gap["gc"]] == [2]
    assert gap["gc"][0]["thread"] == "gui"
    # the collection is CPU, the 120 ms sleep is not (a test worker's heap can make the
    # collection itself take 400 ms: the bound is relative to it)
    assert gap["gui_cpu_ms"] < gap["gc"][0]["ms"] + 60
    (totals,) = [r["gc_totals"] for r in stall_trace.read_trace(out) if "gc_totals" in r]
    assert totals["2"]["count"] >= 1 and totals["2"]["max_ms"] > 0


def test_off_unless_the_environment_names_a_file(monkeypatch, tmp_path):
    monkeypatch.delenv(stall_trace.ENV, raising=False)
    n = threading.active_count()
    assert stall_trace.from_env() is None
    assert threading.active_count() == n
    monkeypatch.setenv(stall_trace.ENV, str(tmp_path / "t.jsonl"))
    tracer = stall_trace.from_env()
    try:
        assert isinstance(tracer, stall_trace.StallTracer)
        assert any(x.name == "stall-trace" for x in threading.enumerate())
    finally:
        tracer.stop()
    assert not any(x.name == "stall-trace" for x in threading.enumerate())


def test_an_unreadable_trace_line_names_the_file(tmp_path):
    bad = tmp_path / "t.jsonl"
    bad.write_text('{"gap_ms": 1}\nnot json\n')
    with pytest.raises(ValueError, match="t.jsonl"):
        stall_trace.read_trace(bad)


def _hog(stop: threading.Event) -> None:
    import random

    big = list(range(600_000))
    random.Random(0).shuffle(big)  # shuffled: each sort holds the lock ~0.2–1 s, not ~10 ms
    while not stop.is_set():
        sorted(big)  # C code that keeps the interpreter lock


def _hog_named(folder: str) -> str:
    """Up to three tries of the hog scenario; '' when the hog was named in a gap and in its
    summary, else the summaries (run in a fresh process: see the test)."""
    from pathlib import Path

    summaries = []
    for attempt in range(3):
        out = Path(folder) / f"trace{attempt}.jsonl"
        tracer = stall_trace.StallTracer(out, threshold_ms=40).start()
        stop = threading.Event()
        hog = threading.Thread(target=_hog, args=(stop,), name="hog")
        try:
            _beat_for(tracer, 0.05)
            hog.start()
            time.sleep(1.0)  # idle in the "event loop" while the hog holds the lock
            _beat_for(tracer, 0.1)
        finally:
            stop.set()
            hog.join()
            tracer.stop()
        gaps = stall_trace.gaps_of(stall_trace.read_trace(out))
        named = {o["thread"] for g in gaps for o in g["others_at_held"]}
        said = stall_trace.summary(gaps)
        if "hog" in named and "hog" in said:
            return ""
        summaries.append(said)
    return "\n".join(summaries)


def test_a_thread_holding_the_interpreter_lock_is_named(tmp_path):
    """The watched thread idles; another thread holds the lock: the gap names that thread.

    The watched thread stops beating for a second (so the gap is certain) while the hog's
    sorts keep taking the lock from the sampler; which samples wait for it is up to the
    scheduler: up to three tries. In a fresh process: in a test worker, idle threads left
    by earlier tests (a slice-cutting pool, dask's offload thread, xdist's receiver) filled
    the summary's list of other threads and the hog, tied with them, was left off (CI at
    load 10, session 17, and once in session 16)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = ("import sys; from tests.core.test_stall_trace import _hog_named; "
            "said = _hog_named(sys.argv[1]); print(said); sys.exit(1 if said else 0)")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=root,
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        pytest.fail("the lock-holding thread was never named:\n" + run.stdout + run.stderr)

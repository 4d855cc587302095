"""A stall recorder: what the GUI thread was doing while it did not answer (Qt-free).

Switched on by the environment: ``TWINVIEWER_STALL_TRACE=<file>`` makes the GUI
(:func:`twinviewer.gui.app._app`) start a :class:`StallTracer` whose heartbeat a 10 ms
``QTimer`` bumps; off (unset) it costs nothing (one environment look-up at start-up).

How it works
------------
- The GUI thread calls :meth:`StallTracer.beat` at every heartbeat tick.
- A watchdog thread wakes every 20 ms or less. When the last beat is older than
  ``threshold_ms``, it samples the watched thread's Python stack
  (:func:`sys._current_frames`) every ``sample_ms`` until the beat moves again.
- Each sample counts its stack and the time since the previous sample. A sample that
  came late is marked ``held``: the watchdog waited for the interpreter lock (a thread in
  C code that keeps it) or for a CPU (the machine's load). Its time is charged to the
  stack seen right after. VTK's wrapped calls (``Render``) let the lock go in this build,
  so a late sample while the GUI thread is in VTK points at another thread or the load;
  PySide's Qt calls (``QPainter``) keep it, so one in a Qt paint is the GUI thread's own
  C++ work. ``others_at_held`` lists the other threads' stacks at those samples.
- Garbage collections are timed through :data:`gc.callbacks` (any thread), so a
  collection inside a gap is named with its generation and duration.
- When the beat moves, one JSON line per gap is appended to the file: its start, length,
  the watched thread's CPU time in it (``gui_cpu_ms``; of it in the kernel,
  ``gui_kernel_ms``, and its page faults, ``gui_faults``), its time waiting for a CPU
  (``gui_runqueue_ms``: the machine's load), the collections in it, and the aggregated
  stacks, longest first (innermost frame last). What is neither CPU nor run-queue wait,
  the thread was blocked: in the GL driver, on the X server, or asleep.
- At :meth:`StallTracer.stop` a last line gives every collection's count and time by
  generation (``gc_totals``).
- Cost: off, nothing. On, a watchdog thread that wakes every 20 ms (at the default
  threshold) and reads three small ``/proc`` files, and samples only inside a late gap;
  each wake and sample takes the interpreter lock from the GUI thread for a moment
  (docs/notes/stall15.md measured the cost in the playback benchmark).

Reading a trace::

    python -m twinviewer.core.stall_trace TRACE.jsonl   # the gaps, their top stacks

Example
-------
>>> import tempfile, time, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"
>>> tracer = StallTracer(out, threshold_ms=30).start()
>>> tracer.beat(); time.sleep(0.1); tracer.beat(); tracer.stop()
>>> gaps = gaps_of(read_trace(out))
>>> len(gaps) == 1 and gaps[0]["gap_ms"] > 80
True
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

#: Environment variable naming the trace file (JSON lines); unset: no tracer.
ENV = "TWINVIEWER_STALL_TRACE"
#: Frames kept per stack (innermost last).
DEPTH = 40


def _stack(frame, depth: int = DEPTH) -> tuple[str, ...]:
    out = []
    while frame is not None and len(out) < depth:
        code = frame.f_code
        out.append(f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name}")
        frame = frame.f_back
    return tuple(reversed(out))


def _run_delay(native_id: int | None) -> float:
    """Seconds thread ``native_id`` has waited for a CPU (Linux schedstat; elsewhere 0)."""
    try:
        with open(f"/proc/self/task/{native_id}/schedstat", encoding="ascii") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _kernel_side(native_id: int | None) -> tuple[float, int, int]:
    """Thread ``native_id``'s CPU seconds in the kernel (clock-tick resolution) and its minor
    and major page faults (Linux ``/proc``; elsewhere zeros): a gap whose CPU is mostly
    the kernel's (page faults, reclaim) is not the app's own work."""
    try:
        with open(f"/proc/self/task/{native_id}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[12]) / _TICK, int(fields[7]), int(fields[9])
    except (OSError, ValueError, IndexError):
        return 0.0, 0, 0


def _thread_cpu(ident: int) -> float:
    """CPU seconds of thread ``ident`` (Linux: its CPU clock; elsewhere 0)."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (AttributeError, OSError):
        return 0.0


class StallTracer:
    """Record the stacks of a thread while its heartbeat is late.

    Parameters
    ----------
    path : str or Path
        JSON-lines file, appended to (one line per gap).
    threshold_ms : float, default: 60
        A beat older than this starts sampling (the heartbeat's own interval included).
    sample_ms : float, default: 5
        Pause between two samples within a gap.
    thread : int, optional
        The watched thread's ident (default: the thread that makes the tracer).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = StallTracer(pathlib.Path(tempfile.mkdtemp()) / "t.jsonl").start()
    >>> t.beat(); t.stop()
    """

    def __init__(self, path: str | os.PathLike, *, threshold_ms: float = 60.0,
                 sample_ms: float = 5.0, thread: int | None = None) -> None:
        self.path = Path(path)
        self.threshold_s = threshold_ms / 1000.0
        self.sample_s = sample_ms / 1000.0
        # each wake takes the interpreter lock from the watched thread: not more often than
        # needed (10 ms polls cost the GUI thread ~1.4 ms of CPU per playback frame)
        self.poll_s = min(0.02, self.threshold_s / 3)
        self.thread = thread if thread is not None else threading.get_ident()
        self._native = next((t.native_id for t in threading.enumerate()
                             if t.ident == self.thread), None)
        # the last poll with the beat on time: wall, CPU, run-queue wait, kernel side
        self._on_time = (time.perf_counter(), 0.0, 0.0, (0.0, 0, 0))
        self._gc_totals: dict[int, list[float]] = {}  # generation: [count, total s, max s]
        self._last = time.perf_counter()
        self._beats = 0
        self._stop = threading.Event()
        self._gcs: list[tuple[float, float, int, int, str]] = []  # start, end, gen, freed
        self._gc_open: dict[int, float] = {}
        self._watchdog: threading.Thread | None = None
        self.gaps = 0

    def beat(self) -> None:
        """Mark the watched thread alive (call it from that thread's event loop)."""
        self._last = time.perf_counter()
        self._beats += 1

    def _on_gc(self, phase: str, info: dict) -> None:
        t, tid = time.perf_counter(), threading.get_ident()
        if phase == "start":
            self._gc_open[tid] = t
        else:
            t0 = self._gc_open.pop(tid, t)
            gen = info.get("generation", -1)
            tot = self._gc_totals.setdefault(gen, [0, 0.0, 0.0])
            tot[0] += 1
            tot[1] += t - t0
            tot[2] = max(tot[2], t - t0)
            name = "gui" if tid == self.thread else threading.current_thread().name
            self._gcs.append((t0, t, info.get("generation", -1), info.get("collected", 0),
                              name))
            del self._gcs[:-200]

    def start(self) -> StallTracer:
        """Start the watchdog thread and the collection timing; returns ``self``."""
        gc.callbacks.append(self._on_gc)
        self._watchdog = threading.Thread(target=self._watch, name="stall-trace", daemon=True)
        self._watchdog.start()
        return self

    def stop(self) -> None:
        """Stop the watchdog (a gap in progress is written) and the collection timing."""
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join(5.0)
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        with open(self.path, "a", encoding="utf-8") as f:  # every collection, by generation
            f.write(json.dumps({"gc_totals": {
                str(g): {"count": n, "total_ms": round(1000 * s, 1), "max_ms": round(1000 * m, 1)}
                for g, (n, s, m) in sorted(self._gc_totals.items())}}) + "\n")

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s):
            last, beats = self._last, self._beats
            now = time.perf_counter()
            if now - last > self.threshold_s:
                self._record(last, beats)
            else:
                self._on_time = (now, _thread_cpu(self.thread), _run_delay(self._native),
                                 _kernel_side(self._native))

    def _record(self, last: float, beats: int) -> None:
        cpu0 = _thread_cpu(self.thread)
        stacks: Counter[tuple[str, ...]] = Counter()
        held: Counter[tuple[str, ...]] = Counter()
        others: Counter[tuple[str, ...]] = Counter()  # other threads, at the late samples
        me = threading.get_ident()
        prev = first = time.perf_counter()
        n = 0
        while self._beats == beats and not self._stop.is_set():
            frames = sys._current_frames()
            now = time.perf_counter()
            frame = frames.get(self.thread)
            if frame is None:
                return  # the thread ended
            key = _stack(frame)
            dt = now - prev
            stacks[key] += dt
            if dt > self.sample_s + 0.008:  # waited for the interpreter lock, or a CPU
                held[key] += dt
                # who held it: a thread that has just let it go is one of these
                names = {t.ident: t.name for t in threading.enumerate()}
                for tid, f in frames.items():
                    if tid not in (self.thread, me):
                        others[(names.get(tid, str(tid)), *_stack(f, 6))] += dt
            del frame, frames
            prev = now
            n += 1
            time.sleep(self.sample_s)
        end = self._last if self._beats != beats else time.perf_counter()
        t_end, cpu1, wait1 = time.perf_counter(), _thread_cpu(self.thread), \
            _run_delay(self._native)
        cpu = cpu1 - cpu0
        t_ok, cpu_ok, wait_ok, (sys_ok, minflt_ok, majflt_ok) = self._on_time
        sys1, minflt1, majflt1 = _kernel_side(self._native)
        gcs = [{"at_ms": round(1000 * (a - last), 1), "ms": round(1000 * (b - a), 1),
                "generation": g, "collected": c, "thread": who}
               for a, b, g, c, who in list(self._gcs) if b >= last and a <= end]
        top = sorted(stacks.items(), key=lambda kv: -kv[1])[:12]
        rec = {"at": round(last, 3), "gap_ms": round(1000 * (end - last), 1),
               "first_sample_ms": round(1000 * (first - last), 1), "samples": n,
               "gui_cpu_ms_sampled": round(1000 * cpu, 1),
               # from the last on-time poll (up to one poll before the gap) to the gap's end:
               # the thread's CPU, and its time waiting for a CPU (the machine's load)
               "span_ms": round(1000 * (t_end - t_ok), 1),
               "gui_cpu_ms": round(1000 * (cpu1 - cpu_ok), 1),
               "gui_runqueue_ms": round(1000 * (wait1 - wait_ok), 1),
               # of that CPU, in the kernel (10 ms ticks), and the thread's page faults
               "gui_kernel_ms": round(1000 * (sys1 - sys_ok)), "gui_faults":
                   [minflt1 - minflt_ok, majflt1 - majflt_ok], "gc": gcs,
               "stacks": [{"ms": round(1000 * s, 1), "held_ms": round(1000 * held[k], 1),
                           "stack": list(k)} for k, s in top],
               # the other threads' stacks at the samples that waited for the lock: when
               # the watched thread was idle (in the event loop) then, one of them held it
               "others_at_held": [{"ms": round(1000 * s, 1), "thread": k[0],
                                   "stack": list(k[1:])}
                                  for k, s in sorted(others.items(), key=lambda kv: -kv[1])[:6]]}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        self.gaps += 1


def read_trace(path: str | os.PathLike) -> list[dict]:
    """The gaps of a trace file, in order.

    >>> read_trace("/nonexistent/t.jsonl")
    []
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise ValueError(f"{path}: line {n} is not a trace record ({e})") from None
    return out


def gaps_of(records: list[dict]) -> list[dict]:
    """The gap records among a trace's records (not the marks or the collections' totals).

    >>> gaps_of([{"phase": "play"}, {"gap_ms": 70.0}, {"gc_totals": {}}])
    [{'gap_ms': 70.0}]
    """
    return [r for r in records if "gap_ms" in r]


def from_env(thread: int | None = None) -> StallTracer | None:
    """A started tracer writing to ``$TWINVIEWER_STALL_TRACE``, or None when it is unset.

    >>> import os; os.environ.pop(ENV, None) and None; from_env() is None
    True
    """
    path = os.environ.get(ENV)
    if not path:
        return None
    return StallTracer(path, thread=thread).start()


def summary(gaps: list[dict], frames: int = 6) -> str:
    """One paragraph per gap: its length, its collections, its top stacks' innermost frames.

    >>> summary([{"gap_ms": 90.0, "gui_cpu_ms": 80.0, "gui_runqueue_ms": 2.0, "gc": [],
    ...           "stacks": [{"ms": 85.0, "held_ms": 0.0, "stack": ["a.py:1 f"]}]}])
    'gap 90.0 ms (GUI CPU 80.0 ms, waiting for a CPU 2.0 ms)\\n    85.0 ms (held 0.0)  a.py:1 f'
    """
    out = []
    for g in gaps:
        if "gap_ms" not in g:  # a mark (a phase's start), or the collections' totals
            out.append(f"== {g}")
            continue
        kernel = (f", in the kernel {g['gui_kernel_ms']} ms, faults {g['gui_faults']}"
                  if "gui_kernel_ms" in g else "")
        out.append(f"gap {g['gap_ms']} ms (GUI CPU {g.get('gui_cpu_ms', '?')} ms{kernel}, "
                   f"waiting for a CPU {g.get('gui_runqueue_ms', '?')} ms)"
                   + "".join(f"; gc gen {c['generation']} {c['ms']} ms on {c['thread']}"
                             for c in g["gc"]))
        for s in g["stacks"][:4]:
            out.append(f"  {s['ms']:6.1f} ms (held {s['held_ms']})  "
                       + " < ".join(reversed(s["stack"][-frames:])))
        for s in g.get("others_at_held", [])[:3]:
            out.append(f"  other thread {s['thread']} at the held samples, {s['ms']:.1f} ms:  "
                       + " < ".join(reversed(s["stack"][-frames:])))
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - a reading aid
    for p in sys.argv[1:]:
        print(summary(read_trace(p)))

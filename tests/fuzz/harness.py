"""Run hostile cases through the public entry points and classify every outcome.

Outcomes of one case:

* ``rejected`` — the project's own error (ImagingError / TwinFileError), as designed;
* ``accepted`` — loaded, and every sanity check passed;
* ``crash`` — any other exception (a bug: the target is 0);
* ``nonsense`` — loaded although it should not have been: non-finite or implausible values,
  a silently partial series, a hostile member name, an identifier shown;
* ``slow`` — over :data:`HANG_S` seconds of CPU time (target 0);
* ``memory`` — a peak of traced allocations above :data:`ALLOC_CAP` (numpy registers its
  buffers with :mod:`tracemalloc`).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HANG_S = 20.0
ALLOC_CAP = 64 * 1024**2  # the inputs are kilobytes: anything near this is a header lie


@dataclass
class Tally:
    """Counts of outcomes and the first examples of each failure kind."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    slowest_s: float = 0.0
    peak_bytes: int = 0
    seconds: float = 0.0

    def add(self, outcome: str, detail: str = "") -> None:
        self.counts[outcome] += 1
        if outcome not in ("accepted", "rejected"):
            self.examples.setdefault(outcome, [])
            if len(self.examples[outcome]) < 5:
                self.examples[outcome].append(detail)

    @property
    def failures(self) -> int:
        return sum(self.counts[k] for k in ("crash", "nonsense", "slow", "memory"))

    def summary(self) -> str:
        n = sum(self.counts.values())
        rate = n / self.seconds if self.seconds else 0.0
        return (f"{n} cases in {self.seconds:.1f} s ({rate:.1f}/s): "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
                + f"; slowest {self.slowest_s:.2f} s CPU, peak traced allocation "
                f"{self.peak_bytes / 1024**2:.1f} MiB")


def _timed(tally: Tally, run, trace: bool) -> tuple[str, str]:
    if trace:
        tracemalloc.start()
    # CPU time of this thread (the readers are synchronous): a case that loops or blows up
    # costs CPU under any load, while its wall time on a loaded machine does not say so
    # (a 20001-member .twin took 27.6 s of wall time at load average 25).
    t0 = time.thread_time()
    try:
        outcome, detail = run()
    except Exception:  # noqa: BLE001 - the point: anything uncaught is counted, not raised
        outcome, detail = "crash", traceback.format_exc(limit=-3)
    dt = time.thread_time() - t0
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    tally.slowest_s = max(tally.slowest_s, dt)
    tally.peak_bytes = max(tally.peak_bytes, peak)
    if outcome in ("accepted", "rejected"):
        if dt > HANG_S:
            outcome, detail = "slow", f"{dt:.1f} s: {detail}"
        elif peak > ALLOC_CAP:
            outcome, detail = "memory", f"{peak / 1024**2:.0f} MiB: {detail}"
    return outcome, detail


# -- DICOM ---------------------------------------------------------------------------------

KEY = b"fuzz-key-0123456789abcdef0123456"


def _check_volume(lv, case) -> str:
    """'' if the loaded volume is sane, else what is wrong with it."""
    from tests.fuzz.dicom_cases import IDENTIFIERS, N_SLICES, SHAPE

    img = lv.image
    a = img.array
    if a.ndim != 4 or a.size == 0:
        return f"array of shape {a.shape}"
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        return "non-finite voxels"
    if np.abs(a.astype(np.float64)).max() > 1e7:
        return "voxels beyond ±1e7"
    if not (np.isfinite(img.affine).all() and abs(np.linalg.det(img.affine[:3, :3])) > 1e-9):
        return f"affine {img.affine.tolist()}"
    if not all(np.isfinite(s) and s > 0 for s in img.spacing):
        return f"spacing {img.spacing}"
    if a.shape[2:] != SHAPE:
        return f"slice shape {a.shape[2:]}"
    if a.shape[1] > N_SLICES or (a.shape[1] < N_SLICES and not case.membership):
        return f"{a.shape[1]} of {N_SLICES} slices, silently partial ({case.mutations})"
    text = repr(img.description) + repr(lv.notes)
    for v in IDENTIFIERS.values():
        if v in text:
            return "identifier in description or notes"
    return ""


def run_dicom(seeds, *, trace: bool = True, trace_every: int = 1) -> Tally:
    """Generate and import DICOM case ``seed`` for every seed; classify the outcomes.

    With ``trace``, every ``trace_every``-th case runs under :mod:`tracemalloc` (which
    slows pydicom's pure-Python parsing about twofold) to check :data:`ALLOC_CAP`.
    """
    from tests.fuzz.dicom_cases import make_case
    from twinviewer.imaging.errors import ImagingError
    from twinviewer.imaging.series import scan_folder
    from twinviewer.imaging.volume import load_volume

    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="fuzz-warm-") as tmp:  # imports, thread pools
        make_case(Path(tmp), 1)
        try:
            load_volume(scan_folder(Path(tmp), KEY).images()[0])
        except ImagingError:
            pass
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-dicom-") as tmp:
        for seed in seeds:
            folder = Path(tmp) / f"c{seed}"
            folder.mkdir()
            case = make_case(folder, seed)

            def run(folder=folder, case=case) -> tuple[str, str]:
                try:
                    scan = scan_folder(folder, KEY)
                    images = scan.images()
                    lv = load_volume(max(images, key=lambda s: len(s.frames)))
                except ImagingError as exc:
                    if str(folder) in str(exc):
                        return "nonsense", f"seed {case.seed}: absolute path in {exc}"
                    return "rejected", str(exc)
                problem = _check_volume(lv, case)
                if problem:
                    return "nonsense", f"seed {case.seed}: {problem}"
                return "accepted", ""

            outcome, detail = _timed(tally, run, trace and seed % trace_every == 0)
            tally.add(outcome, f"seed {seed} {case.mutations}: {detail}"[:1500])
            shutil.rmtree(folder, ignore_errors=True)
    tally.seconds = time.perf_counter() - t_start
    return tally


# -- .twin ---------------------------------------------------------------------------------

def _check_doc(doc, case) -> str:
    """'' if a loaded document is sane and describable, else what is wrong with it."""
    from twinviewer.io.privacy import is_pseudonym
    from twinviewer.io.twinfile import describe

    t = doc.twin
    if case.must_refuse:
        return f"hostile {case.family} case accepted ({case.what})"
    if not (np.isfinite(t.params).all() and np.isfinite(t.ensemble).all()):
        return "non-finite parameters"
    if not doc.identifiable and not is_pseudonym(t.pseudonym):
        return "a non-pseudonym shown"
    a = t.anatomy
    if a is not None and a.image is not None:
        if not (np.isfinite(a.image.array).all() and all(s > 0 for s in a.image.spacing)):
            return "nonsense image"
    if a is not None:
        for s in a.structures.values():
            for m in s.meshes.values():
                if not (np.isfinite(m.points).all() and m.faces.dtype.kind in "iu"
                        and (m.faces.size == 0 or m.faces.max() < len(m.points))):
                    return "nonsense mesh"
    "\n".join(describe(doc))  # what `info` prints must work for everything accepted
    return ""


def run_twin(seeds, *, trace: bool = True, report_every: int = 0) -> Tally:
    """Generate and load .twin case ``seed`` for every seed; classify the outcomes.

    ``report_every`` > 0 also writes the PDF report (no simulation) of every n-th accepted
    file: ``report`` must accept exactly what ``info`` accepts.
    """
    from tests.fuzz.twin_cases import PASSPHRASE, make_case
    from twinviewer.io.errors import TwinFileError
    from twinviewer.io.twinfile import load_twin_bytes

    tally = Tally()
    make_case(0)  # builds the base twins (outside the timing)
    accepted = 0
    reports: list = []
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-twin-") as tmp:
        for seed in seeds:
            case = make_case(seed)

            def run(case=case) -> tuple[str, str]:
                nonlocal accepted
                try:
                    doc = load_twin_bytes(case.data, name="fuzz.twin", passphrase=PASSPHRASE,
                                          allow_broken_audit=True)
                except TwinFileError as exc:
                    msg = str(exc)
                    if not msg.startswith("fuzz.twin") or "DOE^JANE" in msg or \
                            "1962-05-12" in msg:
                        return "nonsense", f"message {msg[:200]!r}"
                    return "rejected", msg
                problem = _check_doc(doc, case)
                if problem:
                    return "nonsense", problem
                accepted += 1
                if report_every and accepted % report_every == 1:
                    reports.append(doc)
                return "accepted", ""

            reports.clear()
            outcome, detail = _timed(tally, run, trace)
            for doc in reports:  # outside the timing: the PDF renders plots
                from twinviewer.report.pdf import write_report

                try:
                    write_report(doc, Path(tmp) / "r.pdf", simulate=False)
                except Exception as exc:  # noqa: BLE001 - report must take what info takes
                    outcome, detail = "crash", f"report: {type(exc).__name__}: {exc}"
            tally.add(outcome, f"seed {seed} {case.family} {case.what}: {detail}"[:1500])
    tally.seconds = time.perf_counter() - t_start
    return tally

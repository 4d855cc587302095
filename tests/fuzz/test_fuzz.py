"""Hostile input never crashes, never lies: seeded fuzzing of the DICOM import and .twin
reader (issue 14). CI runs 500 DICOM and 300 .twin cases; the long run (10,000 and 2,000) is
``TWINVIEWER_FUZZ_LONG=1 pytest tests/fuzz`` or ``python -m tests.fuzz.long_run``.

Targets: 0 uncaught exceptions, 0 hangs over 20 s, no traced allocation above 64 MiB
(inputs are kilobytes), 0 nonsense accepted (see :mod:`tests.fuzz.harness`).
"""

from __future__ import annotations

import os

import pytest

from tests.fuzz.harness import ALLOC_CAP, Tally, run_dicom, run_twin

LONG = os.environ.get("TWINVIEWER_FUZZ_LONG") == "1"
N_DICOM = 10_000 if LONG else 500
N_TWIN = 2_000 if LONG else 300


def _assert_clean(tally: Tally, what: str) -> None:
    print(f"\n{what}: {tally.summary()}")
    problems = "\n".join(f"{kind}: {example}" for kind, examples in tally.examples.items()
                         for example in examples)
    assert tally.failures == 0, f"{what}: {tally.failures} failing case(s)\n{problems}"
    assert tally.peak_bytes <= ALLOC_CAP


@pytest.mark.slow
def test_fuzzed_dicom_folders_are_refused_or_imported_sanely():
    tally = run_dicom(range(N_DICOM), trace=True, trace_every=5)
    _assert_clean(tally, "DICOM")
    assert tally.counts["rejected"] > 0.5 * N_DICOM  # the mutations do reach the checks
    assert tally.counts["accepted"] > 0.05 * N_DICOM  # and harmless ones still import


@pytest.mark.slow
def test_hostile_twin_files_are_refused_or_loaded_sanely():
    tally = run_twin(range(N_TWIN), trace=True, report_every=100)
    _assert_clean(tally, ".twin")
    assert tally.counts["rejected"] > 0.7 * N_TWIN

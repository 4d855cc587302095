"""The documented long fuzz run: ``python -m tests.fuzz.long_run [N_DICOM] [N_TWIN]``.

Defaults 10,000 DICOM folders and 2,000 .twin files (seeds 0…N−1, the same cases as CI's
first 500/300 and more); prints the counts, throughput and the first failing examples.
Run it niced on a shared machine; it takes about 15 minutes on two loaded cores.
"""

from __future__ import annotations

import sys

from tests.fuzz.harness import run_dicom, run_twin


def main(argv: list[str]) -> int:
    n_dicom = int(argv[0]) if argv else 10_000
    n_twin = int(argv[1]) if len(argv) > 1 else 2_000
    failures = 0
    for what, tally in ((".twin", run_twin(range(n_twin), trace=True, report_every=200)),
                        ("DICOM", run_dicom(range(n_dicom), trace=True, trace_every=10))):
        print(f"{what}: {tally.summary()}", flush=True)
        for kind, examples in tally.examples.items():
            for example in examples:
                print(f"  {kind}: {example}")
        failures += tally.failures
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

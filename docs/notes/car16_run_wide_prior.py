"""car16 candidate B: the coverage ``run`` command with ``SYS.C_AR``'s model prior log-SD set
to ``CAR_SD`` (default 0.35) in every preset's model — the synthetic patients' prior and the
calibration's alike — and the compliance opened to the cuff (the shipped switch).

Run: ``CAR_SD=0.35 PYTHONPATH=$PWD python docs/notes/car16_run_wide_prior.py run --seed 23
--out F.pkl``
"""

import os
import sys

from twinviewer.personalize import coverage
from twinviewer.physiology.presets import PRESETS, get_preset


def widen(sd: float) -> None:
    """Set the (shared, frozen) prior's log-SD in place: an experiment only."""
    for name in PRESETS:
        model = get_preset(name).model
        if "SYS.C_AR" in model.parameter_names:
            object.__setattr__(model.parameter("SYS.C_AR").prior, "scale", sd)


if __name__ == "__main__":
    widen(float(os.environ.get("CAR_SD", "0.35")))
    sys.exit(coverage._main(sys.argv[1:]))

"""car16: the coverage ``run`` command with the arterial compliance left to the localisation
mask (the calibration before car16), set on the module (not the re-exported function).

Run: ``PYTHONPATH=$PWD python docs/notes/car16_run_switch_off.py run --seed 23 --out F.pkl``
"""

import importlib
import sys

from twinviewer.personalize import coverage

cal = importlib.import_module("twinviewer.personalize.calibrate")

if __name__ == "__main__":
    cal.CALIBRATE_ARTERIAL_COMPLIANCE = False
    sys.exit(coverage._main(sys.argv[1:]))

"""Prepare a fresh installation so the first start is as quick as the later ones.

``python -m twinviewer.warmup`` (run by ``packaging/setup.sh`` and the bundle build) compiles
the model kernels into numba's on-disk cache, builds the demo heart's image cache,
calibrates the demo twin to its heart's volume curves and stores it with its predictions.
Each part is skipped when already done.
Without it the viewer still works: it shows stored predictions when it has them and compiles
in the background.
"""

from __future__ import annotations

import sys
import time


def warm_up(log=print) -> int:
    """Compile kernels, cache the demo image and the demo twin's results; 0 on success.

    Examples
    --------
    >>> warm_up()  # doctest: +SKIP
    0
    """
    from twinviewer.gui.demo_heart import (
        calibrate_demo_twin,
        demo_anatomy,
        load_demo_twin,
        load_stored_results,
        store_results,
    )
    from twinviewer.physiology import PRESETS
    from twinviewer.twins import simulate_twin, twin_from_preset

    t0 = time.perf_counter()
    for name in dict.fromkeys(p.model.name for p in PRESETS.values()):
        preset = next(p for p in PRESETS.values() if p.model.name == name)
        simulate_twin(twin_from_preset(next(k for k, v in PRESETS.items() if v is preset),
                                       n=2))
    log(f"warmup: model kernels compiled ({time.perf_counter() - t0:.1f} s)")
    demo_anatomy()
    log(f"warmup: demo heart image cached ({time.perf_counter() - t0:.1f} s)")
    twin = load_demo_twin()
    if twin is None:  # calibrated to the demo heart's volume curves; stores its results too
        twin, _ = calibrate_demo_twin()
        log(f"warmup: demo twin calibrated to its volume curves "
            f"({time.perf_counter() - t0:.1f} s)")
    if load_stored_results(twin) is None:
        store_results(twin, simulate_twin(twin))
    log(f"warmup: demo predictions stored ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(warm_up())

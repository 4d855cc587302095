"""Prepare a fresh installation so the first start is as quick as the later ones.

``python -m twinviewer.warmup`` (run by ``packaging/setup.sh``; in the desktop bundle
``twinviewer --warm-up``, run by its ``install-desktop-entry.sh``) compiles
the model kernels into numba's on-disk cache, builds the demo heart's image cache,
calibrates the demo twin to its heart's volume curves and stores it with its predictions
and what the views derive from them (:func:`~twinviewer.gui.demo_heart.store_display`),
writes the package's bytecode, shows the demo window once where there is a display (the
driver's shader cache), and builds the most used virtual hearts' own anatomies
(:data:`WARM_HEARTS`: the demo heart deformed to the heart's model,
:mod:`twinviewer.gui.heart_anatomy`; ~8 s of CPU and ~47 MB of cache each; the other hearts
are built in a worker on first use). Each part is skipped when already done.
Without it the viewer still works: it shows stored predictions when it has them and compiles
in the background. ``python -m twinviewer.warmup --seed DIR`` instead prepares the demo's
cache files for the desktop bundle (:func:`twinviewer.gui.demo_heart.write_seed`), which a
bundle's first start copies into the user cache.
"""

from __future__ import annotations

import sys
import time

#: Hearts whose anatomy the warm-up builds: the ones the shipped lessons open. All 13 would
#: cost ~2 min of CPU and ~0.65 GB of cache at every installation.
WARM_HEARTS = ("healthy", "hfref", "severe_as", "severe_mr")


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
        load_display,
        load_stored_results,
        store_display,
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
    results, anatomy = load_stored_results(twin), demo_anatomy()
    if results is not None and not load_display(twin, results, anatomy):
        store_display(twin, results, anatomy)
    log(f"warmup: demo predictions stored ({time.perf_counter() - t0:.1f} s)")
    if not getattr(sys, "frozen", False):  # a bundle's modules are compiled already
        compile_bytecode()
    log(f"warmup: bytecode written ({time.perf_counter() - t0:.1f} s)")
    shaders = "cached" if warm_shaders() else "not cached (no display, or it failed)"
    log(f"warmup: the 3D view's shaders {shaders} ({time.perf_counter() - t0:.1f} s)")
    warm_heart_anatomies(WARM_HEARTS, log=log)
    log(f"warmup: virtual hearts' anatomies cached ({time.perf_counter() - t0:.1f} s)")
    return 0


def compile_bytecode() -> bool:
    """Write the package's bytecode (``.pyc``) now, as a non-editable ``pip install`` does.

    Where a start cannot write it (a read-only installation, ``PYTHONDONTWRITEBYTECODE``
    set) every start would otherwise compile the ~100 modules it imports from source (about
    0.3 s of CPU). Returns True if every module compiled.

    Examples
    --------
    >>> compile_bytecode()  # doctest: +SKIP
    True
    """
    import compileall
    from pathlib import Path

    import twinviewer

    return bool(compileall.compile_dir(str(Path(twinviewer.__file__).parent), quiet=1))


def warm_shaders(timeout_s: float = 600.0) -> bool:
    """Show the demo window once (``twinviewer screenshot`` in a subprocess), so that the
    OpenGL driver's disk shader cache holds the 3D view's shaders; the first start would
    otherwise compile them (Mesa llvmpipe: ~0.4–0.6 s of CPU). Needs a display (X11 or
    Wayland); returns True if the window was shown.

    Examples
    --------
    >>> warm_shaders()  # doctest: +SKIP
    True
    """
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        try:
            run = subprocess.run(screenshot_command(Path(tmp) / "warm.png"),
                                 capture_output=True, timeout=timeout_s)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return run.returncode == 0


def screenshot_command(png, width: int = 1280, height: int = 800) -> list[str]:
    """The command that shows the demo window once and saves it to ``png``: ``python -m
    twinviewer screenshot …``, or in a frozen bundle (no interpreter to give ``-m``) the
    bundle's executable with ``screenshot …``.

    Examples
    --------
    >>> screenshot_command("w.png")[-7:]
    ['screenshot', '-o', 'w.png', '--width', '1280', '--height', '800']
    """
    args = ["screenshot", "-o", str(png), "--width", str(width), "--height", str(height)]
    if getattr(sys, "frozen", False):
        return [sys.executable, *args]
    return [sys.executable, "-m", "twinviewer", *args]


def warm_heart_anatomies(names=None, log=print) -> dict[str, float]:
    """Build and cache the virtual hearts' own anatomies (all by default); CPU s per heart.

    A heart whose anatomy fails is logged and skipped (the app then shows it on the demo
    heart's anatomy).

    Examples
    --------
    >>> warm_heart_anatomies(["hfref"])  # doctest: +SKIP
    {'hfref': 8.1}
    """
    from twinviewer.gui.heart_anatomy import _MEMORY, cache_path, heart_anatomy
    from twinviewer.teaching.hearts import heart_names

    cpu = {}
    for name in names if names is not None else heart_names():
        if cache_path(name).exists():
            continue
        c0 = time.process_time()
        try:
            heart_anatomy(name)
        except Exception as exc:  # noqa: BLE001 - one heart must not stop the warm-up
            log(f"warmup: the {name} anatomy failed: {exc}")
            continue
        _MEMORY.pop(name, None)  # on disk now; memory is for the app
        cpu[name] = time.process_time() - c0
        log(f"warmup: {name} anatomy cached ({cpu[name]:.1f} s CPU)")
    return cpu


def main(argv: list[str] | None = None) -> int:
    """``python -m twinviewer.warmup [--seed DIR]``: the warm-up, or the bundle's prepared
    demo files in DIR."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m twinviewer.warmup",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", metavar="DIR",
                        help="prepare the demo's cache files for the desktop bundle in DIR")
    args = parser.parse_args(argv)
    if args.seed:
        from twinviewer.gui.demo_heart import write_seed

        write_seed(args.seed)
        return 0
    return warm_up()


if __name__ == "__main__":
    sys.exit(main())

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
    from twinviewer.twins import simulate_twin

    t0 = time.perf_counter()
    compile_kernels()
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


def compile_kernels() -> list:
    """Compile (or load from numba's cache) every built-in model's kernels by simulating a
    twin of each model (64 members, so that its compiled observer runs too); the files of the
    generated modules now loaded (kernels, observers).

    Examples
    --------
    >>> compile_kernels()  # doctest: +SKIP
    [PosixPath('/root/.cache/twinviewer/kernels/twinviewer_kernel_..._89e341adde751d98.py'), ...]
    """
    from pathlib import Path

    from twinviewer import prepared_cache
    from twinviewer.physiology import PRESETS
    from twinviewer.twins import simulate_twin, twin_from_preset

    for name in dict.fromkeys(p.model.name for p in PRESETS.values()):
        preset = next(k for k, v in PRESETS.items() if v.model.name == name)
        simulate_twin(twin_from_preset(preset, n=64))  # n·samples ≥ 4096: the observer too
    cache = prepared_cache.user_cache().resolve()
    files = (getattr(m, "__file__", None) for m in list(sys.modules.values()))
    return sorted(p for p in (Path(f).resolve() for f in files if f)
                  if p.parent.parent == cache and p.parent.name in ("kernels", "models"))


def stage_prepared(dest=None, log=print) -> dict:
    """Copy this account's prepared files of *this* code into the installation's prepared
    cache (default ``<venv>/share/twinviewer/prepared_cache``,
    :func:`twinviewer.prepared_cache.venv_folder`), which every other account's first start
    copies (:func:`twinviewer.prepared_cache.seed`): the kernel modules this code loads (not
    the older ones a user cache also holds) with numba's cache of them, the
    :data:`WARM_HEARTS` anatomies, the converged ensemble states and the demo's files of
    this code (image cache, calibrated twin, results, display; named by their keys).
    Replaces an earlier
    staging there; the manifest.

    Examples
    --------
    >>> stage_prepared("/tmp/prepared")  # doctest: +SKIP
    prepared cache: 9 files, 2.6 MB in /tmp/prepared (kernels compiled for znver3)
    """
    import os
    import shutil
    from pathlib import Path

    from twinviewer import prepared_cache
    from twinviewer.gui.heart_anatomy import cache_path

    stems = {p.stem for p in compile_kernels()}
    cache = prepared_cache.user_cache()
    names = {cache_path(name).name for name in WARM_HEARTS} | set(_demo_files())

    def current(rel: Path) -> bool:
        if rel.parts[0] in ("kernels", "models"):  # numba's files: <module>.<function>-...
            return rel.name.split(".")[0] in stems
        return rel.parts[0] == "virtual_hearts" or rel.name in names

    dest = Path(dest) if dest is not None else prepared_cache.venv_folder()
    new = dest.with_name(f"{dest.name}.{os.getpid()}.new")
    shutil.rmtree(new, ignore_errors=True)
    manifest = prepared_cache.stage(cache, new, only=current,
                                    patterns=(*prepared_cache.PREPARED, "demo_heart/demo_*"))
    shutil.rmtree(dest, ignore_errors=True)
    new.replace(dest)
    size = sum((dest / f).stat().st_size for f in manifest["files"])
    log(f"prepared cache: {len(manifest['files'])} files, {size / 1e6:.1f} MB in {dest} "
        f"(kernels compiled for {manifest['machine'][1]})")
    return manifest


def _demo_files() -> list[str]:
    """Names of the demo's files of this code in the user cache (those the warm-up made)."""
    from twinviewer.gui import demo_heart as d

    twin = d.load_demo_twin()
    if twin is None:
        return []
    names = [d._demo_twin_path().name, f"demo_heart4d_{d._tag(d.MESH_DIR)}.npz"]
    return [*names, d._results_path(twin).name, d._display_path(twin).name]


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
    parser.add_argument("--stage", nargs="?", const="", metavar="DIR",
                        help="after the warm-up, copy the compiled kernels and anatomies "
                             "for every account of this installation into DIR (default "
                             "<venv>/share/twinviewer/prepared_cache)")
    args = parser.parse_args(argv)
    from twinviewer.prepared_cache import seed

    seed()  # another account's warm-up finds the installation's prepared files done
    if args.seed:
        from twinviewer.gui.demo_heart import write_seed

        write_seed(args.seed)
        return 0
    code = warm_up()
    if args.stage is not None:
        stage_prepared(args.stage or None)
    return code


if __name__ == "__main__":
    sys.exit(main())

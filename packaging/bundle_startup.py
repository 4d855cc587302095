"""Start-up of the desktop bundle beside the source install, interleaved in one run: the wall
time from launch to the PNG of the demo heart with its predictions (``twinviewer screenshot``
under Xvfb, ``xvfb-run`` included), each start with its own HOME and XDG folders.

Two times per start: *shown*, launch to the PNG file appearing (the screenshot is saved once
the demo heart and its predictions are on screen, the view set and ~0.2 s of events later:
:func:`twinviewer.gui.app.run_screenshot`), and *exit*, launch to the process's end. The
install steps are timed too: the bundle's ``--warm-up`` (with its prepared cache, and with
``--install-before`` also with the prepared cache moved aside: what installing cost before
the kernels and anatomies were shipped) and the source's ``python -m twinviewer.warmup``.

- *bundle unpacked*: the bundle's first start in an empty HOME, no install step (the
  prepared demo files, kernels and anatomies are copied from the bundle).
- *first*: the first start after install: a copy of a HOME that the install's warm-up
  prepared (bundle: ``twinviewer --warm-up``, as ``install-desktop-entry.sh`` runs it;
  source: ``python -m twinviewer.warmup``, as ``packaging/setup.sh`` runs it).
- *warm*: the next start in that HOME.

    PYTHONPATH=. .venv/bin/python packaging/bundle_startup.py --repeats 3 [--out DIR]

Prints one line per start and a summary (JSON) with the load average before each start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "build" / "bundle" / "dist" / "twinviewer" / "twinviewer"


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_HOME=str(home / ".local" / "share"),
               XDG_CONFIG_HOME=str(home / ".config"), PYTHONPATH=str(ROOT))
    env.pop("NUMBA_CACHE_DIR", None)
    return env


def start(command: list[str], home: Path, png: Path) -> tuple[float, float]:
    """One start: s to the PNG appearing (the heart with predictions shown) and to the
    process's exit (raises if no PNG was written)."""
    png.unlink(missing_ok=True)
    t = time.perf_counter()
    proc = subprocess.Popen(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", *command,
                             "screenshot", "-o", str(png)], env=_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shown = None
    while proc.poll() is None and time.perf_counter() - t < 900:
        if shown is None and png.exists():
            shown = time.perf_counter() - t
        time.sleep(0.01)
    _, err = proc.communicate(timeout=60)
    wall = time.perf_counter() - t
    if proc.returncode != 0 or not png.exists():
        raise RuntimeError(f"{command[0]}: exit {proc.returncode}: {err[-600:]}")
    return (shown if shown is not None else wall), wall


def install(cmd: list[str], home: Path) -> float:
    """The install step (a warm-up) in an empty ``home`` under Xvfb, wall s."""
    t = time.perf_counter()
    subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", *cmd],
                   env=_env(home), check=True, capture_output=True, timeout=3600)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    """Run the interleaved starts; print them and a summary."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--app", type=Path, default=APP)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="PNGs and homes (default: temp)")
    ap.add_argument("--install-before", action="store_true",
                    help="also time the bundle's install step without its prepared cache")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="twinviewer-startup-"))
    out.mkdir(parents=True, exist_ok=True)
    commands = {"bundle": [str(args.app)], "source": [sys.executable, "-m", "twinviewer"]}
    warm_up = {"bundle": [str(args.app), "--warm-up"],
               "source": [sys.executable, "-m", "twinviewer.warmup"]}
    installs: dict[str, list] = {}
    for who, cmd in warm_up.items():  # what each install step leaves
        installed = out / f"{who}-installed"
        if not installed.exists():
            load = os.getloadavg()[0]
            wall = install(cmd, installed)
            installs[who] = [round(wall, 1), round(load, 1)]
            print(f"{who} install step: {wall:.1f} s (load {load:.1f})", flush=True)
    prepared = args.app.parent / "_internal" / "prepared_cache"
    if args.install_before and prepared.is_dir():
        aside = prepared.with_name("prepared_cache.aside")
        prepared.rename(aside)
        try:
            home = out / "bundle-installed-without-prepared"
            shutil.rmtree(home, ignore_errors=True)
            load = os.getloadavg()[0]
            wall = install(warm_up["bundle"], home)
        finally:
            aside.rename(prepared)
        installs["bundle without prepared cache"] = [round(wall, 1), round(load, 1)]
        print(f"bundle install step without its prepared cache: {wall:.1f} s "
              f"(load {load:.1f})", flush=True)
    times: dict[str, list] = {"bundle unpacked": []}
    times.update({f"{w} {k}": [] for w in commands for k in ("first", "warm")})
    for i in range(args.repeats):
        home = out / f"bundle-unpacked-{i}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir()
        load = os.getloadavg()[0]
        shown, wall = start(commands["bundle"], home, out / f"bundle-unpacked-{i}.png")
        times["bundle unpacked"].append((round(shown, 2), round(wall, 2), round(load, 1)))
        print(f"run {i + 1}: bundle unpacked: shown {shown:.2f} s, exit {wall:.2f} s "
              f"(load {load:.1f})", flush=True)
        for who, cmd in commands.items():
            home = out / f"{who}-{i}"
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(out / f"{who}-installed", home, symlinks=True)
            for kind in ("first", "warm"):
                load = os.getloadavg()[0]
                shown, wall = start(cmd, home, out / f"{who}-{kind}-{i}.png")
                times[f"{who} {kind}"].append((round(shown, 2), round(wall, 2),
                                               round(load, 1)))
                print(f"run {i + 1}: {who} {kind}: shown {shown:.2f} s, exit {wall:.2f} s "
                      f"(load {load:.1f})", flush=True)
    summary: dict = {k: {"shown_s": [s for s, _, _ in v],
                         "median_shown_s": statistics.median(s for s, _, _ in v),
                         "exit_s": [w for _, w, _ in v],
                         "median_exit_s": statistics.median(w for _, w, _ in v),
                         "load": [ld for _, _, ld in v]} for k, v in times.items()}
    summary["install step (wall s, load)"] = installs
    print(json.dumps(summary, indent=1))
    (out / "startup.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

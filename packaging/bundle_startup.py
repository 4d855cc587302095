"""Start-up of the desktop bundle beside the source install, interleaved in one run: the wall
time from launch to the PNG of the demo heart with its predictions (``twinviewer screenshot``
under Xvfb, ``xvfb-run`` included), each start with its own HOME and XDG folders.

- *bundle unpacked*: the bundle's first start in an empty HOME, no install step (the
  prepared demo files are copied from the bundle; kernels compile after the window shows).
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


def start(command: list[str], home: Path, png: Path) -> float:
    """One start to the PNG, s (raises if no PNG was written)."""
    png.unlink(missing_ok=True)
    t = time.perf_counter()
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", *command,
                           "screenshot", "-o", str(png)], env=_env(home),
                          capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t
    if proc.returncode != 0 or not png.exists():
        raise RuntimeError(f"{command[0]}: exit {proc.returncode}: {proc.stderr[-600:]}")
    return wall


def main(argv: list[str] | None = None) -> int:
    """Run the interleaved starts; print them and a summary."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--app", type=Path, default=APP)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="PNGs and homes (default: temp)")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="twinviewer-startup-"))
    out.mkdir(parents=True, exist_ok=True)
    commands = {"bundle": [str(args.app)], "source": [sys.executable, "-m", "twinviewer"]}
    warm_up = {"bundle": [str(args.app), "--warm-up"],
               "source": [sys.executable, "-m", "twinviewer.warmup"]}
    for who, cmd in warm_up.items():  # what each install step leaves
        installed = out / f"{who}-installed"
        if not installed.exists():
            t = time.perf_counter()
            subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", *cmd],
                           env=_env(installed), check=True, capture_output=True)
            print(f"{who} warm-up: {time.perf_counter() - t:.1f} s", flush=True)
    times: dict[str, list] = {"bundle unpacked": []}
    times.update({f"{w} {k}": [] for w in commands for k in ("first", "warm")})
    for i in range(args.repeats):
        home = out / f"bundle-unpacked-{i}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir()
        load = os.getloadavg()[0]
        wall = start(commands["bundle"], home, out / f"bundle-unpacked-{i}.png")
        times["bundle unpacked"].append((round(wall, 2), round(load, 1)))
        print(f"run {i + 1}: bundle unpacked: {wall:.2f} s (load {load:.1f})", flush=True)
        for who, cmd in commands.items():
            home = out / f"{who}-{i}"
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(out / f"{who}-installed", home, symlinks=True)
            for kind in ("first", "warm"):
                load = os.getloadavg()[0]
                wall = start(cmd, home, out / f"{who}-{kind}-{i}.png")
                times[f"{who} {kind}"].append((round(wall, 2), round(load, 1)))
                print(f"run {i + 1}: {who} {kind}: {wall:.2f} s (load {load:.1f})", flush=True)
    summary = {k: {"s": [w for w, _ in v], "median_s": statistics.median(w for w, _ in v),
                   "load": [ld for _, ld in v]} for k, v in times.items()}
    print(json.dumps(summary, indent=1))
    (out / "startup.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

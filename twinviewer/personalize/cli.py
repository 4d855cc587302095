"""``twinviewer calibrate``: personalise a virtual patient to a measurement file."""

from __future__ import annotations

import argparse
import json
import math
import numbers
import sys

import numpy as np

from twinviewer import RESEARCH_USE
from twinviewer.personalize.calibrate import CalibrationError, calibrate, format_report
from twinviewer.personalize.measurements import MeasurementError, load_measurements
from twinviewer.physiology import ModelError


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``calibrate`` options to ``p``."""
    p.add_argument("twin", nargs="?", default=None, metavar="PATIENT.twin",
                   help="calibrate this saved twin and write the result back into it "
                        "(audited); without it, a preset")
    p.add_argument("--preset", default="healthy", help="virtual patient to start from "
                   "(default: healthy)")
    p.add_argument("--measurements", default=None, metavar="FILE.json",
                   help="measurement set (schema twinviewer.measurements/1); with a saved "
                        "twin optional (its images' measurements and volume curves are used)")
    curve = p.add_mutually_exclusive_group()
    curve.add_argument("--volume-curve", dest="volume_curve", action="store_const",
                       const="on", default="auto",
                       help="fit the whole LV/RV volume curve of the twin's 4D segmentation "
                            "or mesh series (default: automatically when the twin has one)")
    curve.add_argument("--no-volume-curve", dest="volume_curve", action="store_const",
                       const="off", help="do not use the volume curves")
    p.add_argument("-n", type=int, default=200, help="posterior ensemble size (default 200)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--iterations", type=int, default=20,
                   help="maximum tempering iterations (default 20)")
    p.add_argument("--prior", default="auto", help="preset the prior is centred on: 'auto' "
                   "(chosen from the measurements: AS, MR, HFrEF or the preset), or a preset "
                   "name to override")
    p.add_argument("--day", type=int, default=None, help="with a saved twin: the visit's day "
                   "offset from the first visit (default: the last visit's day, i.e. a "
                   "re-calibration of that visit, not a new day)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def json_safe(obj):
    """``obj`` with numpy scalars as Python numbers and non-finite numbers as None (strict
    JSON has no NaN or Infinity)."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, bool | str) or obj is None:
        return obj
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def run_calibrate(args: argparse.Namespace, out=None) -> int:
    """Run ``twinviewer calibrate``; returns the exit code (0 ok, 1 failed, 2 bad input)."""
    from twinviewer.twins import twin_from_preset

    out = out or sys.stdout
    if getattr(args, "twin", None):  # a saved twin: calibrated and written back
        runner = getattr(args, "twin_file_runner", None)
        if runner is None:
            print("error: a saved twin is calibrated through the `twinviewer calibrate` "
                  "command", file=sys.stderr)
            return 2
        return runner(args, out)
    if getattr(args, "volume_curve", "auto") == "on":
        print("twinviewer calibrate: --volume-curve needs a saved twin whose images hold a "
              "4D segmentation or mesh series (PATIENT.twin)", file=sys.stderr)
        return 2
    if args.measurements is None:
        print("twinviewer calibrate: --measurements FILE.json is needed to calibrate a preset",
              file=sys.stderr)
        return 2
    try:
        ms = load_measurements(args.measurements)
        twin = twin_from_preset(args.preset, n=1)
        result = calibrate(twin, ms, n=args.n, seed=args.seed,
                           max_iterations=getattr(args, "iterations", 20),
                           prior=getattr(args, "prior", "auto"))
    except (MeasurementError, ModelError, ValueError) as exc:
        print(f"twinviewer calibrate: {exc}", file=sys.stderr)
        return 2
    except CalibrationError as exc:
        print(f"twinviewer calibrate: {exc}", file=sys.stderr)
        return 1
    if args.json:
        data = {"notice": RESEARCH_USE, "preset": args.preset, **result.to_dict()}
        print(json.dumps(json_safe(data), indent=2, allow_nan=False), file=out)
    else:
        print(RESEARCH_USE, file=out)
        print(format_report(result), file=out)
    return 0

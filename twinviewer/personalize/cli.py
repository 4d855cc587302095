"""``twinviewer calibrate``: personalise a virtual patient to a measurement file."""

from __future__ import annotations

import argparse
import json
import math
import numbers
import sys

import numpy as np

from twinviewer import RESEARCH_USE
from twinviewer.personalize.calibrate import (
    CalibrationError,
    MisfitError,
    calibrate,
    format_report,
)
from twinviewer.personalize.measurements import MeasurementError, load_measurements
from twinviewer.personalize.predictive_width import format_widths, unmeasured_widths, widths_dict
from twinviewer.personalize.shown import ENSEMBLE_ONLY, MARK_ENSEMBLE, WITH_MODEL_ERROR
from twinviewer.physiology import ModelError

ACCEPT_MISFIT = ("To keep the calibrated twin anyway, run the command again with "
                 "--accept-misfit (in the application: Apply anyway, in the Calibrate panel).")


def refusal_text(exc: Exception, args: argparse.Namespace) -> str:
    """The message of a refused command; a calibration refused for misfit names the way out
    when the command has ``--accept-misfit``.

    Examples
    --------
    >>> args = argparse.Namespace(accept_misfit=False)
    >>> "run the command again with --accept-misfit" in refusal_text(MisfitError("x"), args)
    True
    """
    if isinstance(exc, MisfitError) and hasattr(args, "accept_misfit"):
        return f"{exc} {ACCEPT_MISFIT}"
    return str(exc)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``calibrate`` options to ``p``."""
    p.add_argument("twin", nargs="?", default=None, metavar="PATIENT.twin",
                   help="calibrate this saved twin and write the result back into it "
                        "(audited); without it, a preset")
    p.add_argument("--preset", default="healthy", help="virtual patient the twin is made "
                   "from (default: healthy); the prior's centre is chosen by --prior")
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
                   "(default: chosen from the measurements: AS, MR, HFrEF, else the preset; "
                   "the choice and its reason are printed), or a preset name to override; "
                   "a twin calibrated before starts from its posterior instead")
    p.add_argument("--heart-size", dest="heart_size", action="store_true",
                   help="deprecated, no effect: the heart's size is now a parameter of "
                        "every first calibration's prior, informed by the measured volumes")
    p.add_argument("--day", type=int, default=None, help="with a saved twin: the visit's day "
                   "offset from the first visit (default: the last visit's day, i.e. a "
                   "re-calibration of that visit, not a new day)")
    p.add_argument("--accept-misfit", dest="accept_misfit", action="store_true",
                   help="with a saved twin: write the calibration back even if it cannot "
                        "reproduce a measurement (|z| > 3); the misfit stays flagged in the "
                        "fit, the summary and the report")
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
    if getattr(args, "heart_size", False):
        print("twinviewer calibrate: --heart-size is deprecated and has no effect: the heart's "
              "size is now a parameter of every first calibration's prior", file=sys.stderr)
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
    print_result(result, args.json, out, {"preset": args.preset})
    return 0


def result_json(result, extra: dict | None = None) -> dict:
    """The ``calibrate --json`` document: the research-use notice, ``extra``, the result's
    summary (with the chosen prior under ``prior``) and the width ratio of every unmeasured
    prediction under ``unmeasured_informed``."""
    return json_safe({"notice": RESEARCH_USE, **(extra or {}), **result.to_dict(),
                      "unmeasured_informed": widths_dict(unmeasured_widths(result))})


def interval_note(result) -> str:
    """Which 90 % interval each part of the calibration text shows, and the unmeasured key
    outputs with no learned model error, whose intervals elsewhere are the ensemble's alone
    (review15b #5: they sat beside the widened ones under one legend line).

    Examples
    --------
    >>> print(interval_note(result))  # doctest: +SKIP
    intervals: twin (90 % interval) = 90 % interval of the ensemble, without model error; ...
    """
    from twinviewer.personalize.calibrate import KEY_OUTPUTS
    from twinviewer.personalize.shown import context_of

    ctx = context_of(result)
    bare = [k for k in KEY_OUTPUTS if k in result.results.metrics and k not in ctx.measured
            and not ctx.widened(k)]
    # the fit table's band is explained once, by BAND_LEGEND under it (final16 #10: this
    # line still explained a "predictive 90 %" column fix16d had renamed "z band 90 %")
    curve = ("; a volume curve's predictive 90 % = the true curve's (ensemble ⊕ the model's "
             "volume and phase error)" if getattr(result, "curve_fit", None) else "")
    return (f"intervals: twin (90 % interval) = {ENSEMBLE_ONLY}, without model error; "
            f"z band 90 % = as its legend under the fit table says{curve}; "
            f"unmeasured predictions = {WITH_MODEL_ERROR}"
            + (f". No model error has been learned for {', '.join(bare)}: the report, the "
               f"app and whatif show their {ENSEMBLE_ONLY} alone, marked {MARK_ENSEMBLE}"
               if bare else ""))


def print_result(result, as_json: bool, out, extra: dict | None = None,
                 after: list[str] = ()) -> None:
    """Print a calibration as JSON (:func:`result_json`) or as text: the report, then how much
    the data narrowed each unmeasured prediction, then the lines ``after``."""
    if as_json:
        print(json.dumps(result_json(result, extra), indent=2, allow_nan=False), file=out)
        return
    print(RESEARCH_USE, file=out)
    print(format_report(result), file=out)
    widths = format_widths(unmeasured_widths(result))
    if widths:
        print(widths, file=out)
    print(interval_note(result), file=out)
    for line in after:
        print(line, file=out)

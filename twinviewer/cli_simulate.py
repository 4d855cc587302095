"""``twinviewer simulate``: run a preset (or an ensemble around it) and print its metrics."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from twinviewer import RESEARCH_USE
from twinviewer.core import format as fmt
from twinviewer.core.interval_marks import prior_note
from twinviewer.core.units import UnitError
from twinviewer.physiology import ModelError, sample_prior, simulate
from twinviewer.physiology.metrics import relevant_metrics
from twinviewer.physiology.plausible import beyond_legend, beyond_mark


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="healthy", help="virtual patient (default: healthy)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE[unit]",
                   help="override a parameter, e.g. LV.EA=5.0 or 'HR=60 bpm' (repeatable)")
    p.add_argument("--ensemble", type=int, default=0, metavar="N",
                   help="sample N members from the priors and print median and 90%% interval")
    p.add_argument("--seed", type=int, default=0, help="seed of the ensemble sample")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--svzerod", metavar="CONFIG.json",
                   help="run an svZeroDSolver configuration (as a model of the ensemble engine) "
                        "instead of a preset")
    p.add_argument("--svzerod-units", choices=("SI", "cgs"), default="SI",
                   help="unit system of the svZeroDSolver file (default: SI)")
    p.add_argument("--list-parameters", action="store_true",
                   help="list the model's parameters with units and ranges, then exit")


def _svzerod_preset(path: str, units: str):
    """A preset-like view of an svZeroDSolver file: its model at the file's values."""
    from types import SimpleNamespace

    from twinviewer.physiology.svzerod.model import model_from_config

    model = model_from_config(path, units=units)
    return SimpleNamespace(name=model.name, title=model.title, model=model, values={},
                           vector=model.default_vector)


def run(args: argparse.Namespace, out=None) -> int:
    """Run the sub-command; returns the exit code."""
    out = out or sys.stdout
    try:
        if getattr(args, "svzerod", None):
            preset = _svzerod_preset(args.svzerod, args.svzerod_units)
        else:
            from twinviewer.twins import _preset  # built-in or an installed plugin's

            preset = _preset(args.preset)
        model = preset.model
        if args.list_parameters:
            for par in model.parameters:
                lo, hi = par.plausible
                print(f"{par.name:14s} {par.default:10.4g} {par.unit:12s} [{lo:g}, {hi:g}]  "
                      f"{par.description}", file=out)
            return 0
        base = model.vector({**preset.values, **model.parse_overrides(args.param)})
    except (ModelError, UnitError, ValueError, OSError) as exc:
        print(f"twinviewer simulate: {exc}", file=sys.stderr)
        return 2
    if args.ensemble and args.ensemble > 1:
        params = sample_prior(model, args.ensemble, base=base, seed=args.seed)
    else:
        params = base[None, :]
    try:
        results = simulate(model, params)
    except RuntimeError as exc:  # a plugin model that failed in its worker (now disabled)
        print(f"twinviewer simulate: {exc}", file=sys.stderr)
        return 1
    for msg in results.errors():
        print(f"warning: {msg}", file=sys.stderr)
    if not results.ok.any():
        print("twinviewer simulate: no member reached a periodic state", file=sys.stderr)
        return 1
    rows = []
    # a lesion's or device's rows only where the patient has it (no "LVAD flow 0 L/min",
    # "Qp:Qs 1" without a pump or shunt: review13 #12); the rule the GUI's table uses
    for m in relevant_metrics(model.parameter_names, results.params):
        if m.name not in results.metrics:
            continue
        med, lo, hi = results.summary(m.name)
        rows.append({"metric": m.name, "label": m.label, "unit": m.unit, "median": med,
                     "p05": lo, "p95": hi})
    if args.json:  # JSON has no NaN: a value no member could give is null
        rows = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                 for k, v in r.items()} for r in rows]
    if args.json:
        json.dump({"preset": preset.name, "model": model.name,
                   "model_version": model.version, "equation_hash": model.equation_hash,
                   "members": int(results.n), "periodic_members": int(results.ok.sum()),
                   "interval": "90% (5th-95th percentile)" if results.n > 1 else "none",
                   **({"ensemble": prior_note(preset.title, int(results.n))}
                      if results.n > 1 else {}),
                   "metrics": rows, "errors": results.errors(), "notice": RESEARCH_USE},
                  out, indent=2, allow_nan=False)
        out.write("\n")
        return 0
    n_ok = int(results.ok.sum())
    print(f"{preset.title} — model {model.name} v{model.version}; "
          f"{n_ok} of {results.n} member(s) periodic", file=out)
    if results.n > 1:  # not a population of such patients (review15b #10)
        print(prior_note(preset.title, int(results.n)), file=out)
    header = "median (5–95 %)" if results.n > 1 else "value"
    print(f"{'metric':48s} {header:>26s}  unit", file=out)
    beyond = []  # outputs whose interval leaves the plausible range: marked, never clipped
    for r in rows:
        if results.n > 1:
            val = fmt.interval(r["median"], r["p05"], r["p95"])
            mark = beyond_mark(r["metric"], r["p05"], r["p95"])
            val += mark
            beyond += [r["metric"]] if mark else []
        else:
            val = fmt.number(r["median"])
        print(f"{r['label'] + ' (' + r['metric'] + ')':48s} {val:>26s}  {fmt.unit_cell(r['unit'])}",
              file=out)
    if beyond:
        print(beyond_legend(beyond), file=out)
    if model.roles:  # a model of another structure: say what it cannot provide
        from twinviewer.plugins.roles import unavailable

        missing = [name for line in unavailable(dict(model.roles))
                   if (name := line.split(":")[0]) not in results.metrics]
        if missing:
            print(f"Not provided by this model ({len(missing)}): {', '.join(missing)}",
                  file=out)
    if results.n == 1:
        print("A single twin has no interval: use --ensemble N for uncertainty.", file=out)
    print(RESEARCH_USE, file=out)
    return 0 if np.all(results.ok) else 1

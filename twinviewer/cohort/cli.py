"""``twinviewer cohort``: run a cohort study from a YAML spec, and plot its results.

Examples
--------
``twinviewer cohort run study.yaml -o results.parquet``  (embedded Dask LocalCluster)
``twinviewer cohort run study.yaml -o results.parquet --scheduler tcp://HOST:8786``
``twinviewer cohort report results.parquet -o plots.pdf``
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from twinviewer import RESEARCH_USE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``cohort run`` and ``cohort report`` sub-commands."""
    sub = parser.add_subparsers(dest="cohort_command", metavar="run|report")
    r = sub.add_parser("run", help="run a cohort spec; write one row per patient and scenario")
    r.add_argument("spec", help="study spec (YAML)")
    r.add_argument("-o", "--output", required=True, help="results table (.parquet)")
    r.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                   help="an existing Dask scheduler (its workers need twinviewer installed); "
                        "default: a local cluster")
    r.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: one per core)")
    r.add_argument("--connect-timeout", type=float, default=30.0, metavar="S",
                   help="seconds to wait for --scheduler (default 30)")
    r.add_argument("--in-process", action="store_true",
                   help="run without Dask, in this process (reference path)")
    r.add_argument("--json", action="store_true", help="print JSON")
    p = sub.add_parser("report", help="plots of a cohort table (PDF or PNG)")
    p.add_argument("results", help="results table written by 'cohort run'")
    p.add_argument("-o", "--output", required=True, help="plots.pdf or plots.png")
    p.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(cohort_command=None)


def _clean(x):
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def _summary_lines(table, metrics, summary, level) -> list[str]:
    from twinviewer.cohort.work import has_direction

    lines = []
    for sc, sub in table.groupby("scenario", sort=False):
        lines.append(f"{sc}: {sub['patient'].nunique()} patients")
        for m in metrics:
            d = sub[f"{m}:diff_median"]
            line = (f"  Δ {m}: median over patients {d.median():+.2f} "
                    f"(patients' {100 * level:.0f} % range {d.quantile((1 - level) / 2):+.2f} "
                    f"to {d.quantile((1 + level) / 2):+.2f})")
            if has_direction(m):
                imp = sub[f"{m}:improved"]
                line += (f"; improves in a median {100 * imp.median():.0f} % of plausible twins; "
                         f"{100 * (imp >= 0.5).mean():.0f} % of patients improve in ≥ 50 %")
            lines.append(line)
    lines.append("responders (Spearman ρ of feature with benefit, bootstrap interval):")
    if not summary:
        lines.append("  none: needs at least 5 patients with a varying, scored benefit")
    seen = set()
    for s in summary:
        if (s.scenario, s.metric) in seen:
            continue
        seen.add((s.scenario, s.metric))
        lines.append("  " + s.text())
    return lines


def _run(args) -> int:
    from twinviewer.cohort.responders import responder_summary
    from twinviewer.cohort.runner import run_cohort
    from twinviewer.cohort.spec import SpecError, load_spec
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.physiology import ModelError

    try:
        if args.workers is not None and args.workers < 1:
            raise SpecError(f"--workers {args.workers}: need at least 1")
        spec = load_spec(args.spec)
        run = run_cohort(spec, args.output, scheduler=args.scheduler, workers=args.workers,
                         in_process=args.in_process, progress=not args.json,
                         connect_timeout=args.connect_timeout)
    except (SpecError, InterventionError, ModelError) as exc:
        print(f"twinviewer cohort run: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("twinviewer cohort run: interrupted; completed chunks are kept, run the same "
              "command again to resume", file=sys.stderr)
        return 130
    summary = responder_summary(run.table, list(spec.metrics), level=spec.level)
    side = Path(args.output).with_suffix(".responders.json")
    side.write_text(json.dumps(_clean({"notice": RESEARCH_USE,
                                       "associations": [s.to_dict() for s in summary]}),
                               indent=1, ensure_ascii=False))
    if args.json:
        print(json.dumps(_clean({
            "notice": RESEARCH_USE, "output": str(args.output), "rows": len(run.table),
            "patients": int(run.table["patient"].nunique()), "chunks": run.chunks_total,
            "chunks_reused": run.chunks_reused, "workers": run.workers,
            "elapsed_s": run.elapsed, "run_dir": str(run.run_dir),
            "responders": [s.to_dict() for s in summary]}), indent=1, ensure_ascii=False))
    else:
        print(RESEARCH_USE)
        print(f"{len(run.table)} rows → {args.output} ({run.chunks_total} chunks, "
              f"{run.chunks_reused} reused from an earlier run; {run.elapsed:.1f} s)")
        print("\n".join(_summary_lines(run.table, spec.metrics, summary, spec.level)))
    return 0


def _report(args) -> int:
    from twinviewer.cohort.plots import write_report
    from twinviewer.cohort.responders import responder_summary
    from twinviewer.cohort.runner import read_results
    from twinviewer.cohort.spec import SpecError

    try:
        table, meta = read_results(args.results)
        out = Path(args.output)
        if out.suffix.lower() not in (".pdf", ".png"):
            raise SpecError(f"{out.name}: the report must be .pdf or .png")
        if not out.parent.is_dir():
            raise SpecError(f"{out.name}: its folder does not exist")
        metrics = meta["spec"]["metrics"]
        summary = responder_summary(table, metrics, level=meta.get("level", 0.9))
        files = write_report(table, meta, summary, out)
    except SpecError as exc:
        print(f"twinviewer cohort report: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"notice": RESEARCH_USE, "files": [str(f) for f in files]}))
    else:
        print(RESEARCH_USE)
        print("wrote " + ", ".join(str(f) for f in files))
    return 0


def run_cohort_command(args: argparse.Namespace) -> int:
    """Run ``twinviewer cohort run|report``; exit code 0 ok, 2 bad input."""
    if args.cohort_command == "run":
        return _run(args)
    if args.cohort_command == "report":
        return _report(args)
    print("twinviewer cohort: error: choose 'run SPEC.yaml -o OUT.parquet' or "
          "'report RESULTS.parquet -o PLOTS.pdf'", file=sys.stderr)
    return 2

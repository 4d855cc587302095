"""``twinviewer whatif``: run what-if scenarios on a virtual patient from the command line.

Examples
--------
``twinviewer whatif --preset severe_as --intervention tavi:eoa=1.8``
``twinviewer whatif --preset hfref --scenario lvad:speed=5000 --scenario lvad:speed=7000
--goal "min LVEDP; CO>=4" --json``

``--intervention`` steps form one scenario (applied in order); each ``--scenario`` is a
further scenario whose steps are joined by ``+``. ``--list`` prints the library.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any

from twinviewer import RESEARCH_USE
from twinviewer.core.twin import Scenario
from twinviewer.core.units import UnitError
from twinviewer.interventions.compare import (
    DEFAULT_METRICS,
    METRIC_ALIASES,
    resolve_metric,
    run_scenarios,
    scenario_table,
    with_atrial,
)
from twinviewer.interventions.indication import with_sizing
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.library import available
from twinviewer.interventions.ranking import Goal, rank
from twinviewer.interventions.scenario import (
    parse_scenario,
    parse_step,
    scenario_label,
    shown_name,
    unique_name,
)
from twinviewer.physiology import METRIC_BY_NAME, ModelError, simulate
from twinviewer.physiology.presets import PRESETS


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``whatif`` options to ``parser`` (for the main CLI's sub-command)."""
    parser.add_argument("twin", nargs="?", default=None, metavar="PATIENT.twin",
                        help="run on this saved twin and write the scenarios and their "
                             "results back into it (audited); without it, a preset")
    parser.add_argument("--preset", default="severe_as",
                        help=f"virtual patient ({', '.join(PRESETS)}, or an enabled plug-in's "
                             "preset); default severe_as")
    parser.add_argument("--members", type=int, default=200,
                        help="ensemble size (1: the point estimate only); default 200; "
                             "a saved twin uses its own ensemble")
    parser.add_argument("--seed", type=int, default=0, help="ensemble seed; default 0")
    parser.add_argument("--intervention", "-i", action="append", default=[],
                        metavar="NAME:SETTING=VALUE,...",
                        help="a step of the main scenario, e.g. tavi:eoa=1.8,pvl=1 "
                             "(repeat to stack steps in order)")
    parser.add_argument("--scenario", "-s", action="append", default=[],
                        metavar="STEP+STEP",
                        help="a further scenario, steps joined by '+', e.g. "
                             "'tavi_sapien3:size=26+beta_blocker:dose=5'")
    parser.add_argument("--metrics", default=",".join(DEFAULT_METRICS),
                        help="comma-separated metrics to compare")
    parser.add_argument("--goal", default=None,
                        help="rank options by a goal, e.g. 'min LVEDP; CO>=4'")
    parser.add_argument("--level", type=float, default=0.9,
                        help="interval level; default 0.9")
    parser.add_argument("--regulation", choices=("acute", "regulated"), default="regulated",
                        help="regulated (default): the arterial baroreflex's closed-loop "
                             "steady state, the mode every evidence row was validated in and "
                             "the drug magnitudes were fitted in; acute: the immediate effect "
                             "before the reflex acts (not validated: drugs then overshoot). A "
                             "scenario's own '@acute' / '@regulated' suffix wins")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--list", action="store_true",
                        help="describe the intervention library and exit")
    return parser


def _clean(x):
    """JSON-safe copy (NaN → null)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def scenario_dicts(scenarios: Sequence[Scenario]) -> list[dict]:
    """The scenarios for ``--json``, each with its ``"regulation"`` (a file leaves out the
    default 'acute'; a reader of the output must not have to know that default) and the name
    a reader sees (``"shown"``).

    Examples
    --------
    >>> scenario_dicts([Scenario("x", (), "acute")])
    [{'name': 'x', 'steps': [], 'regulation': 'acute', 'shown': 'x [acute, unregulated]'}]
    """
    return [{**s.to_dict(), "regulation": s.regulation, "shown": shown_name(s)}
            for s in scenarios]


def shown_metrics(args: Any, metrics: Sequence[str], parameter_names: Sequence[str],
                  ensembles: Sequence[Any], measured: Sequence[str] = ()) -> list[str]:
    """The metrics a ``whatif`` table shows: those asked for with ``--metrics``, or the
    default list less a lesion's rows that no member has, baseline or what-if, and that were
    not measured (:func:`~twinviewer.physiology.metrics.irrelevant_names`: the simulate CLI's
    and the GUI's rule; review15b #7).

    Examples
    --------
    >>> import argparse, numpy as np
    >>> a = argparse.Namespace(metrics=",".join(DEFAULT_METRICS))
    >>> "MR_fraction" in shown_metrics(a, DEFAULT_METRICS, ["MV.EROA"], [np.zeros((2, 1))])
    False
    >>> shown_metrics(argparse.Namespace(metrics="MR_fraction"), ["MR_fraction"], ["MV.EROA"],
    ...               [np.zeros((2, 1))])
    ['MR_fraction']
    """
    from twinviewer.physiology.metrics import irrelevant_names

    if getattr(args, "metrics", None) != ",".join(DEFAULT_METRICS):
        return list(metrics)  # asked for by name: shown
    hidden = irrelevant_names(parameter_names, list(ensembles), measured)
    return [m for m in metrics if m not in hidden]

def _scenarios(args) -> list[Scenario]:
    mode = getattr(args, "regulation", None) or "acute"
    out: list[Scenario] = []
    if args.intervention:
        steps = tuple(parse_step(s) for s in args.intervention)
        out.append(Scenario(scenario_label(steps, mode), steps, mode))
    for s in args.scenario:
        out.append(unique_name(parse_scenario(s if "@" in s else f"{s} @{mode}"), out))
    if not out:
        raise InterventionError("no intervention given; use --intervention NAME:SETTING=VALUE "
                                "(see --list)")
    return out


def run_whatif(args: argparse.Namespace | Sequence[str] | None = None) -> int:
    """Run the ``whatif`` command; returns the process exit code (0 ok, 1 some
    scenarios refused while the others ran, 2 bad input).

    ``args`` is a parsed namespace (from :func:`add_arguments`) or an argument list.
    """
    if not isinstance(args, argparse.Namespace):
        parser = add_arguments(argparse.ArgumentParser(
            prog="twinviewer whatif", description=__doc__.splitlines()[0]))
        args = parser.parse_args(args)
    if args.list:
        print("\n\n".join(iv.describe() for iv in available().values()))
        return 0
    try:
        from twinviewer.twins import _preset

        _preset(args.preset)  # the core's and enabled plug-ins' presets, as `simulate` takes
        if args.members < 1:
            raise InterventionError(f"--members {args.members}: need at least 1 member")
        if not 0.0 < args.level < 1.0:
            raise InterventionError(f"--level {args.level}: must be between 0 and 1")
        metrics = [resolve_metric(m) for m in args.metrics.split(",") if m.strip()]
        for m in metrics:
            if m not in METRIC_BY_NAME:
                raise InterventionError(f"unknown metric {m!r}; known: "
                                        f"{', '.join([*METRIC_BY_NAME, *METRIC_ALIASES])}")
        metrics = list(dict.fromkeys(metrics))  # PCWP and LAP are one metric
        scenarios = _scenarios(args)
        goal = Goal.parse(args.goal) if args.goal else None
        if getattr(args, "twin", None):  # a saved twin: its ensemble, results written back
            runner = getattr(args, "twin_file_runner", None)
            if runner is None:
                raise InterventionError("a saved twin's what-ifs run through the "
                                        "`twinviewer whatif` command")
            return runner(args, scenarios, metrics, goal)
        from twinviewer.twins import model_of, twin_from_preset

        twin = twin_from_preset(args.preset, n=args.members, seed=args.seed)
        model = model_of(twin)
        baseline = simulate(model, twin.ensemble)
        refused: dict[str, str] = {}  # one refused scenario never costs the others theirs
        results = run_scenarios(model, baseline, scenarios, failed=refused)
        if refused and not results:
            raise InterventionError("; ".join(refused.values()))
        scenarios = [s for s in scenarios if s.name in results]
        metrics = shown_metrics(args, metrics, model.parameter_names,
                                [baseline.params, *(r.params for r in results.values())])
        absent = [m for m in metrics if m not in baseline.metrics]  # another structure's
        if absent and getattr(args, "metrics", None) != ",".join(DEFAULT_METRICS):
            raise InterventionError(f"model {model.name!r} does not provide "
                                    f"{', '.join(absent)}; it provides: "
                                    f"{', '.join(baseline.metrics)}")
        metrics = [m for m in metrics if m not in absent]
        lookup = getattr(args, "evidence_lookup", None)  # set by twinviewer.cli (explain)
        table = scenario_table(baseline, results, metrics, level=args.level,
                               evidence=(lookup(scenarios, baseline=baseline)
                                         if lookup is not None else None))
        table.flags = with_sizing(table.flags, scenarios)  # off-size valves (review16b #4)
        table.flags = with_atrial(table.flags, baseline, results,  # LAP/CVP below 0 mmHg
                                  getattr(args, "atrial_lookup", None))  # twinviewer.cli's
        big = getattr(args, "unsourced_lookup", None)  # set by twinviewer.cli (explain)
        unsourced = big(scenarios, baseline, results) if big is not None else {}
        sized = getattr(args, "checked_lookup", None)  # this heart's change vs its source
        checked = sized(scenarios, baseline, results) if sized is not None else {}
        ranking = rank(baseline, results, goal, evidence=table.evidence,
                       unsourced=unsourced, scenarios=scenarios) if goal else None
    except (InterventionError, ModelError, UnitError) as exc:
        print(f"twinviewer whatif: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        doc = {"notice": RESEARCH_USE, "preset": args.preset, "members": args.members,
               "seed": args.seed, "regulation": args.regulation,
               "scenarios": scenario_dicts(scenarios),
               "table": table.to_dict(),
               "ranking": ranking.to_dict() if ranking else None,
               "unsourced_changes": unsourced, "checked_changes": checked,
               "not_provided": absent,  # what the text's "Not provided by this model" names
               "refused": refused}
        print(json.dumps(_clean(doc), indent=2, ensure_ascii=False))
    else:
        why = ("immediate effect before the baroreflex acts; not the mode the evidence "
               "table validates" if args.regulation == "acute" else
               "baroreflex closed-loop steady state, as the evidence table validates")
        print(f"{RESEARCH_USE}\npreset {args.preset}, {args.members} member"
              f"{'' if args.members == 1 else 's'}; regulation {args.regulation} ({why})")
        if args.members > 1:  # not a population of such patients (review15b #10)
            from twinviewer.core.interval_marks import prior_note
            from twinviewer.physiology import get_preset

            print(prior_note(get_preset(args.preset).title, args.members))
        shown = {s.name: shown_name(s) for s in scenarios}
        print(table.format_text(shown))
        if absent:  # the default list on a model of another structure (a plug-in's)
            print(f"Not provided by this model ({len(absent)}): {', '.join(absent)}")
        for name, lines in unsourced.items():  # a large change no source reports
            print("\n".join(f"! {shown.get(name, name)}: {line}" for line in lines))
        for name, lines in checked.items():
            print("\n".join(f"{'!' if 'CAUTION' in x else '-'} {shown.get(name, name)}: {x}"
                            for x in lines))
        if ranking:
            print(ranking.format_text(shown))
    for name, why in refused.items():
        print(f"twinviewer whatif: not run: {name}: {why}", file=sys.stderr)
    return 1 if refused else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run_whatif(sys.argv[1:]))

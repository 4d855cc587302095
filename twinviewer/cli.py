"""The ``twinviewer`` command: the GUI by default, headless sub-commands otherwise.

Sub-commands import their modules only when called, so ``twinviewer simulate`` never loads
Qt and start-up stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable


def _gui(args: argparse.Namespace) -> int:
    from twinviewer.gui.app import run_gui

    return run_gui(twin_path=getattr(args, "file", None), dicom_path=getattr(args, "dicom", None),
                   distributed=LazyModule("twinviewer.cohort.jobs"))


class LazyModule:
    """A module imported on first attribute access: hands the cohort layer's Dask jobs to
    the GUI (a layer below) without importing them, or Dask, at start-up."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


def _screenshot(args: argparse.Namespace) -> int:
    from twinviewer.gui.app import run_screenshot

    return run_screenshot(args.output, width=args.width, height=args.height)


def _simulate(args: argparse.Namespace) -> int:
    from twinviewer import cli_simulate

    return cli_simulate.run(args)


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from twinviewer.imaging.cli_import import run_import
    from twinviewer.plugins.registry import get_registry

    return run_import(Path(args.path), Path(args.out) if args.out else None,
                      series_uid=args.series, meshes=Path(args.meshes) if args.meshes else None,
                      mapping=Path(args.mapping) if args.mapping else None, as_json=args.json,
                      keep_burned_in=args.keep_burned_in,
                      label_readers=get_registry().label_readers())


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``argv`` lets it import only the sub-command being run."""
    from twinviewer import __version__

    parser = argparse.ArgumentParser(
        prog="twinviewer",
        description="Explore a patient's cardiac digital twin. Without a sub-command, opens "
        "the viewer on the bundled demo heart. Research use — not for clinical decisions.")
    parser.add_argument("--version", action="version", version=f"twinviewer {__version__}")
    parser.add_argument("--dicom", help="open this DICOM folder in the viewer")
    parser.set_defaults(func=_gui)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("simulate", help="simulate a virtual patient and print its metrics")
    from twinviewer import cli_simulate

    cli_simulate.add_arguments(p)
    p.set_defaults(func=_simulate)

    p = sub.add_parser("import", help="import a DICOM folder: series, structures, volumes")
    p.add_argument("path", help="folder of DICOM files (searched recursively)")
    p.add_argument("--out", help="where to store the de-identified study")
    p.add_argument("--series", help="import the stack holding this (listed) series UID")
    p.add_argument("--meshes", help="folder of a mesh time series (<structure>_<frame>.vtk), "
                   "one frame per phase; its structures replace those of the segmentation")
    p.add_argument("--mapping", help="segment mapping JSON {label: structure key}")
    p.add_argument("--json", action="store_true", help="print the whole result as JSON")
    p.add_argument("--keep-burned-in", action="store_true",
                   help="import images marked BurnedInAnnotation=YES (refused by default: "
                        "their pixels may show patient text); they stay marked")
    p.set_defaults(func=_import)

    p = sub.add_parser("gui", help="open the viewer (the default)")
    p.add_argument("--dicom", help="open this DICOM folder")
    p.set_defaults(func=_gui)

    p = sub.add_parser("open", help="open a .twin file in the viewer")
    p.add_argument("file")
    p.set_defaults(func=_gui)

    p = sub.add_parser("screenshot", help="render the main window on the demo heart to PNG")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--width", type=int, default=1600)
    p.add_argument("--height", type=int, default=1000)
    p.set_defaults(func=_screenshot)

    p = sub.add_parser("info", help="summarise a .twin file and verify its audit chain")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable summary (errors too)")
    p.set_defaults(func=_info)

    p = sub.add_parser("report", help="export a .twin file's report as PDF (headless)")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    p.add_argument("--leave-out", action="append", default=[], metavar="SCENARIO",
                   help="a scenario not to simulate (its plug-in is off in the app's session); "
                        "repeatable")
    p.add_argument("--goal", default="",
                   help="rank the scenarios by a goal, e.g. 'min LVEDP; CO>=4' (default: the "
                        "goal kept in the file, if any)")
    p.set_defaults(func=_report)
    wanted = argv[0] if argv else None
    from twinviewer.plugins.registry import PluginError, get_registry

    registry = get_registry()  # the core's commands and the plugins': one table
    for c in registry.contributions("commands"):
        p = sub.add_parser(c.name, help=c.extra.get("help", c.display_name))
        if wanted not in (None, c.name):  # import a command's module only when it is used
            continue
        try:
            add_arguments, run = registry.command(c.name)
        except PluginError as exc:
            p.set_defaults(func=_refused(str(exc)))
            continue
        add_arguments(p)
        p.set_defaults(func=run)
        if c.name == "explain":  # the explainer plugins (imported when they run)
            p.set_defaults(explainers=registry.explainers(),
                           func=_failing_on_hangs(run, registry))
        if c.name in TWIN_FILE_RUNNERS:  # the saved-twin pipeline sits above these packages
            key = "distributed_mapper" if c.name == "explain" else "twin_file_runner"
            p.set_defaults(**{key: _lazy(*TWIN_FILE_RUNNERS[c.name])})
        if c.name == "whatif":  # the failing evidence rows of the interventions used
            p.set_defaults(evidence_lookup=_lazy("twinviewer.explain.evidence_flags",
                                                 "scenario_evidence"),
                           unsourced_lookup=_lazy("twinviewer.explain.evidence_flags",
                                                  "unsourced_changes"),
                           checked_lookup=_lazy("twinviewer.explain.evidence_flags",
                                                "checked_changes"),
                           atrial_lookup=_lazy("twinviewer.explain.validity",
                                               "negative_atrial"))
    return parser


#: ``calibrate`` and ``whatif`` on a saved ``.twin``: run by the pipeline (a layer above the
#: packages that parse those commands), handed to them as ``args.twin_file_runner``.
TWIN_FILE_RUNNERS = {"calibrate": ("twinviewer.pipeline", "run_calibrate_file"),
                     "whatif": ("twinviewer.pipeline", "run_whatif_file"),
                     "explain": ("twinviewer.cohort.cluster", "sobol_mapper_context")}


def _lazy(module: str, func: str) -> Callable:
    def run(*args, **kwargs):
        return getattr(importlib.import_module(module), func)(*args, **kwargs)

    return run


def _failing_on_hangs(run: Callable[[argparse.Namespace], int], registry
                      ) -> Callable[[argparse.Namespace], int]:
    """``run``, then exit 1 naming each plugin that ran past its time budget meanwhile (the
    output is printed without its paragraph; the plugin is disabled for the session)."""
    def guarded(args: argparse.Namespace) -> int:
        before = len(registry.incidents)
        code = run(args)
        for _, message in registry.incidents[before:]:
            print(f"error: {message}", file=sys.stderr)
        return code or (1 if len(registry.incidents) > before else 0)

    return guarded


def _refused(message: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        print(f"error: {message}", file=sys.stderr)
        return 1

    return run


def _info(args: argparse.Namespace) -> int:
    from twinviewer.interventions.constants_digest import held_back
    from twinviewer.interventions.scenario import shown_name
    from twinviewer.io.cli import run_info
    from twinviewer.personalize.parameter_count import twin_counts

    return run_info(args.file, as_json=getattr(args, "json", False),
                    judge=lambda doc: held_back(doc.results, doc.twin.scenarios),
                    count=lambda doc: twin_counts(doc.twin), name=shown_name)


def _report(args: argparse.Namespace) -> int:
    from twinviewer.report.cli import run_report

    if getattr(args, "json", False):
        from twinviewer.pipeline import run_report_json

        return run_report_json(args.file, args.output)

    return run_report(args.file, args.output, left_out=args.leave_out, goal=args.goal)


def desktop_argv(argv: list[str], commands: frozenset[str] = frozenset()) -> list[str]:
    """The command line a desktop launcher means: ``twinviewer FILE.twin`` (a double-click on
    a .twin, the .desktop file's ``Exec=twinviewer %f``) opens that twin; ``twinviewer FOLDER``
    opens that DICOM folder (unless it is named like one of ``commands``); anything else is
    left as it is.

    Examples
    --------
    >>> desktop_argv(["/data/j9.twin"])
    ['open', '/data/j9.twin']
    >>> desktop_argv(["info", "j9.twin"])
    ['info', 'j9.twin']
    """
    from pathlib import Path

    if len(argv) != 1 or argv[0].startswith("-") or argv[0] in commands:
        return argv
    path = Path(argv[0])
    if path.suffix.lower() == ".twin":
        return ["open", argv[0]]
    if path.is_dir():
        return ["--dicom", argv[0]]
    return argv


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``twinviewer`` command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    from twinviewer.prepared_cache import seed

    seed()  # the installation's compiled kernels into a new account's cache (once: one stat)
    import twinviewer.plugins  # noqa: F401 - plugin models and presets become findable
    parser = build_parser(argv)
    commands = frozenset(c for a in parser._actions if isinstance(a, argparse._SubParsersAction)
                         for c in a.choices)
    argv = desktop_argv(argv, commands)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

"""``twinviewer plugins list|info|enable|disable|approve|check PATH [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from twinviewer.core.privacy import without_paths
from twinviewer.plugins.registry import (
    ENABLED,
    NEEDS_APPROVAL,
    PluginError,
    Registry,
    core_lists_kept,
    get_registry,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``plugins`` sub-commands."""
    sub = parser.add_subparsers(dest="plugins_command",
                                metavar="list|info|enable|disable|approve|check")
    p = sub.add_parser("list", help="installed plugins, their status and contributions")
    p.add_argument("--json", action="store_true", help="print as JSON")
    for name, text in (("info", "a plugin's manifest, status and errors"),
                       ("enable", "re-enable a disabled plugin"),
                       ("disable", "disable a plugin (remembered in your configuration)"),
                       ("approve", "approve a new or changed plugin so it can run")):
        p = sub.add_parser(name, help=text)
        p.add_argument("name", help="plugin name (see 'twinviewer plugins list')")
        p.add_argument("--json", action="store_true", help="print as JSON")
        if name == "approve":
            p.add_argument("--anyway", action="store_true",
                           help="approve it even though its checks (as 'plugins check') fail")
    p = sub.add_parser("check", help="check a plugin folder: manifest, imports and contracts")
    p.add_argument("path", help="folder holding twinviewer.toml and the plugin's package")
    p.add_argument("--json", action="store_true", help="print as JSON")


def _line(rec) -> str:
    m = rec.manifest
    kinds = {}
    for c in (m.contributions if m else ()):
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    what = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "nothing"
    version = f" {m.version}" if m else ""
    msg = f" — {rec.message}" if rec.message and rec.status != ENABLED else ""
    return f"{rec.name}{version} [{rec.status}]: {what}{msg}"


#: Seconds allowed for a check's worker process to start (it imports the app) before the
#: plugin's code runs in it.
WORKER_START_S = 20.0


def smoke_intervention(c, root: str | None) -> list[str]:
    """Problems of intervention ``c`` tried once on a healthy virtual twin in a worker
    process (:func:`.worker.smoke_intervention`), within the interventions' budget plus the
    worker's start. The problems' text is the plugin's (its exception's): its paths are
    taken out (:func:`~twinviewer.core.privacy.without_paths`, review11b #11)."""
    from twinviewer.plugins.budget import budget
    from twinviewer.plugins.isolation import WorkerError, WorkerTimeout, call

    # the worker times the check and the transform within the interventions' budget
    # itself, as the app does; this limit only ends a worker that could not (a loop in C)
    each = budget("interventions")
    try:
        found = call("twinviewer.plugins.worker:smoke_intervention", (c.ref, root),
                     timeout=2 * each + WORKER_START_S, label="trying it on a virtual twin")
        return [without_paths(p) for p in found]
    except WorkerTimeout:
        return [f"it did not finish within {2 * each:g} s (its check and its transform, "
                f"{each:g} s each: the interventions' time budget, as in the app) plus "
                f"{WORKER_START_S:g} s allowed for the worker process's start; the worker "
                "was stopped"]
    except WorkerError as exc:
        return [without_paths(str(exc))]


def smoke_overlay(c, root: str | None) -> list[str]:
    """Problems of overlay ``c``'s values on the test spheres, in a worker process
    (:func:`.worker.smoke_overlay`), as :func:`smoke_intervention` (review15 #7: the check
    looked only at the overlay's declaration and passed one returning NaN)."""
    from twinviewer.plugins.budget import budget
    from twinviewer.plugins.isolation import WorkerError, WorkerTimeout, call

    each = budget("overlays")
    try:
        found = call("twinviewer.plugins.worker:smoke_overlay", (c.ref, root),
                     timeout=each + WORKER_START_S, label="colouring the test spheres")
        return [without_paths(p) for p in found]
    except WorkerTimeout:
        return [f"it did not finish within {each:g} s (the overlays' time budget) plus "
                f"{WORKER_START_S:g} s allowed for the worker process's start; the worker "
                "was stopped"]
    except WorkerError as exc:
        return [without_paths(str(exc))]


def check_folder(path: Path, registry: Registry | None = None) -> dict:
    """Load every contribution of a plugin folder and run its contract checks.

    The folder's plugin is checked as if approved (checking is what approval is based on);
    nothing is stored, and the core's lookups (the intervention library, models, presets)
    are left as they were (:func:`~.registry.core_lists_kept`). Returns ``{"plugin", "ok",
    "problems": [...], "contributions": [...]}``.
    """
    with core_lists_kept():
        return _check_folder(path, registry)


def _check_folder(path: Path, registry: Registry | None) -> dict:
    import tempfile

    from twinviewer.plugins.store import PluginStore

    store = PluginStore(Path(tempfile.mkdtemp(prefix="tv-plugin-check-")) / "plugins.json")
    reg = registry or Registry(store=store, entry_points=[])
    rec = reg.add_folder(Path(path))
    if rec.status == "needs approval":
        rec = reg.approve(rec.name)
    problems = [rec.message] if rec.status != ENABLED else []
    done = []
    for c in (rec.manifest.contributions if rec.manifest and not problems else ()):
        try:
            reg.load(c.kind, c.name)
        except PluginError as exc:
            problems.append(str(exc))
            break  # the plugin is now disabled; the rest would only repeat that
        tried = {"interventions": smoke_intervention,  # its transform once (review11 #2)
                 "overlays": smoke_overlay}.get(c.kind)  # its values (review15 #7)
        if tried is not None and (found := tried(c, rec.manifest.root)):
            problems += [f"plugin {rec.name!r}: {c.kind[:-1]} {c.name!r} ({c.ref}): {p}"
                         for p in found]
            continue
        done.append(f"{c.kind[:-1]} {c.name}: ok")
    return {"plugin": rec.name, "ok": not problems, "problems": problems,
            "contributions": done}


def approval_problems(reg: Registry, name: str) -> list[str]:
    """What ``plugins check`` finds wrong with the plugin ``name`` as installed, checked before
    it is approved (a plugin waiting for approval only; ``[]`` otherwise).

    Examples
    --------
    >>> approval_problems(Registry(entry_points=[]), "twinviewer")
    []
    """
    folder = approval_folder(reg, name)
    return [] if folder is None else check_folder(folder)["problems"]


def approval_folder(reg: Registry, name: str) -> Path | None:
    """The folder :func:`check_folder` checks before the plugin ``name`` is approved: its
    package with its manifest (None unless it waits for approval). The GUI's plugin manager
    checks the same folder, with ``twinviewer plugins check``, before it approves.

    Examples
    --------
    >>> approval_folder(Registry(entry_points=[]), "twinviewer") is None
    True
    """
    rec = reg.record(name)
    m = rec.manifest
    if rec.status != NEEDS_APPROVAL or m is None:
        return None
    return Path(m.root) if m.root else Path(m.source).parent


def _approve(reg: Registry, args: argparse.Namespace):
    problems = approval_problems(reg, args.name)
    for line in problems:
        print(f"PROBLEM: {line}", file=sys.stderr)
    if problems and not args.anyway:
        raise CheckFailed(f"plugin {args.name!r} fails its checks (those of 'twinviewer "
                          "plugins check', above), so it is not approved: fix it, or approve "
                          "it regardless with --anyway")
    if problems:
        print(f"twinviewer plugins approve: warning: plugin {args.name!r} fails its checks "
              "(above) and is approved regardless (--anyway); the first failure in use "
              "disables it", file=sys.stderr)
    return reg.approve(args.name)


class CheckFailed(PluginError):
    """A plugin refused approval because its checks fail (exit code 1)."""


def run_plugins(args: argparse.Namespace) -> int:
    """Run a ``plugins`` sub-command; exit code 0 ok, 1 a check failed, 2 bad input."""
    cmd = args.plugins_command
    as_json = getattr(args, "json", False)
    if cmd is None:
        print("twinviewer plugins: error: choose list, info NAME, enable NAME, disable NAME, "
              "approve NAME or check PATH", file=sys.stderr)
        return 2
    try:
        if cmd == "check":
            if not Path(args.path).is_dir():
                print(f"twinviewer plugins check: error: {args.path} is not a folder",
                      file=sys.stderr)
                return 2
            out = check_folder(Path(args.path))
            if as_json:
                print(json.dumps(out, indent=1))
            else:
                for line in out["contributions"]:
                    print(line)
                for line in out["problems"]:
                    print(f"PROBLEM: {line}")
                print(f"{out['plugin']}: {'passes' if out['ok'] else 'fails'} its checks")
            return 0 if out["ok"] else 1
        reg = get_registry()
        if cmd == "list":
            recs = list(reg.plugins.values())
            if as_json:
                print(json.dumps([r.to_dict() for r in recs], indent=1))
            else:
                for r in recs:
                    print(_line(r))
            return 0
        rec = {"info": reg.record, "enable": reg.enable, "disable": reg.disable,
               "approve": lambda _: _approve(reg, args)}[cmd](args.name)
        rec = reg.record(args.name) if rec is None else rec
        if as_json:
            print(json.dumps(rec.to_dict(), indent=1))
        else:
            print(_line(rec))
            if cmd == "info" and rec.manifest:
                print(f"  source: {rec.manifest.source}")
                for c in rec.manifest.contributions:
                    print(f"  {c.kind[:-1]} {c.name} ({c.ref}): {c.display_name}")
        return 0
    except PluginError as exc:
        print(f"twinviewer plugins {cmd}: error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, CheckFailed) else 2

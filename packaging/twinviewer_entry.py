"""Entry point of the desktop bundle (PyInstaller): the ``twinviewer`` command line, and the
app's own helper process.

A frozen bundle has no Python interpreter to start, so the helper process that runs long jobs
(:mod:`twinviewer.gui.process_worker`) is the bundle's executable started again with
``--process-worker JOB_FD RESULT_FD [MODULE ...]``. That form goes straight to the worker's
loop: no command line, no application, no window; the loop ends when its job pipe closes.
``--warm-up`` is the frozen form of ``python -m twinviewer.warmup`` (the bundle's
``install-desktop-entry.sh`` runs it after install: kernels compiled, the demo's prepared
files copied into the user cache, the 3D view's shaders cached). ``--self-check OUT`` runs
a what-if Run, Save, a report export and a calibration in the window and checks that each
ran in its helper process (:mod:`bundle_selfcheck`). Before ``--warm-up`` and any other
command but the helper's, the bundle's prepared files (compiled kernels, the virtual hearts'
anatomies; :mod:`twinviewer.prepared_cache`) are copied into an empty user cache: installing
is copying.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

#: The first argument that makes this executable the helper process (the frozen form of
#: ``process_worker._helper_command``).
HELPER_FLAG = "--process-worker"

WORKER = "twinviewer.gui.process_worker"
#: The first argument that makes this executable prepare a fresh installation
#: (:mod:`twinviewer.warmup`).
WARM_UP_FLAG = "--warm-up"
#: The first argument that runs the app's own actions in its window and checks which process
#: each ran in (:mod:`bundle_selfcheck`, beside this file: the bundle's helper processes
#: checked by a script, ``packaging/bundle_helper_check.py --actions``).
SELF_CHECK_FLAG = "--self-check"


def run_helper(args: list[str]) -> int:
    """Run the helper's loop on the descriptors ``args[0]`` (jobs) and ``args[1]``
    (results), importing ``args[2:]`` ahead of the first job.

    The worker module is loaded by itself, without running ``twinviewer.gui``'s
    ``__init__`` (which sets up Qt for the application); it is registered under its own
    name, so the jobs' ``from twinviewer.gui.process_worker import SHARED`` finds this one.
    """
    if len(args) < 2 or not all(a.isdigit() for a in args[:2]):
        print(f"twinviewer {HELPER_FLAG}: expected two pipe descriptors, got {args[:2]}",
              file=sys.stderr)
        return 2
    import twinviewer

    gui = os.path.join(os.path.dirname(twinviewer.__file__), "gui")
    spec = importlib.machinery.PathFinder.find_spec(WORKER, [gui])
    if spec is None or spec.loader is None:
        print(f"twinviewer {HELPER_FLAG}: {WORKER} not found in {gui}", file=sys.stderr)
        return 2
    worker = importlib.util.module_from_spec(spec)
    sys.modules[WORKER] = worker
    spec.loader.exec_module(worker)
    worker._child(int(args[0]), int(args[1]), args[2:])
    return 0


def main(argv: list[str] | None = None) -> int:
    """Route ``--process-worker`` to the helper's loop, ``--warm-up`` to
    :mod:`twinviewer.warmup`, anything else to the command line."""
    if getattr(sys, "frozen", False):
        import multiprocessing

        # a process that multiprocessing spawns from the bundle (plug-in isolation) runs
        # this executable with its own arguments: it is served here and exits
        multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == [HELPER_FLAG]:
        return run_helper(args[1:])
    if getattr(sys, "frozen", False):
        from twinviewer.prepared_cache import same_machine, seed

        copied = seed()
        if args[:1] == [WARM_UP_FLAG]:
            match = same_machine()
            print(f"install: {len(copied)} prepared files copied into the cache; kernels "
                  + ("none shipped" if match is None else "compiled for this CPU" if match
                     else "compiled for another CPU: they compile now"), flush=True)
    if args[:1] == [WARM_UP_FLAG]:
        from twinviewer.warmup import main as warm_up_main

        return warm_up_main(args[1:])
    if args[:1] == [SELF_CHECK_FLAG]:
        from bundle_selfcheck import main as self_check_main

        return self_check_main(args[1:])
    from twinviewer.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())

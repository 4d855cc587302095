"""The install step's work done at build time (the code is :mod:`twinviewer.prepared_cache`,
shared with the source install's ``setup.sh``): compiled kernels and the virtual hearts'
anatomies made by the built bundle and shipped inside it, copied into the user cache when the
bundle is installed (``twinviewer --warm-up``) or first started.

``build-bundle.sh`` runs the built bundle's ``--warm-up`` in an empty HOME (no display) and
:func:`stage` takes from that cache what is the same on every machine with this bundle, into
``_internal/prepared_cache`` with a manifest:

the kernels, their numba caches and the lesson hearts' anatomies (what is taken, and why a
copy on another CPU only recompiles: :mod:`twinviewer.prepared_cache`).

The demo's own prepared files are not taken here (``demo_cache/``: they have their own copy
step, :func:`twinviewer.gui.demo_heart.seeded`).

:func:`seed` copies the prepared files the user cache lacks (never replacing one) and is
called by ``twinviewer_entry.py`` before ``--warm-up`` and before any other command of a
frozen bundle (one ``stat`` when done already). The warm-up then finds its parts done and
skips them (it still shows the window once for the driver's shader cache).
"""

from __future__ import annotations

import sys
from pathlib import Path

from twinviewer.prepared_cache import (  # noqa: F401 - this module's API for the build
    FOLDER,
    MANIFEST,
    PREPARED,
    bundled,
    machine,
    same_machine,
    seed,
    stage,
    user_cache,
)


def main(argv: list[str] | None = None) -> int:
    """``python packaging/bundle_prepared.py USER_CACHE DEST``: :func:`stage`."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: bundle_prepared.py USER_CACHE DEST", file=sys.stderr)
        return 2
    manifest = stage(args[0], args[1])
    size = sum((Path(args[1]) / f).stat().st_size for f in manifest["files"])
    print(f"prepared cache: {len(manifest['files'])} files, {size / 1e6:.1f} MB, "
          f"machine {manifest['machine'][1]}")
    return 0 if manifest["files"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""The install step's work done at build time: compiled kernels and the virtual hearts'
anatomies made by the built bundle and shipped inside it, copied into the user cache when the
bundle is installed (``twinviewer --warm-up``) or first started.

``build-bundle.sh`` runs the built bundle's ``--warm-up`` in an empty HOME (no display) and
:func:`stage` takes from that cache what is the same on every machine with this bundle, into
``_internal/prepared_cache`` with a manifest:

- ``kernels/`` and ``models/``: the generated kernel modules and numba's cache of them
  (``__pycache__/*.nbi``, ``*.nbc``). numba keys a cached compile by the source file's
  modification time and size (kept: files are copied with their times), numba's version, the
  argument types and the *machine*: the target triple, CPU name and CPU features
  (``codegen.magic_tuple()``). On another CPU numba finds no entry for it and compiles, adding
  its own entry beside the shipped one: a mismatch costs the old compile time, never a wrong
  kernel. The kernel's file name holds a digest of every source it depends on and numba's
  version (:mod:`twinviewer.physiology.kernels`), so a kernel of other code is never loaded.
- ``virtual_hearts/`` (converged ensemble states) and ``demo_heart/heart_anatomy_*.npz`` (the
  :data:`twinviewer.warmup.WARM_HEARTS` anatomies): keyed by app version, format and model
  equation hash in their names, the same on every machine.

The demo's own prepared files are not taken here (``demo_cache/``: they have their own copy
step, :func:`twinviewer.gui.demo_heart.seeded`).

:func:`seed` copies the prepared files the user cache lacks (never replacing one) and is
called by ``twinviewer_entry.py`` before ``--warm-up`` and before any other command of a
frozen bundle (one ``stat`` when done already). The warm-up then finds its parts done and
skips them (it still shows the window once for the driver's shader cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

#: What is taken from a warmed-up user cache (``~/.cache/twinviewer``), as glob patterns.
PREPARED = ("kernels/**/*", "models/**/*", "virtual_hearts/**/*",
            "demo_heart/heart_anatomy_*.npz")
MANIFEST = "manifest.json"
#: Folder inside the bundle (``sys._MEIPASS``) that holds the prepared cache.
FOLDER = "prepared_cache"


def machine() -> list:
    """numba's key of this machine for a cached compile: target triple, CPU name, features.

    Examples
    --------
    >>> triple, cpu, features = machine()
    >>> isinstance(cpu, str) and isinstance(features, str)
    True
    """
    from numba.core.registry import cpu_target

    return list(cpu_target.target_context.codegen().magic_tuple())


def _files(root: Path) -> list[Path]:
    seen: dict[Path, None] = {}
    for pattern in PREPARED:
        for p in sorted(root.glob(pattern)):
            if p.is_file() and not p.name.endswith(".tmp"):
                seen[p.relative_to(root)] = None
    return list(seen)


def stage(user_cache: Path | str, dest: Path | str) -> dict:
    """Copy the prepared parts of the warmed-up ``user_cache`` into the empty ``dest`` (file
    times kept) and write its manifest: the files with their SHA-256, and :func:`machine`
    of the building machine. Returns the manifest.

    Examples
    --------
    >>> import tempfile
    >>> src, dest = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp()) / "p"
    >>> _ = (src / "kernels").mkdir(), (src / "kernels" / "k.py").write_text("x = 1")
    >>> sorted(stage(src, dest)["files"])
    ['kernels/k.py']
    """
    user_cache, dest = Path(user_cache), Path(dest)
    files = {}
    for rel in _files(user_cache):
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(user_cache / rel, out)
        files[str(rel)] = hashlib.sha256(out.read_bytes()).hexdigest()
    manifest = {"files": files, "machine": machine()}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def bundled() -> Path | None:
    """The prepared cache inside a frozen bundle, or None (not frozen, or not shipped)."""
    base = getattr(sys, "_MEIPASS", None)
    folder = Path(base) / FOLDER if base else None
    return folder if folder is not None and (folder / MANIFEST).is_file() else None


def user_cache() -> Path:
    """The user cache folder the app uses (``~/.cache/twinviewer`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("twinviewer", appauthor=False))


def seed(prepared: Path | str | None = None, cache: Path | str | None = None) -> list[str]:
    """Copy the prepared files that ``cache`` lacks from ``prepared`` (default: the bundle's,
    :func:`bundled`, and :func:`user_cache`); the files copied. A file already in the cache is
    never replaced; a file whose digest is not the manifest's is not copied; a mark named by
    the manifest's digest makes later calls one ``stat``. A cache that cannot be written costs
    time (the app makes the files itself), never an error.

    Examples
    --------
    >>> import tempfile
    >>> src, cache = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> _ = (src / "kernels").mkdir(), (src / "kernels" / "k.py").write_text("x = 1")
    >>> _ = stage(src, src / "p")
    >>> seed(src / "p", cache), seed(src / "p", cache)
    (['kernels/k.py'], [])
    """
    prepared = Path(prepared) if prepared is not None else bundled()
    if prepared is None or not (prepared / MANIFEST).is_file():
        return []
    cache = Path(cache) if cache is not None else user_cache()
    raw = (prepared / MANIFEST).read_bytes()
    mark = cache / "prepared" / hashlib.sha256(raw).hexdigest()[:16]
    if mark.exists():
        return []
    copied = []
    try:
        for rel, sha in json.loads(raw)["files"].items():
            src, out = prepared / rel, cache / rel
            if out.exists() or not src.is_file():
                continue
            if hashlib.sha256(src.read_bytes()).hexdigest() != sha:
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
            shutil.copyfile(src, tmp)  # not copy2: the bundle's read-only mode stays behind
            st = src.stat()
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))  # numba's cache key
            tmp.replace(out)
            copied.append(rel)
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.write_text(json.dumps({"copied": len(copied)}))
    except OSError as exc:
        print(f"twinviewer: prepared files not copied into the cache ({exc.strerror})",
              file=sys.stderr)
    return copied


def same_machine(prepared: Path | str | None = None) -> bool | None:
    """Whether the shipped kernels were compiled for this machine (numba's key), or None if
    nothing is shipped. When False, numba compiles them again on first use.

    Examples
    --------
    >>> same_machine(Path("/nonexistent")) is None
    True
    """
    prepared = Path(prepared) if prepared is not None else bundled()
    if prepared is None or not (prepared / MANIFEST).is_file():
        return None
    return json.loads((prepared / MANIFEST).read_text())["machine"] == machine()


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

"""Files an installation prepares once and every account of the machine copies: the compiled
model kernels and the virtual hearts' anatomies ("installing is copying").

The installer's warm-up (``python -m twinviewer.warmup``: ``packaging/setup.sh``; the desktop
bundle's build) fills *its* user cache; :func:`stage` takes from that cache what is the same
for every user of this installation into a folder with a manifest:

- a source install: ``<venv>/share/twinviewer/prepared_cache`` (:func:`venv_folder`;
  ``setup.sh`` runs ``python -m twinviewer.warmup --stage`` after the warm-up, which takes
  only the files of this code: :func:`twinviewer.warmup.stage_prepared`);
- the desktop bundle: ``_internal/prepared_cache`` (``packaging/build-bundle.sh``).

What is staged:

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
  equation hash in their names.

The demo's own prepared files are not taken here (``demo_cache/``: they have their own copy
step, :func:`twinviewer.gui.demo_heart.seeded`).

:func:`seed` copies the prepared files a user's cache lacks (never replacing one); the
``twinviewer`` command (:func:`twinviewer.cli.main`), the warm-up and the bundle's entry call
it before anything else: one ``stat`` and a read of the small manifest once done.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

#: What is taken from a warmed-up user cache (``~/.cache/twinviewer``), as glob patterns.
PREPARED = ("kernels/**/*", "models/**/*", "virtual_hearts/**/*",
            "demo_heart/heart_anatomy_*.npz")
MANIFEST = "manifest.json"
#: Folder name of a prepared cache: inside the bundle (``sys._MEIPASS``), and under
#: ``<prefix>/share/twinviewer`` of a source install's virtual environment.
FOLDER = "prepared_cache"
#: Environment variable naming another prepared cache folder (tests; an administrator's copy).
ENV = "TWINVIEWER_PREPARED_CACHE"


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


def _files(root: Path, patterns: tuple[str, ...] = PREPARED) -> list[Path]:
    seen: dict[Path, None] = {}
    for pattern in patterns:
        for p in sorted(root.glob(pattern)):
            if p.is_file() and not p.name.endswith(".tmp"):
                seen[p.relative_to(root)] = None
    return list(seen)


def stage(user_cache: Path | str, dest: Path | str,
          only: Callable[[Path], bool] | None = None,
          patterns: tuple[str, ...] = PREPARED) -> dict:
    """Copy the prepared parts of the warmed-up ``user_cache`` (the files ``patterns`` match
    and ``only`` keeps, given each one's path relative to the cache) into the empty ``dest``
    (file times kept) and write its manifest: the files with their SHA-256, and
    :func:`machine` of the preparing machine. Returns the manifest.

    The staged files are readable by every account (0644, folders 0755).

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
    for rel in _files(user_cache, patterns):
        if only is not None and not only(rel):
            continue
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(user_cache / rel, out)
        out.chmod(0o644)  # for every account (the user cache's .twin files are 0600)
        files[str(rel)] = hashlib.sha256(out.read_bytes()).hexdigest()
    manifest = {"files": files, "machine": machine()}
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    for folder in (dest, *(p for p in dest.rglob("*") if p.is_dir())):
        folder.chmod(0o755)  # whatever the installing account's umask
    (dest / MANIFEST).chmod(0o644)
    return manifest


def _with_manifest(folder: Path | None) -> Path | None:
    try:
        return folder if folder is not None and (folder / MANIFEST).is_file() else None
    except OSError:  # a folder this account may not enter (3.11's is_file raises)
        return None


def bundled() -> Path | None:
    """The prepared cache inside a frozen bundle, or None (not frozen, or not shipped)."""
    base = getattr(sys, "_MEIPASS", None)
    return _with_manifest(Path(base) / FOLDER if base else None)


def venv_folder() -> Path:
    """Where a source install keeps its prepared cache: ``<sys.prefix>/share/twinviewer/
    prepared_cache`` (``sys.prefix`` is the virtual environment).

    Examples
    --------
    >>> venv_folder().relative_to(sys.prefix).as_posix()
    'share/twinviewer/prepared_cache'
    """
    return Path(sys.prefix) / "share" / "twinviewer" / FOLDER


def installed() -> Path | None:
    """The installation's prepared cache: :data:`ENV` if set, else the bundle's
    (:func:`bundled`), else the virtual environment's (:func:`venv_folder`); None if it has
    none (a development tree without ``setup.sh``'s staging).

    Examples
    --------
    >>> os.environ[ENV] = "/nonexistent"; installed() is None
    True
    >>> del os.environ[ENV]
    """
    env = os.environ.get(ENV)
    if env:
        return _with_manifest(Path(env))
    return bundled() or _with_manifest(venv_folder())


def user_cache() -> Path:
    """The user cache folder the app uses (``TWINVIEWER_CACHE_DIR``, else
    ``~/.cache/twinviewer`` on Linux), as :func:`twinviewer.physiology.kernels.cache_dir`."""
    env = os.environ.get("TWINVIEWER_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("twinviewer", appauthor=False))


def seed(prepared: Path | str | None = None, cache: Path | str | None = None) -> list[str]:
    """Copy the prepared files that ``cache`` lacks from ``prepared`` (default: the
    installation's, :func:`installed`, and :func:`user_cache`); the files copied. A file
    already in the cache is never replaced; a file whose digest is not the manifest's is not
    copied; a mark named by the manifest's digest makes later calls one ``stat``. A cache that
    cannot be written costs time (the app makes the files itself), never an error.

    Examples
    --------
    >>> import tempfile
    >>> src, cache = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> _ = (src / "kernels").mkdir(), (src / "kernels" / "k.py").write_text("x = 1")
    >>> _ = stage(src, src / "p")
    >>> seed(src / "p", cache), seed(src / "p", cache)
    (['kernels/k.py'], [])
    """
    prepared = Path(prepared) if prepared is not None else installed()
    if prepared is None:
        return []
    try:
        raw = (prepared / MANIFEST).read_bytes()
    except OSError:  # none, or not readable by this account
        return []
    cache = Path(cache) if cache is not None else user_cache()
    mark = cache / "prepared" / hashlib.sha256(raw).hexdigest()[:16]
    copied = []
    try:
        if mark.exists():
            return []
        for rel, sha in json.loads(raw)["files"].items():
            src, out = prepared / rel, cache / rel
            if out.exists() or not src.is_file():
                continue
            try:
                if hashlib.sha256(src.read_bytes()).hexdigest() != sha:
                    continue
            except OSError:  # not readable by this account: made by the app instead
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
            shutil.copyfile(src, tmp)  # not copy2: the installation's read-only mode stays
            st = src.stat()
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))  # numba's cache key
            tmp.replace(out)
            copied.append(rel)
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.write_text(json.dumps({"copied": len(copied)}))
    except OSError as exc:
        print(f"twinviewer: prepared files not copied into the cache ({exc.strerror})",
              file=sys.stderr)
    except (ValueError, KeyError, AttributeError) as exc:
        print(f"twinviewer: prepared cache {prepared / MANIFEST} unreadable ({exc!r}); "
              "the kernels compile at first use", file=sys.stderr)
    return copied


def same_machine(prepared: Path | str | None = None) -> bool | None:
    """Whether the prepared kernels were compiled for this machine (numba's key), or None if
    nothing is prepared. When False, numba compiles them again on first use.

    Examples
    --------
    >>> same_machine(Path("/nonexistent")) is None
    True
    """
    prepared = Path(prepared) if prepared is not None else installed()
    if prepared is None or not (prepared / MANIFEST).is_file():
        return None
    return json.loads((prepared / MANIFEST).read_text())["machine"] == machine()

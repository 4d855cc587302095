"""One registry of everything TwinViewer can be extended with, core parts included.

Start-up reads manifests only (entry points → TOML files found with ``importlib.util.find_spec``
of the plugin's top-level package, which locates without executing it). A contribution is
imported on first use (:meth:`Registry.load`); a plugin whose contribution fails to import,
fails its checks, crashes or hangs is disabled with a message naming it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.metadata as md
import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from twinviewer.core.privacy import without_paths
from twinviewer.plugins.budget import (
    STILL_RUNNING,
    STOP_S,
    PluginTimeout,
    budget,
    call_within,
)
from twinviewer.plugins.manifest import (
    API_VERSION,
    Contribution,
    Manifest,
    ManifestError,
    read_manifest,
)
from twinviewer.plugins.store import PluginStore

GROUP = "twinviewer.plugins"
CORE = "twinviewer"

ENABLED, DISABLED, NEEDS_APPROVAL, INCOMPATIBLE, BROKEN = (
    "enabled", "disabled", "needs approval", "incompatible", "broken")


class PluginError(RuntimeError):
    """A plugin, or one of its contributions, that cannot be used (the message names it)."""


class PluginHung(PluginError, PluginTimeout):
    """A plugin call that ran past its time budget; its plugin is disabled for the session."""


@dataclass
class PluginRecord:
    """A discovered plugin, its status and the message explaining it."""

    name: str
    manifest: Manifest | None
    status: str
    message: str = ""
    fingerprint: str = ""

    def to_dict(self) -> dict:
        m = self.manifest
        return {
            "name": self.name, "status": self.status, "message": self.message,
            "version": m.version if m else None, "api_version": m.api_version if m else None,
            "display_name": m.display_name if m else self.name,
            "source": m.source if m else None,
            "contributions": [{"kind": c.kind, "name": c.name, "ref": c.ref,
                               "display_name": c.display_name} for c in (m.contributions
                                                                         if m else ())],
        }


def _manifest_path(ep: md.EntryPoint) -> Path:
    """The manifest file an entry point names, located without importing the plugin."""
    parts = ep.module.split(".")
    spec = importlib.util.find_spec(parts[0])  # finds a top-level package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ManifestError(f"plugin entry point {ep.name!r}: package {parts[0]!r} not found")
    return Path(list(spec.submodule_search_locations)[0], *parts[1:], ep.attr or "")


def is_editable(dist: md.Distribution | None) -> bool:
    """Whether ``dist`` is an editable install (PEP 610 ``direct_url.json``:
    ``dir_info.editable``): its RECORD then lists only the editable finder, not the code."""
    if dist is None:
        return False
    try:
        info = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        return False
    return bool(isinstance(info, dict) and isinstance(info.get("dir_info"), dict)
                and info["dir_info"].get("editable"))


def _fingerprint(dist: md.Distribution | None, manifest_file: Path | None,
                 package_dir: Path | None = None) -> str:
    """SHA-256 of the distribution's RECORD (its installed files and their hashes) and the
    manifest: a new or changed plugin gets a new fingerprint and must be approved again.

    For an editable install the RECORD does not change when the code does, so the package's
    own source files (``package_dir``: .py and .toml) are hashed instead of trusting it.
    """
    h = hashlib.sha256()
    if dist is not None:
        h.update((dist.read_text("RECORD") or "").encode())
        if package_dir is not None and is_editable(dist):
            h.update(_tree_hash(package_dir).encode())
    if manifest_file is not None and manifest_file.is_file():
        h.update(manifest_file.read_bytes())
    return h.hexdigest()[:16]


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.suffix in (".py", ".toml") and "__pycache__" not in f.parts and f.is_file():
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def folder_fingerprint(root: Path) -> str:
    """SHA-256 over the files of a plugin checked from a folder (``plugins check PATH``)."""
    return _tree_hash(root)[:16]


#: The core's static manifest (readers, panels, commands): the built-in plugin's own file.
CORE_MANIFEST = Path(__file__).resolve().parent.parent / "twinviewer.toml"


def core_manifest() -> Manifest:
    """The core's own parts as contributions of the built-in plugin ``twinviewer``.

    Readers, panels and commands come from the core's static manifest
    (:data:`CORE_MANIFEST`); models, presets and interventions from the lists their owners
    keep (physiology models and presets, the intervention library).

    Examples
    --------
    >>> m = core_manifest()
    >>> "calibrate" in [c.name for c in m.of_kind("commands")]
    True
    """
    import twinviewer
    from twinviewer.interventions.library import LIBRARY
    from twinviewer.physiology.presets import MODELS, PRESETS

    static = read_manifest(CORE_MANIFEST)
    c = [Contribution("models", n, "twinviewer.physiology.presets:MODELS", CORE, m.title, n)
         for n, m in MODELS.items()]
    c += [Contribution("presets", n, "twinviewer.physiology.presets:PRESETS", CORE, p.title, n)
          for n, p in PRESETS.items()]
    c += [Contribution("interventions", n, "twinviewer.interventions.library:LIBRARY", CORE,
                       i.title, n) for n, i in LIBRARY.items()]
    return Manifest(CORE, getattr(twinviewer, "__version__", "0"), API_VERSION,
                    "TwinViewer core", tuple(c) + static.contributions, "built in")


class Registry:
    """Plugins found through entry points (and folders given explicitly), with the core.

    Parameters
    ----------
    store
        The user's approvals and disabled plugins (default: the user config directory).
    folders
        Plugin folders (each with a ``twinviewer.toml`` and its package) to add, e.g. for
        ``plugins check PATH``; they need approval like installed ones.
    entry_points
        Entry points to read instead of the installed ones (tests, benchmarks).
    include_core
        Register the core's own parts as the plugin ``twinviewer``.

    Examples
    --------
    >>> reg = Registry(entry_points=[], include_core=True)  # doctest: +SKIP
    >>> reg.find("presets", "healthy").plugin  # doctest: +SKIP
    'twinviewer'
    """

    def __init__(self, *, store: PluginStore | None = None, folders=(), entry_points=None,
                 include_core: bool = True) -> None:
        self.store = store or PluginStore()
        self.plugins: dict[str, PluginRecord] = {}
        self._index: dict[tuple[str, str], Contribution] = {}
        self._loaded: dict[tuple[str, str], object] = {}
        #: a plugin's intervention code runs one call at a time: held by the running call's
        #: thread until it ends (:meth:`_budgeted_intervention`)
        self._calling: dict[str, threading.Lock] = {}
        # per plugin: set once the lock's holder has its verdict (a hang disabled the plugin)
        self._decided: dict[str, threading.Event] = {}
        #: run-time hangs this session, in order: ``(plugin, message)``
        self.incidents: list[tuple[str, str]] = []
        #: called with ``(plugin, message)`` when a plugin is disabled for hanging (the GUI
        #: tells the user and offers to keep it disabled); may be called from any thread
        self.listeners: list = []
        if include_core:
            m = core_manifest()
            self.plugins[CORE] = PluginRecord(CORE, m, ENABLED, "built in")
            self._add_contributions(m)
        eps = md.entry_points(group=GROUP) if entry_points is None else entry_points
        for ep in eps:
            self._add_entry_point(ep)
        for folder in folders:
            self.add_folder(Path(folder))

    # ------------------------------------------------------------------ discovery
    def _add_entry_point(self, ep: md.EntryPoint) -> None:
        dist = getattr(ep, "dist", None)
        label = dist.metadata["Name"] if dist is not None else ep.name
        try:
            path = _manifest_path(ep)
            manifest = read_manifest(path)
        except ManifestError as exc:
            self._record(PluginRecord(label, None, BROKEN, str(exc)))
            return
        manifest = _with(manifest, distribution=label)
        package_dir = path.parents[len(ep.module.split(".")) - 1]  # the top-level package
        self._register(manifest, _fingerprint(dist, path, package_dir))

    def add_folder(self, folder: Path) -> PluginRecord:
        """Add a plugin from a folder: a project whose package holds ``twinviewer.toml``, or
        a folder holding ``twinviewer.toml`` next to the plugin's modules."""
        folder = Path(folder).resolve()
        found = sorted(folder.glob("*/twinviewer.toml"))  # a project: manifest in its package
        path = folder / "twinviewer.toml" if not found else found[0]
        try:
            manifest = _with(read_manifest(path), root=str(folder))
        except ManifestError as exc:
            rec = PluginRecord(folder.name, None, BROKEN, str(exc))
            self._record(rec)
            return rec
        return self._register(manifest, folder_fingerprint(folder))

    def _record(self, rec: PluginRecord) -> None:
        key, i = rec.name, 2
        while key in self.plugins:  # keep broken records visible without shadowing others
            key, i = f"{rec.name} ({i})", i + 1
        self.plugins[key] = rec

    def _register(self, m: Manifest, fingerprint: str) -> PluginRecord:
        if m.name in self.plugins:
            other = self.plugins[m.name].manifest
            where = other.source if other else "another plugin"
            rec = PluginRecord(m.name, m, BROKEN,
                               f"plugin {m.name!r} ({m.source}) refused: the name is already "
                               f"claimed by {where}", fingerprint)
            self._record(rec)
            return rec
        rec = PluginRecord(m.name, m, ENABLED, "", fingerprint)
        if m.api_version != API_VERSION:
            rec.status = INCOMPATIBLE
            rec.message = (f"plugin {m.name!r} needs plugin API v{m.api_version}; this "
                           f"TwinViewer provides v{API_VERSION}: update the plugin or TwinViewer")
        elif (reason := self.store.disabled(m.name)) is not None:
            rec.status, rec.message = DISABLED, reason
        elif (approved := self.store.approved(m.name)) != fingerprint:
            rec.status = NEEDS_APPROVAL
            rec.message = (f"plugin {m.name!r} is new: approve it to enable it" if approved
                           is None else f"plugin {m.name!r}: its installed files changed since "
                           "you approved it: approve it again to enable it")
        self.plugins[m.name] = rec
        if rec.status == ENABLED:
            clash = self._add_contributions(m)
            if clash:
                self.disable(m.name, clash)
        return rec

    def _add_contributions(self, m: Manifest) -> str:
        for c in m.contributions:
            if (c.kind, c.name) in self._index:
                owner = self._index[(c.kind, c.name)].plugin
                return (f"plugin {m.name!r}: {c.kind[:-1]} {c.name!r} is already provided by "
                        f"plugin {owner!r}" + (" (the core)" if owner == CORE else "")
                        + "; refused, so as not to shadow it")
        for c in m.contributions:
            self._index[(c.kind, c.name)] = c
        return ""

    # ------------------------------------------------------------------ queries
    def contributions(self, kind: str) -> list[Contribution]:
        """Contributions of a kind from enabled plugins (core first)."""
        return [c for (k, _), c in self._index.items() if k == kind]

    def names(self, kind: str) -> list[str]:
        return [c.name for c in self.contributions(kind)]

    def find(self, kind: str, name: str) -> Contribution | None:
        return self._index.get((kind, name))

    def why_unavailable(self, kind: str, name: str) -> str:
        """Why a plugin's contribution ``name`` cannot be used, or ``""`` if no plugin that is
        not enabled declares it (disabled, waiting for approval, incompatible, refused).

        Examples
        --------
        >>> import tempfile
        >>> from twinviewer.plugins.store import PluginStore
        >>> reg = Registry(store=PluginStore(Path(tempfile.mkdtemp()) / "p.json"),
        ...                entry_points=[])
        >>> reg.why_unavailable("interventions", "no_such_drug")
        ''
        """
        if self.find(kind, name) is not None:
            return ""
        for rec in self.plugins.values():
            m = rec.manifest
            if rec.status == ENABLED or m is None:
                continue
            if any(c.kind == kind and c.name == name for c in m.contributions):
                what = f"{kind[:-1]} {name!r} is not available"
                if rec.status != DISABLED:  # waiting for approval, incompatible: said there
                    return f"{what}: {rec.message or f'plugin {rec.name!r} is {rec.status}'}"
                reason = rec.message.removeprefix(f"plugin {rec.name!r}: ")
                reason = ("its " + reason if reason != rec.message else
                          "you disabled it" if reason == "disabled by the user" else reason)
                return (f"{what}: plugin {rec.name!r} is disabled because {reason} "
                        f"('twinviewer plugins enable {rec.name}' enables it again)")
        return ""

    def readers_for(self, path: str | Path, opens: str | None = None) -> list[Contribution]:
        """Readers of ``path`` (folders: readers with ``folders = true``; files: by suffix,
        longest suffix first), optionally only those whose ``opens`` is ``opens``.

        Examples
        --------
        >>> reg = Registry(entry_points=[])  # doctest: +SKIP
        >>> [c.name for c in reg.readers_for("heart.nii.gz")]  # doctest: +SKIP
        ['nifti_labels']
        """
        path = Path(path)
        out: list[tuple[int, Contribution]] = []
        for c in self.contributions("readers"):
            if opens is not None and c.extra.get("opens") != opens:
                continue
            if path.is_dir():
                if c.extra.get("folders"):
                    out.append((0, c))
                continue
            lower = path.name.lower()
            hits = [len(s) for s in c.extra.get("suffixes", ()) if lower.endswith(s.lower())]
            if hits:
                out.append((max(hits), c))
        return [c for _, c in sorted(out, key=lambda t: -t[0])]

    def readers_for_sop_class(self, uid: str) -> list[Contribution]:
        """Readers declaring the DICOM SOP Class UID ``uid``."""
        return [c for c in self.contributions("readers") if uid in c.extra.get("sop_classes", ())]

    def suffixes(self, opens: str) -> tuple[str, ...]:
        """Every suffix some enabled reader of ``opens`` reads (e.g. for a file dialog)."""
        return tuple(dict.fromkeys(s.lower() for c in self.contributions("readers")
                                   if c.extra.get("opens") == opens
                                   for s in c.extra.get("suffixes", ())))

    def record(self, name: str) -> PluginRecord:
        try:
            return self.plugins[name]
        except KeyError:
            raise PluginError(f"no plugin named {name!r}; installed: "
                              f"{', '.join(self.plugins)}") from None

    # ------------------------------------------------------------------ decisions
    def disable(self, name: str, reason: str = "disabled by the user", *,
                remember: bool = True) -> None:
        """Disable a plugin and drop its contributions; ``remember``: also in the user's
        config (else for this session only)."""
        if name == CORE:
            raise PluginError("the core cannot be disabled")
        rec = self.record(name)
        reason = without_paths(reason)  # a plugin's own exception text may name files
        rec.status, rec.message = DISABLED, reason
        if remember:
            self.store.disable(name, reason)
        for key in [k for k, c in self._index.items() if c.plugin == name]:
            del self._index[key]
            self._loaded.pop(key, None)

    def enable(self, name: str) -> PluginRecord:
        """Re-enable a disabled plugin (it still needs approval if new or changed)."""
        rec = self.record(name)
        self.store.enable(name)
        if rec.manifest is not None and rec.status == DISABLED:
            del self.plugins[name]
            return self._register(rec.manifest, rec.fingerprint)
        return rec

    def approve(self, name: str) -> PluginRecord:
        """Approve a plugin's current files; it is enabled unless the user disabled it."""
        rec = self.record(name)
        if rec.status in (BROKEN, INCOMPATIBLE):
            raise PluginError(rec.message)
        self.store.approve(name, rec.fingerprint)
        if rec.status == NEEDS_APPROVAL and rec.manifest is not None:
            del self.plugins[name]
            return self._register(rec.manifest, rec.fingerprint)
        return rec

    # ------------------------------------------------------------------ loading
    def load(self, kind: str, name: str):
        """Import a contribution on first use and check it; a failure disables its plugin.

        Raises
        ------
        PluginError
            Naming the plugin, the contribution and the problem.
        """
        key = (kind, name)
        if key in self._loaded:
            return self._loaded[key]
        c = self._index.get(key)
        if c is None:
            raise PluginError(f"no enabled plugin provides {kind[:-1]} {name!r}")
        rec = self.plugins[c.plugin]
        root = rec.manifest.root if rec.manifest else None
        try:
            if c.plugin == CORE:
                obj = resolve(c, root)
            else:  # importing a plugin's module runs its code: within a budget too
                seconds = budget("imports")
                if kind in ("models", "presets"):  # the numerics check has its own limit
                    from twinviewer.plugins import isolation

                    seconds += isolation.TIMEOUT
                obj = call_within(_resolve_checked, (c, root, self._name_problem),
                                  seconds=seconds,
                                  label=f"plugin {c.plugin!r}: importing {kind[:-1]} "
                                        f"{name!r} ({c.ref})")
        except PluginTimeout as exc:
            raise self.hung(c.plugin, str(exc)) from None
        except NameRefused as exc:  # the core's (or another plugin's) one stays
            self.disable(c.plugin, str(exc))
            raise PluginError(f"{exc}; plugin {c.plugin!r} is disabled") from None
        except Exception as exc:  # any failure of plugin code disables the plugin
            msg = without_paths(f"plugin {c.plugin!r}: {kind[:-1]} {name!r} ({c.ref}) "
                                f"failed: {type(exc).__name__}: {exc}")
            if c.plugin == CORE:
                raise PluginError(msg) from exc
            self.disable(c.plugin, msg)
            raise PluginError(msg + f"; plugin {c.plugin!r} is disabled") from exc
        if c.plugin != CORE:  # an intervention comes back guarded, as the library holds it
            obj = self._install(c, obj, rec.manifest.root if rec.manifest else None)
        self._loaded[key] = obj
        return obj

    def _name_problem(self, c: Contribution, obj) -> str:
        """Why plugin contribution ``c`` (a model, preset or intervention, loaded as ``obj``)
        may not join the core's lookups, or ``""``: the name it calls itself is not the name
        its manifest declares, or it is already the core's (a kept earlier model version,
        an imported svZeroDSolver model included) or another plugin's, which it would shadow."""
        if c.kind not in ("models", "presets", "interventions"):
            return ""
        own = getattr(obj, "name", None)
        what = f"plugin {c.plugin!r}: {c.kind[:-1]} {c.name!r} ({c.ref})"
        held = self._holder(c.kind, own, c.plugin) if isinstance(own, str) else ""
        if own != c.name:
            return (f"{what} is refused: it calls itself {own!r}, not the name its manifest "
                    "declares" + (f", and would shadow {held}" if held else ""))
        if held:
            return f"{what} is refused: its name would shadow {held}"
        return ""

    def _holder(self, kind: str, name: str, plugin: str) -> str:
        """What already answers to ``name`` among the core's lookups of ``kind``, if not
        ``plugin``'s own: e.g. "the core's model 'four_chamber_eoa'"; ``""`` if free."""
        from twinviewer.interventions.library import CORE_INTERVENTIONS, LIBRARY
        from twinviewer.physiology.presets import CORE_MODELS, MODELS, PRESETS
        from twinviewer.plugins.isolation import PLUGIN_MODELS

        word = f"{kind[:-1]} {name!r}"
        if (kind == "models" and name in CORE_MODELS) or \
                (kind == "interventions" and name in CORE_INTERVENTIONS):
            return f"the core's {word}"  # kept earlier model versions are in no index
        owner = self._index.get((kind, name))
        if owner is not None:  # its own (loaded again after a re-enable, say) or another's
            return "" if owner.plugin == plugin else (
                f"the core's {word}" if owner.plugin == CORE
                else f"the {word} of plugin {owner.plugin!r}")
        live = {"models": MODELS, "presets": PRESETS, "interventions": LIBRARY}[kind]
        if name not in live:
            return ""
        route = PLUGIN_MODELS.get(name) if kind == "models" else None
        if route is not None:
            return "" if route[0] == plugin else f"the {word} of plugin {route[0]!r}"
        return f"the installed {word}"  # an imported svZeroDSolver model, say

    def label_readers(self) -> dict[str, object]:
        """The plugins' label-map readers (``opens = "labels"``) by suffix, and by DICOM SOP
        Class UID for those reading DICOM objects, for
        :func:`twinviewer.imaging.study.import_study`. Each is imported on its first call; a
        reader that fails to import or raises disables its plugin (the error names it).

        Examples
        --------
        >>> sorted(Registry(entry_points=[]).label_readers())  # the core reads its own
        []
        """
        out: dict[str, object] = {}
        for c in self.contributions("readers"):
            if c.plugin != CORE and c.extra.get("opens") == "labels":
                for suffix in c.extra.get("suffixes", ()):
                    out.setdefault(suffix.lower(), self.guarded_reader(c.name))
                for uid in c.extra.get("sop_classes", ()):  # DICOM objects a plugin reads
                    out.setdefault(uid, self.guarded_reader(c.name))
        return out

    def guarded_reader(self, name: str):
        """``read(path, **kw)`` of reader ``name`` (see :meth:`guarded`)."""
        return self.guarded("readers", name)

    def guarded(self, kind: str, name: str):
        """A contribution's callable, imported on its first call; a plugin's that raises
        disables its plugin and raises :class:`PluginError` naming the plugin, the
        contribution and the problem (the core's raise as they are). A plugin's call runs
        within the time budget of its kind (:func:`.budget.call_within`); past it the
        plugin is disabled for the session (:meth:`hung`) and the caller gets the error."""
        def call(*args, **kw):
            func = self.load(kind, name)
            c = self._loaded_contribution(kind, name)
            if c is None or c.plugin == CORE:
                return func(*args, **kw)
            # never the file's name: the reason is stored with the plugin's disabled state,
            # and a study folder's name may be the patient's (review10b #7)
            where = " on the file being read" if kind == "readers" and args else ""
            what = f"plugin {c.plugin!r}: {kind[:-1]} {name!r} ({c.ref})"
            try:
                return call_within(func, args, kw, seconds=budget(kind), label=what + where)
            except PluginTimeout as exc:
                raise self.hung(c.plugin, str(exc)) from None
            except Exception as exc:
                raise self.failed(c.plugin, f"{what} failed{where}: {type(exc).__name__}: "
                                  f"{exc}") from exc

        return call

    def explainers(self) -> dict[str, object]:
        """Explainer contributions by name, each guarded (:meth:`guarded`), for
        :func:`twinviewer.explain.report.explain`: ``explainer(twin, metric, results) ->
        str``, a paragraph added to the explanation."""
        return {c.name: self._paragraph(c) for c in self.contributions("explainers")}

    def _paragraph(self, c: Contribution):
        """Explainer ``c``, guarded; a plugin's result that is not a paragraph of text (None:
        a forgotten ``return``) disables its plugin as a raise does (review15 #4)."""
        call = self.guarded("explainers", c.name)
        if c.plugin == CORE:
            return call

        def explain(*args, **kw):
            text = call(*args, **kw)
            if isinstance(text, str) and text.strip():
                return text
            got = "an empty text" if isinstance(text, str) else type(text).__name__
            raise self.failed(c.plugin, f"plugin {c.plugin!r}: explainer {c.name!r} ({c.ref}) "
                                        f"returned {got}, not a paragraph of text")

        return explain

    def _loaded_contribution(self, kind: str, name: str) -> Contribution | None:
        return self._index.get((kind, name))

    def command(self, name: str):
        """A command's ``(add_arguments, run)``, imported now; ``run(args)`` of a plugin's
        command reports a failure (naming the plugin) and disables the plugin instead of
        raising.

        Raises
        ------
        PluginError
            The command or its ``arguments`` function cannot be imported (plugin disabled).
        """
        from dataclasses import replace

        run = self.load("commands", name)
        c = self._index[("commands", name)]
        rec = self.plugins[c.plugin]
        ref = c.extra.get("arguments") or c.ref.partition(":")[0] + ":add_arguments"
        try:
            add = resolve(replace(c, ref=str(ref)), rec.manifest.root if rec.manifest else None)
        except Exception as exc:  # noqa: BLE001 - plugin code: any failure disables it
            msg = f"plugin {c.plugin!r}: command {name!r} ({ref}) failed: {exc}"
            raise (PluginError(msg) if c.plugin == CORE else self.failed(c.plugin, msg)) from exc
        if c.plugin == CORE:
            return add, run

        def guarded(args) -> int:
            what = f"plugin {c.plugin!r}: command {name!r} ({c.ref})"
            try:
                return int(call_within(run, (args,), seconds=budget("commands"),
                                       label=what) or 0)
            except PluginTimeout as exc:
                print(f"error: {self.hung(c.plugin, str(exc))}", file=sys.stderr)
                return 1
            except Exception as exc:  # noqa: BLE001 - a plugin's command must not crash us
                err = self.failed(c.plugin, f"plugin {c.plugin!r}: command {name!r} ({c.ref}) "
                                            f"raised {type(exc).__name__}: {exc}")
                print(f"error: {err}", file=sys.stderr)
                return 1

        return add, guarded

    def _install(self, c: Contribution, obj, root: str | None):
        """Make a loaded contribution visible to the core's lookups; what they hold."""
        if c.kind == "models":
            from twinviewer.physiology.presets import MODELS
            from twinviewer.plugins.isolation import route

            MODELS[obj.name] = obj
            route(obj.name, c.plugin, c.ref, root)
        elif c.kind == "presets":
            from twinviewer.physiology.presets import MODELS, PRESETS

            if obj.model.name not in MODELS:  # a plugin preset of a plugin model: check it too
                self.load("models", obj.model.name)

            PRESETS[c.name] = obj
        elif c.kind == "interventions":
            from twinviewer.interventions.library import LIBRARY

            obj = LIBRARY[c.name] = self._budgeted_intervention(c, obj)
        return obj

    def hung(self, name: str, message: str) -> PluginError:
        """Disable the plugin ``name`` for this session after a call ran past its budget
        (a slow machine is not a broken plugin: :meth:`keep_disabled` remembers it); tell
        the listeners; the error to raise.

        Examples
        --------
        >>> import tempfile
        >>> from twinviewer.plugins.store import PluginStore
        >>> reg = Registry(store=PluginStore(Path(tempfile.mkdtemp()) / "p.json"),
        ...                entry_points=[], include_core=False)
        >>> str(reg.hung("nobody", "plugin 'nobody': explainer 'x' did not finish"))[-29:]
        'did not finish; it is stopped'
        """
        message = without_paths(message)
        if name in self.plugins and name != CORE:
            # the reason kept (and remembered if the user says so) is the hang, not this
            # session's advice to restart (:data:`.budget.STILL_RUNNING`)
            still = STILL_RUNNING if message.endswith(STILL_RUNNING) else ""
            self.disable(name, message.removesuffix(still) + " (disabled for this session)",
                         remember=False)
            message = (message.removesuffix(still) + f"; plugin {name!r} is disabled for this "
                       f"session ('twinviewer plugins disable {name}' keeps it disabled)"
                       + still)
        else:
            message += "; it is stopped"
        self.incidents.append((name, message))
        for listener in list(self.listeners):
            try:
                listener(name, message)
            except Exception:  # noqa: BLE001 - e.g. a closed window's: forget it
                self.listeners.remove(listener)
        return PluginHung(message)

    def keep_disabled(self, name: str) -> None:
        """Remember a plugin disabled this session (:meth:`hung`) as disabled."""
        rec = self.record(name)
        self.store.disable(name, rec.message.removesuffix(" (disabled for this session)"))

    def _budgeted_intervention(self, c: Contribution, obj):
        """The intervention with its ``transform``, ``check`` and ``hold_fraction`` run
        within the interventions' budget: past it the plugin is disabled for the session
        and the caller gets an
        :class:`~twinviewer.interventions.intervention.InterventionError` naming it
        (``apply`` hands the transform a copy, so the twin's parameters stay as they were).
        Any other exception than ``InterventionError`` (the contract's refusal) disables the
        plugin (:meth:`failed`) and reaches the caller as an ``InterventionError`` too."""
        from dataclasses import replace

        from twinviewer.interventions.intervention import InterventionError, result_problem

        def within(func, part: str):
            if func is None:
                return None

            def run(*args):
                what = f"plugin {c.plugin!r}: intervention {c.name!r} ({c.ref}), its {part}"
                seconds = budget("interventions")
                # One call of a plugin's code at a time: the live preview's and a Run's
                # transform ran side by side, and both loops were abandoned (review14 #2).
                # A call past its budget holds the lock until its thread is stopped, so the
                # next one waits for that and then finds the plugin disabled.
                def refuse_if_disabled() -> None:  # since it loaded, or while waiting
                    if self.find("interventions", c.name) is not c:
                        raise InterventionError(
                            self.why_unavailable("interventions", c.name)
                            or f"{what}: its plugin is no longer enabled")

                refuse_if_disabled()
                if c.plugin in getattr(_inside, "plugins", ()):
                    # called from this plugin's own code (a transform applying another of
                    # its interventions): the outer call holds the lock and waiting for it
                    # ran into a false hang (final14 #7d); run here, within the outer
                    # call's budget and leash
                    try:
                        out = func(*args)
                    except InterventionError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - as below
                        raise InterventionError(str(self.failed(
                            c.plugin, f"{what} raised {type(exc).__name__}: {exc}"))) from exc
                    return checked(out, args)
                lock = self._calling.setdefault(c.plugin, threading.Lock())
                if not lock.acquire(timeout=seconds + STOP_S):
                    # the holder's hang is declared at about this same moment (its budget
                    # and stop wait): wait for its verdict, or a hung plugin's call was told
                    # "still running" instead of the hang, by a hair (CI, fix16j)
                    if (decided := self._decided.get(c.plugin)) is not None:
                        decided.wait(STOP_S)
                    refuse_if_disabled()
                    raise InterventionError(f"{what}: an earlier call of its code is still "
                                            "running")
                try:
                    refuse_if_disabled()
                except BaseException:
                    lock.release()
                    raise
                # released when both the call's thread has ended and this caller has
                # disabled the plugin if it hung (else the next call could start first)
                release = _Countdown(2, lock.release)
                decided = self._decided[c.plugin] = threading.Event()
                try:  # stopped past its budget: its loop would slow the app all session
                    out = call_within(inside, (func, *args), seconds=seconds, label=what,
                                      stop=True, ended=release)
                except PluginTimeout as exc:
                    raise InterventionError(str(self.hung(c.plugin, str(exc)))) from None
                except InterventionError:  # the contract's own refusal (a twin, a setting)
                    raise
                except Exception as exc:  # noqa: BLE001 - a crash of plugin code disables it
                    raise InterventionError(str(self.failed(
                        c.plugin, f"{what} raised {type(exc).__name__}: {exc}"))) from exc
                finally:
                    decided.set()
                    release()
                return checked(out, args)

            def inside(func, *args):  # the call's thread: marked as running this plugin
                _inside.plugins = {*getattr(_inside, "plugins", ()), c.plugin}
                return func(*args)

            def checked(out, args):
                # not the (N, P) matrix of numbers it was given (e.g. None: it forgot to
                # `return P`, review15 #4), or one holding NaN: the plugin's fault, not the
                # user's setting: named and disabled
                if part == "transform" and (bad := result_problem(out, args[1].shape)
                                            or _not_finite(args[0].model, out)):
                    what = f"plugin {c.plugin!r}: intervention {c.name!r} ({c.ref}), its {part}"
                    raise InterventionError(str(self.failed(c.plugin, f"{what} {bad}")))
                if part == "hold_fraction" and not _a_fraction(out):  # final16 #7
                    what = f"plugin {c.plugin!r}: intervention {c.name!r} ({c.ref}), its {part}"
                    raise InterventionError(str(self.failed(
                        c.plugin, f"{what} returned {out!r}, not a number")))
                return out

            run.__wrapped__ = func  # the plugin's own code: what the scenario digest hashes
            return run

        return replace(obj, transform=within(obj.transform, "transform"),
                       check=within(obj.check, "check"),
                       hold_fraction=within(obj.hold_fraction, "hold_fraction"))

    def failed(self, name: str, message: str) -> PluginError:
        """Disable the plugin ``name`` after a run-time failure; the error to raise (file
        paths in ``message``, e.g. from the plugin's exception, are replaced by ``<path>``)."""
        message = without_paths(message)
        if name in self.plugins and name != CORE:
            self.disable(name, message)
            message += f"; plugin {name!r} is disabled"
        return PluginError(message)


#: Per thread: the plugins whose intervention code the thread is running (set in a guarded
#: call's own thread, which runs nothing else).
_inside = threading.local()


class _Countdown:
    """Calls ``then`` at its ``n``-th call (from any thread)."""

    def __init__(self, n: int, then) -> None:
        self._n, self._then, self._lock = n, then, threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self._n -= 1
            last = self._n == 0
        if last:
            self._then()


def _a_fraction(out) -> bool:
    """Whether a ``hold_fraction``'s result is one finite number (it is clipped to 0–1); a
    bool counts as 0 or 1."""
    import math

    try:
        return math.isfinite(float(out))  # a bool is 0 or 1, as before fix16i (last16 #5)
    except (TypeError, ValueError):
        return False


def _not_finite(model, out) -> str:
    """What is wrong with a transform's result that holds a value that is not finite (NaN or
    infinite), naming the parameters, or ``""``; a result that is not a matrix of numbers of
    the model's width is :func:`~twinviewer.interventions.intervention.result_problem`'s."""
    import numpy as np

    try:
        P = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        return ""
    if P.ndim != 2 or P.shape[1] != len(model.parameters):
        return ""
    bad = ~np.isfinite(P)
    if not bad.any():
        return ""
    cols = np.flatnonzero(bad.any(axis=0))
    names = ", ".join(model.parameters[j].name for j in cols)
    member, col = np.argwhere(bad)[0]
    return (f"returned a value that is not finite (NaN or infinite) for {names} in "
            f"{int(bad.any(axis=1).sum())} of {P.shape[0]} ensemble members (member "
            f"{member}: {model.parameters[col].name} = {P[member, col]}); this is the "
            "plugin's fault, not the setting's")


def resolve(c: Contribution, root: str | None = None):
    """Import ``c.ref`` (``module:attr.attr``) and return the object (``[key]`` for core)."""
    if root and root not in sys.path:
        sys.path.insert(0, root)
    module, _, attrs = c.ref.partition(":")
    obj = importlib.import_module(module)
    for a in attrs.split("."):
        try:
            obj = getattr(obj, a)
        except AttributeError:
            raise PluginError(f"{c.ref}: module {module!r} has no attribute {a!r}") from None
    return obj[c.key] if c.key is not None else obj


class NameRefused(PluginError):
    """A plugin contribution whose name would shadow the core's or another plugin's, or is
    not the name its manifest declares (see :meth:`Registry._name_problem`)."""


def _resolve_checked(c: Contribution, root: str | None, name_problem=None):
    """A plugin's contribution imported and checked: its name first (``name_problem(c, obj)``,
    before any of its code is run by the checks), then its contract
    (:func:`.checks.check_contribution`)."""
    from twinviewer.plugins.checks import check_contribution

    obj = resolve(c, root)
    problem = name_problem(c, obj) if name_problem is not None else ""
    if problem:
        raise NameRefused(problem)
    check_contribution(c, obj, root)
    return obj


def _core_lists() -> tuple[dict, ...]:
    """The core's lookups a loaded contribution joins (:meth:`Registry._install`): models,
    presets, interventions, the models' worker routes and runners."""
    from twinviewer.interventions.library import LIBRARY
    from twinviewer.physiology.presets import MODELS, PRESETS
    from twinviewer.physiology.simulate import RUNNERS
    from twinviewer.plugins.isolation import PLUGIN_MODELS

    return MODELS, PRESETS, LIBRARY, PLUGIN_MODELS, RUNNERS


@contextlib.contextmanager
def core_lists_kept() -> Iterator[None]:
    """Run the ``with`` body and leave the core's lookups (models, presets, the intervention
    library, worker routes, runners) and ``sys.path`` as they were before it: what a plugin
    loaded inside it is gone after (``plugins check``, tests).

    Examples
    --------
    >>> from twinviewer.interventions.library import LIBRARY
    >>> with core_lists_kept():
    ...     LIBRARY["x_drug"] = LIBRARY["tavi"]
    >>> "x_drug" in LIBRARY
    False
    """
    saved = [(d, dict(d)) for d in _core_lists()]
    path = list(sys.path)
    try:
        yield
    finally:
        for d, before in saved:
            d.clear()
            d.update(before)
        sys.path[:] = path


def _with(m: Manifest, **changes) -> Manifest:
    from dataclasses import replace

    return replace(m, **changes)


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The session's registry (built on first use)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry()
    return _REGISTRY


def reset_registry(registry: Registry | None = None) -> None:
    """Replace the session's registry (tests; after installing a plugin)."""
    global _REGISTRY
    _REGISTRY = registry

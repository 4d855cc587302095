"""Plugin manifests: what a plugin contributes, read without importing it.

Example manifest (``twinviewer.toml`` next to the plugin package's ``__init__.py``)::

    name = "tv-single-ventricle"
    version = "0.1.0"
    api_version = 1
    display_name = "Single-ventricle teaching model"

    [[contributions.models]]
    name = "single_ventricle"
    ref = "tv_single_ventricle.model:MODEL"
    display_name = "Single ventricle + three-element Windkessel"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

#: Version of the plugin API this TwinViewer provides; a manifest asking another is refused.
API_VERSION = 1

#: Contribution kinds a manifest may declare (table names under ``[contributions]``).
KINDS = ("models", "presets", "interventions", "readers", "writers", "overlays", "explainers",
         "panels", "commands", "samples")

_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_NAME = re.compile(r"^[A-Za-z0-9][\w.\-]*$")


class ManifestError(ValueError):
    """A manifest that cannot be read or is malformed (the message names the file)."""


@dataclass(frozen=True)
class Contribution:
    """One thing a plugin adds: ``kind`` (one of :data:`KINDS`), ``name``, and where it lives.

    ``ref`` is ``'module:attribute'``; ``key`` (core only) picks one entry of a dict attribute.
    ``extra`` keeps kind-specific fields (e.g. a reader's ``suffixes``).
    """

    kind: str
    name: str
    ref: str
    plugin: str
    display_name: str = ""
    key: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Manifest:
    """A plugin's static description."""

    name: str
    version: str
    api_version: int
    display_name: str
    contributions: tuple[Contribution, ...]
    source: str = ""
    root: str | None = None  # directory to put on sys.path (plugins checked from a folder)
    distribution: str | None = None

    def of_kind(self, kind: str) -> tuple[Contribution, ...]:
        return tuple(c for c in self.contributions if c.kind == kind)


def parse_manifest(data: dict, source: str = "<manifest>") -> Manifest:
    """Validate a manifest's table and build a :class:`Manifest`.

    Examples
    --------
    >>> m = parse_manifest({"name": "demo", "version": "1", "api_version": 1,
    ...     "contributions": {"models": [{"name": "m", "ref": "demo.model:MODEL"}]}})
    >>> m.contributions[0].ref
    'demo.model:MODEL'
    """
    def bad(msg: str) -> ManifestError:
        return ManifestError(f"plugin manifest {source}: {msg}")

    for key in ("name", "version", "api_version"):
        if key not in data:
            raise bad(f"missing required field {key!r}")
    name = str(data["name"])
    if not _NAME.match(name):
        raise bad(f"plugin name {name!r} is not a valid name")
    try:
        api = int(data["api_version"])
    except (TypeError, ValueError):
        raise bad(f"api_version {data['api_version']!r} is not an integer") from None
    contribs = data.get("contributions", {})
    if not isinstance(contribs, dict):
        raise bad("'contributions' must be a table of contribution kinds")
    out: list[Contribution] = []
    for kind, items in contribs.items():
        if kind not in KINDS:
            raise bad(f"unknown contribution kind {kind!r}; known: {', '.join(KINDS)}")
        if not isinstance(items, list):
            raise bad(f"contributions.{kind} must be an array of tables")
        for item in items:
            if not isinstance(item, dict) or "name" not in item or "ref" not in item:
                raise bad(f"each contributions.{kind} entry needs 'name' and 'ref'")
            ref = str(item["ref"])
            if not _REF.match(ref):
                raise bad(f"{kind} {item['name']!r}: ref {ref!r} is not 'module:attribute'")
            extra = {k: v for k, v in item.items() if k not in ("name", "ref", "display_name")}
            problem = _check_extra(kind, extra)
            if problem:
                raise bad(f"{kind} {item['name']!r}: {problem}")
            out.append(Contribution(kind, str(item["name"]), ref, name,
                                    str(item.get("display_name", item["name"])), None, extra))
    return Manifest(name, str(data["version"]), api, str(data.get("display_name", name)),
                    tuple(out), source)


#: What the core does with what a reader returns (the ``opens`` field of a reader).
READER_OPENS = ("study", "meshes", "labels")


def _check_extra(kind: str, extra: dict) -> str:
    """The problem with a contribution's kind-specific fields, or ``""``."""
    if kind in ("readers", "writers"):
        for key in ("suffixes", "sop_classes"):
            v = extra.get(key, [])
            if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
                return f"{key!r} must be a list of strings"
        if any(not x.startswith(".") for x in extra.get("suffixes", [])):
            return "each suffix must start with '.' (e.g. '.nrrd')"
        if not (extra.get("suffixes") or extra.get("sop_classes") or extra.get("folders")):
            return f"a {kind[:-1]} must declare 'suffixes', 'sop_classes' or 'folders = true'"
        if kind == "readers":
            extra.setdefault("opens", "study" if extra.get("folders") else "labels")
        if kind == "readers" and extra.get("opens") not in READER_OPENS:
            return (f"'opens' must be one of {', '.join(READER_OPENS)} (what the core does with "
                    f"what it reads), got {extra.get('opens')!r}")
    elif kind == "panels" and not isinstance(extra.get("step", ""), str):
        return "'step' must be the name of a workflow step"
    elif kind == "commands" and "arguments" in extra and not _REF.match(str(extra["arguments"])):
        return f"'arguments' {extra['arguments']!r} is not 'module:attribute'"
    return ""


def read_manifest(path: str | Path) -> Manifest:
    """Read a TOML manifest file (no plugin code is imported)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"plugin manifest {path}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"plugin manifest {path}: not valid TOML ({exc})") from None
    return parse_manifest(data, str(path))

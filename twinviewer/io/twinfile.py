"""The .twin file: one file holding a twin, its audit trail and (optionally) cached results.

Container
---------
A ZIP archive (Python's :mod:`zipfile`, no new dependency) of

* ``manifest.json`` — format name, schema version, app version, the model's name, version and
  equation hash, the privacy status (``identifiable``), the audit chain's length and head hash,
  and the SHA-256 and size of every other member;
* ``twin.json`` — the twin: pseudonym, origin, parameter table (names, units, plausible
  ranges), provenance per parameter, measurements, scenarios, visits, anatomy metadata, and the
  index of the results cache; arrays appear as ``{"$array": "arrays/0007.npy"}`` references;
* ``audit.json`` — the hash-chained audit log (:mod:`twinviewer.io.audit`);
* ``arrays/NNNN.npy`` — every numpy array (point estimate, ensemble, image volume, label maps,
  mesh points/faces/uncertainty, visit ensembles, cached metrics), written with
  :func:`numpy.save` and read with ``np.load(allow_pickle=False)``, stored uncompressed
  (``ZIP_STORED``) so saving a CT volume costs a copy, not a deflate (deflate level 1 took a
  new virtual patient's file from 56 to 30 MB but each Save and autosave from ~1.2 to ~7 s
  of the writer's CPU at load 11: too dear for a file the autosave rewrites after every
  edit; fix15a). An image volume whose values are all whole numbers within int16 (a CT in
  HU, the synthetic CT of the demo and of a virtual patient) is stored as int16, half its
  size, only when converting it back gives the very same bits (:func:`compact_image`); the reader
  keeps an int16 image int16 in memory, as a DICOM CT is loaded (half the memory: a 56 MB
  file's CT 90.7 → 45.4 MB; fix16b), and any other as float32
  (:meth:`~twinviewer.core.anatomy.ImageVolume.from_dict`); earlier versions read an int16
  image as float32, so files of either kind open in this and earlier versions alike.

Why this container: it is inspectable with any unzip tool and a text editor, needs nothing
beyond numpy and the standard library, loads safely (no pickle: a hostile file can at worst be
rejected), and keeps binary arrays exact. HDF5 would add a dependency and is opaque; a single
JSON with base64 arrays is slow and large. JSON members use Python's JSON dialect
(``NaN``/``Infinity`` allowed: unknown phase times, unbounded plausible ranges), written
compact (one line; ``unzip -p file.twin twin.json | python -m json.tool`` indents it; files
written indented by earlier versions read the same).

Guarantees
----------
* Versioned: a file of an older schema loads through :mod:`twinviewer.io.migrations`; a newer
  one is refused with a :class:`TwinFileError` saying which versions are involved.
* Crash-safe: written to a temp file beside the target, fsynced, renamed over it.
* Integrity: every member's SHA-256 is checked; truncation, flipped bytes, missing, extra or
  swapped members, wrong JSON types and wrong array shapes give a :class:`TwinFileError`
  naming the member and what was expected versus found. Nothing of the caller's state changes
  unless loading succeeds completely.
* Private: the pseudonym must be one (``TW-…``/``virtual-…``) and registered identifiers are
  redacted from all text, unless the user keeps identifiers for a local study; then the
  manifest says ``identifiable: true`` and every summary and report shows a banner.
* Optional passphrase encryption of the whole file (:mod:`twinviewer.io.crypto`).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import math
import re
import stat
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import twinviewer
from twinviewer.core.anatomy import Anatomy, slab_counts
from twinviewer.core.atomic import atomic_write_bytes
from twinviewer.core.format import number
from twinviewer.core.format import unit as shown_unit
from twinviewer.core.measurement import Measurement
from twinviewer.core.provenance import Provenance
from twinviewer.core.twin import Scenario, Twin, Visit, shown_name
from twinviewer.core.units import dimension
from twinviewer.io import crypto
from twinviewer.io.audit import AuditLog, ChainStatus, attach_audit_log, audit_log
from twinviewer.io.errors import PrivacyError, TwinFileError
from twinviewer.io.measurement_use import (
    UNCALIBRATED,
    MeasurementCounts,
    is_assumed,
    last_calibration,
    measurement_counts,
    measurement_use,
    prior_of_record,
)
from twinviewer.io.migrations import migrate
from twinviewer.io.privacy import (
    check_pseudonym,
    is_pseudonym,
    known_identifiers,
    redact,
    scrub,
)
from twinviewer.io.timeline_file import add_to_tree as _living_out
from twinviewer.io.timeline_file import from_tree as _living_in

FORMAT = "twinviewer.twin"
SCHEMA_VERSION = 2
SUFFIX = ".twin"
IDENTIFIABLE_BANNER = "CONTAINS PATIENT IDENTIFIERS — local study use only, do not share"
_MAX_MEMBER_BYTES = 4 * 1024**3  # one array (a large 4D CT is a few hundred MB)
_MAX_JSON_BYTES = 256 * 1024**2  # guards against a deflate bomb in a JSON member
_ARRAY_KINDS = "biuf"  # bool, int, uint, float: never object, string or structured arrays
_REQUIRED = ("twin.json", "audit.json")
#: Hostile-archive limits, checked on the central directory before anything is inflated.
MAX_MEMBERS = 20_000  # a 4D study: ~30 phases × 10 structures × 3 mesh arrays, results, ...
MAX_TOTAL_BYTES = 16 * 1024**3
MAX_VISIT_DAY = 36_525
MAX_INFLATE_RATIO = 1_000  # JSON deflates 5-20×; only a bomb claims 1000×
_MEMBER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99})"
                          r"{0,3}")


@dataclass
class ParameterInfo:
    """One row of the parameter table a file carries, so it is readable without the model."""

    name: str
    unit: str
    plausible: tuple[float, float]
    description: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "unit": self.unit, "plausible": list(self.plausible),
                "description": self.description}

    @classmethod
    def from_dict(cls, d: dict) -> ParameterInfo:
        lo, hi = d["plausible"]
        return cls(str(d["name"]), str(d["unit"]), (float(lo), float(hi)),
                   str(d.get("description", "")))


@dataclass
class TwinDocument:
    """Everything a .twin file holds.

    Attributes
    ----------
    twin : Twin
        The twin; its audit log is also reachable as ``audit_log(twin)``.
    audit : AuditLog
    parameters : list of ParameterInfo
        The parameter table in the twin's parameter order.
    results : dict
        Results cache: ``'baseline'`` or a scenario name → metric name → (N,) array, plus
        ``'_ok'`` → (N,) bool mask of periodic members. Empty if none was saved.
    series : dict
        The beat's waveforms kept with cached results (for the loops and curves): result
        name → ``'time'`` and series name → (N, n) float32 array. Empty if none was saved.
    identifiable : bool
        The user kept patient identifiers in this file (local study only).
    chain : ChainStatus
        Verification of the audit chain.
    schema_version : int
        Schema of the file as read (before migration).
    app_version : str
        TwinViewer version that wrote the file.
    encrypted : bool
    measurement_draft : list of tuple of str, or None
        Measurement rows typed in the Measurements step and not yet applied to the twin
        (name, value, unit, SD, source as typed; :data:`DRAFT_FIELDS`): kept so that
        nothing the user typed is lost, never used by a calibration or the report.
    """

    twin: Twin
    audit: AuditLog
    parameters: list[ParameterInfo]
    results: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    identifiable: bool = False
    chain: ChainStatus | None = None
    schema_version: int = SCHEMA_VERSION
    app_version: str = ""
    encrypted: bool = False
    written: str = ""
    series: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    measurement_draft: list[tuple[str, ...]] | None = None


# -- writing -------------------------------------------------------------------------------

#: Arrays up to this size are stored once however often the twin holds them (hashing a
#: CT volume to find a twin of it would cost more than it could save).
DEDUP_MAX_BYTES = 8 * 2**20


class _Arrays:
    """Collects arrays while a JSON tree is built, replacing each by a reference."""

    def __init__(self) -> None:
        self.members: dict[str, np.ndarray] = {}
        self._seen: dict[tuple, str] = {}

    def ref(self, a: np.ndarray) -> dict:
        a = np.asarray(a)
        if a.dtype.kind not in _ARRAY_KINDS:
            raise TwinFileError(f"cannot store an array of dtype {a.dtype} (numbers only)")
        a = np.ascontiguousarray(a)
        # an array equal to one already stored is referenced, not stored again (every phase's
        # mesh of a structure has the same faces: 13 MB of the demo's 120 MB, review12 #7);
        # the reader copies each reference, so the twin's arrays stay independent
        key = None
        if a.nbytes <= DEDUP_MAX_BYTES:
            key = (a.dtype.str, a.shape, hashlib.blake2b(a.tobytes(), digest_size=16).digest())
            if key in self._seen:
                return {"$array": self._seen[key]}
        name = f"arrays/{len(self.members):04d}.npy"
        self.members[name] = a
        if key is not None:
            self._seen[key] = name
        return {"$array": name}

    def walk(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray):
            return self.ref(obj)
        if isinstance(obj, dict):
            return {str(k): self.walk(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.walk(v) for v in obj]
        if isinstance(obj, np.generic):
            return obj.item()
        return obj


def parameter_table(twin: Twin) -> list[ParameterInfo]:
    """The parameter table of the installed model the twin is locked to.

    Raises
    ------
    TwinFileError
        If the model is not installed or its equations differ from the twin's.
    """
    from twinviewer.physiology import MODELS, model_for

    model = model_for(twin.model_name, twin.model_version, twin.equation_hash) or \
        MODELS.get(twin.model_name)
    if model is None and twin.model_source:  # an imported model the twin carries
        from twinviewer.physiology.svzerod.model import model_from_source

        try:
            model = model_from_source(twin.model_source, twin.model_name)
        except ValueError:
            model = None
    if model is None or model.equation_hash != twin.equation_hash:
        raise TwinFileError(
            f"cannot describe the parameters of model {twin.model_name!r} (equations "
            f"{twin.equation_hash}): it is not installed in this version; pass the table "
            f"read from the twin's file")
    return [ParameterInfo(p.name, p.unit, (float(p.plausible[0]), float(p.plausible[1])),
                          p.description) for p in model.parameters]


def _results_dict(results: Mapping[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, r in results.items():
        if hasattr(r, "metrics") and hasattr(r, "status"):  # physiology Results
            d = {k: np.asarray(v, dtype=np.float64) for k, v in r.metrics.items()}
            d["_ok"] = np.asarray(r.ok, dtype=bool)
        else:
            d = {k: np.asarray(v) for k, v in r.items()}
        out[str(name)] = d
    return out


def _parameter_values(a: Any, what: str, ndim: int) -> np.ndarray:
    """Parameter values as finite float64 (the reader refuses anything else)."""
    try:
        a = np.asarray(a, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise TwinFileError(f"cannot save: {what} must hold numbers only ({exc})") from None
    if a.ndim != ndim:
        raise TwinFileError(f"cannot save: {what} should be {ndim}-D, found shape {a.shape}")
    if not np.isfinite(a).all():
        raise TwinFileError(f"cannot save: {what} holds non-finite values")
    return a


def _series_arrays(series: Mapping[str, np.ndarray], name: str) -> dict[str, np.ndarray]:
    """A result's waveforms as float32 (N, n) arrays (a 'time' one among them)."""
    out = {str(k): np.asarray(v, dtype=np.float32) for k, v in series.items()}
    shapes = {a.shape for a in out.values()}
    if "time" not in out or len(shapes) != 1 or out["time"].ndim != 2:
        raise TwinFileError(f"cannot save: the waveforms of {name!r} need a 'time' array and "
                            f"series of one (N, n) shape, found {sorted(shapes)}")
    return out


def compact_image(a: np.ndarray) -> np.ndarray:
    """``a`` as int16 if that is lossless (every value whole and within −32768…32767, no
    NaN, no −0.0: converted back to ``a``'s dtype it gives the same bits), else ``a``.

    A CT is stored in HU, whole numbers, which a new twin holds as float32: int16 halves the
    file (the demo's CT: 90 → 45 MB). Checked a phase at a time, so the check's copies stay
    one phase's size.

    Examples
    --------
    >>> compact_image(np.array([[-1024.0, 0.0, 3071.0]], np.float32)).dtype
    dtype('int16')
    >>> compact_image(np.array([0.5, 1.0], np.float32)).dtype  # not whole: kept
    dtype('float32')
    >>> compact_image(np.array([-0.0, 1.0], np.float32)).dtype  # -0.0 would come back +0.0
    dtype('float32')
    >>> compact_image(np.array([40000.0], np.float32)).dtype  # beyond int16
    dtype('float32')
    """
    a = np.asarray(a)
    if a.dtype not in (np.float32, np.float64) or a.size == 0:
        return a
    bits = np.uint32 if a.dtype == np.float32 else np.uint64
    whole = np.empty(a.shape, np.int16)
    for part, out in zip(a.reshape(a.shape[0], -1) if a.ndim > 1 else [a],
                         whole.reshape(whole.shape[0], -1) if a.ndim > 1 else [whole],
                         strict=True):
        if not (np.isfinite(part).all() and part.min() >= -32768 and part.max() <= 32767):
            return a
        out[...] = part  # the range is checked: truncation only of fractions
        if not np.array_equal(out.astype(a.dtype).view(bits), part.view(bits)):
            return a  # a fraction, or −0.0
    return whole


def _compact_images(obj: Any) -> Any:
    """The anatomy's dict with each image volume's array :func:`compact_image`-ed (the
    image, and the planes' images; label maps and meshes as they are)."""
    if isinstance(obj, dict):
        if {"array", "affine", "spacing"} <= obj.keys():
            return {**obj, "array": compact_image(obj["array"])}
        return {k: _compact_images(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_compact_images(v) for v in obj]
    return obj


def _twin_tree(twin: Twin, table: list[ParameterInfo],
               results: dict[str, dict[str, np.ndarray]], arrays: _Arrays,
               series: Mapping[str, Mapping[str, np.ndarray]] | None = None) -> dict:
    series = series or {}
    return {
        "pseudonym": twin.pseudonym,
        "origin": twin.origin,
        "teaching": bool(twin.teaching),
        "model": {"name": twin.model_name, "version": twin.model_version,
                  "equation_hash": twin.equation_hash,
                  **({"source": twin.model_source} if twin.model_source else {})},
        "parameters": [p.to_dict() for p in table],
        "params": arrays.ref(_parameter_values(twin.params, "params", 1)),
        "ensemble": arrays.ref(_parameter_values(twin.ensemble, "ensemble", 2)),
        "ensemble_kind": twin.ensemble_kind,
        "provenance": {k: v.to_dict() for k, v in twin.provenance.items()},
        "measurements": [m.to_dict() for m in twin.measurements],
        "scenarios": [s.to_dict() for s in twin.scenarios],
        **({"goal": twin.goal} if twin.goal else {}),  # a file without one reads as before
        "visits": [{"day": int(v.day), "label": v.label,
                    "measurements": [m.to_dict() for m in v.measurements],
                    "ensemble": None if v.ensemble is None else arrays.ref(
                        _parameter_values(v.ensemble, f"visit day {v.day} ensemble", 2))}
                   for v in twin.visits],
        "anatomy": None if twin.anatomy is None else arrays.walk(
            _compact_images(twin.anatomy.to_dict())),
        "results": [{"name": name, "metrics": {k: arrays.ref(v) for k, v in d.items()},
                     **({"series": {k: arrays.ref(v) for k, v in
                                    _series_arrays(series[name], name).items()}}
                        if series.get(name) else {})}
                    for name, d in results.items()],
    }


def _json_bytes(obj: Any) -> bytes:
    """``obj`` as compact UTF-8 JSON: no indentation, which would make :mod:`json` use its
    pure-Python encoder (a third of a 34 MB autosave's time; fix16b). Nothing reads these
    members by eye; ``python -m json.tool`` shows them indented. Files written indented
    (before) read the same.

    Examples
    --------
    >>> _json_bytes({"a": [1, float("nan")], "é": None})
    b'{"a":[1,NaN],"\xc3\xa9":null}'
    """
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def twin_bytes(twin: Twin, *, audit: AuditLog | None = None,
               results: Mapping[str, Any] | None = None,
               parameters: list[ParameterInfo] | None = None,
               keep_identifiers: bool = False, passphrase: str | None = None,
               series: Mapping[str, Mapping[str, np.ndarray]] | None = None,
               written: str | None = None,
               measurement_draft: Sequence[Sequence[str]] | None = None) -> bytes:
    """The bytes of a .twin file for ``twin`` (see :func:`save_twin` for the parameters;
    ``series``: result name → waveforms kept with that cached result, see
    :attr:`TwinDocument.series`; ``written``: the manifest's ISO time of writing, now if
    None — given, the same arguments give the same bytes wherever they are written;
    ``measurement_draft``: see :attr:`TwinDocument.measurement_draft`)."""
    check_pseudonym(twin.pseudonym, keep_identifiers=keep_identifiers)
    if twin.anatomy is not None:
        check_pseudonym(twin.anatomy.pseudonym, keep_identifiers=keep_identifiers)
    audit = audit if audit is not None else audit_log(twin)
    table = parameters if parameters is not None else parameter_table(twin)
    n_par = np.shape(twin.params)[0] if np.ndim(twin.params) == 1 else -1
    if len(table) != n_par or np.shape(twin.ensemble)[-1:] != (n_par,):
        raise TwinFileError(f"cannot save: the parameter table has {len(table)} rows, the "
                            f"point estimate shape {np.shape(twin.params)} and the ensemble "
                            f"shape {np.shape(twin.ensemble)}")
    arrays = _Arrays()
    tree = _twin_tree(twin, table, _results_dict(results or {}), arrays, series)
    _living_out(tree, twin, arrays.ref)  # living twin: visit extras, consent ledger
    if measurement_draft:  # scrubbed below with the rest of the tree
        tree["measurement_draft"] = [[str(x) for x in r] for r in measurement_draft]
    audit_list = audit.to_list()
    if not keep_identifiers:
        tree = scrub(tree)
        ids = known_identifiers()
        for e in audit_list:
            text = json.dumps(e, ensure_ascii=False)
            if ids and redact(text) != text:
                raise PrivacyError(f"refusing to write: audit entry #{e['index']} contains a "
                                   f"registered patient identifier")
    members: dict[str, bytes] = {"twin.json": _json_bytes(tree),
                                 "audit.json": _json_bytes(audit_list)}
    members.update({name: _npy_bytes(a) for name, a in arrays.members.items()})
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "app_version": twinviewer.__version__,
        "written": written or _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model": tree["model"],
        "identifiable": bool(keep_identifiers),
        "privacy": IDENTIFIABLE_BANNER if keep_identifiers else "de-identified",
        "encrypted_by_passphrase": passphrase is not None,
        "audit": {"entries": len(audit), "head": audit.head},
        "members": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                    for name, data in members.items()},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("manifest.json", (1980, 1, 1, 0, 0, 0)),
                    _json_bytes(manifest), compress_type=zipfile.ZIP_DEFLATED)
        for name, data in members.items():
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            kind = zipfile.ZIP_STORED if name.endswith(".npy") else zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compress_type=kind)
    data = buf.getvalue()
    return crypto.encrypt(data, passphrase) if passphrase is not None else data


def save_twin(path: Path | str, twin: Twin, *, audit: AuditLog | None = None,
              results: Mapping[str, Any] | None = None,
              parameters: list[ParameterInfo] | None = None,
              keep_identifiers: bool = False, passphrase: str | None = None) -> Path:
    """Write ``twin`` to a .twin file atomically.

    Parameters
    ----------
    path : Path or str
        Target file (conventionally ``*.twin``); replaced atomically if it exists.
    twin : Twin
    audit : AuditLog, optional
        Default: the twin's log (:func:`~twinviewer.io.audit.audit_log`).
    results : mapping, optional
        Results cache: name (``'baseline'``, scenario names) → physiology ``Results`` or
        mapping metric → (N,) array.
    parameters : list of ParameterInfo, optional
        The parameter table; default from the installed model (must match the twin's hash).
    keep_identifiers : bool, default False
        The user explicitly keeps patient identifiers for a local study: the pseudonym check
        and redaction are skipped and the file is flagged ``identifiable``.
    passphrase : str, optional
        Encrypt the file (AES-256-GCM, scrypt).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    PrivacyError
        The pseudonym is not a pseudonym, or an audit entry holds a registered identifier.
    TwinFileError
        The twin cannot be described (model table missing, non-numeric arrays).
    OSError
        The file cannot be written (the previous file stays intact).
    """
    path = Path(path)
    data = twin_bytes(twin, audit=audit, results=results, parameters=parameters,
                      keep_identifiers=keep_identifiers, passphrase=passphrase)
    atomic_write_bytes(path, data)
    return path


# -- reading -------------------------------------------------------------------------------

def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - BadZipFile, struct/EOF/Overflow on damaged bytes
        raise TwinFileError(f"{name} is not a .twin file, or it is truncated ({exc})") from None
    try:
        check_archive(zf.infolist(), len(data), name)
    except TwinFileError:
        zf.close()
        raise
    return zf


def check_archive(infos: list[zipfile.ZipInfo], file_size: int, name: str) -> None:
    """Refuse a hostile archive from its central directory alone, before inflating anything.

    Member names must be relative POSIX paths of safe characters (no ``..``, no absolute or
    drive paths, no backslashes), regular files (no links or folders), unique and at most
    :data:`MAX_MEMBERS`; stored members must be stored as their size says, a deflated one
    may not claim more than :data:`MAX_INFLATE_RATIO` times its compressed size, and the
    total uncompressed size is at most :data:`MAX_TOTAL_BYTES`.

    Raises
    ------
    TwinFileError
        Naming the member (its name is shown with ``repr``, never used as a path).

    Examples
    --------
    >>> info = zipfile.ZipInfo("../../x")
    >>> try:
    ...     check_archive([info], 100, "a.twin")
    ... except TwinFileError as exc:
    ...     print(str(exc)[:44])
    a.twin: member name '../../x' is not a plain
    """
    if len(infos) > MAX_MEMBERS:
        raise TwinFileError(f"{name}: {len(infos)} members, more than a twin holds "
                            f"({MAX_MEMBERS})")
    seen: set[str] = set()
    total = 0
    for info in infos:
        member = info.filename
        shown = repr(member[:80])
        if not _MEMBER_NAME.fullmatch(member) or ".." in member.split("/"):
            raise TwinFileError(f"{name}: member name {shown} is not a plain relative name "
                                f"(only letters, digits, '_', '-', '.' and '/' between parts; "
                                f"no '..')")
        if member in seen:
            raise TwinFileError(f"{name}: member {shown} appears twice")
        seen.add(member)
        mode = info.external_attr >> 16
        if info.is_dir() or (stat.S_IFMT(mode) and not stat.S_ISREG(mode)):
            raise TwinFileError(f"{name}: member {shown} is not a regular file (a link, folder "
                                f"or device entry)")
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != info.file_size:
                raise TwinFileError(f"{name}: member {shown} is stored but claims "
                                    f"{info.file_size} bytes in {info.compress_size}")
        elif info.compress_type != zipfile.ZIP_DEFLATED:
            raise TwinFileError(f"{name}: member {shown} uses compression method "
                                f"{info.compress_type}; a .twin uses only stored or deflated")
        elif info.file_size > MAX_INFLATE_RATIO * info.compress_size + 2**16:
            raise TwinFileError(f"{name}: member {shown} would inflate {info.compress_size} "
                                f"bytes to {info.file_size} (a compression bomb)")
        if info.compress_size > file_size:
            raise TwinFileError(f"{name}: member {shown} claims {info.compress_size} bytes in "
                                f"a file of {file_size}: the file is truncated")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise TwinFileError(f"{name}: members claim {total} bytes in all, more than a twin "
                            f"holds ({MAX_TOTAL_BYTES})")


def _read_member(zf: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise TwinFileError(f"{name}: member {member} is missing") from None
    limit = _MAX_MEMBER_BYTES if member.endswith(".npy") else _MAX_JSON_BYTES
    if info.file_size > limit:
        raise TwinFileError(f"{name}: member {member} claims {info.file_size} bytes, more "
                            f"than a twin can hold")
    try:
        return zf.read(info)
    except Exception as exc:  # noqa: BLE001 - zlib, CRC, EOF, NotImplementedError, struct...
        raise TwinFileError(f"{name}: member {member} cannot be read, the file is damaged "
                            f"({type(exc).__name__}: {exc})") from None


def _json(data: bytes, member: str, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise TwinFileError(f"{name}: member {member} is not valid JSON ({exc})") from None


def _check_manifest(manifest: Any, name: str) -> int:
    if not isinstance(manifest, dict):
        raise TwinFileError(f"{name}: manifest.json must be an object, found "
                            f"{type(manifest).__name__}")
    if manifest.get("format") != FORMAT:
        raise TwinFileError(f"{name} is not a TwinViewer twin (format "
                            f"{manifest.get('format')!r}, expected {FORMAT!r})")
    version = manifest.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TwinFileError(f"{name}: schema_version must be a positive integer, found "
                            f"{version!r}")
    if version > SCHEMA_VERSION:
        raise TwinFileError(
            f"{name} was written by a newer TwinViewer ({manifest.get('app_version', '?')}, "
            f"file schema {version}); this TwinViewer ({twinviewer.__version__}) reads schema "
            f"{SCHEMA_VERSION} and older. Update TwinViewer to open it.")
    members = manifest.get("members")
    if not isinstance(members, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in members.values()):
        raise TwinFileError(f"{name}: manifest.json has no valid member checksum table")
    for req in _REQUIRED:
        if req not in members:
            raise TwinFileError(f"{name}: manifest.json does not list the required member {req}")
    return version


def _verified_members(zf: zipfile.ZipFile, manifest: dict, name: str) -> dict[str, bytes]:
    listed = manifest["members"]
    present = set(zf.namelist()) - {"manifest.json"}
    extra = sorted(present - set(listed))
    if extra:
        raise TwinFileError(f"{name}: member {extra[0]} is not listed in the manifest (the "
                            f"file was altered)")
    out = {}
    for member, meta in listed.items():
        data = _read_member(zf, member, name)
        found = hashlib.sha256(data).hexdigest()
        if found != meta["sha256"]:
            raise TwinFileError(f"{name}: member {member} is corrupt (SHA-256 expected "
                                f"{meta['sha256'][:16]}…, found {found[:16]}…)")
        out[member] = data
    return out


def _npy_array(data: bytes) -> np.ndarray:
    """A .npy member read after its header is checked against the bytes that follow it, so
    a header claiming a vast shape is refused before anything is allocated (np.load would
    first allocate what the header claims)."""
    f = io.BytesIO(data)
    version = np.lib.format.read_magic(f)
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise ValueError(f".npy version {version} is not supported")
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, fortran, dtype = read_header(f, max_header_size=10_000)
    if dtype.hasobject or dtype.kind not in _ARRAY_KINDS:
        raise ValueError(f"has dtype {dtype.str}, expected numbers")
    count = math.prod(shape)
    if count * dtype.itemsize != len(data) - f.tell():
        raise ValueError(f"the header claims shape {shape} of {dtype} ({count * dtype.itemsize} "
                         f"bytes) but {len(data) - f.tell()} bytes follow")
    a = np.frombuffer(data, dtype, count=count, offset=f.tell())
    return a.reshape(shape, order="F" if fortran else "C").copy()


class _Loader:
    """Resolves ``{"$array": ...}`` references against the verified members."""

    def __init__(self, members: dict[str, bytes], name: str) -> None:
        self.members, self.name = members, name

    def array(self, ref: Any, what: str) -> np.ndarray:
        if not (isinstance(ref, dict) and isinstance(ref.get("$array"), str)):
            raise TwinFileError(f"{self.name}: {what} should be an array reference, found "
                                f"{type(ref).__name__}")
        member = ref["$array"]
        if member not in self.members:
            raise TwinFileError(f"{self.name}: {what} refers to member {member}, which is "
                                f"missing")
        try:
            a = _npy_array(self.members[member])
        except Exception as exc:  # noqa: BLE001 - numpy raises ValueError/EOFError/...
            raise TwinFileError(f"{self.name}: member {member} ({what}) is not a valid .npy "
                                f"array ({str(exc)[:200]})") from None
        if not isinstance(a, np.ndarray) or a.dtype.kind not in _ARRAY_KINDS:
            raise TwinFileError(f"{self.name}: member {member} ({what}) has dtype "
                                f"{getattr(a, 'dtype', '?')}, expected numbers")
        return a

    def walk(self, obj: Any, what: str) -> Any:
        if isinstance(obj, dict):
            if "$array" in obj:
                return self.array(obj, what)
            return {k: self.walk(v, f"{what}.{k}") for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.walk(v, f"{what}[{i}]") for i, v in enumerate(obj)]
        return obj


def _expect(cond: bool, name: str, message: str) -> None:
    if not cond:
        raise TwinFileError(f"{name}: {message}")


def _matrix(a: np.ndarray, n_par: int, what: str, name: str) -> np.ndarray:
    _expect(a.ndim == 2 and a.shape[1] == n_par and a.shape[0] >= 1, name,
            f"{what} should have shape (N, {n_par}), found {a.shape}")
    a = a.astype(np.float64)
    _expect(bool(np.isfinite(a).all()), name, f"{what} holds non-finite values")
    return a


class _Types:
    """Type checks of the JSON tree, so that a wrong type is named, never silently coerced."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, what: str, expected: str, found: Any) -> None:
        raise TwinFileError(f"{self.name}: {what} should be {expected}, found "
                            f"{type(found).__name__}")

    def text(self, d: dict, key: str, what: str, optional: bool = False) -> None:
        if optional and key not in d:
            return
        if not isinstance(d[key], str):
            self.fail(f"{what}.{key}", "text", d[key])

    def number(self, v: Any, what: str) -> None:
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.fail(what, "a number", v)

    def obj(self, v: Any, what: str) -> dict:
        if not isinstance(v, dict):
            self.fail(what, "an object", v)
        return v

    def seq(self, v: Any, what: str) -> list:
        if not isinstance(v, list):
            self.fail(what, "a list", v)
        return v

    def measurement(self, m: Any, what: str) -> None:
        self.obj(m, what)
        for k in ("name", "unit"):
            self.text(m, k, what)
        self.text(m, "source", what, optional=True)
        for k in ("value", "uncertainty", "cv"):
            if k in m:
                self.number(m[k], f"{what}.{k}")

    def tree(self, t: Any) -> None:
        self.obj(t, "twin.json")
        self.text(t, "pseudonym", "twin")
        self.text(t, "origin", "twin", optional=True)
        for k in ("name", "version", "equation_hash"):
            self.text(self.obj(t["model"], "model"), k, "model")
        if "source" in t["model"]:  # an imported model's own definition
            self.text(self.obj(t["model"]["source"], "model.source"), "kind", "model.source")
        for i, p in enumerate(self.seq(t["parameters"], "parameters")):
            w = f"parameters[{i}]"
            for k in ("name", "unit", "description"):
                self.text(self.obj(p, w), k, w, optional=(k == "description"))
            rng = self.seq(p["plausible"], f"{w}.plausible")
            if len(rng) != 2:
                self.fail(f"{w}.plausible", "a (low, high) pair", rng)
            for v in rng:
                self.number(v, f"{w}.plausible")
            if not rng[0] <= rng[1]:
                raise TwinFileError(f"{self.name}: {w}.plausible is not a (low, high) range: "
                                    f"{rng}")
            if not p["name"].strip():
                raise TwinFileError(f"{self.name}: {w}.name is empty")
            try:
                dimension(p["unit"])
            except ValueError as exc:
                raise TwinFileError(f"{self.name}: {w}.unit: {exc}") from None
        names = [p["name"] for p in t["parameters"]]
        if len(set(names)) != len(names):
            raise TwinFileError(f"{self.name}: parameter names repeat in the parameter table")
        for k, v in self.obj(t["provenance"], "provenance").items():
            if k not in names:
                raise TwinFileError(f"{self.name}: provenance names parameter {k!r}, which is "
                                    f"not in the parameter table")
            self.text(self.obj(v, f"provenance[{k}]"), "source", f"provenance[{k}]")
            self.text(v, "detail", f"provenance[{k}]", optional=True)
            if not all(isinstance(x, str) for x in self.seq(v.get("inputs", []),
                                                              f"provenance[{k}].inputs")):
                self.fail(f"provenance[{k}].inputs", "a list of text", v["inputs"])
        for i, m in enumerate(self.seq(t["measurements"], "measurements")):
            self.measurement(m, f"measurements[{i}]")
        for i, sc in enumerate(self.seq(t["scenarios"], "scenarios")):
            self.text(self.obj(sc, f"scenarios[{i}]"), "name", f"scenarios[{i}]")
            for j, st in enumerate(self.seq(sc.get("steps", []), f"scenarios[{i}].steps")):
                w = f"scenarios[{i}].steps[{j}]"
                self.text(self.obj(st, w), "name", w)
                for v in self.obj(st.get("settings", {}), f"{w}.settings").values():
                    self.number(v, f"{w}.settings")
        if "goal" in t:
            self.text(t, "goal", "twin")
        for i, v in enumerate(self.seq(t["visits"], "visits")):
            w = f"visits[{i}]"
            if isinstance(self.obj(v, w)["day"], bool) or not isinstance(v["day"], int):
                self.fail(f"{w}.day", "a whole number of days", v["day"])
            if abs(v["day"]) > MAX_VISIT_DAY:
                raise TwinFileError(f"{self.name}: {w}.day is not within ±{MAX_VISIT_DAY} days "
                                    f"(100 years) of the first visit")
            self.text(v, "label", w, optional=True)
            for j, m in enumerate(self.seq(v["measurements"], f"{w}.measurements")):
                self.measurement(m, f"{w}.measurements[{j}]")
        for i, r in enumerate(self.seq(t.get("results", []), "results")):
            self.text(self.obj(r, f"results[{i}]"), "name", f"results[{i}]")
            self.obj(r["metrics"], f"results[{i}].metrics")
            self.obj(r.get("series", {}), f"results[{i}].series")
        a = t["anatomy"]
        if a is not None:
            self.text(self.obj(a, "anatomy"), "pseudonym", "anatomy")
            if not all(isinstance(x, str) for x in self.seq(a.get("notes", []),
                                                              "anatomy.notes")):
                self.fail("anatomy.notes", "a list of text", a["notes"])
            for i, m in enumerate(self.seq(a.get("measurements", []), "anatomy.measurements")):
                self.measurement(m, f"anatomy.measurements[{i}]")
            for k, st in self.obj(a.get("structures", {}), "anatomy.structures").items():
                w = f"anatomy.structures[{k}]"
                for f in ("key", "name"):
                    self.text(self.obj(st, w), f, w)
                color = self.seq(st["color"], f"{w}.color")
                if len(color) != 3:
                    self.fail(f"{w}.color", "an RGB triple", color)
                for c in color:
                    self.number(c, f"{w}.color")
                for ph, m in self.obj(st.get("volumes", {}), f"{w}.volumes").items():
                    self.measurement(m, f"{w}.volumes[{ph}]")
                for ph, m in self.obj(st.get("meshes", {}), f"{w}.meshes").items():
                    self.obj(m, f"{w}.meshes[{ph}]")
            self.obj(a.get("label_values", {}), "anatomy.label_values")


def _build(tree: Any, audit_items: Any, loader: _Loader, name: str
           ) -> tuple[Twin, AuditLog, list[ParameterInfo], dict, dict]:
    _Types(name).tree(tree)
    table = [ParameterInfo.from_dict(d) for d in tree["parameters"]]
    n_par = len(table)
    params = loader.array(tree["params"], "params").astype(np.float64)
    _expect(params.shape == (n_par,), name,
            f"params should have shape ({n_par},), found {params.shape}")
    _expect(bool(np.isfinite(params).all()), name, "params holds non-finite values")
    ensemble = _matrix(loader.array(tree["ensemble"], "ensemble"), n_par, "ensemble", name)
    kind = tree["ensemble_kind"]
    _expect(kind in ("prior", "posterior"), name,
            f"ensemble_kind should be 'prior' or 'posterior', found {kind!r}")
    model = tree["model"]
    visits = []
    for i, v in enumerate(tree["visits"]):
        ens = None if v["ensemble"] is None else _matrix(
            loader.array(v["ensemble"], f"visit {i} ensemble"), n_par, f"visit {i} ensemble",
            name)
        visits.append(Visit(int(v["day"]), [Measurement.from_dict(m) for m in v["measurements"]],
                            ens, str(v.get("label", ""))))
    anatomy = None
    if tree["anatomy"] is not None:
        raw = loader.walk(tree["anatomy"], "anatomy")
        _check_anatomy_arrays(raw, name)
        anatomy = Anatomy.from_dict(raw)
        _check_anatomy(anatomy, name)
    twin = Twin(
        pseudonym=str(tree["pseudonym"]), model_name=str(model["name"]),
        model_version=str(model["version"]), equation_hash=str(model["equation_hash"]),
        params=params, ensemble=ensemble, ensemble_kind=kind,
        provenance={str(k): Provenance.from_dict(v) for k, v in tree["provenance"].items()},
        measurements=[Measurement.from_dict(m) for m in tree["measurements"]],
        anatomy=anatomy, scenarios=[Scenario.from_dict(s) for s in tree["scenarios"]],
        visits=visits, origin=str(tree.get("origin", "")),
        teaching=tree.get("teaching") is True, model_source=dict(model.get("source", {})),
        goal=str(tree.get("goal", "")))
    twin = _living_in(twin, tree, loader.array, name)  # living twin (optional in the file)
    results: dict[str, dict[str, np.ndarray]] = {}
    series: dict[str, dict[str, np.ndarray]] = {}
    for r in tree.get("results", []):
        arrays = {str(k): loader.array(v, f"results {r['name']!r} {k}")
                  for k, v in r["metrics"].items()}
        for k, a in arrays.items():
            _expect(a.shape == (ensemble.shape[0],) or r["name"] != "baseline", name,
                    f"cached baseline metric {k} has shape {a.shape}, expected "
                    f"({ensemble.shape[0]},)")
            _expect(a.ndim == 1, name, f"cached metric {k} of {r['name']!r} should be 1-D, "
                    f"found shape {a.shape}")
        results[str(r["name"])] = arrays
        if r.get("series"):
            series[str(r["name"])] = _read_series(r["series"], loader, r["name"],
                                                  ensemble.shape[0], name)
    return twin, AuditLog.from_list(audit_items), table, results, series


def _read_series(refs: dict, loader: _Loader, result: Any, n: int,
                 name: str) -> dict[str, np.ndarray]:
    """The waveforms kept with cached result ``result``: all (n, samples), 'time' among them."""
    out = {str(k): loader.array(v, f"results {result!r} series {k}") for k, v in refs.items()}
    _expect("time" in out, name, f"the waveforms of {result!r} have no 'time' array")
    shape = out["time"].shape
    for k, a in out.items():
        _expect(a.ndim == 2 and a.shape[0] == n and a.shape == shape, name,
                f"waveform {k} of {result!r} has shape {a.shape}, expected ({n}, samples) "
                f"like its time {shape}")
    return out


def _finite_array(a: Any, what: str, name: str, *, ndim: int, kinds: str = "iuf",
                  cols: int | None = None) -> np.ndarray:
    _expect(isinstance(a, np.ndarray), name, f"{what} should be an array, found "
            f"{type(a).__name__}")
    _expect(a.dtype.kind in kinds and a.ndim == ndim and a.size > 0
            and (cols is None or a.shape[-1] == cols), name,
            f"{what} should be a non-empty {ndim}-D array of "
            f"{'whole numbers' if kinds == 'iu' else 'numbers'}"
            + (f" with {cols} columns" if cols else "") + f", found {a.dtype} {a.shape}")
    if a.dtype.kind == "f":
        _expect(bool(np.isfinite(a).all()), name, f"{what} holds NaN or infinite values")
    return a


def _check_anatomy_arrays(raw: Any, name: str) -> None:
    """Every array of the anatomy before it is converted: finite image, affine and spacing,
    positive spacing, whole-number labels, finite mesh points, integer faces within range."""
    if not isinstance(raw, dict):
        return  # the type checks name it
    img = raw.get("image")
    if isinstance(img, dict):
        arr = _finite_array(img.get("array"), "anatomy image", name, ndim=4, kinds="iuf")
        if arr.ndim == 3:
            arr = arr[None]
        affine = _finite_array(img.get("affine"), "anatomy image affine", name, ndim=2,
                               kinds="f", cols=4)
        _expect(affine.shape == (4, 4) and abs(np.linalg.det(affine[:3, :3])) > 1e-9, name,
                f"anatomy image affine should be an invertible 4×4 matrix, found shape "
                f"{affine.shape}")
        spacing = img.get("spacing")
        _expect(isinstance(spacing, list) and len(spacing) == 3 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            and v > 0 for v in spacing), name,
            "anatomy image spacing should be three finite, positive millimetre values")
        times = img.get("phase_times_ms")
        _expect(isinstance(times, list) and len(times) == arr.shape[0], name,
                f"anatomy image should list one phase time per phase ({arr.shape[0]})")
        for k in ("ed_index", "es_index"):
            v = img.get(k)
            _expect(isinstance(v, int) and not isinstance(v, bool), name,
                    f"anatomy image {k} should be a whole number")
    images = [("anatomy.image", img)] + [
        (f"anatomy.planes[{i}].image", p.get("image")) for i, p in enumerate(
            raw.get("planes") if isinstance(raw.get("planes"), list) else [])
        if isinstance(p, dict)]
    for what, im in images:
        # final14 #3: an unchecked count gave negative basal gaps and SDs, an IndexError on
        # the Segment step's Accept, or an OverflowError in the coverage model
        if isinstance(im, dict) and "missing_slabs" in im:
            try:
                slab_counts(im["missing_slabs"])
            except ValueError as exc:
                raise TwinFileError(f"{name}: {what}.{exc}") from None
    labels = raw.get("labels")
    if isinstance(labels, dict):
        for p, lab in labels.items():
            lab = _finite_array(lab, f"label map of phase {p}", name, ndim=3, kinds="iub")
            _expect(lab.dtype.kind == "b" or (lab.min() >= 0 and lab.max() <= 255), name,
                    f"label map of phase {p} holds values outside 0–255")
    for key, st in (raw.get("structures") or {}).items():
        for ph, m in ((st or {}).get("meshes") or {}).items() if isinstance(st, dict) else ():
            what = f"mesh of {key!s:.40} phase {ph!s:.8}"
            if not isinstance(m, dict):
                continue
            pts = _finite_array(m.get("points"), f"{what} points", name, ndim=2, kinds="f",
                                cols=3)
            faces = _finite_array(m.get("faces"), f"{what} faces", name, ndim=2, kinds="iu",
                                  cols=3)
            _expect(int(faces.min()) >= 0 and int(faces.max()) < len(pts), name,
                    f"{what} faces refer to points outside 0–{len(pts) - 1}")
            if m.get("uncertainty_mm") is not None:
                unc = _finite_array(m["uncertainty_mm"], f"{what} uncertainty", name, ndim=1,
                                    kinds="f")
                _expect(unc.shape == (len(pts),) and bool((unc >= 0).all()), name,
                        f"{what} uncertainty should be one non-negative value per point")


def _check_anatomy(anatomy: Anatomy, name: str) -> None:
    if anatomy.image is not None:
        img = anatomy.image
        _expect(img.affine.shape == (4, 4), name,
                f"anatomy image affine should be 4×4, found {img.affine.shape}")
        _expect(0 <= img.ed_index < img.n_phases and 0 <= img.es_index < img.n_phases, name,
                f"anatomy ED/ES phase indices {img.ed_index}/{img.es_index} outside the "
                f"image's {img.n_phases} phases")
        for p, lab in (anatomy.labels or {}).items():
            _expect(lab.shape == img.shape, name, f"label map of phase {p} has shape "
                    f"{lab.shape}, the image {img.shape}")


def load_twin(path: Path | str, *, passphrase: str | None = None,
              allow_broken_audit: bool = False) -> TwinDocument:
    """Read a .twin file, verifying checksums, schema and audit chain.

    Parameters
    ----------
    path : Path or str
    passphrase : str, optional
        Needed for an encrypted file.
    allow_broken_audit : bool, default False
        Load even if the audit chain does not verify (``doc.chain`` says why); used by
        ``twinviewer info`` to report on a tampered file.

    Returns
    -------
    TwinDocument
        Its twin's audit log is attached (``audit_log(doc.twin) is doc.audit``).

    Raises
    ------
    TwinFileError
        Naming the file, the member and the problem; nothing is half-loaded.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TwinFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    doc = load_twin_bytes(data, name=path.name, passphrase=passphrase,
                          allow_broken_audit=allow_broken_audit)
    return doc


def load_twin_bytes(data: bytes, *, name: str = "twin file", passphrase: str | None = None,
                    allow_broken_audit: bool = False) -> TwinDocument:
    """:func:`load_twin` from bytes; ``name`` is used in messages."""
    encrypted = crypto.is_encrypted(data)
    if encrypted:
        data = crypto.decrypt(data, passphrase, name)
    zf = _open_zip(data, name)
    with zf:
        manifest = _json(_read_member(zf, "manifest.json", name), "manifest.json", name)
        version = _check_manifest(manifest, name)
        members = _verified_members(zf, manifest, name)
    tree = _json(members["twin.json"], "twin.json", name)
    audit_items = _json(members["audit.json"], "audit.json", name)
    try:
        tree, audit_items = migrate(tree, audit_items, version)
        twin, audit, table, results, series = _build(tree, audit_items,
                                                     _Loader(members, name), name)
    except TwinFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
            RecursionError) as exc:
        what = f"missing field {exc}" if isinstance(exc, KeyError) else \
            f"{type(exc).__name__}: {exc}"
        raise TwinFileError(f"{name}: the twin data are malformed ({what})") from None
    chain = audit.verify_chain()
    audit_meta = manifest.get("audit")
    if not (isinstance(audit_meta, dict) and isinstance(audit_meta.get("head"), str)
            and isinstance(audit_meta.get("entries"), int)):
        raise TwinFileError(f"{name}: manifest.json has no valid audit summary (entries and "
                            f"head hash)")
    if chain.ok and audit_meta["head"] != audit.head:
        chain = ChainStatus(False, len(audit), len(audit), (
            f"audit trail broken: the file lists {audit_meta.get('entries')!r} entries ending "
            f"in hash {str(audit_meta['head'])[:12]}…, the log has {len(audit)} ending in "
            f"{audit.head[:12]}… (entries were removed or replaced)"))
    if not chain.ok and not allow_broken_audit:
        raise TwinFileError(f"{name}: {chain.message}")
    identifiable = manifest.get("identifiable", False)
    if not isinstance(identifiable, bool):
        raise TwinFileError(f"{name}: manifest.json 'identifiable' should be true or false, "
                            f"found {type(identifiable).__name__}")
    if not identifiable:
        for what, value in (("twin", twin.pseudonym), ("anatomy", getattr(
                twin.anatomy, "pseudonym", twin.pseudonym))):
            if not is_pseudonym(value):  # the value may be a name: never repeated
                raise TwinFileError(
                    f"{name}: the {what} pseudonym is not a TwinViewer pseudonym ('TW-' + 10 "
                    f"hex digits, or 'virtual-<name>') although the file says it is "
                    f"de-identified; refusing to show it")
    attach_audit_log(twin, audit)
    return TwinDocument(twin, audit, table, results, identifiable,
                        chain, version, str(manifest.get("app_version", "")), encrypted,
                        str(manifest.get("written", "")), series,
                        _measurement_draft(tree.get("measurement_draft"), name))


#: The fields of a measurement row typed and not applied, as typed.
DRAFT_FIELDS = ("name", "value", "unit", "uncertainty", "source")


def _measurement_draft(raw: Any, name: str) -> list[tuple[str, ...]] | None:
    """The file's typed, not applied measurement rows (None if it has none).

    Examples
    --------
    >>> _measurement_draft([["CO", "4.2", "L/min", "0.4", ""]], "x.twin")
    [('CO', '4.2', 'L/min', '0.4', '')]
    """
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(
            isinstance(r, list) and len(r) == len(DRAFT_FIELDS)
            and all(isinstance(x, str) for x in r) for r in raw):
        raise TwinFileError(f"{name}: twin.json 'measurement_draft' should be a list of rows "
                            f"of {len(DRAFT_FIELDS)} texts ({', '.join(DRAFT_FIELDS)})")
    return [tuple(r) for r in raw] or None


def _held(t: Twin) -> tuple[list, list, list]:
    """The twin's values as the Measurements step lists them, each once: from the images,
    entered (not a calibration's copy of an image value), and assumed (not measured)."""
    images = list(t.anatomy.measurements) if t.anatomy is not None else []
    keys = {(m.name, m.value, m.unit, m.uncertainty, m.source) for m in images}
    entered = [m for m in t.measurements
               if (m.name, m.value, m.unit, m.uncertainty, m.source) not in keys]
    return (images, [m for m in entered if not is_assumed(m)],
            [m for m in entered if is_assumed(m)])


def _measured_line(t: Twin) -> str:
    """'measured    13 measurements (12 from the images, 1 entered): LVEDV 179 mL, …'."""
    images, entered, _ = _held(t)
    ms = [*images, *entered]
    n = len(ms)
    return (f"measured    {MeasurementCounts(len(images), len(entered), None, ()).held_text()}"
            + (": " + ", ".join(f"{m.name} {number(m.value)} {shown_unit(m.unit)}"
                                for m in ms[:6])
               + (f", … (+{n - 6} more)" if n > 6 else "") if ms else ""))


def draft_text(draft: Sequence[Sequence[str]] | None) -> str:
    """Name a kept measurement draft, or '' when there is none.

    Examples
    --------
    >>> draft_text([("CO", "4.2", "L/min", "0.4", ""), ("HR", "7O", "bpm", "", "")])
    '2 measurement rows typed and not applied: kept as typed, not used'
    """
    if not draft:
        return ""
    n = len(draft)
    return (f"{n} measurement row{'' if n == 1 else 's'} typed and not applied: kept as typed, "
            "not used")


def _draft_line(draft: Sequence[Sequence[str]] | None) -> list[str]:
    """'draft       2 measurement rows typed and not applied: …', or nothing."""
    text = draft_text(draft)
    return [f"draft       {text}"] if text else []


def origin_lines(t: Twin) -> list[str]:
    """The twin line — its origin, said to be how it was made — and, for a calibrated twin,
    what its current calibration used (newuser17 F9: a demo heart re-calibrated to a measured
    cuff BP was still described as "calibrated to … an assumed normal cuff BP").

    Examples
    --------
    >>> from twinviewer.core.twin import Visit
    >>> t = Twin("virtual-x", "m", "1", "h", np.zeros(1), np.zeros((1, 1)), origin="preset:x")
    >>> origin_lines(t)
    ['twin        virtual-x  (origin preset:x)']
    >>> t.visits = [Visit(0, [Measurement("SBP", 150, "mmHg", 10, "cuff")],
    ...                   label="re-calibration of day 0")]
    >>> origin_lines(t)[1]
    'calibrated  now at visit day 0 (re-calibration of day 0) to: SBP 150 mmHg; no assumed value'
    """
    head = f"twin        {t.pseudonym}  (origin{', as made:' if t.visits else ''} " \
           f"{t.origin or 'unknown'})"
    if not t.visits:
        return [head]
    v = t.visits[-1]

    def values(ms: list[Measurement]) -> str:
        return ", ".join(f"{m.name} {number(m.value)} {shown_unit(m.unit)}" for m in ms)

    measured = [m for m in v.measurements if not is_assumed(m)]
    assumed = [m for m in v.measurements if is_assumed(m)]
    label = f" ({v.label})" if v.label else ""
    return [head, f"calibrated  now at visit day {v.day}{label} to: "
            + (values(measured) or "no measured value")
            + (f"; assumed, not measured: {values(assumed)}" if assumed
               else "; no assumed value")]


def _assumed_line(t: Twin) -> list[str]:
    """'assumed     SBP 120 mmHg, DBP 80 mmHg (not measured: …)', or nothing."""
    assumed = _held(t)[2]
    if not assumed:
        return []
    return ["assumed     " + ", ".join(f"{m.name} {number(m.value)} {shown_unit(m.unit)}"
                                      for m in assumed)
            + f" (not measured: {assumed[0].source.split(':', 1)[-1].strip()})"]


def describe(doc: TwinDocument, held_back: Mapping[str, str] | None = None,
             shown: Any = None) -> list[str]:
    """Lines summarising a loaded twin for ``twinviewer info`` (no identifiers unless kept).

    ``held_back`` names stored results that are kept in the file but not current, each with
    the reason (:func:`twinviewer.interventions.constants_digest.held_back`, which this
    layer cannot import): they are listed apart, as the GUI does not show them. ``shown``
    writes a scenario as the report does (:func:`twinviewer.interventions.scenario.
    shown_name`, words and the response mode; this layer's fallback keeps the name and adds
    the mode).
    """
    shown = shown or shown_name
    t = doc.twin
    lines = []
    if doc.identifiable:
        lines += ["!" * 72, f"!! {IDENTIFIABLE_BANNER}", "!" * 72]
    lines += [f"{twinviewer.RESEARCH_USE}",
              *origin_lines(t),
              f"file        schema {doc.schema_version} (current {SCHEMA_VERSION}), written by "
              f"TwinViewer {doc.app_version or '?'}" + (", encrypted" if doc.encrypted else ""),
              f"model       {t.model_name} v{t.model_version}, equations {t.equation_hash}",
              f"parameters  {len(doc.parameters)}; ensemble {t.ensemble.shape[0]} "
              f"member{'' if t.ensemble.shape[0] == 1 else 's'} ({t.ensemble_kind})",
              _measured_line(t),
              *_draft_line(doc.measurement_draft),
              *_assumed_line(t),
              f"scenarios   {', '.join(shown(s) for s in t.scenarios) or 'none'}",
              f"visits      {len(t.visits)}" + (
                  " (days " + ", ".join(str(v.day) for v in t.visits) + ")" if t.visits else ""),
              ]
    if t.anatomy is not None:
        a = t.anatomy
        img = "no image" if a.image is None else (
            f"image {a.image.modality} {'×'.join(map(str, a.image.shape))}, "
            f"{a.image.n_phases} phase(s)")
        lines.append(f"anatomy     {img}; structures: {', '.join(a.structures) or 'none'}")
    else:
        lines.append("anatomy     none")
    held = dict(held_back or {})
    by_name = {s.name: s for s in t.scenarios}

    def said(name: str) -> str:  # a result as its scenario is shown (with its mode)
        return shown(by_name[name]) if name in by_name else name

    current = [said(name) for name in doc.results if name not in held]
    lines.append(f"results     {', '.join(current) or 'none cached'}")
    lines += [f"            {said(name)}: kept in the file, not current: {why}"
              for name, why in held.items()]
    prior = prior_of_record(last_calibration(doc.audit.entries))
    if prior is not None:  # the prior the last calibration started from (review13 #7)
        lines.append(f"prior       {prior}")
    uses = measurement_use(t, doc.audit.entries)
    if uses and uses[0].status != UNCALIBRATED:
        lines.append("measurement use in the last calibration — "
                     f"{measurement_counts(t, doc.audit.entries).calibration_text()}:")
        lines += [f"  {u.measurement.name:<10} {number(u.measurement.value)} "
                  f"{shown_unit(u.measurement.unit)} "
                  f"({u.measurement.source or 'no source'}, {u.origin}): {u.text()}"
                  for u in uses]
    lines.append(f"audit       {doc.chain.message if doc.chain else 'not verified'}")
    for e in doc.audit.entries[-8:]:
        lines.append(f"  {e.summary()}")
    return lines

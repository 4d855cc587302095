"""A virtual heart's own anatomy: the demo heart deformed to the heart's model, cached.

:func:`heart_anatomy` gives heart NAME's anatomy: the demo base anatomy
(:func:`twinviewer.gui.demo_heart.demo_anatomy`) deformed by
:func:`twinviewer.imaging.disease_anatomy.deform_anatomy` to the member-median volume curves
of the heart's ensemble predictions and its end-diastolic LV wall thickness, pseudonym
``virtual-<name>``, with a synthetic CT rendered from the deformed meshes (so the slice
contours match the image). It costs seconds of CPU (chambers pushing their neighbours on 25
frames, and the image), so it is computed once, in a worker, and stored (compressed ``.npz``,
no pickle) in the user cache keyed by the base anatomy's tag, the heart and its model's
equation hash; later calls load it or take it from this process's memory (:func:`remembered`).
The file holds the meshes' points as float32 and the image as its tissue classes (uint8,
:func:`twinviewer.gui.demo_heart.ct_labels`), from which the same image is made again on
loading: ~1.5 MB a heart instead of 47 MB. Its name is a hash: it does not name the heart
(diagnose mode must not give its hidden heart away).

:func:`hidden_heart_anatomy` makes a diagnose-mode case's anatomy: deformed to that case's own
volumes, named and described without the heart's name.

This module imports no Qt: the GUI calls it from a worker thread.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

import twinviewer
from twinviewer.core.anatomy import Anatomy

log = logging.getLogger("twinviewer.gui")

#: Bump when the deformation or what is stored changes (old files are then not read).
_FORMAT = 7
#: Pseudonym and label of a diagnose-mode heart (they must not name its lesion).
HIDDEN = "virtual-hidden-heart"
#: Hearts' anatomies kept in memory (each ~55 MB with its 25-phase int16 image), most recent last.
KEEP_IN_MEMORY = 4
_MEMORY: dict[str, Anatomy] = {}
#: Note of a base anatomy shown for a virtual heart (:func:`stand_in`).
STAND_IN_NOTE = ("the demo heart's anatomy shown for a virtual heart until its own is ready: "
                 "not this heart's, and nothing measured on it")
_LOCK = threading.Lock()


def pseudonym(name: str) -> str:
    """The anatomy pseudonym of virtual heart ``name``.

    Examples
    --------
    >>> pseudonym("hfref")
    'virtual-hfref'
    """
    return f"virtual-{name}"


def _key(name: str, base_tag: str) -> str:
    from twinviewer.teaching.hearts import heart

    preset = heart(name)
    model = preset.model
    # the heart's parameter values too: a preset retuned (fix15d) changes its volumes, and an
    # anatomy cached for the old values would show the old heart
    h = hashlib.sha256(f"{twinviewer.__version__}/{_FORMAT}/{base_tag}/{name}/{model.name}/"
                       f"{model.equation_hash}/".encode() + preset.vector().tobytes())
    return h.hexdigest()[:16]


def cache_path(name: str, cache: Path | None = None, base_tag: str | None = None) -> Path:
    """Where heart ``name``'s deformed anatomy is stored (user cache by default).

    Examples
    --------
    >>> p = cache_path("hfref", Path("/tmp/c"))
    >>> p.name.startswith("heart_anatomy_"), "hfref" in p.name
    (True, False)
    """
    from twinviewer.gui.demo_heart import MESH_DIR, _tag, cache_dir

    tag = base_tag if base_tag is not None else _tag(MESH_DIR)
    folder = Path(cache) if cache is not None else cache_dir()
    return folder / f"heart_anatomy_{_key(name, tag)}.npz"


def remember_base(anatomy: Anatomy) -> None:
    """Keep the base (demo) anatomy shown by the window, to show a heart at once (not a
    :func:`stand_in` for a virtual heart: it has lost the base's volumes)."""
    if anatomy.predicted:
        return
    with _LOCK:
        _MEMORY[""] = anatomy


def remembered_base() -> Anatomy | None:
    """The base anatomy kept by :func:`remember_base`, or None."""
    with _LOCK:
        return _MEMORY.get("")


def initial_anatomy(name: str, current: Anatomy | None) -> Anatomy | None:
    """What to show heart ``name`` on at once, before its own anatomy is ready: its own if
    already in memory, else the base anatomy (the one on screen if it is the base) as a
    :func:`stand_in`, else None. A patient's anatomy (pseudonym not ``virtual-``) is never
    used.

    Examples
    --------
    >>> initial_anatomy("hfref", None) is None or True
    True
    """
    from twinviewer.gui.demo_heart import DEMO_PSEUDONYM

    own = remembered(name)
    if own is not None:
        return own
    if current is not None and current.pseudonym == DEMO_PSEUDONYM:
        return stand_in(current)
    base = remembered_base()
    return stand_in(base) if base is not None else None


def stand_in(base: Anatomy) -> Anatomy:
    """``base`` shown for a virtual heart whose own anatomy is not ready: the same meshes
    and image, without the base heart's volumes and measurements (they are not this
    heart's), marked :attr:`~twinviewer.core.anatomy.Anatomy.predicted`.

    Examples
    --------
    >>> from twinviewer.core.anatomy import Structure
    >>> from twinviewer.core.measurement import Measurement
    >>> lv = Structure("lv_blood", "LV", (1, 0, 0), volumes={0: Measurement(
    ...     "lv_blood volume", 120.0, "mL", 5.0, "biv-me fitted mesh")})
    >>> a = stand_in(Anatomy("virtual-heart", {"lv_blood": lv}))
    >>> a.predicted, a.structures["lv_blood"].volumes, lv.volumes[0].value
    (True, {}, 120.0)
    """
    import dataclasses

    out = dataclasses.replace(
        base, structures={k: dataclasses.replace(s, volumes={})
                          for k, s in base.structures.items()},
        measurements=[], predicted=True,
        notes=[*base.notes, *([STAND_IN_NOTE] if STAND_IN_NOTE not in base.notes else [])])
    for key in ("_motion_cache", "_cardiac_frame"):  # of the meshes: the same, computed once
        if key in base.__dict__:
            out.__dict__[key] = base.__dict__[key]
    return out


def remembered(name: str) -> Anatomy | None:
    """Heart ``name``'s anatomy if this process has already built or loaded it, else None
    (no disk access: safe on the GUI thread)."""
    with _LOCK:
        a = _MEMORY.pop(name, None)
        if a is not None:
            _MEMORY[name] = a  # most recently used
        return a


def median_curves(results) -> dict[str, np.ndarray]:
    """Chamber key → member-median volume curve (mL) of an ensemble's ``results``.

    Members that failed are left out; the curves are aligned in time (one beat, same grid).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(series={"V_LV": np.array([[100.0, 40.0], [120.0, 60.0],
    ...                                               [130.0, 50.0]])}, ok=np.ones(3, bool))
    >>> median_curves(r)
    {'lv_blood': array([120.,  50.])}
    """
    from twinviewer.imaging.disease_anatomy import STATE_OF_CHAMBER

    ok = np.asarray(getattr(results, "ok", None) if getattr(results, "ok", None) is not None
                    else np.ones(len(next(iter(results.series.values()))), bool))
    out = {}
    for key, state in STATE_OF_CHAMBER.items():
        if state in results.series:
            v = np.asarray(results.series[state], float)
            v = v[ok] if ok.any() else v
            out[key] = np.median(v, axis=0)
    return out


def wall_hints(name: str) -> tuple[float | None, float | None]:
    """Heart ``name``'s end-diastolic LV wall and least RV free-wall thickness (mm), from
    its :class:`~twinviewer.physiology.virtual_hearts.AnatomyHints`; ``(None, None)`` (keep
    the base's walls) for a preset that is not in the virtual-heart library.

    Examples
    --------
    >>> wall_hints("severe_as"), wall_hints("pulmonary_hypertension")
    ((14.0, 4.0), (9.0, 8.0))
    """
    from twinviewer.physiology.virtual_hearts import HEART_BY_NAME

    h = HEART_BY_NAME.get(name)
    if h is None:
        return None, None
    return h.anatomy.lv_wall_mm, h.anatomy.rv_wall_mm


def build_heart_anatomy(name: str, base: Anatomy, results, *, image: bool = True,
                        hidden: bool = False, cancel: Callable[[], bool] | None = None
                        ) -> Anatomy:
    """Deform ``base`` to heart ``name``'s model (no cache).

    Parameters
    ----------
    name
        A virtual heart (:func:`twinviewer.teaching.hearts.heart_names`).
    base
        The base anatomy (the demo heart's 25 frames).
    results
        The heart's predictions; their member-median volume curves are used.
    image
        Render a synthetic CT of the deformed meshes (else no image).
    hidden
        Pseudonym :data:`HIDDEN` and notes that do not name the heart (diagnose mode).
    cancel
        Polled while deforming and voxelising (True raises InterruptedError).

    Examples
    --------
    >>> a = build_heart_anatomy("hfref", demo_anatomy(), results)  # doctest: +SKIP
    >>> a.pseudonym  # doctest: +SKIP
    'virtual-hfref'
    """
    from twinviewer.gui.demo_heart import ct_labels
    from twinviewer.imaging.disease_anatomy import deform_anatomy
    from twinviewer.teaching.hearts import heart

    h = heart(name)
    lv_wall, rv_wall = wall_hints(name)
    shown = HIDDEN if hidden else pseudonym(name)
    out = deform_anatomy(base, median_curves(results), lv_wall_mm=lv_wall, rv_wall_mm=rv_wall,
                         label="a hidden virtual heart" if hidden
                         else f"{getattr(h, 'title', name)} (virtual heart)",
                         cancel=cancel)
    out.pseudonym = shown
    out.rr_ms = base.rr_ms
    out.phase_times_ms = base.phase_times_ms
    for s in out.structures.values():  # no base volumes carried over: not these meshes
        s.volumes = {}
    walls = ("the base's wall thickness" if lv_wall is None else
             f"end-diastolic LV wall {lv_wall:g} mm, RV free wall ≥ {rv_wall:g} mm")
    out.notes.append(f"{shown}: the demo heart's anatomy deformed to the model's "
                     f"volume curves and {walls} (predicted, not measured)")
    labels = ct_labels(out, cancel=cancel) if image and base.image is not None else None
    _finish(out, labels)
    return out


def _finish(anatomy: Anatomy, labels: tuple[np.ndarray, np.ndarray] | None) -> None:
    # Uncertainty assumption and (from the tissue classes) the synthetic CT; the classes are
    # kept on the anatomy for the cache (:func:`_save`).
    from twinviewer.gui.demo_heart import _assume_uncertainty, render_ct

    _assume_uncertainty(anatomy)
    anatomy.predicted = True  # its volume curve is the model's: never shown as measured
    anatomy.ct_labels = labels
    if labels is None:
        return
    _set_volumes(anatomy)
    anatomy.image = render_ct(anatomy, labels=labels)
    anatomy.structures["lv_blood"].volumes = {}  # model volumes are not measurements
    anatomy.image.description = ("synthetic CT rendered from the virtual heart's deformed "
                                 "meshes (model volumes, not a scan)")


def _set_volumes(anatomy: Anatomy) -> None:
    # render_ct picks ED/ES from the LV's per-phase volumes: the meshes' own (model) volumes,
    # for that only (removed after: they are not measurements and must not be shown as such)
    from twinviewer.core.measurement import Measurement

    s = anatomy.structures.get("lv_blood")
    if s is None:
        return
    s.volumes = {p: Measurement("lv_blood volume", m.volume_ml(), "mL", 0.0,
                                "deformed mesh (model prediction)")
                 for p, m in s.meshes.items()}


def _save(path: Path, anatomy: Anatomy) -> None:
    """Store ``anatomy`` compactly: float32 points, int32 faces, the image's tissue classes."""
    import json

    meta = {"notes": anatomy.notes, "rr_ms": anatomy.rr_ms,
            "phase_times_ms": anatomy.phase_times_ms, "structures": {}}
    arrays = {}
    labels = getattr(anatomy, "ct_labels", None)
    if labels is not None:
        arrays["labels"], arrays["labels_origin"] = labels
    for key, s in anatomy.structures.items():
        phases = sorted(s.meshes)
        first = s.meshes[phases[0]]
        if any(not np.array_equal(s.meshes[p].faces, first.faces) for p in phases):
            raise ValueError(f"{key}: phases with different faces cannot be stored together")
        meta["structures"][key] = {"name": s.name, "color": list(s.color), "phases": phases}
        arrays[f"{key}__points"] = np.stack([s.meshes[p].points for p in phases]
                                            ).astype(np.float32)
        arrays[f"{key}__faces"] = first.faces.astype(np.int32)
        if first.cap_mask is not None:
            arrays[f"{key}__caps"] = first.cap_mask
    # one temporary file per process: processes (test workers, two app instances)
    # share the cache folder
    tmp = path.with_suffix(f".{os.getpid()}.part.npz")
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(path)


def _load(path: Path, name: str) -> Anatomy:
    import json

    from twinviewer.core.anatomy import Structure, SurfaceMesh

    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        anatomy = Anatomy(pseudonym(name), image=None, notes=list(meta["notes"]),
                          rr_ms=meta["rr_ms"], phase_times_ms=meta["phase_times_ms"])
        for key, sm in meta["structures"].items():
            pts = z[f"{key}__points"].astype(np.float64)
            faces = z[f"{key}__faces"].astype(np.int64)
            caps = z[f"{key}__caps"] if f"{key}__caps" in z.files else None
            anatomy.structures[key] = Structure(key, sm["name"], tuple(sm["color"]), {
                p: SurfaceMesh(pts[n], faces, cap_mask=caps)
                for n, p in enumerate(sm["phases"])})
        labels = (z["labels"], z["labels_origin"]) if "labels" in z.files else None
    _finish(anatomy, labels)
    return anatomy


def hidden_heart_anatomy(name: str, results, *, base: Anatomy | None = None,
                         progress: Callable[[float, str], None] | None = None,
                         cancel: Callable[[], bool] | None = None) -> Anatomy:
    """The anatomy of a diagnose-mode case: the base deformed to the case's own ``results``
    (one member: its severity, not the preset's), without an image, pseudonym
    :data:`HIDDEN`; neither its notes nor anything else name the heart. Not cached (every
    case differs). For a worker thread.

    Examples
    --------
    >>> from twinviewer.teaching.diagnose import make_case
    >>> a = hidden_heart_anatomy("severe_as", make_case(1, "severe_as").results)  # doctest: +SKIP
    >>> a.pseudonym, any("aortic" in n for n in a.notes)  # doctest: +SKIP
    ('virtual-hidden-heart', False)
    """
    from twinviewer.gui.demo_heart import demo_anatomy
    from twinviewer.gui.motion import prepare_motion

    (progress or (lambda f, t: None))(0.2, "deforming the hidden heart's anatomy")
    b = base if base is not None else (remembered_base() or demo_anatomy())
    if cancel is not None and cancel():
        raise InterruptedError("hidden heart anatomy: cancelled")
    anatomy = build_heart_anatomy(name, b, results, image=False, hidden=True, cancel=cancel)
    prepare_motion(anatomy)
    return anatomy


def heart_anatomy(name: str, results_of: Callable[[], object] | None = None, *,
                  base: Callable[[], Anatomy] | None = None, cache: Path | None = None,
                  base_tag: str | None = None,
                  progress: Callable[[float, str], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> Anatomy:
    """Heart ``name``'s own anatomy: from memory, else the disk cache, else built and stored.

    For a worker thread (building costs 1–5 s of CPU).

    Parameters
    ----------
    name
        A virtual heart.
    results_of
        Gives the heart's ensemble predictions when they are needed (default: the teaching
        predictions' :func:`twinviewer.teaching.predictions.virtual_twin`, 200 members).
    base
        Gives the base anatomy (default :func:`twinviewer.gui.demo_heart.demo_anatomy`).
    cache, base_tag
        Cache folder and the base anatomy's tag (defaults: the demo heart's).
    progress, cancel
        As for the app's jobs.

    Examples
    --------
    >>> a = heart_anatomy("severe_as")  # doctest: +SKIP
    >>> a.pseudonym  # doctest: +SKIP
    'virtual-severe_as'
    """
    from twinviewer.gui.demo_heart import demo_anatomy

    progress = progress or (lambda f, t: None)
    hit = remembered(name)
    if hit is not None:
        return hit
    path = cache_path(name, cache, base_tag)
    anatomy = None
    if path.exists():
        try:
            anatomy = _load(path, name)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("%s: cached anatomy unreadable (%s): rebuilding", path.name, exc)
    if anatomy is None:
        progress(0.1, f"{name}: the anatomy's base")
        b = base() if base is not None else (remembered_base() or demo_anatomy())
        if cancel is not None and cancel():
            raise InterruptedError(f"{name} anatomy: cancelled")
        progress(0.3, f"{name}: predictions")
        if results_of is None:
            from twinviewer.teaching.predictions import virtual_twin

            results = virtual_twin(name)[1]
        else:
            results = results_of()
        if cancel is not None and cancel():
            raise InterruptedError(f"{name} anatomy: cancelled")
        progress(0.5, f"{name}: deforming the anatomy to the model")
        anatomy = build_heart_anatomy(name, b, results, cancel=cancel)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _save(path, anatomy)
        except (OSError, ValueError) as exc:  # a read-only cache costs time, not function
            log.warning("could not cache the %s anatomy: %s", name, exc)
    anatomy.ct_labels = None  # 20 MB, only needed for the file
    from twinviewer.gui.motion import prepare_motion

    prepare_motion(anatomy)
    with _LOCK:
        _MEMORY.pop(name, None)
        _MEMORY[name] = anatomy
        hearts = [k for k in _MEMORY if k]
        for k in hearts[:-KEEP_IN_MEMORY]:
            del _MEMORY[k]
    progress(1.0, f"{name}: anatomy ready")
    return anatomy

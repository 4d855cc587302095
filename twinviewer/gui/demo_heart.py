"""The bundled demo heart: shipped meshes plus the demo study's image, cached per user.

The meshes come from ``meshes/demo_heart/`` (derived by the imaging pipeline from the
project's synthetic gated CT; see its ``provenance.json``). The slice views also need the
image and label maps, which are not shipped: the first start writes the demo DICOM study to a
temporary folder and imports it with :func:`twinviewer.imaging.study.import_study` (~10 s, in
a worker thread), then caches image, labels and image-derived measurements as an ``.npz``
(no pickle) under the platformdirs user cache. Later starts load the cache (< 0.5 s).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

import twinviewer
from twinviewer.core.anatomy import Anatomy, ImageVolume, Structure, SurfaceMesh
from twinviewer.core.measurement import Measurement

MESH_DIR = Path(__file__).resolve().parents[2] / "meshes" / "demo_heart"
_PHASE_INDEX = {"ED": 0, "ES": 1}
#: The demo twin: preset, ensemble size and pseudonym (one place for the window and warm-up).
DEMO_PRESET = "healthy"
DEMO_MEMBERS = 200
DEMO_PSEUDONYM = "virtual-heart"
_CACHE_FORMAT = 1


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("twinviewer", appauthor=False)) / "demo_heart"


def _tag(mesh_dir: Path) -> str:
    """Cache key: app version, cache format and the shipped meshes' provenance."""
    h = hashlib.sha256(f"{twinviewer.__version__}/{_CACHE_FORMAT}".encode())
    prov = mesh_dir / "provenance.json"
    if prov.exists():
        h.update(prov.read_bytes())
    return h.hexdigest()[:16]


def load_shipped_meshes(mesh_dir: Path = MESH_DIR,
                        pseudonym: str = "virtual-heart") -> Anatomy:
    """The shipped demo meshes as a mesh-only :class:`Anatomy` (phase 0 = ED, 1 = ES).

    Raises
    ------
    FileNotFoundError
        If ``mesh_dir`` holds no ``<key>_<ED|ES>.vtp`` files.
    """
    import pyvista as pv

    from twinviewer.imaging.meshing import from_polydata
    from twinviewer.imaging.segmentation import display

    files = sorted(Path(mesh_dir).glob("*_E[DS].vtp"))
    if not files:
        raise FileNotFoundError(f"{mesh_dir}: no demo meshes (<structure>_ED.vtp) found")
    prov = {}
    if (Path(mesh_dir) / "provenance.json").exists():
        prov = json.loads((Path(mesh_dir) / "provenance.json").read_text(encoding="utf-8"))
    anatomy = Anatomy(pseudonym, notes=[f"demo heart meshes from {Path(mesh_dir).name}/"])
    for f in files:
        stem, phase_name = f.stem.rsplit("_", 1)
        key = stem
        mesh = _read_shipped(pv.read(f), f, from_polydata)
        name, color = display(key)
        s = anatomy.structures.setdefault(key, Structure(key, name, color))
        phase = _PHASE_INDEX[phase_name]
        s.meshes[phase] = mesh
        vol = prov.get("volumes_ml", {}).get(key, {}).get(phase_name)
        if vol:
            s.volumes[phase] = Measurement(f"{key} volume", vol["value"], "mL",
                                           vol["uncertainty"], vol.get("source", ""))
    return anatomy


def _read_shipped(poly, path: Path, repair) -> SurfaceMesh:
    """Our own pipeline's VTP as is, keeping ``uncertainty_mm`` (which the general repairing
    reader drops); anything else goes through ``repair``."""
    if poly.n_cells and poly.is_all_triangles and "uncertainty_mm" in poly.point_data:
        faces = np.asarray(poly.faces).reshape(-1, 4)[:, 1:]
        return SurfaceMesh(np.asarray(poly.points, float), faces,
                           np.asarray(poly.point_data["uncertainty_mm"], float))
    return repair(poly, str(path))


def _save_image(path: Path, anatomy: Anatomy) -> None:
    img = anatomy.image
    meta = {"spacing": list(img.spacing), "phase_times_ms": list(img.phase_times_ms),
            "ed_index": img.ed_index, "es_index": img.es_index, "modality": img.modality,
            "description": img.description, "slice_thickness_mm": img.slice_thickness_mm,
            "label_values": anatomy.label_values, "label_phases": sorted(anatomy.labels or {}),
            "measurements": [m.to_dict() for m in anatomy.measurements]}
    arrays = {"array": img.array.astype(np.float32), "affine": img.affine}
    for p, lab in (anatomy.labels or {}).items():
        arrays[f"labels_{p}"] = lab
    tmp = path.with_suffix(".part.npz")
    np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(path)


def _load_image(path: Path) -> tuple[ImageVolume, dict[int, np.ndarray], dict, list]:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        image = ImageVolume(z["array"], z["affine"], tuple(meta["spacing"]),
                            meta["phase_times_ms"], meta["ed_index"], meta["es_index"],
                            meta["modality"], meta["description"], meta["slice_thickness_mm"])
        labels = {int(p): z[f"labels_{p}"] for p in meta["label_phases"]}
    meas = [Measurement.from_dict(m) for m in meta["measurements"]]
    return image, labels, meta["label_values"], meas


def demo_anatomy(progress: Callable[[float, str], None] | None = None,
                 cancel: Callable[[], bool] | None = None, *,
                 mesh_dir: Path = MESH_DIR, cache: Path | None = None) -> Anatomy:
    """The demo heart: shipped meshes + the demo CT and labels (built once, then cached).

    Parameters
    ----------
    progress, cancel : callable, optional
        As for :func:`twinviewer.imaging.study.import_study`.
    mesh_dir : Path, default: ``meshes/demo_heart``
    cache : Path, optional
        Cache folder; default :func:`cache_dir`.

    Returns
    -------
    Anatomy
        With ``image`` (2 phases: ED, ES), ``labels`` and image-derived measurements.
    """
    progress = progress or (lambda f, t: None)
    cache = Path(cache) if cache is not None else cache_dir()
    target = cache / f"demo_image_{_tag(mesh_dir)}.npz"
    if not target.exists():
        from twinviewer.imaging.build_demo_meshes import DEMO_KEY, SEED, SHAPE, SPACING
        from twinviewer.imaging.demo import write_demo_study
        from twinviewer.imaging.study import import_study

        progress(0.0, "writing the demo study (first start only)")
        with tempfile.TemporaryDirectory() as tmp:
            write_demo_study(Path(tmp), shape=SHAPE, spacing=SPACING, seed=SEED)
            if cancel is not None and cancel():
                raise InterruptedError("demo heart: cancelled")
            full = import_study(Path(tmp), key=DEMO_KEY, cancel=cancel,
                                progress=lambda f, t: progress(0.3 + 0.6 * f, t))
        cache.mkdir(parents=True, exist_ok=True)
        _save_image(target, full)
    progress(0.9, "loading the demo heart")
    image, labels, label_values, meas = _load_image(target)
    try:
        anatomy = load_shipped_meshes(mesh_dir)
    except FileNotFoundError:  # meshes not shipped: mesh the cached labels ourselves
        from twinviewer.imaging.meshing import label_map_to_meshes
        from twinviewer.imaging.segmentation import display

        anatomy = Anatomy("virtual-heart")
        for phase, lab in labels.items():
            for k, mesh in label_map_to_meshes(lab, image.affine, label_values).items():
                name, color = display(k)
                anatomy.structures.setdefault(k, Structure(k, name, color)).meshes[phase] = mesh
    anatomy.image, anatomy.labels, anatomy.label_values = image, labels, label_values
    anatomy.measurements = meas
    progress(1.0, "demo heart loaded")
    return anatomy


# -- the demo twin's stored predictions ----------------------------------------------------

def _results_path(twin, cache: Path | None = None) -> Path:
    """Cache file of a twin's baseline results: keyed by app version, model equations and the
    exact parameter ensemble (any change to either is a different file)."""
    h = hashlib.sha256(f"{twinviewer.__version__}/{twin.model_name}/{twin.equation_hash}"
                       .encode())
    h.update(np.ascontiguousarray(twin.ensemble, dtype=np.float64).tobytes())
    folder = Path(cache) if cache is not None else cache_dir()
    return folder / f"demo_results_{h.hexdigest()[:16]}.npz"


def store_results(twin, results, cache: Path | None = None) -> Path:
    """Keep the demo twin's baseline results (npz, no pickle) so later starts show them at once.

    Examples
    --------
    >>> # store_results(twin, simulate_twin(twin)); load_stored_results(twin)  # doctest: +SKIP
    """
    path = _results_path(twin, cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"params": results.params, "time": results.time,
              "final_state": results.final_state, "status": results.status,
              "beats": results.beats}
    arrays.update({f"series__{k}": v for k, v in results.series.items()})
    arrays.update({f"metrics__{k}": v for k, v in results.metrics.items()})
    meta = {"model": results.model.name, "messages": list(results.messages)}
    tmp = path.with_suffix(".part.npz")
    np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(path)
    return path


def load_stored_results(twin, cache: Path | None = None):
    """The twin's stored baseline results, or None (not stored, or unreadable)."""
    from twinviewer.physiology import Results
    from twinviewer.twins import model_of

    path = _results_path(twin, cache)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            series = {k[8:]: z[k] for k in z.files if k.startswith("series__")}
            metrics = {k[9:]: z[k] for k in z.files if k.startswith("metrics__")}
            res = Results(model_of(twin), z["params"], z["time"], series, metrics,
                          z["final_state"], z["status"], z["beats"], list(meta["messages"]))
    except (OSError, ValueError, KeyError) as exc:
        import logging

        logging.getLogger("twinviewer.gui").warning("stored demo results unreadable: %s", exc)
        return None
    if res.params.shape != np.shape(twin.ensemble) or not np.array_equal(res.params,
                                                                          twin.ensemble):
        return None
    return res

"""The bundled demo heart: a moving 25-frame heart and a synthetic CT made from it, cached.

The anatomy is :func:`twinviewer.imaging.demo4d.demo_heart_4d`: the biv-me example patient's
real ventricles and epicardium over 25 frames (``meshes/bivme_patient1``, Apache-2.0) with
our own atria and great vessels (from ``meshes/demo_heart/``) moving with them. Every frame of
a structure shares one triangulation, so the 3D view interpolates points in place.

The slice views show a gated synthetic CT rendered from those meshes (:func:`render_ct`), so
the contours drawn on the slices match the image at every phase. It is labelled as such (image
description and an anatomy note): it is not a scan. The first start builds anatomy and image
(a few seconds, in a worker thread) and caches them as an ``.npz`` (no pickle) under the
platformdirs user cache; later starts load the cache.

The 2-phase ED/ES meshes of the synthetic gated CT study stay available through
:func:`load_shipped_meshes` (used by tests and the mesh-import path).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

import twinviewer
from twinviewer.core.anatomy import Anatomy, ImageVolume, Structure, SurfaceMesh
from twinviewer.core.measurement import Measurement
from twinviewer.core.privacy import without_paths

MESH_DIR = Path(__file__).resolve().parents[2] / "meshes" / "demo_heart"
_PHASE_INDEX = {"ED": 0, "ES": 1}
#: The demo twin: preset, ensemble size and pseudonym (one place for the window and warm-up).
DEMO_PRESET = "healthy"
DEMO_MEMBERS = 200
DEMO_PSEUDONYM = "virtual-heart"
#: What the demo twin is, said in its origin (review10 #5: it read "preset:healthy", as if the
#: heart were a preset's). The part before ";" names the prior's preset
#: (:func:`twinviewer.personalize.disease.preset_of`).
DEMO_ORIGIN = (f"preset:{DEMO_PRESET}; demo heart: the ventricles of a real patient (biv-me "
               "public data, patient 1, 25 frames), the other parts built by TwinViewer; "
               "calibrated to its volume curves and an assumed normal cuff BP")
_CACHE_FORMAT = 6  # 5: veins, valve annuli, appendages, arch branches (anat5); 6: the
#                      biv-me note names ED = frame 24, the largest LV volume (review11 #6)


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


def demo_anatomy(progress: Callable[[float, str], None] | None = None,
                 cancel: Callable[[], bool] | None = None, *,
                 mesh_dir: Path = MESH_DIR, cache: Path | None = None) -> Anatomy:
    """The demo heart: the 25-frame biv-me based moving heart with a matching synthetic CT.

    Built once by :func:`build_demo_anatomy` (a few seconds) and cached as an ``.npz`` (no
    pickle) under the user cache; later starts load the cache (< 0.5 s).

    Parameters
    ----------
    progress, cancel : callable, optional
        As for :func:`twinviewer.imaging.study.import_study`.
    mesh_dir : Path, default: ``meshes/demo_heart``
        Where the atria and great vessels come from (see :mod:`twinviewer.imaging.demo4d`).
    cache : Path, optional
        Cache folder; default :func:`cache_dir`.

    Returns
    -------
    Anatomy
        25 phases of meshes (shared faces per structure), a 25-phase synthetic CT rendered
        from those meshes, and the measured LV/RV volume-curve measurements.

    Examples
    --------
    >>> a = demo_anatomy()  # doctest: +SKIP
    >>> a.image.n_phases, len(a.structures["lv_blood"].meshes)  # doctest: +SKIP
    (25, 25)
    """
    progress = progress or (lambda f, t: None)
    cache = Path(cache) if cache is not None else cache_dir()
    target = seeded(cache / f"demo_heart4d_{_tag(mesh_dir)}.npz")
    if target.exists():
        progress(0.5, "loading the demo heart")
        try:
            anatomy = _load_anatomy(target)
            progress(1.0, "demo heart loaded")
            return anatomy
        except (OSError, ValueError, KeyError) as exc:  # stale or damaged cache: rebuild
            import logging

            logging.getLogger("twinviewer.gui").warning("demo heart cache unreadable (%s): "
                                                        "rebuilding", without_paths(str(exc)))
    progress(0.0, "building the moving demo heart (first start only)")
    anatomy = build_demo_anatomy(mesh_dir, cancel=cancel)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        _save_anatomy(target, anatomy)
    except OSError as exc:  # a read-only cache costs start-up time, not function
        import logging

        logging.getLogger("twinviewer.gui").warning("could not cache the demo heart: %s",
                                                    without_paths(str(exc)))
    progress(1.0, "demo heart loaded")
    return anatomy


#: Synthetic CT intensities (HU) of the rendered demo image: contrast-filled blood, myocardium
#: (inside the epicardium, outside the pools) and epicardial fat around the heart.
HU_BLOOD, HU_MYOCARDIUM, HU_FAT = 320.0, 60.0, -90.0
IMAGE_SPACING_MM = 2.0
IMAGE_NOISE_HU = 12.0
IMAGE_DESCRIPTION = "synthetic CT rendered from the demo heart meshes (not a scan)"
_BLOOD = ("lv_blood", "rv_blood", "la", "ra", "aorta", "pulmonary_artery", "svc", "ivc",
          "pulmonary_veins")


def _inside(points: np.ndarray, faces: np.ndarray, origin: np.ndarray, shape: tuple,
            spacing: float) -> np.ndarray:
    """Boolean ``(z, y, x)`` mask of the grid voxels inside a closed triangle surface."""
    import pyvista as pv
    from vtkmodules.vtkImagingStencil import vtkImageStencilToImage, vtkPolyDataToImageStencil

    poly = pv.PolyData.from_regular_faces(np.asarray(points, float), np.asarray(faces))
    sten = vtkPolyDataToImageStencil()
    sten.SetInputData(poly)
    sten.SetOutputOrigin(*origin)
    sten.SetOutputSpacing(spacing, spacing, spacing)
    nz, ny, nx = shape
    sten.SetOutputWholeExtent(0, nx - 1, 0, ny - 1, 0, nz - 1)
    img = vtkImageStencilToImage()
    img.SetInputConnection(sten.GetOutputPort())
    img.SetInsideValue(1)
    img.SetOutsideValue(0)
    img.SetOutputScalarTypeToUnsignedChar()
    img.Update()
    return pv.wrap(img.GetOutput()).point_data.active_scalars.reshape(shape).astype(bool)


#: Tissue classes of :func:`ct_labels`, and their CT numbers (HU).
TISSUE_HU = np.array([HU_FAT, HU_MYOCARDIUM, HU_BLOOD], np.float32)


def ct_labels(anatomy: Anatomy, spacing: float = IMAGE_SPACING_MM,
              cancel: Callable[[], bool] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Tissue class per voxel (0 fat, 1 myocardium, 2 blood; phases × z × y × x, uint8) of
    ``anatomy``'s meshes on a grid ``spacing`` mm apart, and the grid's origin (mm).

    The classes compress to a few hundred kB where the image they make takes ~40 MB, so a
    cache stores these and :func:`ct_from_labels` makes the image again. ``cancel`` is
    polled once a phase (True raises InterruptedError).

    Examples
    --------
    >>> from twinviewer.imaging.demo4d import demo_heart_4d
    >>> ct_labels(demo_heart_4d())[0].dtype  # doctest: +SKIP
    dtype('uint8')
    """
    structures = anatomy.structures
    phases = sorted(structures["lv_blood"].meshes)
    allpts = np.concatenate([m.points for s in structures.values() for m in s.meshes.values()])
    lo, hi = allpts.min(0) - 10.0, allpts.max(0) + 10.0
    nx, ny, nz = (np.ceil((hi - lo) / spacing).astype(int) + 1)
    shape = (int(nz), int(ny), int(nx))
    out = np.zeros((len(phases), *shape), np.uint8)
    for n, p in enumerate(phases):
        if cancel is not None and cancel():
            raise InterruptedError("synthetic CT: cancelled")
        if "epicardium" in structures and p in structures["epicardium"].meshes:
            m = structures["epicardium"].meshes[p]
            out[n][_inside(m.points, m.faces, lo, shape, spacing)] = 1
        for key in _BLOOD:
            s = structures.get(key)
            if s is not None and p in s.meshes:
                out[n][_inside(s.meshes[p].points, s.meshes[p].faces, lo, shape, spacing)] = 2
    return out, lo


def ct_from_labels(labels: np.ndarray, seed: int = 7) -> np.ndarray:
    """The synthetic CT (whole HU, int16) of tissue classes from :func:`ct_labels`: each
    class at its CT number, blurred by half a voxel (partial volume), with Gaussian noise of
    :data:`IMAGE_NOISE_HU` (seeded: the same classes give the same image).

    Rounded to whole HU, as a scanner's CT is: this image is made, not measured, so no
    information is lost (its fractions were the blur's and the noise's arithmetic, far below
    the 12 HU noise), and a .twin then stores it as int16, half the size of float32
    (:func:`twinviewer.io.twinfile.compact_image`; a new virtual patient's file 102 → 57 MB).
    Images read from a scan are never rounded: only this synthetic one.

    Examples
    --------
    >>> img = ct_from_labels(np.zeros((1, 4, 4, 4), np.uint8))
    >>> img.shape, img.dtype, bool(abs(img.mean() - HU_FAT) < 10)
    ((1, 4, 4, 4), dtype('int16'), True)
    """
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    arr = np.empty(labels.shape, np.int16)
    for n in range(labels.shape[0]):
        vol = gaussian_filter(TISSUE_HU[labels[n]], 0.5)
        vol += rng.normal(0.0, IMAGE_NOISE_HU, labels.shape[1:]).astype(np.float32)
        np.rint(vol, out=vol)  # whole HU; the classes' −90…320 HU ± noise fit int16
        arr[n] = vol
    return arr


def render_ct(anatomy: Anatomy, spacing: float = IMAGE_SPACING_MM, seed: int = 7,
              labels: tuple[np.ndarray, np.ndarray] | None = None) -> ImageVolume:
    """A gated synthetic CT of ``anatomy``'s meshes: one volume per mesh phase.

    Blood pools at :data:`HU_BLOOD`, the epicardium's interior at :data:`HU_MYOCARDIUM`,
    the rest at :data:`HU_FAT`; blurred by half a voxel (partial volume) with Gaussian noise.
    The image is made from the meshes, so the meshes' contours match it at every phase.
    ``labels`` (:func:`ct_labels` of these meshes, e.g. from a cache) skips the voxelising.

    Examples
    --------
    >>> from twinviewer.imaging.demo4d import demo_heart_4d
    >>> render_ct(demo_heart_4d()).n_phases  # doctest: +SKIP
    25
    """
    structures = anatomy.structures
    phases = sorted(structures["lv_blood"].meshes)
    classes, lo = labels if labels is not None else ct_labels(anatomy, spacing)
    arr = ct_from_labels(classes, seed)
    affine = np.eye(4)
    affine[:3, :3] = [[0, 0, spacing], [0, spacing, 0], [spacing, 0, 0]]  # (k,j,i) -> x,y,z
    affine[:3, 3] = lo
    times = anatomy.cycle_times_ms()
    lv = [structures["lv_blood"].volumes[p].value for p in phases]
    return ImageVolume(arr, affine, (spacing, spacing, spacing), [float(times[p]) for p in phases],
                       int(np.argmax(lv)), int(np.argmin(lv)), "CT", IMAGE_DESCRIPTION, spacing)


#: Triangles per structure kept for the demo's own atria and vessels (software OpenGL and the
#: slice contours cost time in proportion to triangles; the phantom surfaces are far finer
#: than a 2 mm display needs).
DISPLAY_FACES = 3000


def simplify_series(structure: Structure, max_faces: int = DISPLAY_FACES) -> None:
    """Simplify a structure's shared-faces mesh series in place, keeping point correspondence.

    ``vtkDecimatePro`` only removes vertices (the kept ones do not move), so the kept vertices
    of frame 0 index every frame; the stored volumes (from the full meshes) are unchanged.
    """
    import pyvista as pv
    from scipy.spatial import cKDTree

    phases = sorted(structure.meshes)
    first = structure.meshes[phases[0]]
    if first.n_faces <= max_faces or first.cap_mask is not None:
        return
    if not all(np.array_equal(structure.meshes[p].faces, first.faces) for p in phases):
        return
    poly = pv.PolyData.from_regular_faces(first.points, first.faces)
    simple = poly.decimate_pro(1.0 - max_faces / first.n_faces, preserve_topology=True)
    dist, keep = cKDTree(first.points).query(np.asarray(simple.points))
    if simple.n_cells == 0 or not simple.is_all_triangles or dist.max() > 1e-6:
        return  # not a pure vertex removal: keep the full meshes
    faces = np.asarray(simple.regular_faces)
    structure.meshes = {p: SurfaceMesh(structure.meshes[p].points[keep], faces) for p in phases}


def _assume_uncertainty(anatomy: Anatomy) -> None:
    """Meshes without a boundary uncertainty get the fitted-mesh assumption of the volume
    curves (:data:`twinviewer.imaging.curves.MESH_SD_MM`), so the uncertainty overlay and the
    volume SDs say the same thing (an assumption, noted on the anatomy)."""
    from twinviewer.imaging.curves import MESH_SD_MM

    assumed = False
    for st in anatomy.structures.values():
        for m in st.meshes.values():
            if m.uncertainty_mm is None or not np.any(m.uncertainty_mm):
                m.uncertainty_mm = np.full(m.n_points, MESH_SD_MM)
                assumed = True
    note = (f"demo heart: boundary uncertainty {MESH_SD_MM} mm assumed for fitted meshes "
            "(typical model-to-contour offset), not measured")
    if assumed and note not in anatomy.notes:
        anatomy.notes.append(note)


def build_demo_anatomy(mesh_dir: Path = MESH_DIR, cancel: Callable[[], bool] | None = None
                       ) -> Anatomy:
    """The demo heart from scratch: :func:`twinviewer.imaging.demo4d.demo_heart_4d`, its
    synthetic CT (:func:`render_ct`) and the LV/RV volume-curve measurements."""
    from twinviewer.imaging.curves import curve_measurements, volume_curve
    from twinviewer.imaging.demo4d import demo_heart_4d

    anatomy = demo_heart_4d(mesh_dir, pseudonym=DEMO_PSEUDONYM)
    if cancel is not None and cancel():
        raise InterruptedError("demo heart: cancelled")
    anatomy.image = render_ct(anatomy)  # from the full meshes
    for s in anatomy.structures.values():
        simplify_series(s)
    _assume_uncertainty(anatomy)
    anatomy.measurements = []
    for chamber in ("LV", "RV"):
        curve = volume_curve(anatomy, chamber)
        if curve is not None:
            anatomy.measurements += curve_measurements(curve)
    anatomy.notes.append("demo slices: " + IMAGE_DESCRIPTION)
    return anatomy


def _save_anatomy(path: Path, anatomy: Anatomy) -> None:
    img = anatomy.image
    meta = {"img": None if img is None else {
                k: getattr(img, k) for k in ("spacing", "phase_times_ms", "ed_index",
                                             "es_index", "modality", "description",
                                             "slice_thickness_mm")},
            "notes": anatomy.notes, "rr_ms": anatomy.rr_ms,
            "phase_times_ms": anatomy.phase_times_ms,
            "measurements": [m.to_dict() for m in anatomy.measurements], "structures": {}}
    arrays = {} if img is None else {"image": np.round(img.array).astype(np.int16),
                                     "affine": img.affine}
    for key, s in anatomy.structures.items():
        phases = sorted(s.meshes)
        first = s.meshes[phases[0]]
        meta["structures"][key] = {"name": s.name, "color": list(s.color), "phases": phases,
                                   "volumes": {str(p): m.to_dict() for p, m in s.volumes.items()}}
        arrays[f"{key}__points"] = np.stack([s.meshes[p].points for p in phases])
        arrays[f"{key}__faces"] = first.faces
        if first.cap_mask is not None:
            arrays[f"{key}__caps"] = first.cap_mask
    # one temporary file per process: processes (test workers, two app instances)
    # share the cache folder
    tmp = path.with_suffix(f".{os.getpid()}.part.npz")
    np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(path)


def _load_anatomy(path: Path, pseudonym: str = DEMO_PSEUDONYM) -> Anatomy:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        m = meta["img"]
        # kept int16 as stored (whole HU, as a loaded CT series is): a float32 copy cost
        # 0.4-1.2 s of page faults (90 MB) on the start's critical path
        image = None if m is None else ImageVolume(
            z["image"], z["affine"], tuple(m["spacing"]),
            m["phase_times_ms"], m["ed_index"], m["es_index"], m["modality"],
            m["description"], m["slice_thickness_mm"])
        anatomy = Anatomy(pseudonym, image=image, notes=list(meta["notes"]),
                          rr_ms=meta["rr_ms"], phase_times_ms=meta["phase_times_ms"])
        for key, sm in meta["structures"].items():
            pts, faces = z[f"{key}__points"], z[f"{key}__faces"]
            caps = z[f"{key}__caps"] if f"{key}__caps" in z.files else None
            meshes = {p: SurfaceMesh(pts[n], faces, cap_mask=caps)
                      for n, p in enumerate(sm["phases"])}
            s = Structure(key, sm["name"], tuple(sm["color"]), meshes)
            s.volumes = {int(p): Measurement.from_dict(v) for p, v in sm["volumes"].items()}
            anatomy.structures[key] = s
    anatomy.measurements = [Measurement.from_dict(d) for d in meta["measurements"]]
    _assume_uncertainty(anatomy)
    return anatomy


# -- the demo twin's stored predictions ----------------------------------------------------

#: The code that turns a twin into results: any change to it is a different results file.
ENGINE_SOURCES = (Path(__file__).resolve().parents[1] / "physiology",
                  Path(__file__).resolve().parents[1] / "twins.py")
_engine_digest_memo: dict[tuple, str] = {}


def engine_digest(sources=ENGINE_SOURCES) -> str:
    """SHA-256 (16 hex digits) over the engine's Python sources (the physiology package and
    ``twins.py``): integrator, settings and metrics as well as the equations.

    >>> len(engine_digest())
    16
    """
    key = tuple(sources)
    if key not in _engine_digest_memo:
        h = hashlib.sha256()
        for src in sources:
            files = sorted(src.rglob("*.py")) if src.is_dir() else [src]
            for f in files:
                if "__pycache__" not in f.parts:
                    h.update(f.name.encode())
                    h.update(f.read_bytes())
        _engine_digest_memo[key] = h.hexdigest()[:16]
    return _engine_digest_memo[key]


def _results_path(twin, cache: Path | None = None) -> Path:
    """Cache file of a twin's baseline results: keyed by app version, model equations, the
    engine's sources (:func:`engine_digest`) and the exact parameter ensemble (any change to
    any of them is a different file)."""
    h = hashlib.sha256(f"{twinviewer.__version__}/{twin.model_name}/{twin.equation_hash}/"
                       f"{engine_digest()}".encode())
    h.update(np.ascontiguousarray(twin.ensemble, dtype=np.float64).tobytes())
    folder = Path(cache) if cache is not None else cache_dir()
    return folder / f"demo_results_{h.hexdigest()[:16]}.npz"


def store_results(twin, results, cache: Path | None = None) -> Path:
    """Keep the demo twin's baseline results (npz, no pickle) so later starts show them at once.

    ``results`` must be ``simulate_twin(twin)`` (a fresh compute of exactly this twin): what is
    shown from the store is then what a recompute gives, bit for bit.

    Examples
    --------
    >>> store_results(twin, simulate_twin(twin))  # doctest: +SKIP
    >>> load_stored_results(twin)  # doctest: +SKIP
    """
    path = _results_path(twin, cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"params": results.params, "time": results.time,
              "final_state": results.final_state, "status": results.status,
              "beats": results.beats}
    arrays.update({f"series__{k}": v for k, v in results.series.items()})
    arrays.update({f"metrics__{k}": v for k, v in results.metrics.items()})
    meta = {"model": results.model.name, "messages": list(results.messages)}
    # one temporary file per process: processes (test workers, two app instances)
    # share the cache folder
    tmp = path.with_suffix(f".{os.getpid()}.part.npz")
    np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(path)
    return path


def load_stored_results(twin, cache: Path | None = None):
    """The twin's stored baseline results, or None (not stored, or unreadable)."""
    from twinviewer.physiology import Results
    from twinviewer.twins import model_of

    path = seeded(_results_path(twin, cache))
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

        logging.getLogger("twinviewer.gui").warning("stored demo results unreadable: %s",
                                                    without_paths(str(exc)))
        return None
    if res.params.shape != np.shape(twin.ensemble) or not np.array_equal(res.params,
                                                                          twin.ensemble):
        return None
    return res


# -- what the views derive from the demo's anatomy and results ------------------------------

_GUI = Path(__file__).resolve().parent
#: The code that derives the views' data from anatomy and results: moving surfaces' normals
#: (``motion.py``) and the measured-volume bands (``plots.measured_band`` → the calibration's
#: curve check). Any change to it is a different display file.
DISPLAY_SOURCES = (_GUI / "motion.py", _GUI / "plots.py", _GUI.parent / "imaging" / "curves.py",
                   _GUI.parent / "personalize" / "volume_curve.py",
                   _GUI.parent / "personalize" / "quantities.py")
_DISPLAY_FORMAT = 1


def _display_path(twin, cache: Path | None = None) -> Path:
    """Display file of the demo twin's stored results on the demo heart: keyed by the results
    file, the anatomy cache, numpy's version and the deriving code (:data:`DISPLAY_SOURCES`)."""
    results = _results_path(twin, cache)
    h = hashlib.sha256(f"{results.stem}/{_tag(MESH_DIR)}/{_DISPLAY_FORMAT}/{np.__version__}/"
                       f"{engine_digest(DISPLAY_SOURCES)}".encode())
    return results.with_name(f"demo_display_{h.hexdigest()[:16]}.npz")


def _curve_key(curve) -> np.ndarray:
    return np.concatenate([curve.times_ms, curve.volumes_ml, curve.sd_ml, [curve.rr_ms]])


def store_display(twin, results, anatomy: Anatomy, cache: Path | None = None) -> Path:
    """Keep what the views derive from the demo heart and its twin's stored ``results`` —
    each moving structure's vertex normals and the LV/RV measured-volume bands — computed
    now if not yet; :func:`load_display` gives them back (otherwise 0.3–0.8 s of CPU at every
    start, most of it importing ``scipy.linalg`` for the bands).

    Examples
    --------
    >>> twin = load_demo_twin()  # doctest: +SKIP
    >>> store_display(twin, load_stored_results(twin), demo_anatomy())  # doctest: +SKIP
    """
    from twinviewer.gui.motion import motion_of, moving_structures
    from twinviewer.gui.plots import measured_band, measured_curve

    arrays = {f"normals__{key}": motion_of(anatomy, key, ref).normals
              for key, ref in moving_structures(anatomy).items()}
    for chamber in ("LV", "RV"):
        curve = measured_curve(anatomy, chamber)
        band = measured_band(results, curve)
        if band is not None:
            arrays[f"band__{chamber}"] = np.stack(band)
            arrays[f"curve__{chamber}"] = _curve_key(curve)
    path = _display_path(twin, cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.part.npz")  # processes share the folder
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return path


def load_display(twin, results, anatomy: Anatomy, cache: Path | None = None) -> bool:
    """Put what :func:`store_display` kept into ``anatomy``'s and ``results``' caches (a
    band only where its measured curve is the anatomy's, normals only where their shape
    fits); False if nothing is stored for them (or unreadable): the views then compute it.

    Examples
    --------
    >>> load_display(None, None, None, Path("/nonexistent"))
    False
    """
    from twinviewer.gui.motion import prepare_motion
    from twinviewer.gui.plots import measured_band, measured_curve

    try:
        path = seeded(_display_path(twin, cache))
        with np.load(path, allow_pickle=False) as z:
            stored = {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, AttributeError):
        return False
    prepare_motion(anatomy, {k[9:]: v for k, v in stored.items() if k.startswith("normals__")})
    for chamber in ("LV", "RV"):
        curve = measured_curve(anatomy, chamber)
        band, key = stored.get(f"band__{chamber}"), stored.get(f"curve__{chamber}")
        if curve is not None and band is not None and np.array_equal(key, _curve_key(curve)):
            measured_band(results, curve, stored=tuple(band))
    return True


# -- the demo twin, calibrated to its own volume curves ------------------------------------

#: Seed of the demo calibration (the stored twin is reproducible).
DEMO_SEED = 0
#: The bundled heart has volumes only. Calibrated to them alone, the curve fit moved the
#: circulation's resistance and compliance with nothing to hold the pressures, and the
#: "healthy" demo showed MAP 119 (96–156) mmHg, BP 145/92 (the healthy preset: MAP 99.8). It
#: therefore carries a cuff BP — not measured, and named so in its source — of the published
#: normal adult ≈ 120/80 mmHg (../shared/REFERENCE.md, "Normal adult ranges"), with SDs wide
#: enough to be a normal adult's spread rather than one reading.
DEMO_ASSUMED_BP = (("SBP", 120.0, 10.0), ("DBP", 80.0, 7.0))
DEMO_BP_SOURCE = ("assumed, not measured: normal adult cuff BP ≈ 120/80 mmHg (published "
                  "normal adult range); the bundled heart has no pressure data")
#: 7: assumed cuff BP; the calibration entry holds the summary; the model's RA/RV passive
#: elastances corrected (RVEDP meets mean RA pressure), so the prior is the plain preset.
#: 8: the stored calibration summary names the curve points the twin misses (calib4).
#: 9: model v2.2 defaults (atrial kick: Gaar pulmonary resistance split, LA, LV relaxation).
#: 10: a parameter the data reach but do not narrow is "prior (not informed by the data)" in
#: its provenance, not "calibrated" (honesty5).
#: 11: model v3.0 (valves with inertance and opening dynamics; 20 states).
#: 12: model v3.0's valves integrated second order (Strang split, engine6), at 200 steps per
#: beat with the valves' Δp linear over their step (engine7): new results. (One bump from
#: main's 10: 11 and 12 were the unmerged physio6 and engine6 branches.)
#: 13: the prior's centre scaled to the heart's size (fit7: LVSV 90 → 95 mL of 107).
#: 14: the heart's size a coordinate of the prior, not a scaled centre (fit8: LVSV 90.8 mL).
#: 15: the volume curves compared after a warp at ED, ES and the peak filling rate, the
#: timing left correlated over 0.1 R-R (fit8b: LVSV 96.7 mL).
#: 16: the discrepancy terms relearned under the heart-size prior (session 8).
#: 17: a parameter moved through the heart-size coordinate is calibrated, not "prior (not
#: informed)"; image-volume calibration is "calibrated (to image volumes)"; fit rows record
#: what was left out; the calibration entry keeps its values (explain9).
#: 18: model v3.1 (the LV's source resistance) the default; the mean gradients over forward
#: flow above 0.1 % of the peak (default9).
#: 19: the origin says what the demo heart is (:data:`DEMO_ORIGIN`; fixes10).
#: 20: width ratios and "calibrated" against the population prior, not the robust prior's
#: widened start (review11b #4, fixb11): the same ensemble, other labels.
#: 21: fit rows record the share of members beyond 2 SD, "calibrated" only when the data
#: narrowed a parameter against the update's start, the prior used is recorded (fix13b,
#: fix13c; final13 F4).
#: 22: the cuff pressures calibrate the arterial compliance (car16, review15b #1): another
#: ensemble (the demo's SYS.C_AR median 1.79 → 1.81 mL/mmHg, its fit unchanged).
_DEMO_TWIN_FORMAT = 22


def demo_assumed_bp() -> list:
    """The demo's assumed normal cuff BP as measurements whose source says they are assumed.

    >>> [(m.name, m.value, m.unit) for m in demo_assumed_bp()]
    [('SBP', 120.0, 'mmHg'), ('DBP', 80.0, 'mmHg')]
    """
    from twinviewer.core.measurement import Measurement

    return [Measurement(n, v, "mmHg", sd, DEMO_BP_SOURCE) for n, v, sd in DEMO_ASSUMED_BP]


def _demo_twin_path(cache: Path | None = None) -> Path:
    """Cache file of the calibrated demo twin: keyed by app version, the demo heart's
    provenance, the model's equations, the calibration prior
    (:func:`~twinviewer.personalize.synthetic.prior_fingerprint`, the robust mixture
    included) and this format."""
    from twinviewer.personalize.synthetic import prior_fingerprint
    from twinviewer.physiology.presets import get_preset

    model = get_preset(DEMO_PRESET).model
    h = hashlib.sha256(f"{_tag(MESH_DIR)}/{model.name}/{model.equation_hash}/"
                       f"{prior_fingerprint()}/"
                       f"{_DEMO_TWIN_FORMAT}/{DEMO_MEMBERS}/{DEMO_SEED}".encode())
    folder = Path(cache) if cache is not None else cache_dir()
    return folder / f"demo_twin_{h.hexdigest()[:16]}.twin"


def load_demo_twin(cache: Path | None = None):
    """The stored calibrated demo twin (without its anatomy), or None."""
    from twinviewer.io.errors import TwinFileError
    from twinviewer.io.twinfile import load_twin

    path = seeded(_demo_twin_path(cache))
    if not path.exists():
        return None
    try:
        return load_twin(path).twin
    except (TwinFileError, OSError, ValueError) as exc:
        import logging

        logging.getLogger("twinviewer.gui").warning("stored demo twin unreadable: %s",
                                                    without_paths(str(exc)))
        return None


def anatomy_failed_message(exc: BaseException, calibrated: bool) -> str:
    """What the user is told when the demo heart's anatomy cannot be loaded (bundle11: the
    window waited for it with no word): what failed, what is not shown, and which twin and
    predictions are shown instead (``calibrated``: the stored calibrated demo twin; else the
    uncalibrated preset, since the calibration needs the heart's volume curves).

    Examples
    --------
    >>> msg = anatomy_failed_message(FileNotFoundError("no meshes"), calibrated=True)
    >>> msg.startswith("The demo heart's anatomy could not be loaded (FileNotFoundError: no "
    ...                "meshes): the 3D heart, the slices and the measured volume curves")
    True
    >>> msg.endswith("The demo twin and its predictions are shown without them (Metrics, "
    ...              "PV loops, What-if).")
    True
    """
    said = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    head = (f"The demo heart's anatomy could not be loaded ({said}): the 3D heart, the slices "
            "and the measured volume curves are not shown. ")
    if calibrated:
        return head + ("The demo twin and its predictions are shown without them (Metrics, "
                       "PV loops, What-if).")
    return head + (f"The demo twin cannot be calibrated without the heart's volume curves: "
                   f"the uncalibrated '{DEMO_PRESET}' virtual patient ({DEMO_MEMBERS} members) "
                   "is simulated and shown instead.")


def calibrate_demo_twin(anatomy: Anatomy | None = None,
                        progress: Callable[[float, str], None] | None = None,
                        cancel: Callable[[], bool] | None = None, cache: Path | None = None):
    """The demo twin calibrated to its heart's whole LV and RV volume curves; stored.

    The ``healthy`` preset's prior ensemble (:data:`DEMO_MEMBERS` members), with the heart's
    size as one of its parameters (:mod:`~twinviewer.personalize.heart_size`), is calibrated
    (:func:`twinviewer.personalize.calibrate.calibrate`, seed :data:`DEMO_SEED`) to the
    biv-me heart's 25-phase LV and RV curves, used whole with their correlated uncertainty,
    the R-R they were sampled over (HR) and an assumed normal cuff BP
    (:data:`DEMO_ASSUMED_BP`, named as assumed in its source). The twin (without its anatomy)
    and its results are stored in the cache so later starts load them at once
    (:func:`load_demo_twin`, :func:`load_stored_results`). The results stored are a fresh
    ``simulate_twin`` of the stored twin, not the calibration's own last ensemble run (which
    was warm-started and differs in the last digits): what later starts show at once is what
    a recompute gives. The fit — per-chamber RMS z and phases missed — is in the twin's audit
    trail.

    Returns
    -------
    (Twin, Results)
        The calibrated twin without anatomy and its simulated ensemble's results.

    Examples
    --------
    >>> twin, results = calibrate_demo_twin()  # doctest: +SKIP
    """
    from dataclasses import replace

    from twinviewer.io import audit_log
    from twinviewer.io.twinfile import load_twin, save_twin
    from twinviewer.personalize.calibrate import calibrate, calibration_record, updated_twin
    from twinviewer.twins import simulate_twin, twin_from_preset

    anatomy = anatomy if anatomy is not None else demo_anatomy()

    twin0 = replace(twin_from_preset(DEMO_PRESET, n=DEMO_MEMBERS, anatomy=anatomy,
                                     pseudonym=DEMO_PSEUDONYM), origin=DEMO_ORIGIN)
    result = calibrate(twin0, demo_assumed_bp(), n=DEMO_MEMBERS, seed=DEMO_SEED, prior=None,
                       progress=progress, cancel=cancel)
    # the demo must always open; a missed measurement stays visible (fit table, audit)
    twin = updated_twin(twin0, result, day=0, accept_misfit=True,
                        label="calibrated to the heart's LV and RV volume curves")
    # no word "demo" here: a test patient's registered phone number ends in -DEMO and
    # the identifier check matches whole tokens
    audit_log(twin).record(twin, "calibration",
                           calibration_record(result, command="bundled example heart"))
    twin = replace(twin, anatomy=None)
    path = _demo_twin_path(cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_twin(path, twin)
    twin = load_twin(path).twin  # the twin exactly as later starts read it
    results = simulate_twin(twin, progress=progress, cancel=cancel)
    store_results(twin, results, cache)
    return twin, results


def demo_sample():
    """The demo heart's twin with its anatomy (the core's sample twin ``demo_heart``):
    the stored calibrated twin, calibrated now if none is stored.

    Examples
    --------
    >>> demo_sample().pseudonym  # doctest: +SKIP
    'virtual-heart'
    """
    from dataclasses import replace

    anatomy = demo_anatomy()
    twin = load_demo_twin()
    if twin is None:
        twin, _ = calibrate_demo_twin(anatomy)
    return replace(twin, anatomy=anatomy)


# -- the demo's cache files prepared when the bundle is built --------------------------------

#: Where a built bundle carries the demo's cache files, prepared read-only at build time
#: (:func:`write_seed`, ``packaging/build-bundle.sh``): anatomy, calibrated twin, results and
#: display. A bundle's first start copies them into the empty user cache instead of
#: calibrating (~110 s). Absent in a source tree (``python -m twinviewer.warmup`` fills the
#: user cache there).
BUNDLED_CACHE = Path(__file__).resolve().parents[2] / "demo_cache"
SEED_MANIFEST = "manifest.json"
_seed_ok: dict[Path, dict | None] = {}


def seed_keys() -> dict[str, str]:
    """What the demo's cache files depend on: app version, the demo model's equation hash,
    the whole package's sources (the prior, the calibration and the engine are code) and
    numpy's version. Prepared files are used only where all of these match.

    >>> sorted(seed_keys())
    ['equation_hash', 'numpy', 'sources', 'version']
    """
    from twinviewer.physiology.presets import get_preset

    return {"version": twinviewer.__version__,
            "equation_hash": get_preset(DEMO_PRESET).model.equation_hash,
            "sources": engine_digest((Path(twinviewer.__file__).resolve().parent,)),
            "numpy": np.__version__}


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _seed_manifest(folder: Path) -> dict | None:
    """The prepared folder's file digests if its manifest's keys are this app's, else None
    (logged once: a bundle built from other code falls back to computing)."""
    folder = Path(folder)
    if folder not in _seed_ok:
        import logging

        try:
            manifest = json.loads((folder / SEED_MANIFEST).read_text(encoding="utf-8"))
            ok = manifest.get("keys") == seed_keys()
            if not ok:
                logging.getLogger("twinviewer.gui").warning(
                    "prepared demo files in %s were made by other code (%s, here %s): "
                    "computing them instead", folder.name, manifest.get("keys"), seed_keys())
        except (OSError, ValueError, AttributeError) as exc:
            logging.getLogger("twinviewer.gui").warning(
                "prepared demo files in %s unreadable (%s): computing them instead",
                folder.name, without_paths(str(exc)))
            ok = False
        _seed_ok[folder] = manifest.get("files", {}) if ok else None
    return _seed_ok[folder]


def seeded(path: Path, bundled: Path | None = None) -> Path:
    """``path`` (a demo cache file), first copied from the bundle's prepared files
    (:data:`BUNDLED_CACHE`) if it is missing, the prepared copy exists under the same name
    (the name holds the file's own key) and the manifest's keys (:func:`seed_keys`) and the
    file's digest match. A cache that cannot be written costs time, not function.

    Examples
    --------
    >>> seeded(Path("/nonexistent/demo_twin_0.twin"), Path("/nonexistent"))
    PosixPath('/nonexistent/demo_twin_0.twin')
    """
    folder = Path(bundled) if bundled is not None else BUNDLED_CACHE
    src = folder / path.name
    if path.exists() or not src.is_file():
        return path
    files = _seed_manifest(folder)
    if files is None or files.get(path.name) != _file_sha(src):
        return path
    import shutil

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.part{path.suffix}")
        shutil.copyfile(src, tmp)  # not copy2: the bundle's read-only mode stays behind
        tmp.replace(path)
    except OSError as exc:
        import logging

        logging.getLogger("twinviewer.gui").warning("could not copy %s into the cache: %s",
                                                    src.name, without_paths(str(exc)))
        return src
    return path


def write_seed(folder: Path, log: Callable[[str], None] = print) -> dict:
    """Prepare the demo's cache files in the empty ``folder`` (at bundle build time): the
    anatomy, the calibrated twin, its results and display, and a manifest of
    :func:`seed_keys` and each file's SHA-256; the manifest.

    Examples
    --------
    >>> write_seed(Path("build/bundle/demo_cache"))  # doctest: +SKIP
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    demo_anatomy(cache=folder, mesh_dir=MESH_DIR)
    log(f"demo seed: anatomy in {folder}")
    twin = load_demo_twin(folder)
    if twin is None:
        twin, _ = calibrate_demo_twin(demo_anatomy(cache=folder), cache=folder)
        log("demo seed: twin calibrated")
    results = load_stored_results(twin, folder)
    if results is None:
        from twinviewer.twins import simulate_twin

        results = simulate_twin(twin)
        store_results(twin, results, folder)
    store_display(twin, results, demo_anatomy(cache=folder), folder)
    names = [_demo_twin_path(folder), _results_path(twin, folder),
             _display_path(twin, folder), folder / f"demo_heart4d_{_tag(MESH_DIR)}.npz"]
    manifest = {"keys": seed_keys(), "files": {p.name: _file_sha(p) for p in names}}
    (folder / SEED_MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    log(f"demo seed: manifest written ({len(names)} files)")
    return manifest

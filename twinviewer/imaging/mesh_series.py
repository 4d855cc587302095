"""Mesh time series: one surface file per structure and frame → a moving :class:`Anatomy`.

Files carry the frame index at the end of the name (``patient1_LV_ENDOCARDIAL_000.vtk`` …
``_024.vtk``); any of VTK, VTP, STL, OBJ, PLY (pyvista) or gmsh ``.msh`` (meshio). The part
before the index names the structure, through the vocabulary or a segment mapping JSON
(``{"LV_ENDOCARDIAL": "lv_blood"}``); a leading patient prefix is ignored.

Point correspondence is kept: points are not merged or re-ordered, so when all frames of a
structure share one faces array the 3D view interpolates points in place. Open surfaces (the
valve annuli of a fitted ventricle) are capped with a fan from each opening's centroid; the cap
triangles are flagged (:attr:`SurfaceMesh.cap_mask`) so that they can be shown or hidden, and
enter the enclosed volume.

Examples
--------
>>> a = read_mesh_series(Path("frames"), rr_ms=860)  # doctest: +SKIP
>>> sorted(a.structures)                             # doctest: +SKIP
['epicardium', 'lv_blood', 'rv_blood']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh
from twinviewer.imaging.curves import mesh_volume
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.mesh_check import refuse_bad_surface
from twinviewer.imaging.vocabulary import KEYS, _normalise, match_segment

SUFFIXES = (".vtk", ".vtp", ".stl", ".obj", ".ply", ".msh")
_FRAME = re.compile(r"^(?P<stem>.*?[A-Za-z].*?)[_\-. ]?(?P<frame>\d{1,4})$")
# biv-me's surface names (the mapping a user would otherwise write as JSON).
BIVME_MAPPING = {"lv endocardial": "lv_blood", "rv endocardial": "rv_blood",
                 "epicardial": "epicardium"}
SOURCE = "imported mesh time series"


def split_name(path: Path) -> tuple[str, int] | None:
    """``(stem, frame)`` of a time-series file name, or None without a trailing index.

    Examples
    --------
    >>> split_name(Path("patient1_LV_ENDOCARDIAL_007.vtk"))
    ('patient1_LV_ENDOCARDIAL', 7)
    """
    name = path.name
    low = name.lower()
    suffix = next((s for s in SUFFIXES if low.endswith(s)), None)
    if suffix is None:
        return None
    m = _FRAME.match(name[: -len(suffix)])
    return (m["stem"], int(m["frame"])) if m else None


def find_series(files: Iterable[Path]) -> dict[str, dict[int, Path]]:
    """Time-series files grouped by stem: ``{stem: {frame: path}}``."""
    out: dict[str, dict[int, Path]] = {}
    for p in files:
        sp = split_name(Path(p))
        if sp is not None:
            out.setdefault(sp[0], {})[sp[1]] = Path(p)
    return out


def structure_of(stem: str, mapping: dict[str, str] | None) -> str | None:
    """Vocabulary key of a stem, trying the whole stem then without leading tokens."""
    tokens = re.split(r"[_\-. ]+", stem)
    for n in range(len(tokens)):
        key = match_segment(labels=(" ".join(tokens[n:]),), mapping=mapping)
        if key is not None:
            return key
    return None


def unmatched_keys(mapping: dict[str, str] | None, stems) -> list[str]:
    """The user's mapping keys that no file stem (nor a stem without its leading tokens,
    as :func:`structure_of` tries them) matches.

    Examples
    --------
    >>> unmatched_keys({"rv endo": "rv_blood", "lv endocardial": "lv_blood"},
    ...                ["patient1_LV_ENDOCARDIAL"])
    ['rv endo']
    """
    tried = set()
    for stem in stems:
        tokens = re.split(r"[_\-. ]+", stem)
        tried |= {_normalise(" ".join(tokens[n:])) for n in range(len(tokens))}
    return [k for k in (mapping or {}) if k not in tried]


def read_surface(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Points ``(n, 3)`` and triangles ``(m, 3)`` of a surface file, in file order.

    Polygons are fan-triangulated; a volume mesh (gmsh tetrahedra) gives its boundary.

    Raises
    ------
    ImagingError
        Naming the file when it cannot be read or holds no triangles.
    """
    import pyvista as pv

    path = Path(path)
    try:
        if path.name.lower().endswith(".msh"):
            import meshio

            m = meshio.read(path)
            tri = [c.data for c in m.cells if c.type == "triangle"]
            if tri:
                points, faces = (np.asarray(m.points[:, :3], float),
                                 np.concatenate(tri).astype(np.int32))
                refuse_bad_surface(points, faces, path.name)
                return points, faces
            poly = pv.from_meshio(m).extract_surface(algorithm="dataset_surface")
        else:
            poly = pv.read(path)
            if not isinstance(poly, pv.PolyData):
                poly = poly.extract_surface(algorithm="dataset_surface")
    except ImagingError:
        raise
    except Exception as exc:  # VTK / meshio readers raise many types
        raise ImagingError(f"{path.name}: cannot read mesh ({type(exc).__name__}: {exc})"
                           ) from exc
    refuse_bad_surface(np.asarray(poly.points, float), None, path.name)  # before VTK's filters
    poly = poly.triangulate()
    if poly.n_cells == 0:
        raise ImagingError(f"{path.name}: no surface triangles in the file")
    points, faces = np.asarray(poly.points, float), np.asarray(poly.regular_faces, np.int32)
    refuse_bad_surface(points, faces, path.name)
    return points, faces


def boundary_loops(faces: np.ndarray) -> list[list[int]]:
    """Closed loops of boundary edges, each in the direction the faces traverse them.

    Raises
    ------
    ValueError
        If the boundary is not a set of simple loops (non-manifold openings).
    """
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    und = np.sort(e, axis=1)
    _, inv, cnt = np.unique(und, axis=0, return_inverse=True, return_counts=True)
    bnd = e[cnt[inv.ravel()] == 1]
    nxt: dict[int, int] = {}
    for a, b in bnd:
        if int(a) in nxt:
            raise ValueError("boundary vertex with two outgoing edges")
        nxt[int(a)] = int(b)
    loops = []
    while nxt:
        start = next(iter(nxt))
        loop = [start]
        v = nxt.pop(start)
        while v != start:
            loop.append(v)
            if v not in nxt:
                raise ValueError("boundary edges do not form closed loops")
            v = nxt.pop(v)
        loops.append(loop)
    return loops


def cap_faces(faces: np.ndarray, n_points: int) -> tuple[np.ndarray, list[list[int]]]:
    """Triangles closing every opening with a fan from a new centroid vertex.

    Returns the cap triangles (indices ``n_points + loop number`` for the centroids) and the
    loops; cap triangles run against the loop direction, so orientation stays consistent.
    """
    loops = boundary_loops(faces)
    caps = []
    for n, loop in enumerate(loops):
        c = n_points + n
        caps += [(b, a, c) for a, b in zip(loop, loop[1:] + loop[:1], strict=True)]
    return np.asarray(caps, np.int32).reshape(-1, 3), loops


def _to_mm(points: np.ndarray, where: str, notes: list[str]) -> np.ndarray:
    # ``where`` names the structure and frame, never the file: notes are saved in the .twin
    # and a file name may carry the patient's name
    diag = float(np.linalg.norm(np.ptp(points, axis=0)))
    if diag < 1.0:
        notes.append(f"{where}: extent {diag:.3g} looks like metres; scaled ×1000 to mm")
        return points * 1000.0
    if diag < 25.0:
        notes.append(f"{where}: extent {diag:.3g} looks like centimetres; scaled ×10 to mm")
        return points * 10.0
    return points


def read_structure_series(frames: dict[int, Path], name: str, notes: list[str]
                          ) -> dict[int, SurfaceMesh]:
    """One structure's frames, capped, outward, with point correspondence kept.

    Raises
    ------
    ImagingError
        A missing frame (named), or an opening that cannot be capped.
    """
    idx = sorted(frames)
    expected = range(idx[0], idx[-1] + 1)
    missing = [i for i in expected if i not in frames]
    if missing:
        raise ImagingError(
            f"{frames[idx[0]].name} …: the mesh time series of {name}: frame(s) {missing} "
            f"missing between frame {idx[0]} and {idx[-1]}; refusing to interpolate across "
            "the gap")
    surfaces = []
    for i in idx:
        pts, faces = read_surface(frames[i])
        surfaces.append((_to_mm(pts, f"{name} frame {i}", notes), faces))
    return build_series(surfaces, name, notes, frame_names=[frames[i].name for i in idx])


def _merge_seams(surfaces: list[tuple[np.ndarray, np.ndarray]], name: str, notes: list[str]
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Faces re-pointed from duplicate vertices to their twin where two patches meet along a
    seam of coincident, unmerged vertices in every frame (biv-me's RV septum and free wall).

    Points are neither removed nor re-ordered (correspondence holds); without this the seam
    would look like two openings and be capped twice.
    """
    pts0 = surfaces[0][0]
    _, first, inv = np.unique(np.round(pts0, 4), axis=0, return_index=True,
                              return_inverse=True)
    remap = first[inv.ravel()]
    dup = remap != np.arange(len(pts0))
    if not dup.any():
        return surfaces
    if any(len(p) != len(pts0) or np.abs(p[dup] - p[remap[dup]]).max() > 1e-3
           for p, _ in surfaces):
        return surfaces  # coincident only by chance in one frame: leave the topology alone
    notes.append(f"{name}: {int(dup.sum())} coincident vertices along a seam joined (the "
                 "points are kept, only the triangles are re-pointed)")
    done: dict[bytes, np.ndarray] = {}
    out = []
    for p, f in surfaces:
        k = f.tobytes()
        if k not in done:
            done[k] = _orient_patches(f, remap[f].astype(np.int32))
        out.append((p, done[k]))
    return out


def _orient_patches(original: np.ndarray, merged: np.ndarray) -> np.ndarray:
    """Flip whole patches (components before the merge) so that seam edges run opposite ways
    in the two patches they join, i.e. the merged surface is consistently oriented."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = len(original)
    n_pts = int(original.max()) + 1
    inc = coo_matrix((np.ones(3 * m), (np.repeat(np.arange(m), 3), original.ravel())),
                     shape=(m, n_pts)).tocsr()
    n_patch, patch = connected_components(inc @ inc.T, directed=False)
    if n_patch == 1:
        return merged
    e = np.concatenate([merged[:, [0, 1]], merged[:, [1, 2]], merged[:, [2, 0]]])
    ep = np.tile(patch, 3)
    edges: dict[tuple[int, int], list[tuple[int, bool]]] = {}
    for (a, b), q in zip(e.tolist(), ep.tolist(), strict=True):
        edges.setdefault((min(a, b), max(a, b)), []).append((q, a < b))
    links: dict[int, list[tuple[int, bool]]] = {}
    for uses in edges.values():
        if len(uses) == 2 and uses[0][0] != uses[1][0]:
            (qa, da), (qb, db) = uses
            links.setdefault(qa, []).append((qb, da == db))  # same direction: flip relative
            links.setdefault(qb, []).append((qa, da == db))
    flip = np.full(n_patch, -1)
    start = int(np.bincount(patch).argmax())
    flip[start], stack = 0, [start]
    while stack:
        q = stack.pop()
        for r, rel in links.get(q, []):
            if flip[r] < 0:
                flip[r] = flip[q] ^ int(rel)
                stack.append(r)
    out = merged.copy()
    bad = flip[patch] == 1
    out[bad] = out[bad][:, ::-1]
    return out


def build_series(surfaces: list[tuple[np.ndarray, np.ndarray]], name: str, notes: list[str],
                 frame_names: list[str] | None = None) -> dict[int, SurfaceMesh]:
    """Capped, outward meshes from ``(points, faces)`` per frame (point order kept).

    Raises
    ------
    ImagingError
        An opening that cannot be capped (naming the frame).
    """
    surfaces = _merge_seams(surfaces, name, notes)
    out: dict[int, SurfaceMesh] = {}
    topo: tuple[np.ndarray, np.ndarray, list[list[int]]] | None = None
    flip = False
    changed = []
    for i, (pts, faces) in enumerate(surfaces):
        if topo is None or not np.array_equal(faces, topo[0]):
            if topo is not None:
                changed.append(i)
            try:
                caps, loops = cap_faces(faces, len(pts))
            except ValueError as exc:
                where = frame_names[i] if frame_names else f"frame {i}"
                raise ImagingError(f"{where} of {name}: openings cannot be capped ({exc})"
                                   ) from exc
            topo = (faces, caps, loops)
        faces, caps, loops = topo
        centroids = np.array([pts[loop].mean(axis=0) for loop in loops]).reshape(-1, 3)
        allp = np.vstack([pts, centroids])
        allf = np.vstack([faces, caps])
        mask = np.r_[np.zeros(len(faces), bool), np.ones(len(caps), bool)]
        if i == 0:
            flip = SurfaceMesh(allp, allf).volume_ml() < 0
            if loops:
                notes.append(f"{name}: {len(loops)} opening(s) capped for the volume "
                             "(valve annuli)")
        out[i] = SurfaceMesh(allp, allf[:, ::-1] if flip else allf, cap_mask=mask)
    if changed:
        notes.append(f"{name}: topology changes at frame(s) {changed}; the view "
                     "cross-fades there instead of interpolating points")
    return out


def read_mesh_series(source: Path | Iterable[Path], *, mapping: dict[str, str] | None = None,
                     rr_ms: float | None = None, pseudonym: str = "virtual-mesh-series"
                     ) -> Anatomy:
    """Every mesh time series in a folder (or list of files) as a mesh-only Anatomy.

    Parameters
    ----------
    source : Path or iterable of Path
        Folder (searched non-recursively) or files.
    mapping : dict, optional
        Normalised segment mapping (see :func:`twinviewer.imaging.vocabulary.load_mapping`);
        stems are also matched against the vocabulary and :data:`BIVME_MAPPING`.
    rr_ms : float, optional
        R-R interval the frames span evenly; phase times are ``frame / n × rr_ms``.

    Returns
    -------
    Anatomy
        Structures with a mesh and a volume per phase; ``phase_times_ms`` set; notes.

    Raises
    ------
    ImagingError
        No time series found, a stem naming no structure, a missing frame, frame counts that
        differ between structures.
    """
    files = sorted(Path(source).iterdir()) if isinstance(source, Path) else list(source)
    groups = find_series(files)
    if not groups:
        where = "the folder chosen" if isinstance(source, Path) else "the files chosen"
        raise ImagingError(f"{where}: no mesh time series (files named <structure>_<frame>"
                           f"{{{','.join(SUFFIXES)}}})")
    notes: list[str] = []
    anatomy = Anatomy(pseudonym, notes=notes)
    merged = {**BIVME_MAPPING, **(mapping or {})}
    n_frames = None
    for stem, frames in sorted(groups.items()):
        key = structure_of(stem, merged)
        if key is None:
            first = frames[min(frames)]
            raise ImagingError(f"{first.name}: {stem!r} names no structure of the vocabulary "
                               f"{list(KEYS)}; map it in a segment mapping JSON")
        if key in anatomy.structures:
            raise ImagingError(f"{frames[min(frames)].name}: a second time series for {key}")
        meshes = read_structure_series(frames, key, notes)  # notes name the structure
        if n_frames is None:
            n_frames = len(meshes)
        elif len(meshes) != n_frames:
            raise ImagingError(f"mesh time series {stem!r} has {len(meshes)} frames, the "
                               f"others {n_frames}")
        from twinviewer.imaging.segmentation import display

        name, color = display(key)
        s = anatomy.structures[key] = Structure(key, name, color, meshes)
        s.volumes = {p: mesh_volume(m, key, SOURCE) for p, m in meshes.items()}
    unmatched = unmatched_keys(mapping, groups)
    if unmatched:  # a key that maps nothing is a typo or the wrong folder: never silent
        notes.append(f"segment mapping key(s) {', '.join(map(repr, unmatched))} match no "
                     f"mesh file (structures found: {', '.join(anatomy.structures)}); check "
                     "the mapping")
    n = n_frames or 1
    anatomy.rr_ms = rr_ms
    anatomy.phase_times_ms = [p * rr_ms / n if rr_ms else float("nan") for p in range(n)]
    anatomy.ed_es_assumed = "lv_blood" not in anatomy.structures
    return anatomy


def attach_mesh_series(anatomy: Anatomy, series: Anatomy,
                       label_source: str = "the segmentation") -> Anatomy:
    """Add a mesh time series to an image-derived anatomy, frame ``i`` = image phase ``i``.

    The series was chosen by the user: each structure it names replaces the one meshed from
    ``label_source`` (its meshes and volumes; a note says so); structures it does not name
    keep theirs. The frame count must equal the image's phase count.

    Raises
    ------
    ImagingError
        When frames and phases differ in number.

    Examples
    --------
    >>> from twinviewer.core.anatomy import Structure
    >>> a, user = Anatomy("p"), Anatomy("p")
    >>> a.structures["lv_blood"] = Structure("lv_blood", "LV", (1, 0, 0), meshes={0: None})
    >>> user.structures["lv_blood"] = Structure("lv_blood", "LV", (1, 0, 0))
    >>> attach_mesh_series(a, user, "the automatic segmentation").notes[0][:44]
    'lv_blood: from the imported mesh time series'
    """
    n_img = anatomy.image.n_phases if anatomy.image is not None else None
    for key, s in series.structures.items():
        n = len(s.meshes)
        if n_img is not None and n != n_img:
            raise ImagingError(f"mesh time series {key}: {n} frames, the image {n_img} phases;"
                               " frames must match phases one to one")
    for key, s in series.structures.items():
        if anatomy.structures.get(key) is not None and anatomy.structures[key].meshes:
            anatomy.notes.append(f"{key}: from the imported mesh time series ({len(s.meshes)} "
                                 f"frames), chosen over {label_source} (its {key} meshes and "
                                 "volumes are not used)")
        anatomy.structures[key] = s
    anatomy.notes += series.notes
    if anatomy.image is None:
        anatomy.phase_times_ms = series.phase_times_ms
    return anatomy

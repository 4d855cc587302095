"""The biv-me example patient (``meshes/bivme_patient1``): a real biventricular geometry over
25 frames of one R-R interval, stored compactly and read as a moving :class:`Anatomy`.

Source, licence and reference: ``meshes/bivme_patient1/README.md`` and ``LICENSE``
(Apache-2.0). The 75 legacy-VTK files (12 MB of ASCII) are stored as one ``.npz``: each
surface's triangles once (all frames share them) and its points per frame as float32 (LPS mm,
rounding < 1e-5 mm); :func:`export_vtk` writes the files back in the original naming.

Examples
--------
>>> a = load_bivme()
>>> len(a.structures["lv_blood"].meshes)
25
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twinviewer.core.anatomy import Anatomy, Structure
from twinviewer.imaging.curves import mesh_volume
from twinviewer.imaging.mesh_series import BIVME_MAPPING, build_series, find_series, read_surface

BIVME_DIR = Path(__file__).resolve().parents[2] / "meshes" / "bivme_patient1"
NPZ = "bivme_patient1.npz"
RR_MS = 860.0  # README: 25 frames over one R-R interval of about 860 ms
SURFACES = ("LV_ENDOCARDIAL", "RV_ENDOCARDIAL", "EPICARDIAL")


def pack(src: Path, out: Path = BIVME_DIR / NPZ) -> Path:
    """Store the original VTK time series of ``src`` as the compact ``.npz`` (maintainers)."""
    arrays = {}
    for stem, frames in find_series(sorted(Path(src).glob("*.vtk"))).items():
        surf = stem.split("_", 1)[1]
        pts, faces = zip(*(read_surface(frames[i]) for i in sorted(frames)), strict=True)
        if any(not np.array_equal(f, faces[0]) for f in faces):
            raise ValueError(f"{stem}: frames do not share one topology")
        arrays[f"{surf}_faces"] = faces[0].astype(np.int32)
        arrays[f"{surf}_points"] = np.stack(pts).astype(np.float32)
    np.savez_compressed(out, **arrays)
    return out


def surfaces(npz: Path = BIVME_DIR / NPZ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{surface: (points (25, n, 3) float64, faces (m, 3) int32)}``."""
    with np.load(npz, allow_pickle=False) as z:
        return {s: (z[f"{s}_points"].astype(np.float64), z[f"{s}_faces"]) for s in SURFACES}


def export_vtk(folder: Path, npz: Path = BIVME_DIR / NPZ, frames: range | None = None
               ) -> list[Path]:
    """Write ``patient1_<SURFACE>_<NNN>.vtk`` legacy-VTK files as in the original release."""
    import pyvista as pv

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for s, (pts, faces) in surfaces(npz).items():
        for i in frames or range(len(pts)):
            p = folder / f"patient1_{s}_{i:03d}.vtk"
            pv.PolyData.from_regular_faces(pts[i], faces).save(p, binary=False)
            out.append(p)
    return out


def load_bivme(npz: Path = BIVME_DIR / NPZ, pseudonym: str = "virtual-bivme-patient1"
               ) -> Anatomy:
    """The 25-frame biventricular anatomy (LV and RV blood pools capped, epicardium)."""
    from twinviewer.imaging.segmentation import display

    notes: list[str] = []
    anatomy = Anatomy(pseudonym, notes=notes, rr_ms=RR_MS)
    for s, (pts, faces) in surfaces(npz).items():
        key = BIVME_MAPPING[s.lower().replace("_", " ")]
        meshes = build_series([(p, faces) for p in pts], s, notes)
        name, color = display(key)
        st = anatomy.structures[key] = Structure(key, name, color, meshes)
        st.volumes = {i: mesh_volume(m, key, "biv-me fitted mesh") for i, m in meshes.items()}
    n = len(next(iter(anatomy.structures.values())).meshes)
    anatomy.phase_times_ms = [i * RR_MS / n for i in range(n)]
    notes.insert(0, "biv-me example patient1 (Apache-2.0): real fitted biventricular surfaces "
                 f"over {n} frames from the R wave; " + ed_es_words(anatomy))
    return anatomy


def ed_es_words(anatomy: Anatomy) -> str:
    """Which frames are ED and ES and why, in words: the largest and smallest LV volume (no
    image timing), the rule of every mesh import
    (:func:`twinviewer.imaging.cli_import.ed_es_phases`). review11 #6: the note said "frame 0 =
    end-diastole" while LVEDV (179 mL) is frame 24; frame 0, at the R-wave trigger, is 174.5.

    Examples
    --------
    >>> for part in ed_es_words(load_bivme()).split("; "):
    ...     print(part)
    ED = frame 24, the largest LV volume (179.0 mL
    frame 0, at the R wave, 174.5 mL)
    ES = frame 9, the smallest (72.0 mL)
    """
    vols = {p: v.value for p, v in anatomy.structures["lv_blood"].volumes.items()}
    ed, es = max(vols, key=vols.__getitem__), min(vols, key=vols.__getitem__)
    first = "" if ed == 0 else f"; frame 0, at the R wave, {vols[0]:.1f} mL"
    return (f"ED = frame {ed}, the largest LV volume ({vols[ed]:.1f} mL{first}); ES = frame "
            f"{es}, the smallest ({vols[es]:.1f} mL)")

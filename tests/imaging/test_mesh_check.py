"""Bad mesh files are refused naming the file, on every reader path (review10 #7).

A small fuzz: one closed surface written in each format, then spoilt (NaN or infinite
coordinates, no points, every triangle degenerate), read by the single-file reader
(``segmentation.read_mesh``), the surface reader and the time-series reader.
"""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twinviewer.imaging.bivme import export_vtk
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.mesh_series import read_mesh_series, read_surface
from twinviewer.imaging.segmentation import read_mesh

FORMATS = (".vtk", ".vtp", ".stl", ".ply", ".obj")
RNG = np.random.default_rng(10)


def _sphere() -> pv.PolyData:
    return pv.Sphere(radius=30.0, theta_resolution=12, phi_resolution=12).triangulate()


def _spoilt(kind: str) -> tuple[pv.PolyData, str]:
    poly = _sphere()
    pts = np.asarray(poly.points, float).copy()
    idx = RNG.choice(len(pts), 10, replace=False)
    if kind == "nan":
        pts[idx, RNG.integers(0, 3)] = np.nan
        poly.points = pts
        return poly, "10 points are not finite (NaN)"
    if kind == "inf":
        pts[idx, 0] = np.inf
        poly.points = pts
        return poly, "10 points are not finite (infinite)"
    if kind == "degenerate":
        poly.points = np.zeros_like(pts)
        return poly, ""
    raise AssertionError(kind)


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("kind", ["nan", "inf", "degenerate"])
def test_spoilt_single_file_is_refused_naming_it(tmp_path, suffix, kind):
    poly, says = _spoilt(kind)
    path = tmp_path / f"lv_blood{suffix}"
    poly.save(path)
    if suffix == ".stl" and kind != "degenerate":
        says = "no points"  # VTK's binary STL reader aborts at a NaN and returns nothing
    for read in (lambda: read_mesh(path), lambda: read_surface(path)):
        with pytest.raises(ImagingError) as err:
            read()
        assert path.name in str(err.value) and says in str(err.value), str(err.value)


@pytest.mark.parametrize("suffix", FORMATS)
def test_empty_file_is_refused_naming_it(tmp_path, suffix):
    path = tmp_path / f"lv_blood{suffix}"
    path.write_bytes(b"")
    for read in (lambda: read_mesh(path), lambda: read_surface(path)):
        with pytest.raises(ImagingError, match=path.name):
            read()


def test_good_file_still_reads(tmp_path):
    path = tmp_path / "lv_blood.vtk"
    _sphere().save(path)
    key, mesh = read_mesh(path)
    assert key == "lv_blood" and 100 < mesh.volume_ml() < 115  # 4/3 π 30³ mm³ = 113 mL


def test_bivme_frame_with_nan_names_the_frame(tmp_path):
    """The reviewer's case: 10 NaN points in one frame of biv-me's patient 1."""
    folder = tmp_path / "p1"
    export_vtk(folder, frames=range(6))
    bad = folder / "patient1_LV_ENDOCARDIAL_005.vtk"
    poly = pv.read(bad)
    pts = np.asarray(poly.points, float).copy()
    pts[:10] = np.nan
    poly.points = pts
    poly.save(bad, binary=False)
    with pytest.raises(ImagingError,
                       match=r"patient1_LV_ENDOCARDIAL_005\.vtk: 10 points are not finite "
                             r"\(NaN\)"):
        read_mesh_series(folder)

"""Mesh time series: biv-me's real 25-frame biventricular surfaces and broken variants."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv

from twinviewer.imaging.bivme import export_vtk, load_bivme, surfaces
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.mesh_series import (
    boundary_loops,
    read_mesh_series,
    read_surface,
    split_name,
)
from twinviewer.imaging.meshing import check_surface
from twinviewer.imaging.segmentation import mapping_from

DATA = Path(__file__).resolve().parents[1] / "data" / "bivme_patient1"


@pytest.fixture(scope="module")
def bivme_vtk(tmp_path_factory) -> Path:
    """The biv-me series written back as legacy VTK in the original naming (frames 0-5)."""
    folder = tmp_path_factory.mktemp("bivme")
    export_vtk(folder, frames=range(6))
    return folder


def test_packed_geometry_equals_the_original_files():
    packed = surfaces()
    for surf in ("LV_ENDOCARDIAL", "RV_ENDOCARDIAL", "EPICARDIAL"):
        for frame in (0, 9):
            pts, faces = read_surface(DATA / f"patient1_{surf}_{frame:03d}.vtk")
            assert np.array_equal(faces, packed[surf][1])
            assert np.abs(pts - packed[surf][0][frame]).max() < 1e-4


def test_split_name():
    assert split_name(Path("x_LV_ENDOCARDIAL_024.vtk")) == ("x_LV_ENDOCARDIAL", 24)
    assert split_name(Path("lv_blood-3.stl")) == ("lv_blood", 3)
    assert split_name(Path("lv_blood.stl")) is None
    assert split_name(Path("notes_001.txt")) is None


def test_bivme_series_import_caps_valves_and_keeps_topology(bivme_vtk):
    a = read_mesh_series(bivme_vtk, rr_ms=860.0)
    assert set(a.structures) == {"lv_blood", "rv_blood", "epicardium"}
    lv = a.structures["lv_blood"]
    assert len(lv.meshes) == 6
    faces0 = lv.meshes[0].faces
    assert all(np.array_equal(m.faces, faces0) for m in lv.meshes.values())  # interpolable
    for s in a.structures.values():
        assert check_surface(s.meshes[0].points, s.meshes[0].faces) == []  # closed, outward
        assert s.meshes[0].cap_mask.any()
    assert any("lv_blood: 2 opening(s) capped" in n for n in a.notes)  # mitral, aortic
    assert any("rv_blood: 80 coincident vertices" in n for n in a.notes)  # septal seam
    assert a.phase_times_ms[1] == pytest.approx(860 / 6)


# At h = 1.5 mm, all three surfaces at frames 0 and 9 agree within 2 % (35 s; run once, in
# docs/notes/imaging.md); the gate runs the coarse grid.
@pytest.mark.parametrize("h, keys, frames, rel", [(3.0, ("lv_blood", "rv_blood"), (0,), 0.03)])
def test_capped_volume_agrees_with_vtk_ray_casting(h, keys, frames, rel):
    """Our capped surfaces' volume vs VTK counting grid points inside them
    (vtkSelectEnclosedPoints: ray casting, a method independent of the divergence theorem)."""
    from twinviewer.imaging.meshing import to_polydata

    a = load_bivme()
    for key in keys:
        for frame in frames:
            m = a.structures[key].meshes[frame]
            lo, hi = m.points.min(0) - 2, m.points.max(0) + 2
            grid = pv.ImageData(dimensions=np.ceil((hi - lo) / h).astype(int) + 1,
                                spacing=(h, h, h), origin=lo)
            inside = grid.select_interior_points(to_polydata(m), check_surface=False)
            ref = inside.point_data["selected_points"].sum() * h ** 3 / 1000.0
            assert m.volume_ml() == pytest.approx(ref, rel=rel)


def test_bivme_volumes_are_physiological():
    a = load_bivme()
    lv = [a.structures["lv_blood"].volumes[p].value for p in range(25)]
    assert 150 < max(lv) < 200 and 60 < min(lv) < 90  # adult LV at 3 T
    assert int(np.argmin(lv)) in range(7, 12)  # end-systole about 35-45 % of R-R


def test_bivme_note_and_readme_name_the_ed_frame_the_import_uses():
    """review11 #6: the demo's import note and the README said "frame 0 = end-diastole" while
    every import names ED the largest LV volume (179.0 mL, frame 24; frame 0 is 174.5 mL).
    The note is now computed from the volumes, and both READMEs say which frame and why."""
    from twinviewer.imaging.cli_import import ed_es_phases

    a = load_bivme()
    lv = {p: v.value for p, v in a.structures["lv_blood"].volumes.items()}
    ed, es, how = ed_es_phases(a)
    assert (ed, es, how) == (24, 9, "volume") and lv[24] > lv[0] + 4.0
    (note,) = [n for n in a.notes if n.startswith("biv-me example patient1")]
    assert f"ED = frame {ed}, the largest LV volume ({lv[ed]:.1f} mL" in note
    assert f"ES = frame {es}" in note and "frame 0 = end-diastole" not in note
    for readme in (DATA / "README.md",
                   Path(__file__).resolve().parents[2] / "meshes" / "bivme_patient1"
                   / "README.md"):
        text = " ".join(readme.read_text().split())
        assert "frame 0 is end-diastole)" not in text
        assert f"ED = frame {ed} (LVEDV {lv[ed]:.1f} mL), ES = frame {es}" in text


def test_caps_can_be_hidden():
    m = load_bivme().structures["lv_blood"].meshes[0]
    bare = m.without_caps()
    assert bare.n_faces == m.n_faces - int(m.cap_mask.sum())
    assert len(boundary_loops(bare.faces)) == 2


def test_missing_frame_is_refused_naming_it(bivme_vtk, tmp_path):
    shutil.copytree(bivme_vtk, tmp_path / "s")
    (tmp_path / "s" / "patient1_RV_ENDOCARDIAL_003.vtk").unlink()
    with pytest.raises(ImagingError, match=r"RV_ENDOCARDIAL.*frame\(s\) \[3\] missing"):
        read_mesh_series(tmp_path / "s")


def test_changing_topology_is_noted_for_cross_fade(bivme_vtk, tmp_path):
    shutil.copytree(bivme_vtk, tmp_path / "s")
    p = tmp_path / "s" / "patient1_LV_ENDOCARDIAL_004.vtk"
    pv.read(p).subdivide(1).save(p, binary=False)
    a = read_mesh_series(tmp_path / "s")
    assert any("topology changes at frame(s) [4, 5]" in n for n in a.notes)
    lv = a.structures["lv_blood"]
    assert lv.meshes[4].n_faces != lv.meshes[3].n_faces
    assert lv.meshes[4].volume_ml() == pytest.approx(lv.meshes[3].volume_ml(), rel=0.15)


def test_mapping_naming_an_unknown_structure_is_refused(tmp_path):
    m = tmp_path / "mapping.json"
    m.write_text(json.dumps({"LV_ENDOCARDIAL": "left_ventricle_thing"}))
    with pytest.raises(ImagingError, match=r"mapping.json.*unknown vocabulary keys.*"
                                           r"left_ventricle_thing"):
        mapping_from(m)


def test_stem_naming_no_structure_is_refused(tmp_path):
    pts, faces = surfaces()["LV_ENDOCARDIAL"]
    for i in range(2):
        pv.PolyData.from_regular_faces(pts[i], faces).save(tmp_path / f"heart_thing_{i:03d}.vtp")
    with pytest.raises(ImagingError, match=r"heart_thing_000.vtp.*'heart_thing' names no"):
        read_mesh_series(tmp_path)


def test_user_mapping_and_other_formats(tmp_path):
    pts, faces = surfaces()["LV_ENDOCARDIAL"]
    for i in range(3):
        pv.PolyData.from_regular_faces(pts[i], faces).save(tmp_path / f"cavity_{i:02d}.ply")
    a = read_mesh_series(tmp_path, mapping={"cavity": "lv_blood"}, rr_ms=900)
    assert len(a.structures["lv_blood"].meshes) == 3
    assert not any("match no" in n for n in a.notes)
    # review 7 #10: a key that matches no file ("RV_ENDO") was ignored silently
    from twinviewer.imaging.vocabulary import _normalise

    a = read_mesh_series(tmp_path, mapping={"cavity": "lv_blood",
                                            _normalise("RV_ENDO"): "rv_blood"}, rr_ms=900)
    said = [n for n in a.notes if "match no" in n]
    assert len(said) == 1 and "'rv endo'" in said[0] and "lv_blood" in said[0]


def test_notes_kept_in_the_twin_name_structures_never_files(tmp_path):
    """A mesh file's name may carry the patient's name; the anatomy's notes are saved in the
    .twin (meshui9's note), so they name the structure and the frame instead."""
    pts, faces = surfaces()["LV_ENDOCARDIAL"]
    for i in range(3):
        mesh = pv.PolyData.from_regular_faces(pts[i] / 10.0, faces)  # centimetres
        if i == 2:
            mesh = mesh.subdivide(1)  # the topology changes
        mesh.save(tmp_path / f"DOE_JANE_LV_ENDOCARDIAL_{i:03d}.vtk", binary=False)
    a = read_mesh_series(tmp_path, mapping={"RV_ENDO": "rv_blood"})
    assert any("centimetres" in n for n in a.notes)
    assert any("topology changes" in n for n in a.notes)
    assert any("match no" in n for n in a.notes)
    assert not any("DOE" in n or "JANE" in n or ".vtk" in n for n in a.notes), a.notes


def test_gmsh_series(tmp_path):
    import meshio

    pts, faces = surfaces()["LV_ENDOCARDIAL"]
    for i in range(2):
        meshio.write(tmp_path / f"lv_blood_{i}.msh", meshio.Mesh(pts[i], [("triangle", faces)]),
                     file_format="gmsh22", binary=False)
    a = read_mesh_series(tmp_path)
    ref = load_bivme().structures["lv_blood"].meshes[1].volume_ml()
    assert a.structures["lv_blood"].meshes[1].volume_ml() == pytest.approx(ref, rel=1e-4)

"""The NRRD reader against ITK's NRRD reader, and its de-identification."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from tv_nrrd_reader.reader import NrrdError, read_nrrd

from twinviewer.testing import assert_reader

IDENTIFYING = ("Doe^Jane", "PAT-12345", "19700101")


def _write(path, data: np.ndarray, *, encoding: str = "raw",
           space: str = "left-posterior-superior",
           directions: str = "(0.8,0,0) (0,0.8,0) (0,0,2)") -> None:
    body = np.asfortranarray(data).tobytes(order="F")
    if encoding == "gzip":
        body = gzip.compress(body)
    sizes = " ".join(str(s) for s in data.shape)
    header = (
        f"NRRD0004\n# exported for Doe^Jane\ntype: short\ndimension: 3\nspace: {space}\n"
        f"sizes: {sizes}\nspace directions: {directions}\n"
        "kinds: domain domain domain\nendian: little\n"
        f"encoding: {encoding}\nspace origin: (10,-20,30)\ncontent: Doe^Jane PAT-12345\n"
        "PatientID:=PAT-12345\nStudyDate:=19700101\n"
        "Segment0_Name:=LV blood pool\nSegment0_LabelValue:=1\n\n")
    path.write_bytes(header.encode() + body)


@pytest.fixture
def volume():
    rng = np.random.default_rng(0)
    return rng.integers(-1000, 1000, size=(7, 5, 3)).astype(np.int16)


def test_matches_itk_reader(tmp_path, volume):
    """ITK's NRRD reader (NrrdIO, from teem, the format's reference library) reads the same
    voxels and geometry; it also keeps the identifying key/value pairs, which ours drops."""
    sitk = pytest.importorskip("SimpleITK")  # in the 'bench' extra
    f = tmp_path / "v.nrrd"
    _write(f, volume)
    ours = read_nrrd(f)
    img = sitk.ReadImage(str(f))
    np.testing.assert_array_equal(ours.array, sitk.GetArrayFromImage(img).T)
    assert ours.spacing_mm == pytest.approx(img.GetSpacing())
    assert ours.origin_mm == pytest.approx(img.GetOrigin())
    assert img.GetMetaData("PatientID") == "PAT-12345"


@pytest.mark.parametrize("space", ["left-posterior-superior", "right-anterior-superior"])
def test_affine_matches_itk_geometry(tmp_path, volume, space):
    """The index → LPS affine against ITK's geometry (ITK works in LPS): an oblique, flipped
    volume in the file's own space, each voxel index mapped to the same physical point."""
    sitk = pytest.importorskip("SimpleITK")
    f = tmp_path / "oblique.nrrd"
    _write(f, volume, space=space,
           directions="(0.6,0.48,0) (-0.48,0.6,0.3) (0,0,-2)")
    ours = read_nrrd(f).affine
    img = sitk.ReadImage(str(f))
    for ijk in [(0, 0, 0), (6, 0, 0), (0, 4, 0), (0, 0, 2), (3, 2, 1)]:
        expected = img.TransformIndexToPhysicalPoint(ijk)
        assert (ours @ [*ijk, 1])[:3] == pytest.approx(expected, abs=1e-9)


def test_gzip_and_segments(tmp_path, volume):
    f = tmp_path / "seg.seg.nrrd"
    _write(f, volume, encoding="gzip")
    vol = read_nrrd(f)
    np.testing.assert_array_equal(vol.array, volume)
    assert vol.segments == {"LV blood pool": 1}


def test_deidentifies(tmp_path, volume):
    f = tmp_path / "v.nrrd"
    _write(f, volume)
    assert_reader(read_nrrd, f, IDENTIFYING)


def test_bad_files_are_named(tmp_path):
    f = tmp_path / "broken.nrrd"
    f.write_bytes(b"not a nrrd")
    with pytest.raises(NrrdError, match="broken.nrrd: not a NRRD file"):
        read_nrrd(f)
    f.write_bytes(b"NRRD0004\ntype: short\nsizes: 10 10\nencoding: raw\n\n\x00\x00")
    with pytest.raises(NrrdError, match="broken.nrrd: data has 2 bytes"):
        read_nrrd(f)

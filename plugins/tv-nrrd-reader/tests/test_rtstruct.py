"""The RT Structure Set reader: polygon filling against matplotlib, labels on the image grid,
de-identification, and each bad file named."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from rtstruct_files import IDENTIFYING, contours_of, write_rtstruct
from tv_nrrd_reader.rtstruct import RTStructError, fill_polygon, read_rtstruct

from twinviewer.testing import assert_reader

AFFINE = np.array([[0.0, 0.0, 1.5, -40.0],  # (k, j, i) → LPS: columns along x, rows along
                   [0.0, 1.5, 0.0, -30.0],  # y, slices along z (2.5 mm)
                   [2.5, 0.0, 0.0, 100.0],
                   [0.0, 0.0, 0.0, 1.0]])


@pytest.fixture
def image():
    return SimpleNamespace(affine=AFFINE, shape=(12, 40, 48))


def _sphere(shape, centre, radius_vox) -> np.ndarray:
    k, j, i = np.indices(shape)
    c = np.asarray(centre)[:, None, None, None]
    return ((np.stack([k, j, i]) - c) ** 2 * np.array([2.5, 1.5, 1.5])[:, None, None, None]
            ** 2).sum(0) <= radius_vox ** 2


def test_fill_polygon_matches_matplotlib():
    """Even-odd filling at pixel centres, against matplotlib's Path.contains_points."""
    from matplotlib.path import Path as MplPath

    rng = np.random.default_rng(3)
    rows, cols = np.indices((30, 35))
    centres = np.column_stack([rows.ravel(), cols.ravel()])
    for _ in range(20):
        n = rng.integers(3, 12)
        angle = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = rng.uniform(3, 14, n)
        poly = np.column_stack([15 + r * np.sin(angle), 17 + r * np.cos(angle)]) + 0.013
        ours = fill_polygon((30, 35), poly[:, 0], poly[:, 1])
        ref = MplPath(poly).contains_points(centres).reshape(30, 35)
        assert np.array_equal(ours, ref)


def test_contours_of_a_sphere_come_back_on_the_grid(tmp_path, image):
    """A sphere traced into contours (scikit-image) and filled again: the same voxels but
    for the boundary (within 4 % of the volume), each ROI under its own name."""
    lv = _sphere(image.shape, (6, 20, 20), 12.0)
    rv = _sphere(image.shape, (6, 20, 36), 7.0) & ~lv
    f = write_rtstruct(tmp_path / "rs.dcm", {"LV blood pool": contours_of(lv, AFFINE),
                                             "Right ventricle": contours_of(rv, AFFINE)})
    out = read_rtstruct(f, image)
    assert out.segments == {"LV blood pool": 1, "Right ventricle": 2}
    assert out.array.shape == image.shape and np.array_equal(out.affine, AFFINE)
    for value, mask in ((1, lv), (2, rv)):
        got = out.array == value
        assert abs(int(got.sum()) - int(mask.sum())) <= 0.04 * mask.sum()
        assert (got & mask).sum() >= 0.93 * mask.sum()


def test_deidentifies(tmp_path, image):
    f = write_rtstruct(tmp_path / "rs.dcm",
                       {"LV": contours_of(_sphere(image.shape, (6, 20, 20), 8.0), AFFINE)})
    assert_reader(lambda p: read_rtstruct(p, image), f, IDENTIFYING)


def test_bad_files_are_named(tmp_path, image):
    lv = contours_of(_sphere(image.shape, (6, 20, 20), 8.0), AFFINE)
    (tmp_path / "notes.dcm").write_text("not dicom")
    with pytest.raises(RTStructError, match="notes.dcm: not a readable DICOM file"):
        read_rtstruct(tmp_path / "notes.dcm", image)
    other = write_rtstruct(tmp_path / "sr.dcm", {"LV": lv},
                           sop_class="1.2.840.10008.5.1.4.1.1.88.11")  # Basic Text SR
    with pytest.raises(RTStructError, match="sr.dcm: not an RT Structure Set"):
        read_rtstruct(other, image)
    open_ = write_rtstruct(tmp_path / "open.dcm", {"LV": lv}, geometric_type="OPEN_PLANAR")
    with pytest.raises(RTStructError, match="open.dcm: ROI 'LV': contour type 'OPEN_PLANAR'"):
        read_rtstruct(open_, image)
    shifted = write_rtstruct(tmp_path / "off.dcm", {"LV": [c + [0, 0, 1.25] for c in lv]})
    with pytest.raises(RTStructError, match="off.dcm: ROI 'LV': a contour lies off the image"):
        read_rtstruct(shifted, image)
    empty = write_rtstruct(tmp_path / "none.dcm", {})
    with pytest.raises(RTStructError, match="none.dcm: no regions of interest"):
        read_rtstruct(empty, image)

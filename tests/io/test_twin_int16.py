"""Image volumes of whole values within int16 are stored as int16 (half the size), lossless,
and kept as int16 when read back (as a DICOM CT is loaded: half the memory of float32;
fix16b); files written before (main's writer, float32) open unchanged."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, ImagePlane, ImageVolume
from twinviewer.io.twinfile import compact_image, load_twin, load_twin_bytes, twin_bytes
from twinviewer.twins import twin_from_preset

OLD = Path(__file__).resolve().parents[1] / "data" / "twin_main_v2" / "small_ct.twin"


def _ct() -> np.ndarray:  # what tests/data/twin_main_v2/make_fixture.py stored
    return (np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5) * 37 % 2000 - 1000).astype(np.float32)


def _plane() -> np.ndarray:
    return np.linspace(0.0, 1.0, 12, dtype=np.float32).reshape(1, 1, 3, 4)


def _twin(ct: np.ndarray, plane: np.ndarray | None = None):
    twin = twin_from_preset("healthy", n=3, seed=0)
    planes = [] if plane is None else [ImagePlane("4ch", ImageVolume(
        plane, np.eye(4), (1.0, 1.0, 1.0), [0.0], 0, 0, "MR", "plane"))]
    an = Anatomy(twin.pseudonym, image=ImageVolume(ct, np.eye(4), (1.0, 1.0, 1.0),
                                                   [0.0] * ct.shape[0], 0, 0, "CT", "t"),
                 planes=planes)
    return dataclasses.replace(twin, anatomy=an)


def _image_dtypes(data: bytes) -> list[str]:
    """The dtypes of the stored image arrays (the anatomy's image, then the planes')."""
    import json

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        tree = json.loads(zf.read("twin.json"))
        refs = [tree["anatomy"]["image"]["array"]["$array"]] + [
            p["image"]["array"]["$array"] for p in tree["anatomy"]["planes"]]
        return [np.load(io.BytesIO(zf.read(r))).dtype.str for r in refs]


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.float32).view(np.uint32)


def test_a_whole_valued_ct_is_stored_as_int16_and_comes_back_bit_for_bit():
    ct = _ct()
    data = twin_bytes(_twin(ct, _plane()), written="2026-12-07T00:00:00+00:00")
    assert _image_dtypes(data) == ["<i2", "<f4"]  # the plane's fractions kept as float32
    back = load_twin_bytes(data).twin.anatomy
    # the CT stays int16 in memory (fix15a left it float32: 91 MB for a 45 MB image)
    assert back.image.array.dtype == np.int16 and back.planes[0].image.array.dtype == np.float32
    assert back.image.array.nbytes == ct.nbytes // 2
    assert np.array_equal(_bits(back.image.array), _bits(ct))
    assert np.array_equal(_bits(back.planes[0].image.array), _bits(_plane()))
    # saved again and reopened: the very same image bytes, still int16
    again = load_twin_bytes(twin_bytes(load_twin_bytes(data).twin,
                                       written="2026-12-07T00:00:00+00:00")).twin.anatomy
    assert again.image.array.dtype == np.int16
    assert again.image.array.tobytes() == back.image.array.tobytes()
    # half the image's bytes: the file shrinks by the CT's float32 size / 2
    old = twin_bytes(_twin(ct + 0.5, _plane()), written="2026-12-07T00:00:00+00:00")
    assert len(old) - len(data) >= ct.nbytes // 2 - 64


@pytest.mark.parametrize("value", [0.5, -0.0, 32768.0, -32769.0, np.nan, np.inf])
def test_an_image_int16_cannot_hold_exactly_stays_float(value):
    ct = _ct()
    ct[1, 2, 3, 4] = value
    assert compact_image(ct) is ct
    if np.isfinite(value):  # the reader refuses non-finite images, as before
        data = twin_bytes(_twin(ct))
        assert _image_dtypes(data) == ["<f4"]
        back = load_twin_bytes(data).twin.anatomy.image.array
        assert np.array_equal(_bits(back), _bits(ct))


def test_the_int16_range_ends_are_kept():
    ct = _ct()
    ct[0, 0, 0, :2] = [-32768.0, 32767.0]
    assert compact_image(ct).dtype == np.int16
    assert np.array_equal(_bits(compact_image(ct).astype(np.float32)), _bits(ct))


def test_a_file_written_by_mains_writer_opens_unchanged():
    """The fixture was written by main (d2dde56), float32 images; it opens as it did."""
    with zipfile.ZipFile(OLD) as zf:
        assert sum(n.endswith(".npy") for n in zf.namelist()) >= 2
    assert _image_dtypes(OLD.read_bytes()) == ["<f4", "<f4"]
    doc = load_twin(OLD)
    an = doc.twin.anatomy
    assert an.image.array.dtype == np.float32
    assert np.array_equal(_bits(an.image.array), _bits(_ct()))
    assert np.array_equal(_bits(an.planes[0].image.array), _bits(_plane()))
    # saved again by this writer: the CT as int16, the same values
    again = load_twin_bytes(twin_bytes(doc.twin, parameters=doc.parameters)).twin.anatomy
    assert np.array_equal(_bits(again.image.array), _bits(_ct()))

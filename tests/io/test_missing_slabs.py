"""An image's ``missing_slabs`` (slabs of the stack left out at its ends, imaging14) is read
from a .twin only as two whole numbers 0…MAX_MISSING_SLABS; anything else is refused naming
the field (final14 #3: ``[-2, 0]`` gave a negative basal gap with a negative SD, ``[1]`` an
IndexError on the Segment step's Accept, ``"12"`` loaded as ``(1, 2)``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.fuzz.twin_cases import BAD_MISSING_SLABS, base_bytes
from tests.io.conftest import make_twin
from tests.io.zips import rezip, unzip
from twinviewer.core.anatomy import (
    MAX_MISSING_SLABS,
    Anatomy,
    ImagePlane,
    ImageVolume,
    slab_counts,
)
from twinviewer.io import TwinFileError, twin_bytes
from twinviewer.io.twinfile import load_twin_bytes


def _with(data: bytes, value, where=lambda tree: tree["anatomy"]["image"]) -> bytes:
    members, manifest = unzip(data)
    tree = json.loads(members["twin.json"])
    where(tree)["missing_slabs"] = value
    members["twin.json"] = json.dumps(tree).encode()
    return rezip(members, manifest)


@pytest.mark.parametrize("value", BAD_MISSING_SLABS, ids=lambda v: str(v)[:20])
def test_a_bad_missing_slabs_is_refused_naming_the_field(value):
    with pytest.raises(TwinFileError) as e:
        load_twin_bytes(_with(base_bytes(), value), name="h.twin")
    msg = str(e.value)
    assert msg.startswith("h.twin: anatomy.image.missing_slabs should be two whole numbers"), msg
    assert len(msg) < 300, msg  # 10**400 is not repeated in full


@pytest.mark.parametrize("value", [[0, 0], [1, 0], [0, 2], [MAX_MISSING_SLABS, 3]])
def test_a_good_missing_slabs_is_read_as_written(value):
    doc = load_twin_bytes(_with(base_bytes(), value), name="h.twin")
    assert doc.twin.anatomy.image.missing_slabs == tuple(value)


def test_absent_missing_slabs_reads_as_none_left_out():
    def drop(members, manifest):
        tree = json.loads(members["twin.json"])
        del tree["anatomy"]["image"]["missing_slabs"]
        members["twin.json"] = json.dumps(tree).encode()

    members, manifest = unzip(base_bytes())
    drop(members, manifest)
    doc = load_twin_bytes(rezip(members, manifest), name="h.twin")
    assert doc.twin.anatomy.image.missing_slabs == (0, 0)


def test_a_plane_image_is_checked_too():
    twin = make_twin(n=4)
    img = ImageVolume(np.zeros((1, 3, 4, 4), np.int16), np.eye(4), (8.0, 1.0, 1.0))
    plane = ImagePlane("4CH", ImageVolume(np.zeros((1, 1, 4, 4), np.int16), np.eye(4),
                                          (8.0, 1.0, 1.0)))
    twin.anatomy = Anatomy(twin.pseudonym, {}, img, planes=[plane])
    data = twin_bytes(twin)
    with pytest.raises(TwinFileError, match=r"h\.twin: anatomy\.planes\[0\]\.image\."
                                            r"missing_slabs should be"):
        load_twin_bytes(_with(data, [-1, 0], lambda t: t["anatomy"]["planes"][0]["image"]),
                        name="h.twin")


@pytest.mark.parametrize("value", [(-2, 0), (1,), (0, 0, 7), "12", (True, 0), (1.0, 0),
                                   (10**400, 0), (MAX_MISSING_SLABS + 1, 0), None])
def test_an_image_volume_cannot_be_built_with_bad_missing_slabs(value):
    with pytest.raises(ValueError, match="missing_slabs should be two whole numbers"):
        ImageVolume(np.zeros((1, 3, 2, 2)), np.eye(4), (8.0, 1.0, 1.0), missing_slabs=value)
    d = ImageVolume(np.zeros((1, 3, 2, 2)), np.eye(4), (8.0, 1.0, 1.0)).to_dict()
    d["missing_slabs"] = value
    with pytest.raises(ValueError, match="missing_slabs"):
        ImageVolume.from_dict(d)


def test_slab_counts_normalises_numpy_and_lists():
    assert slab_counts([np.int64(1), 0]) == (1, 0)
    assert type(slab_counts(np.array([2, 1]).tolist())[0]) is int

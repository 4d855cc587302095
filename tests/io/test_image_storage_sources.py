"""Which images a .twin stores as int16 (review14b #3): the synthetic CT made from a virtual
heart's meshes is whole HU at its source, so it goes as int16, half its float32 size; a scanned
image with fractions (a rescale slope of 0.5) is never rounded: it goes as float32, bit for bit."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import numpy as np

from twinviewer.core.anatomy import Anatomy, Structure
from twinviewer.imaging.disease_anatomy import shell_mesh, sphere_mesh
from twinviewer.io.twinfile import load_twin_bytes, twin_bytes
from twinviewer.twins import twin_from_preset

WRITTEN = "2026-12-07T00:00:00+00:00"


def _stored_image(data: bytes) -> np.ndarray:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        ref = json.loads(zf.read("twin.json"))["anatomy"]["image"]["array"]["$array"]
        return np.load(io.BytesIO(zf.read(ref)), allow_pickle=False)


def _with_anatomy(anatomy: Anatomy):
    twin = twin_from_preset("healthy", n=3, seed=0)
    anatomy.pseudonym = twin.pseudonym
    return dataclasses.replace(twin, anatomy=anatomy)


def _small_heart() -> Anatomy:
    # two phases of the standard keys, small (a real heart's image costs seconds)
    a = Anatomy("virtual-heart", rr_ms=800.0, phase_times_ms=[0.0, 300.0])
    for key, r, dx in (("lv_blood", 30.0, 0.0), ("rv_blood", 25.0, 70.0)):
        s = Structure(key, key, (1.0, 0.0, 0.0))
        s.meshes = {p: sphere_mesh(r * f, 12) for p, f in ((0, 1.0), (1, 0.8))}
        for m in s.meshes.values():
            m.points = m.points + np.array([dx, 0.0, 0.0])
        a.structures[key] = s
    myo = Structure("lv_myocardium", "LV wall", (0.8, 0.2, 0.2))
    myo.meshes = {0: shell_mesh(30.0, 39.0, 12), 1: shell_mesh(24.0, 35.0, 12)}
    a.structures["lv_myocardium"] = myo
    return a


def test_a_virtual_hearts_synthetic_ct_is_whole_hu_and_stored_as_int16():
    from twinviewer.gui import heart_anatomy as ha
    from twinviewer.gui.demo_heart import HU_BLOOD, HU_FAT, ct_labels

    a = _small_heart()
    ha._finish(a, ct_labels(a))  # as a New virtual patient's own anatomy is made
    img = a.image.array
    assert img.dtype == np.int16 and "not a scan" in a.image.description
    # rounding moved no voxel off its tissue: blood and fat are where they were
    assert img.min() < 0.5 * (HU_BLOOD + HU_FAT) < img.max()
    data = twin_bytes(_with_anatomy(a), written=WRITTEN)
    stored = _stored_image(data)
    assert stored.dtype == np.int16 and np.array_equal(stored, img)
    back = load_twin_bytes(data).twin.anatomy.image.array
    assert np.array_equal(back, img.astype(np.float32))
    # the image costs the file its int16 size, not its float32 one
    as_float = dataclasses.replace(a, image=dataclasses.replace(
        a.image, array=img.astype(np.float32) + np.float32(0.25)))
    assert (len(twin_bytes(_with_anatomy(as_float), written=WRITTEN)) - len(data)
            >= img.size * 2 - 64)


def test_a_scanned_image_with_fractions_is_stored_exactly(tmp_path):
    """A scan's values (here a rescale slope of 0.5: half HU) are kept, not rounded."""
    from tests.imaging.dicom_factory import volume, write_series
    from twinviewer.imaging.series import scan_folder
    from twinviewer.imaging.volume import load_volume

    hu = volume((5, 6, 7)).astype(np.float32) + 0.5
    write_series(tmp_path / "s", hu, slope=0.5)
    image = load_volume(scan_folder(tmp_path / "s", b"k" * 32).images()[0]).image
    assert np.any(image.array % 1 != 0)  # the import kept the halves
    data = twin_bytes(_with_anatomy(Anatomy("x", image=image)), written=WRITTEN)
    assert _stored_image(data).dtype == np.float32
    back = load_twin_bytes(data).twin.anatomy.image.array
    assert np.array_equal(back.view(np.uint32), image.array.astype(np.float32).view(np.uint32))

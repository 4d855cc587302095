"""File → New virtual patient holds its synthetic CT as int16 (whole HU) from the start, as a
DICOM CT is loaded and a reopened .twin holds it: the demo heart standing in at once, then the
heart's own anatomy. Session 16's closing note said it was float32 until saved and reopened;
it has been int16 at its source since review14b #3 (``demo_heart.ct_from_labels``), so this
is a guard over the whole app path, not a fix: saved and reopened, the image is the same
int16 array, value for value."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow  # builds the severe_as anatomy when the cache has none (~8 s CPU)
def test_a_new_virtual_patients_ct_is_int16_from_the_start(make_twin_window, qtbot,
                                                            tmp_path):
    from tests.gui.conftest import wait_jobs
    from twinviewer.gui.demo_heart import HU_BLOOD, HU_FAT
    from twinviewer.io.twinfile import load_twin, save_twin

    w = make_twin_window(load_demo=True)
    w.new_virtual_patient("severe_as")
    at_once = w.state.twin.anatomy.image
    assert at_once.array.dtype == np.int16  # the demo heart's image, standing in
    wait_jobs(qtbot, w.state, timeout=240_000)  # its own anatomy, built in a worker
    twin = w.state.twin
    img = twin.anatomy.image.array
    assert twin.anatomy.pseudonym == "virtual-severe_as" and img is not at_once.array
    assert img.dtype == np.int16 and "not a scan" in twin.anatomy.image.description
    assert img.min() < 0.5 * (HU_BLOOD + HU_FAT) < img.max()  # blood and fat, in HU
    path = tmp_path / "new.twin"
    save_twin(path, twin)
    back = load_twin(path).twin.anatomy.image.array
    assert back.dtype == np.int16 and np.array_equal(back, img)
    w.state.session.dirty = False

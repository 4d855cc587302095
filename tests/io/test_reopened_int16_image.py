"""A reopened .twin keeps its whole-HU CT as int16 in memory (fix16b; fix15a stored it int16
but read it back as float32: 91 MB for a new virtual patient's 45 MB image). Every consumer
of the array gives the same answer on the int16 image as on the float32 one it came from:
the CT segmentation and its meshes, the slice view's levels and planes, the report."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.imaging.test_ct_seg import SHAPE, SPACING, clicks
from twinviewer.core.anatomy import Anatomy, ImageVolume
from twinviewer.imaging.ct_seg import segment_ct
from twinviewer.imaging.phantom import ct_hounsfield, grid_affine, make_labels
from twinviewer.io.twinfile import load_twin, load_twin_bytes, save_twin, twin_bytes
from twinviewer.twins import twin_from_preset


@pytest.fixture(scope="module")
def phantom():
    truth = make_labels(SHAPE, SPACING, "ED")
    hu = np.round(ct_hounsfield(truth, SPACING, rng=np.random.default_rng(0))) + 0.0  # no −0
    image = ImageVolume(hu.astype(np.float32), grid_affine(SHAPE, SPACING), SPACING,
                        [0.0], 0, 0, "CT", "phantom")
    twin = twin_from_preset("healthy", n=3, seed=0)
    twin = dataclasses.replace(twin, anatomy=Anatomy(twin.pseudonym, image=image))
    back = load_twin_bytes(twin_bytes(twin)).twin
    return twin, back, truth


def test_the_reopened_ct_is_int16_with_the_same_values(phantom):
    twin, back, _ = phantom
    a, b = twin.anatomy.image.array, back.anatomy.image.array
    assert b.dtype == np.int16 and b.nbytes == a.nbytes // 2
    assert np.array_equal(b.astype(np.float32).view(np.uint32), a.view(np.uint32))


def test_segmentation_and_meshes_are_the_same_on_the_int16_image(phantom):
    twin, back, truth = phantom
    seeds = clicks(truth)
    assert np.array_equal(segment_ct(back.anatomy.image, seeds),
                          segment_ct(twin.anatomy.image, seeds))


def test_slice_levels_and_planes_are_the_same_on_the_int16_image(phantom):
    from twinviewer.gui.slice_view import auto_levels

    twin, back, _ = phantom
    a, b = twin.anatomy.image.array[0], back.anatomy.image.array[0]
    assert auto_levels(b) == auto_levels(a)
    assert np.array_equal(np.take(b, 40, axis=1), np.take(a, 40, axis=1))


@pytest.mark.slow  # the whole report: minutes at load 11 (221 s)
def test_the_report_draws_the_reopened_int16_image(phantom, tmp_path):
    from twinviewer.physiology import simulate
    from twinviewer.report.pdf import write_report
    from twinviewer.twins import model_of

    twin, _, _ = phantom
    doc = load_twin(save_twin(tmp_path / "ct.twin", twin))
    assert doc.twin.anatomy.image.array.dtype == np.int16
    results = simulate(model_of(doc.twin), doc.twin.ensemble)
    info = write_report(doc, tmp_path / "ct.pdf", results=results, scenario_results={})
    assert (tmp_path / "ct.pdf").stat().st_size > 0 and info.text

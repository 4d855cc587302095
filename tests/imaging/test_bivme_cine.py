"""The cine segmenter on a heart the project did not design: the biv-me patient's real
ventricles (with the demo's atria and great vessels), rendered as a short-axis cine stack.

The renderer is checked against the surfaces it draws (slab-majority truth volumes vs the
capped surfaces' own volumes); the segmentation against that truth and against biv-me's LV
wall × 1.05 g/mL.
"""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.imaging.bivme_cine import bivme_sa_stack
from twinviewer.imaging.cine_seg import LV, MYO, RV, propose_seeds, segment_cine

FRAMES = (0, 9)  # ED, ES (smallest LV volume of biv-me's 25 frames)


@pytest.fixture(scope="module")
def stack():
    return bivme_sa_stack(frames=FRAMES)


@pytest.fixture(scope="module")
def result(stack):
    return segment_cine(stack.image, propose_seeds(stack.image))


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / max(float(a.sum() + b.sum()), 1.0)


def test_rendered_truth_holds_the_surfaces_volumes(stack):
    vox = float(np.prod(stack.image.spacing)) / 1000.0
    for p, f in enumerate(FRAMES):
        ref = stack.reference[f]
        for label, key in ((1, "lv_blood"), (3, "rv_blood")):
            v = float((stack.truth[p] == label).sum()) * vox
            assert v == pytest.approx(ref[key], rel=0.04), (f, key, v, ref[key])
        myo = float((stack.truth[p] == 2).sum()) * vox
        assert myo == pytest.approx(ref["lv_myocardium"], rel=0.05)
    assert stack.image.es_index == 1 and stack.image.modality == "MR"


def test_ed_segmentation_per_structure(stack, result):
    lab, truth = result.labels[0], stack.truth[0]
    assert dice(lab == LV, truth == LV) >= 0.95
    assert dice(lab == RV, truth == RV) >= 0.9
    assert dice(lab == MYO, truth == MYO) >= 0.85
    vox = float(np.prod(stack.image.spacing)) / 1000.0
    assert (lab == LV).sum() * vox == pytest.approx(stack.reference[0]["lv_blood"], rel=0.06)


def test_lv_mass_against_bivme_wall(stack, result):
    vox = float(np.prod(stack.image.spacing)) / 1000.0
    mass = 1.05 * float((result.labels[0] == MYO).sum()) * vox
    assert mass == pytest.approx(1.05 * stack.reference[0]["lv_myocardium"], rel=0.1)


def test_systolic_base_is_not_the_atrium(stack, result):
    """At ES the base has moved towards the apex: the basal slice cuts the atria, which must
    not become LV (it did: 153 mL 'LV' against 72 mL)."""
    lab, truth = result.labels[1], stack.truth[1]
    vox = float(np.prod(stack.image.spacing)) / 1000.0
    assert (lab == LV).sum() * vox < 1.05 * stack.reference[9]["lv_blood"]
    assert dice(lab == LV, truth == LV) >= 0.85

"""Volumes by voxel counting with boundary uncertainty; EF and LV mass as Measurements."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement
from twinviewer.imaging.measure import (
    clinical_measurements,
    ed_es_from_volumes,
    ejection_fraction,
    exposed_faces,
    structure_volumes,
)


def test_box_volume_and_uncertainty():
    lab = np.zeros((10, 12, 14), np.uint8)
    lab[2:5, 3:7, 4:9] = 3  # 3 × 4 × 5 = 60 voxels
    faces = exposed_faces(lab)
    assert faces[3] == 2 * (3 * 4 + 4 * 5 + 3 * 5)
    v = structure_volumes(lab, (2.0, 1.0, 0.5), {"rv_blood": 3, "la": 4})
    assert set(v) == {"rv_blood"}
    assert v["rv_blood"].value == pytest.approx(60 * 1e-3)
    assert v["rv_blood"].unit == "mL" and v["rv_blood"].source == "CT segmentation"
    assert v["rv_blood"].uncertainty == pytest.approx(94 * 1e-3 / math.sqrt(12))


def test_faces_at_the_image_border_count():
    lab = np.ones((2, 2, 2), np.uint8)
    assert exposed_faces(lab)[1] == 24


def test_uncertainty_shrinks_relative_to_volume_with_finer_voxels():
    k, j, i = np.mgrid[:40, :40, :40]
    ball = (((k - 19.5) ** 2 + (j - 19.5) ** 2 + (i - 19.5) ** 2) < 15**2).astype(np.uint8)
    coarse = structure_volumes(ball[::2, ::2, ::2], (2.0, 2.0, 2.0), {"la": 1})["la"]
    fine = structure_volumes(ball, (1.0, 1.0, 1.0), {"la": 1})["la"]
    assert fine.value == pytest.approx(coarse.value, rel=0.05)
    assert fine.uncertainty < 0.6 * coarse.uncertainty


def test_ef_with_propagated_uncertainty():
    ef = ejection_fraction(Measurement("LVEDV", 120.0, "mL", 6.0),
                           Measurement("LVESV", 48.0, "mL", 4.0))
    assert ef.value == pytest.approx(60.0) and ef.unit == "%"
    expected = math.hypot(100 * 48 / 120**2 * 6.0, 100 / 120 * 4.0)
    assert ef.uncertainty == pytest.approx(expected)
    with pytest.raises(ValueError, match="LVEF: end-diastolic volume must be > 0"):
        ejection_fraction(Measurement("LVEDV", 0.0, "mL", 1.0), Measurement("x", 0, "mL", 0))


def test_clinical_measurements_and_ed_es():
    m = lambda v: Measurement("v", v, "mL", 2.0, "CT segmentation")  # noqa: E731
    vols = {0: {"lv_blood": m(70.0), "lv_myocardium": m(100.0)},
            1: {"lv_blood": m(130.0), "lv_myocardium": m(100.0)},
            2: {"lv_blood": m(50.0)}}
    assert ed_es_from_volumes(vols) == (1, 2)
    out = {x.name: x for x in clinical_measurements(vols, 1, 2)}
    assert out["LVEDV"].value == 130.0 and out["LVESV"].value == 50.0
    assert out["LVSV"].value == 80.0
    assert out["LVEF"].value == pytest.approx(100 * 80 / 130)
    assert out["LVmass"].value == pytest.approx(105.0) and out["LVmass"].unit == "g"
    assert out["LVmass"].uncertainty == pytest.approx(2.1)
    assert ed_es_from_volumes({0: {"lv_blood": m(1.0)}}) is None

"""The demo study: physiological anatomy, realistic HU, valid DICOM CT and SEG, determinism."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from scipy import ndimage

from twinviewer.imaging import phantom
from twinviewer.imaging.demo import (
    DEMO_IDENTIFIERS,
    PHASE_TIMING,
    STRUCTURE_CODES,
    make_demo_labels,
    write_demo_study,
)
from twinviewer.imaging.phantom import LABEL_VALUES

FULL_SHAPE, FULL_SPACING = (90, 160, 160), (1.8, 1.0, 1.0)
LV_MYO_DENSITY_G_PER_ML = 1.05


@pytest.fixture(scope="module")
def full_labels() -> dict[str, np.ndarray]:
    return {p: make_demo_labels(FULL_SHAPE, FULL_SPACING, p) for p in ("ED", "ES")}


def _vol(labels: dict[str, np.ndarray], phase: str) -> dict[str, float]:
    return phantom.volumes_ml(labels[phase], FULL_SPACING)


def _read_phase(study, phase: str) -> tuple[np.ndarray, list[pydicom.Dataset]]:
    """HU volume of one phase, slices sorted along the slice normal (not by file name)."""
    trigger = PHASE_TIMING[phase][1]
    slices = [ds for ds in (pydicom.dcmread(p) for p in study.ct_files)
              if float(ds.TriggerTime) == trigger]
    normal = np.cross(*np.reshape(np.asarray(slices[0].ImageOrientationPatient, float), (2, 3)))
    slices.sort(key=lambda ds: float(np.dot(normal, np.asarray(ds.ImagePositionPatient, float))))
    hu = np.stack([ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
                   for ds in slices])
    return hu, slices


def test_lv_volumes_and_ejection_fraction_are_physiological(full_labels):
    ed, es = _vol(full_labels, "ED"), _vol(full_labels, "ES")
    assert 120.0 <= ed["lv_blood"] <= 150.0
    ef = (ed["lv_blood"] - es["lv_blood"]) / ed["lv_blood"]
    assert 0.55 <= ef <= 0.70
    # Myocardium is nearly incompressible: mass within 5 % between phases, 90-200 g.
    for phase in ("ED", "ES"):
        mass_g = _vol(full_labels, phase)["lv_myocardium"] * LV_MYO_DENSITY_G_PER_ML
        assert 90.0 <= mass_g <= 200.0
    assert abs(es["lv_myocardium"] / ed["lv_myocardium"] - 1.0) < 0.05


def test_rv_and_atria_volumes_are_physiological(full_labels):
    ed, es = _vol(full_labels, "ED"), _vol(full_labels, "ES")
    assert 110.0 <= ed["rv_blood"] <= 200.0
    rv_ef = (ed["rv_blood"] - es["rv_blood"]) / ed["rv_blood"]
    assert 0.45 <= rv_ef <= 0.70
    for atrium in ("la", "ra"):
        assert 25.0 <= ed[atrium] < es[atrium] <= 90.0, atrium  # atria fill during systole
    for vessel in ("aorta", "pulmonary_artery"):
        assert ed[vessel] > 20.0 and abs(es[vessel] - ed[vessel]) / ed[vessel] < 0.1


def test_lv_wall_and_aortic_root_have_clinical_dimensions(full_labels):
    ed = full_labels["ED"]
    # Largest inscribed sphere: diameter = 2 * max distance to the outside.
    myo = ed == LABEL_VALUES["lv_myocardium"]
    wall_mm = 2.0 * ndimage.distance_transform_edt(myo, sampling=FULL_SPACING).max()
    assert 8.0 <= wall_mm <= 11.0
    aorta = ed == LABEL_VALUES["aorta"]
    root_mm = 2.0 * ndimage.distance_transform_edt(aorta, sampling=FULL_SPACING).max()
    assert 31.0 <= root_mm <= 37.0
    lv = ed == LABEL_VALUES["lv_blood"]
    lv_diam_mm = 2.0 * ndimage.distance_transform_edt(lv, sampling=FULL_SPACING).max()
    assert 42.0 <= lv_diam_mm <= 58.0


def test_long_axis_points_left_anterior_inferior_about_45_degrees_off_sagittal(full_labels):
    affine = phantom.grid_affine(FULL_SHAPE, FULL_SPACING)
    ed = full_labels["ED"]

    def points(mask):
        kji = np.argwhere(mask).astype(float)
        return kji @ affine[:3, :3].T + affine[:3, 3]

    lv = points((ed == LABEL_VALUES["lv_blood"]) | (ed == LABEL_VALUES["lv_myocardium"]))
    centre = lv.mean(axis=0)
    axis = np.linalg.svd(lv - centre, full_matrices=False)[2][0]
    la_centre = points(ed == LABEL_VALUES["la"]).mean(axis=0)
    if np.dot(axis, centre - la_centre) < 0:  # orient base -> apex
        axis = -axis
    x, y, z = axis  # LPS: +x left, +y posterior, +z superior
    assert x > 0 and y < 0 and z < 0
    off_sagittal_deg = np.degrees(np.arctan2(abs(x), abs(y)))
    assert 30.0 <= off_sagittal_deg <= 60.0


def test_rv_wraps_the_septum_as_a_crescent(full_labels):
    ed = full_labels["ED"]
    rv = ed == LABEL_VALUES["rv_blood"]
    myo = ed == LABEL_VALUES["lv_myocardium"]
    # RV touches the LV myocardium (septum) and is not convex: its hull holds much more.
    touching = rv & ndimage.binary_dilation(myo)
    assert touching.sum() > 1000
    k = int(np.argmax(rv.sum(axis=(1, 2))))
    from scipy.spatial import ConvexHull
    pts = np.argwhere(rv[k])
    hull_area = ConvexHull(pts).volume
    assert rv[k].sum() < 0.8 * hull_area


def test_hounsfield_units_match_tissue(demo_study):
    hu, _ = _read_phase(demo_study, "ED")
    tissue = phantom.tissue_map(demo_study.labels["ED"], demo_study.spacing)
    expected = {  # (low, high) HU for the core of each tissue, from REFERENCE.md
        phantom.LEFT_BLOOD: (250, 450), phantom.RIGHT_BLOOD: (250, 450),
        phantom.LV_MYO: (40, 100), phantom.MEDIASTINAL_FAT: (-130, -70),
        phantom.LUNG: (-900, -800), phantom.AIR: (-1024, -970),
    }
    for cls, (low, high) in expected.items():
        core = ndimage.binary_erosion(tissue == cls, iterations=1)
        assert core.sum() > 50, cls
        median = float(np.median(hu[core]))
        assert low <= median <= high, (cls, median)
    # Noise is present but mild.
    core = ndimage.binary_erosion(tissue == phantom.LEFT_BLOOD, iterations=2)
    assert 5.0 < float(hu[core].std()) < 30.0


def test_ct_files_are_valid_and_geometry_consistent(demo_study):
    n_slices = demo_study.labels["ED"].shape[0]
    assert len(demo_study.ct_files) == 2 * n_slices
    datasets = [pydicom.dcmread(p) for p in demo_study.ct_files]
    assert {ds.SOPClassUID for ds in datasets} == {pydicom.uid.CTImageStorage}
    assert len({ds.SeriesInstanceUID for ds in datasets}) == 1
    assert len({ds.SOPInstanceUID for ds in datasets}) == len(datasets)
    assert sorted({float(ds.TriggerTime) for ds in datasets}) == sorted(
        demo_study.trigger_times_ms.values())
    assert {int(ds.TemporalPositionIdentifier) for ds in datasets} == {1, 2}

    for phase in ("ED", "ES"):
        hu, slices = _read_phase(demo_study, phase)
        assert hu.shape == demo_study.labels[phase].shape
        positions = np.array([ds.ImagePositionPatient for ds in slices], dtype=float)
        steps = np.diff(positions, axis=0)
        np.testing.assert_allclose(steps, [[0, 0, demo_study.spacing[0]]] * len(steps),
                                   atol=1e-3)
        for k in (0, len(slices) - 1):
            expected = demo_study.affine @ np.array([k, 0, 0, 1.0])
            np.testing.assert_allclose(positions[k], expected[:3], atol=1e-3)
        ds = slices[0]
        assert [float(v) for v in ds.PixelSpacing] == list(demo_study.spacing[1:])
        # Column step is +x, row step +y: the affine's i and j columns.
        np.testing.assert_allclose(demo_study.affine[:3, 2], [ds.PixelSpacing[1], 0, 0])
        np.testing.assert_allclose(demo_study.affine[:3, 1], [0, ds.PixelSpacing[0], 0])

    # File names do not follow slice order, so readers must use geometry.
    by_name = sorted(demo_study.ct_files, key=lambda p: p.name)
    z_by_name = [float(pydicom.dcmread(p, stop_before_pixels=True).ImagePositionPatient[2])
                 for p in by_name[:20]]
    assert z_by_name != sorted(z_by_name)


def test_seg_has_snomed_coded_segments_matching_the_labels(demo_study):
    assert len(demo_study.seg_files) == 2
    for phase, path in zip(("ED", "ES"), demo_study.seg_files, strict=True):
        seg = hd.seg.segread(path)
        assert seg.segmentation_type == hd.seg.SegmentationTypeValues.BINARY
        assert sorted(seg.segment_numbers) == sorted(LABEL_VALUES.values())
        for key, number in LABEL_VALUES.items():
            desc = seg.get_segment_description(number)
            prop = desc.segmented_property_type
            assert (prop.scheme_designator, prop.value, prop.meaning) == STRUCTURE_CODES[key]
            assert desc.segmented_property_category.value == "91723000"
        _, slices = _read_phase(demo_study, phase)
        labels = seg.get_pixels_by_source_instance(
            [ds.SOPInstanceUID for ds in slices], combine_segments=True,
            assert_missing_frames_are_empty=True)
        np.testing.assert_array_equal(labels, demo_study.labels[phase])
        assert float(seg.TriggerTime) == demo_study.trigger_times_ms[phase]


def test_demo_carries_the_fake_identity_that_import_must_strip(demo_study):
    raw = demo_study.ct_files[0].read_bytes()
    for keyword, value in DEMO_IDENTIFIERS.items():
        assert value.encode() in raw, keyword


def test_same_seed_writes_identical_files_and_another_seed_differs(tmp_path):
    kwargs = {"shape": (40, 80, 80), "spacing": (4.0, 2.0, 2.0)}
    a = write_demo_study(tmp_path / "a", seed=7, **kwargs)
    b = write_demo_study(tmp_path / "b", seed=7, **kwargs)
    c = write_demo_study(tmp_path / "c", seed=8, **kwargs)
    assert [p.name for p in a.ct_files] == [p.name for p in b.ct_files]
    for pa, pb in zip(a.ct_files, b.ct_files, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
    for pa, pb in zip(a.seg_files, b.seg_files, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
    np.testing.assert_array_equal(a.labels["ES"], c.labels["ES"])  # anatomy is not random
    pixels = lambda s: np.stack([pydicom.dcmread(p).pixel_array for p in s.ct_files])  # noqa: E731
    assert not np.array_equal(np.sort(pixels(a), axis=0), np.sort(pixels(c), axis=0))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"phase": "MID"}, "unknown cardiac phase 'MID'"),
    ({"shape": (10, 20, 20)}, "too small"),
    ({"shape": (90, 160)}, "three integers"),
    ({"spacing": (1.8, -1.0, 1.0)}, "positive mm"),
    ({"spacing": (1.8, float("nan"), 1.0)}, "positive mm"),
])
def test_bad_demo_parameters_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_demo_labels(**kwargs)


def test_unwritable_folder_raises_oserror_naming_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match="cannot create demo study folders"):
        write_demo_study(blocker / "study", shape=(40, 80, 80), spacing=(4.0, 2.0, 2.0))


def test_command_line_writes_the_study(tmp_path, capsys):
    from twinviewer.imaging.demo import main
    assert main([str(tmp_path / "out"), "--shape", "40", "80", "80",
                 "--spacing", "4", "2", "2"]) == 0
    assert len(list(Path(tmp_path / "out" / "ct").glob("*.dcm"))) == 80
    assert "lv_blood" in capsys.readouterr().out
    assert main([str(tmp_path / "bad"), "--shape", "4", "8", "8"]) == 2

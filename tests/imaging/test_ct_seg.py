"""Contrast CT segmentation from one click per structure on the four-chamber phantom.

Bar (issue 13): Dice ≥ 0.9 for every blood pool and chamber volumes within 5 %.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from twinviewer.core.anatomy import ImageVolume
from twinviewer.imaging.ct_seg import segment_ct
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.phantom import (
    BODY_FAT,
    LABEL_VALUES,
    MEDIASTINAL_FAT,
    MUSCLE,
    OTHER_WALL,
    ct_hounsfield,
    grid_affine,
    make_labels,
    tissue_map,
)

SHAPE, SPACING = (90, 160, 160), (1.8, 1.0, 1.0)
POOLS = ("lv_blood", "rv_blood", "la", "ra", "aorta", "pulmonary_artery")


@pytest.fixture(scope="module")
def ct():
    truth = make_labels(SHAPE, SPACING, "ED")
    hu = ct_hounsfield(truth, SPACING, rng=np.random.default_rng(0))
    return ImageVolume(hu, grid_affine(SHAPE, SPACING), SPACING, modality="CT"), truth


def clicks(truth: np.ndarray) -> dict[str, list[tuple[int, int, int]]]:
    """One click per structure where a user would put it: the pool's deepest point."""
    out = {}
    for k in POOLS:
        d = ndimage.distance_transform_edt(truth == LABEL_VALUES[k], sampling=SPACING)
        out[k] = [tuple(int(v) for v in np.unravel_index(int(np.argmax(d)), d.shape))]
    return out


@pytest.fixture(scope="module")
def seeds(ct):
    return clicks(ct[1])


@pytest.fixture(scope="module")
def seg(ct, seeds):
    return segment_ct(ct[0], seeds)


def test_blood_pools_dice_and_volume(ct, seg):
    _, truth = ct
    lab = seg
    for k in POOLS:
        a, b = lab == LABEL_VALUES[k], truth == LABEL_VALUES[k]
        assert 2 * (a & b).sum() / (a.sum() + b.sum()) >= 0.95, k
        assert a.sum() == pytest.approx(b.sum(), rel=0.05), k


def test_myocardium_shell_surrounds_the_lv(ct, seg):
    _, truth = ct
    myo = seg == LABEL_VALUES["lv_myocardium"]
    t = truth == LABEL_VALUES["lv_myocardium"]
    # 0.77 before ctmass10 (a 70 HU shell on the epicardium, the septum's RV side dropped);
    # 0.97 after (docs/notes/ctmass10.md).
    assert 2 * (myo & t).sum() / (myo.sum() + t.sum()) >= 0.9


@pytest.mark.parametrize("phase", ["ED", "ES"])
def test_lv_mass_within_5_percent(phase):
    """LV myocardium (mass = volume x 1.05 g/mL, so the same ratio) within 5 % of the truth
    with the septum counted as LV (AHA 17-segment convention) and no chest-wall muscle.

    Read +8.9 % (ED) and +7.5 % (ES) before ctmass10: an epicardial shell and chest-wall
    muscle counted, the septum's RV side dropped.
    """
    truth = make_labels(SHAPE, SPACING, phase)
    hu = ct_hounsfield(truth, SPACING, rng=np.random.default_rng(0))
    img = ImageVolume(hu, grid_affine(SHAPE, SPACING), SPACING, modality="CT")
    lab = segment_ct(img, clicks(truth))
    myo, ref = lab == LABEL_VALUES["lv_myocardium"], truth == LABEL_VALUES["lv_myocardium"]
    assert myo.sum() == pytest.approx(ref.sum(), rel=0.05)
    assert 2 * (myo & ref).sum() / (myo.sum() + ref.sum()) >= 0.9
    # No voxel of the chest-wall muscle or subcutaneous fat is called myocardium.
    tissue = tissue_map(truth, SPACING)
    assert not (myo & np.isin(tissue, [MUSCLE, BODY_FAT])).any()


def test_phantom_lv_epicardium_meets_fat():
    """The phantom's LV epicardium is bordered by fat or by other chambers' walls, never by a
    wall shell of its own or by chest-wall muscle (real CT: epicardial fat, -100 HU)."""
    truth = make_labels(SHAPE, SPACING, "ED")
    tissue = tissue_map(truth, SPACING)
    myo = truth == LABEL_VALUES["lv_myocardium"]
    ring = ndimage.binary_dilation(myo) & (truth == 0)
    counts = {c: int((ring & (tissue == c)).sum()) for c in (MEDIASTINAL_FAT, OTHER_WALL,
                                                              MUSCLE, BODY_FAT)}
    assert counts[MUSCLE] == counts[BODY_FAT] == 0
    # Wall tissue only where another chamber's wall meets the LV (RV insertions, atria,
    # aortic root): a small part of the ring, not the whole epicardium (measured 1804 wall
    # voxels against 7980 fat; before ctmass10 8425 wall, 1094 muscle, 265 body fat, no fat).
    assert counts[OTHER_WALL] < 0.3 * counts[MEDIASTINAL_FAT]


def test_demo_study_lv_mass_against_its_seg(demo_study):
    """The demo CT study, proposed seeds: LV myocardium within 5 % of its SEG, Dice ≥ 0.9."""
    from twinviewer.imaging.ct_seeds import propose_ct_seeds

    a = _demo_truth_and_image(demo_study)
    for phase, ref in a.labels.items():
        lab = segment_ct(a.image, propose_ct_seeds(a.image, phase), phase)
        x, y = lab == LABEL_VALUES["lv_myocardium"], ref == LABEL_VALUES["lv_myocardium"]
        assert x.sum() == pytest.approx(y.sum(), rel=0.05), phase
        assert 2 * (x & y).sum() / (x.sum() + y.sum()) >= 0.9, phase


def test_chambers_split_at_the_valve_planes(ct, seeds):
    """With LV and aorta seeded, the LV outflow and the aortic root are told apart."""
    img, truth = ct
    c = seeds
    lab = segment_ct(img, {"lv_blood": c["lv_blood"], "aorta": c["aorta"]}, myocardium=False)
    lv = lab == LABEL_VALUES["lv_blood"]
    assert (lv & (truth == LABEL_VALUES["aorta"])).sum() < 0.05 * lv.sum()


def test_bad_seeds_are_refused(ct, seeds):
    img, _ = ct
    with pytest.raises(ImagingError, match="outside the image"):
        segment_ct(img, {"lv_blood": [(500, 0, 0)]})
    with pytest.raises(ImagingError, match="not a blood-pool structure"):
        segment_ct(img, {"lv_myocardium": [(10, 10, 10)]})
    with pytest.raises(ImagingError, match="not in contrast-filled blood"):
        segment_ct(img, {"lv_blood": [(2, 2, 2)], "rv_blood": seeds["rv_blood"]})
    with pytest.raises(ImagingError, match="no seeds"):
        segment_ct(img, {"lv_blood": []})


def test_demo_study_against_its_seg(demo_study):
    """The demo CT study (DICOM + SEG): seeds → labels agree with the study's own SEG."""
    from twinviewer.imaging.study import import_study

    a = import_study(demo_study.folder, key=b"ct-seg-demo-key-0123456789abcdef")
    errors = []
    for phase, ref in a.labels.items():
        sp = a.image.spacing
        seeds = {}
        for k in POOLS:
            d = ndimage.distance_transform_edt(ref == LABEL_VALUES[k], sampling=sp)
            seeds[k] = [tuple(int(v) for v in np.unravel_index(int(np.argmax(d)), d.shape))]
        lab = segment_ct(a.image, seeds, phase, myocardium=False)
        for k in POOLS:
            x, y = lab == LABEL_VALUES[k], ref == LABEL_VALUES[k]
            err = abs(x.sum() / y.sum() - 1)
            errors.append(err)
            assert err < 0.05, (phase, k, err)
            assert 2 * (x & y).sum() / (x.sum() + y.sum()) >= 0.9, (phase, k)
    # The right-heart pools used to miss the bar (RV −4.7/−5.9 %, PA −7.2/−8.6 %): the phantom
    # painted a one-voxel wall (70 HU) *inside* the labels where two pools touch, so the SEG
    # called wall blood (PA: 7.2 % of its voxels). The labels now leave those septa out.
    assert float(np.mean(errors)) < 0.02


def _demo_truth_and_image(demo_study):
    from twinviewer.imaging.study import import_study

    return import_study(demo_study.folder, key=b"ct-seg-demo-key-0123456789abcdef")


@pytest.mark.parametrize("shape,spacing,phase,seed", [
    ((90, 160, 160), (1.8, 1.0, 1.0), "ED", 0), ((90, 160, 160), (1.8, 1.0, 1.0), "ES", 0),
    ((90, 160, 160), (1.8, 1.0, 1.0), "ED", 3)])
def test_proposed_seeds_on_the_phantom(shape, spacing, phase, seed):
    """Proposed seeds (no click) → segmentation: Dice ≥ 0.9 and volumes within 5 %."""
    from twinviewer.imaging.ct_seeds import propose_ct_seeds

    truth = make_labels(shape, spacing, phase)
    noise = 25.0 if seed == 3 else 12.0  # one run at twice the noise
    hu = ct_hounsfield(truth, spacing, rng=np.random.default_rng(seed), noise_hu=noise)
    img = ImageVolume(hu, grid_affine(shape, spacing), spacing, modality="CT")
    seeds = propose_ct_seeds(img)
    assert {k: int(truth[v[0]]) for k, v in seeds.items()} == {k: LABEL_VALUES[k] for k in POOLS}
    lab = segment_ct(img, seeds, myocardium=False)
    for k in POOLS:
        a, b = lab == LABEL_VALUES[k], truth == LABEL_VALUES[k]
        assert 2 * (a & b).sum() / (a.sum() + b.sum()) >= 0.9, k
        assert a.sum() == pytest.approx(b.sum(), rel=0.05), k


def test_proposed_seeds_on_the_demo_study(demo_study):
    """The demo DICOM study: proposed seeds → labels within 5 % of its own SEG, both phases."""
    from twinviewer.imaging.ct_seeds import propose_ct_seeds

    a = _demo_truth_and_image(demo_study)
    for phase, ref in a.labels.items():
        seeds = propose_ct_seeds(a.image, phase)
        assert {k: int(ref[v[0]]) for k, v in seeds.items()} == {
            k: LABEL_VALUES[k] for k in POOLS}, phase
        lab = segment_ct(a.image, seeds, phase, myocardium=False)
        for k in POOLS:
            x, y = lab == LABEL_VALUES[k], ref == LABEL_VALUES[k]
            assert 2 * (x & y).sum() / (x.sum() + y.sum()) >= 0.9, (phase, k)
            assert x.sum() == pytest.approx(y.sum(), rel=0.05), (phase, k)


def test_no_contrast_no_proposal():
    from twinviewer.imaging.ct_seeds import propose_ct_seeds

    rng = np.random.default_rng(0)
    flat = rng.normal(40.0, 10.0, (1, 20, 40, 40)).astype(np.float32)
    img = ImageVolume(flat, np.eye(4), (2.0, 1.0, 1.0), modality="CT")
    with pytest.raises(ImagingError, match="no contrast-filled blood"):
        propose_ct_seeds(img)

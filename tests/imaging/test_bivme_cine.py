"""The cine segmenter on a heart the project did not design: the biv-me patient's real
ventricles (with the demo's atria and great vessels), rendered as a short-axis cine stack.

The renderer is checked against the surfaces it draws (slab-majority truth volumes vs the
capped surfaces' own volumes); the segmentation against that truth and against biv-me's LV
wall × 1.05 g/mL.
"""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.anatomy import ImagePlane
from twinviewer.imaging.annulus import find_annuli
from twinviewer.imaging.bivme_cine import bivme_sa_stack
from twinviewer.imaging.cine_seg import (
    LV,
    MYO,
    RV,
    _propose_slices,
    propose_seeds,
    segment_cine,
)

FRAMES = (0, 9)  # ED, ES (smallest LV volume of biv-me's 25 frames)
CYCLE = tuple(range(0, 24, 3))  # 8 frames over the cycle


@pytest.fixture(scope="module")
def stack():
    return bivme_sa_stack(frames=FRAMES)


@pytest.fixture(scope="module")
def result(stack):
    return segment_cine(stack.image, propose_seeds(stack.image))


@pytest.fixture(scope="module")
def with_planes(stack):
    return segment_cine(stack.image, propose_seeds(stack.image), planes=stack.planes)


@pytest.fixture(scope="module")
def true_mitral(stack):
    """biv-me's own mitral opening per rendered frame: (centre, unit normal towards the apex)."""
    from twinviewer.imaging.demo4d import demo_heart_4d, valve_loops

    a = demo_heart_4d()
    loop = valve_loops(a)["mitral"]
    out = {}
    for f in FRAMES:
        pts = a.structures["lv_blood"].meshes[f].points[loop]
        c = pts.mean(axis=0)
        n = np.linalg.svd(pts - c)[2][2]
        out[f] = (c, n * np.sign(n @ stack.axes[0]))
    return out


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


def _annuli(stack, planes):
    img = stack.image
    (_, _), per, _ = _propose_slices(img.array[0], propose_seeds(img), img.spacing[1])
    return find_annuli(img, planes, {k: v[0] for k, v in per.items()},
                       {k: v[1] for k, v in per.items()})


def test_mitral_annulus_from_the_long_axis_views(stack, true_mitral):
    """The plane found in the 4CH and 2CH views against biv-me's own mitral opening: where it
    crosses the long axis through the opening's centre, within 5 mm of that centre at ED and
    ES; it descends towards the apex in systole as the opening does (13 mm; found 8 mm)."""
    ann = _annuli(stack, stack.planes)
    assert sorted(ann.mitral) == [0, 1] and "4CH/2CH" in ann.notes[0]
    u = stack.axes[0]
    c0 = true_mitral[0][0]
    level = {}
    for p, f in enumerate(FRAMES):
        c, n = true_mitral[f]
        plane = ann.mitral[p]
        level[p] = float((plane.point - c0) @ plane.normal / (u @ plane.normal))
        assert abs(level[p] - (c - c0) @ u) < 5.0, (f, level[p], (c - c0) @ u)
        assert np.degrees(np.arccos(abs(plane.normal @ n))) < 30.0
        assert len(plane.hinges) == 4
    assert level[1] - level[0] > 5.0


def test_planes_not_holding_the_long_axis_are_not_used(stack):
    """A short-axis-oriented plane (or a view that is not 2CH/3CH/4CH) gives no annulus; the
    segmentation then decides the base from the short-axis images alone."""
    sa_like = ImagePlane("4CH", stack.image)  # its plane is a short-axis slice
    rvot = ImagePlane("RVOT", stack.planes[0].image)
    ann = _annuli(stack, [sa_like, rvot])
    assert ann.mitral == {} and ann.notes == []


def test_basal_slices_by_the_mitral_annulus(stack, result, with_planes):
    """At ES the basal slice the annulus passes through is part LV (a rim beside the
    atrium): with the long-axis planes its LV counts up to the annulus plane (the SA-only
    rule leaves the slice out: −17 %)."""
    vox = float(np.prod(stack.image.spacing)) / 1000.0
    es = with_planes.labels[1]
    v_es = float((es == LV).sum()) * vox
    assert v_es == pytest.approx(stack.reference[9]["lv_blood"], rel=0.05)
    assert dice(es == LV, stack.truth[1] == LV) >= 0.92
    assert dice(es == LV, stack.truth[1] == LV) > dice(result.labels[1] == LV,
                                                       stack.truth[1] == LV)
    ed = with_planes.labels[0]
    # ED: the plane lies ~1 mm apical of biv-me's opening at its centre; the slices' own
    # partial volume makes the LV 4-5 % low as without the planes (docs/notes/seg7.md)
    assert float((ed == LV).sum()) * vox == pytest.approx(stack.reference[0]["lv_blood"],
                                                         rel=0.08)
    assert dice(ed == MYO, stack.truth[0] == MYO) >= 0.87
    assert any("mitral annulus found" in n for n in with_planes.notes)


@pytest.fixture(scope="module")
def cycle():
    """The render of docs/notes/seg9rv_eval.py (noise seed 0): 8 frames over the cycle, so
    the tricuspid hinges of the phases around ES carry it where it is not seen."""
    st = bivme_sa_stack(frames=CYCLE)
    return st, segment_cine(st.image, propose_seeds(st.image), planes=st.planes)


def test_ed_rv_without_the_right_atrium_over_the_orifice(stack, with_planes):
    """Two phases (ED, ES): at ED the tricuspid orifice is found in the 4CH view and the RA
    over it left out (seg8: Dice 0.942 with 7 mL of RA on the basal slice)."""
    vox = float(np.prod(stack.image.spacing)) / 1000.0
    lab = with_planes.labels[0]
    assert dice(lab == RV, stack.truth[0] == RV) >= 0.95
    # −6 %: the slab-majority truth itself is −3.6 % of the surface (RV basal of slice 0) and
    # the RV's border loses ~0.9 mL a slice to the coil field (docs/notes/seg9rv.md)
    assert float((lab == RV).sum()) * vox == pytest.approx(stack.reference[0]["rv_blood"],
                                                          rel=0.08)
    assert float((lab == RV).sum()) == pytest.approx(float((stack.truth[0] == RV).sum()),
                                                     rel=0.04)


@pytest.mark.slow
def test_rv_to_its_free_wall_and_without_the_right_atrium(cycle):
    """The RV pool reaches its thin free wall (thresholded against the LV wall's level) and a
    basal slice leaves out the right atrium over the tricuspid orifice found in the 4CH view,
    keeping the RV outflow tract (docs/notes/seg9rv.md: Dice 0.967 / 0.908; seg8: 0.941 /
    0.880, seg7: 0.936 / 0.861). The ED volume is −6.4 % of biv-me's surface (its
    slab-majority truth is −3.6 %)."""
    stack, with_planes = cycle
    vox = float(np.prod(stack.image.spacing)) / 1000.0
    for f, least, rel in ((0, 0.95, 0.08), (9, 0.9, 0.05)):
        p = CYCLE.index(f)
        lab = with_planes.labels[p]
        assert dice(lab == RV, stack.truth[p] == RV) >= least, f
        assert float((lab == RV).sum()) * vox == pytest.approx(
            stack.reference[f]["rv_blood"], rel=rel), f
    assert any("tricuspid orifice" in n for n in with_planes.notes)


def test_lv_volumes_by_partial_voxels_and_the_mitral_plane(stack, with_planes):
    """The LV blood volume as the import measures it (border by partial voxels, basal columns
    by the mitral plane: imaging/partial_volume.py) is within 5 % of biv-me's own capped
    surfaces at ED and ES; the label count is 5-7 % low at ED (docs/notes/seg8.md)."""
    from twinviewer.imaging.coverage import complete_volumes
    from twinviewer.imaging.measure import structure_volumes
    from twinviewer.imaging.partial_volume import with_partial_volumes
    from twinviewer.imaging.segmentation import LABEL_VALUES

    img, res = stack.image, with_planes
    raw = {p: structure_volumes(lab, img.spacing, LABEL_VALUES, "MR segmentation")
           for p, lab in res.labels.items()}
    assert set(res.mitral) == {0, 1}
    vols, _ = complete_volumes(with_partial_volumes(raw, img, res.labels, res.mitral),
                               res.labels, img.spacing, LABEL_VALUES, res.mitral)
    for p, f in ((0, 0), (1, 9)):
        ref = stack.reference[f]["lv_blood"]
        assert vols[p]["lv_blood"].value == pytest.approx(ref, rel=0.05), f
    ed_ref = stack.reference[0]["lv_blood"]
    assert abs(vols[0]["lv_blood"].value - ed_ref) < abs(raw[0]["lv_blood"].value - ed_ref)



@pytest.mark.slow
def test_tricuspid_orifice_against_bivme_own_opening(cycle):
    """The hinges found in the 4CH view against biv-me's tricuspid loop (its points nearest
    the 4CH plane): the lateral one, where the RV's lateral border steps in to the atrium,
    within 3 mm at ED and 8 mm at ES; the orifice's radius within 25 % of the loop's."""
    from twinviewer.imaging.demo4d import demo_heart_4d, valve_loops

    a = demo_heart_4d()
    loop = valve_loops(a)["tricuspid"]
    stack = cycle[0]
    ann = _annuli(stack, stack.planes)
    four = next(p for p in stack.planes if p.view == "4CH").image
    for f, tol in ((0, 3.0), (9, 8.0)):
        p = CYCLE.index(f)
        pts = a.structures["rv_blood"].meshes[f].points[loop]
        near = pts[np.argsort(np.abs(four.patient_to_index(pts)[:, 0]))[:12]]
        o = ann.orifice[p]
        assert np.linalg.norm(near - o.hinges[1], axis=1).min() < tol, f
        r_true = float(np.linalg.norm(pts - pts.mean(axis=0), axis=1).mean())
        assert o.radius == pytest.approx(r_true, rel=0.25), f

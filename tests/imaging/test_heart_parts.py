"""The demo heart's added parts (issue 17 item 1): appendages, aortic sinuses and arch
branches, caval and pulmonary veins, valve annuli — where they sit, closed, documented."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial import cKDTree

from twinviewer.imaging import phantom
from twinviewer.imaging.demo4d import (
    RING_RADIUS_MM,
    VALVES,
    demo_heart_4d,
    valve_annuli,
    valve_loops,
)
from twinviewer.imaging.meshing import check_surface
from twinviewer.imaging.vocabulary import ATRIUM_OF_VEIN, VOCABULARY

SHAPE, SPACING = (116, 160, 160), (1.8, 1.0, 1.0)  # the shipped meshes' grid
VEINS = tuple(ATRIUM_OF_VEIN)


@pytest.fixture(scope="module")
def heart():
    return demo_heart_4d()


@pytest.fixture(scope="module")
def labels():
    return phantom.make_labels(SHAPE, SPACING, "ED"), phantom.make_vein_labels(SHAPE, SPACING)


def _gap_mm(a, b) -> float:
    """Smallest distance between the vertices of two meshes."""
    return float(cKDTree(b.points).query(a.points)[0].min())


def test_appendage_volumes_are_normal():
    vols = phantom.appendage_volumes_ml(SHAPE, SPACING)
    for atrium, (lo, hi) in phantom.APPENDAGE_ML.items():
        assert lo <= vols[atrium] <= hi, (atrium, vols[atrium])


def test_atrial_volumes_stay_normal():
    """LA and RA (body + appendage) at their largest (ventricular ES) stay within normal adult
    maxima (Lang et al. JASE 2015: LA volume index <= 34 mL/m², RA ~25±7 mL/m²; BSA 1.9 m²)."""
    es = phantom.volumes_ml(phantom.make_labels(SHAPE, SPACING, "ES"), SPACING)
    assert 30.0 <= es["la"] <= 34.0 * 1.9
    assert 25.0 <= es["ra"] <= (25.0 + 2 * 7.0) * 1.9


def test_veins_touch_their_atrium_without_overlap(labels):
    lab, veins = labels
    assert not np.any((veins > 0) & (lab > 0))
    for key, atrium in ATRIUM_OF_VEIN.items():
        v = veins == phantom.VEIN_LABEL_VALUES[key]
        n, count = ndimage.label(v)
        assert count == (4 if key == "pulmonary_veins" else 1), key
        touching = ndimage.binary_dilation(v) & (lab == phantom.LABEL_VALUES[atrium])
        assert touching.sum() > 20, key
        for c in range(1, count + 1):  # each pulmonary vein reaches the LA
            assert np.any(ndimage.binary_dilation(n == c)
                          & (lab == phantom.LABEL_VALUES[atrium])), (key, c)


def test_pulmonary_veins_enter_posteriorly_and_cavae_vertically(labels):
    lab, veins = labels
    aff = phantom.grid_affine(SHAPE, SPACING)

    def centre(mask):
        return (aff @ np.r_[np.argwhere(mask).mean(0), 1.0])[:3]

    la = centre(lab == phantom.LABEL_VALUES["la"])
    ra = centre(lab == phantom.LABEL_VALUES["ra"])
    assert centre(veins == 10)[1] > la[1] + 10.0  # posterior (+y) of the LA
    assert centre(veins == 8)[2] > ra[2] + 30.0  # SVC above the RA
    assert centre(veins == 9)[2] < ra[2] - 30.0  # IVC below it


def test_arch_branches_leave_the_arch_upward(labels):
    lab, _ = labels
    aff = phantom.grid_affine(SHAPE, SPACING)
    aorta = lab == phantom.LABEL_VALUES["aorta"]
    z = aff[2, 3] + aff[2, 0] * np.arange(SHAPE[0])
    root = phantom.FOV_CENTRE + phantom._BASE_OFFSET + np.array([-14.0, 4.0, 10.0])
    above = aorta & (z > root[2] + 60.0 + 14.0)[:, None, None]  # above the arch's top
    comp, count = ndimage.label(above)
    assert count == 3
    # right to left (+x is the patient's left): brachiocephalic, carotid, subclavian
    xs = [np.argwhere(comp == c)[:, 2].mean() for c in range(1, 4)]
    sizes = [int((comp == c).sum()) for c in range(1, 4)]
    order = np.argsort(xs)
    assert sizes[order[0]] > sizes[order[2]] > sizes[order[1]]  # 12 > 10 > 8 mm


def test_new_meshes_are_closed(heart):
    for key in (*VEINS, "valve_annuli", "la", "ra", "aorta"):
        for p in (0, 9):
            m = heart.structures[key].meshes[p]
            assert check_surface(m.points, m.faces) == [], (key, p)
            assert m.volume_ml() > 0, key


def test_veins_ride_with_their_atrium(heart):
    for key, atrium in ATRIUM_OF_VEIN.items():
        for p in range(25):
            gap = _gap_mm(heart.structures[key].meshes[p], heart.structures[atrium].meshes[p])
            assert gap < 2.5, (key, p, gap)


def test_annuli_lie_on_the_valve_planes(heart):
    loops = valve_loops(heart)
    rings = heart.structures["valve_annuli"]
    per = len(rings.meshes[0].points) // len(VALVES)
    for p in (0, 9, 20):
        pts = rings.meshes[p].points
        for n, (valve, (key, _)) in enumerate(VALVES.items()):
            edge = heart.structures[key].meshes[p].points[loops[valve]]
            ring = pts[n * per:(n + 1) * per]
            c = edge.mean(0)
            normal = np.linalg.svd(edge - c)[2][2]
            flat = np.abs((edge - c) @ normal).max()
            # the ring is resampled by arc length: its centre and the mean of the unevenly
            # spaced loop vertices differ by up to 1.4 mm (measured), within the 3 mm tube
            assert np.linalg.norm(ring.mean(0) - c) < 2.0, (valve, p)
            assert np.abs((ring - c) @ normal).max() < RING_RADIUS_MM + flat + 0.5, (valve, p)


def test_annuli_share_one_triangulation():
    from twinviewer.imaging.bivme import load_bivme

    st = valve_annuli(load_bivme())
    f0 = st.meshes[0].faces
    assert len(st.meshes) == 25 and all(np.array_equal(m.faces, f0) for m in st.meshes.values())


def test_provenance_lists_every_part():
    from twinviewer.imaging.build_demo_meshes import DEFAULT_OUT, PARTS

    prov = json.loads((DEFAULT_OUT / "provenance.json").read_text(encoding="utf-8"))
    named = {k.strip() for part in prov["parts"] for k in part.split(",")}
    shipped = {f.split("_ED")[0].split("_ES")[0] for f in prov["files"]}
    assert shipped | {"valve_annuli"} <= named
    assert prov["parts"] == PARTS
    for key in VEINS:
        assert f"{key}_ED.vtp" in prov["files"] and f"{key}_ES.vtp" in prov["files"]


def test_vocabulary_terms_match_dicom_codes():
    """The new terms' SNOMED CT codes are PS3.16's (pydicom's code dictionary)."""
    from pydicom.sr.codedict import codes

    from twinviewer.imaging.segmentation import LABEL_VALUES

    assert VOCABULARY["svc"].snomed == (codes.SCT.SuperiorVenaCava.value,)
    assert VOCABULARY["ivc"].snomed == (codes.SCT.InferiorVenaCava.value,)
    assert VOCABULARY["pulmonary_veins"].snomed == (codes.SCT.PulmonaryVein.value,)
    assert VOCABULARY["valve_annuli"].snomed == (codes.SCT.MitralAnnulus.value,)
    assert {k: LABEL_VALUES[k] for k in VEINS} == phantom.VEIN_LABEL_VALUES


def test_veins_follow_a_dilated_atrium(heart):
    """A virtual heart with a large LA (severe MR-like) keeps its pulmonary veins on it."""
    from twinviewer.imaging.disease_anatomy import deform_anatomy

    def curve(key, grow):
        v = np.array([heart.structures[key].meshes[p].volume_ml() for p in range(25)])
        return v * grow

    out = deform_anatomy(heart, {"lv_blood": curve("lv_blood", 1.0),
                                 "rv_blood": curve("rv_blood", 1.0),
                                 "la": curve("la", 1.8), "ra": curve("ra", 1.0)})
    base_la = heart.structures["la"].meshes[0].points
    assert np.ptp(out.structures["la"].meshes[0].points, axis=0).max() > 1.1 * np.ptp(
        base_la, axis=0).max()
    for p in (0, 9):
        gap = _gap_mm(out.structures["pulmonary_veins"].meshes[p], out.structures["la"].meshes[p])
        assert gap < 2.5, (p, gap)


def test_every_blood_structure_of_the_demo_heart_has_a_pressure_in_the_default_model():
    """The pressure overlay colours each great vein with the pressure at its atrial junction
    (the new veins were shown in a colour that meant nothing); valve rings stay uncoloured."""
    from twinviewer.gui import cycle  # numpy only: no Qt
    from twinviewer.physiology import get_preset, simulate

    p = get_preset("healthy")
    r = simulate(p.model, p.vector())
    for key in ("svc", "ivc", "pulmonary_veins", "la", "ra", "aorta", "pulmonary_artery"):
        role = cycle.STRUCTURE_SIGNALS[key][0]
        assert cycle.signal(r, role) is not None, key
    assert "valve_annuli" not in cycle.STRUCTURE_SIGNALS
    # caval pressure ≈ right atrial pressure, normal 2–8 mmHg (REFERENCE.md), not the
    # peripheral venous reservoir's ≈ 13 mmHg
    caval = float(cycle.signal(r, cycle.STRUCTURE_SIGNALS["svc"][0]).mean())
    assert 2.0 <= caval <= 8.0


def test_provenance_and_readme_tell_where_the_demo_heart_comes_from():
    """The provenance said 'synthetic phantom; no patient data' while the README said the
    demo heart's ventricles are biv-me's: both were half true. The files are the phantom's;
    the demo heart takes its ventricles from biv-me's real patient (Apache-2.0)."""
    from twinviewer.imaging.build_demo_meshes import DEFAULT_OUT, DESCRIPTION, LICENCE

    prov = json.loads((DEFAULT_OUT / "provenance.json").read_text(encoding="utf-8"))
    assert prov["description"] == DESCRIPTION and prov["licence"] == LICENCE  # as generated
    text = prov["description"]
    assert "no patient data in these files" in text
    assert "biv-me example patient 1" in text and "real adult" in text and "Apache-2.0" in text
    bivme = DEFAULT_OUT.parent / "bivme_patient1"
    assert (bivme / "LICENSE").read_text(encoding="utf-8").lstrip().startswith(
        "Apache License")
    assert "Licence: Apache-2.0" in (bivme / "README.md").read_text(encoding="utf-8")
    readme = (DEFAULT_OUT.parents[1] / "README.md").read_text(encoding="utf-8")
    line = readme[readme.index("\nmeshes/"):readme.index("\npackaging/")]
    assert "no patient data" in line and "bivme_patient1" in line and "Apache-2.0" in line

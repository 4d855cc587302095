"""An end slice left out of a short-axis stack (an unusable end series, imaging14): the
coverage model extrapolates over its slab with an SD that covers the full stack's value.

Checked as fix13a checked, with the full stack's volumes as the reference, here on the
analytic phantom's ground-truth labels (no segmentation noise: the coverage model alone)
and end to end on the Siemens-like factory study (segmentation included)."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.core.anatomy import Anatomy
from twinviewer.imaging.cine_phantom import sa_stack
from twinviewer.imaging.coverage import END_MISSING, complete_volumes
from twinviewer.imaging.measure import structure_volumes
from twinviewer.imaging.segmentation import LABEL_VALUES
from twinviewer.imaging.study import import_study

KEY = b"coverage-missing-slab-key-0123456789"
KEYS = ("lv_blood", "rv_blood", "lv_myocardium")


@pytest.fixture(scope="module")
def truth():
    """Phantom labels of a 10-slice stack, 8 mm, from the mitral plane to short of the apex
    (so both ends hold pool), ED = phase 0, ES = phase 2."""
    img, lab = sa_stack(n_phases=5, positions_mm=tuple(np.arange(2.0, 75.0, 8.0)), rows=56,
                        cols=56, pixel_mm=2.5)
    return img, lab


def _volumes(img, lab, missing):
    labels = {p: lab[p] for p in range(lab.shape[0])}
    raw = {p: structure_volumes(v, img.spacing, LABEL_VALUES, "MR segmentation")
           for p, v in labels.items()}
    return complete_volumes(raw, labels, img.spacing, LABEL_VALUES, missing=missing)


def _z(vols, full):
    return {(p, k): (vols[p][k].value - full[p][k].value) / vols[p][k].uncertainty
            for p in (0, 2) for k in KEYS if not (p == 2 and k == "lv_myocardium")}


@pytest.mark.parametrize("end", ["base", "apex"])
def test_a_left_out_end_slice_is_extrapolated_within_its_sd(truth, end):
    img, lab = truth
    full = _volumes(img, lab, (0, 0))[0]
    short, missing = ((lab[:, 1:], (1, 0)) if end == "base" else (lab[:, :-1], (0, 1)))
    vols, gaps = _volumes(img, short, missing)
    z = _z(vols, full)
    assert all(abs(v) <= 1.0 for v in z.values()), z
    assert all(vols[0][k].source.endswith(END_MISSING) for k in KEYS)
    ours = [g for g in gaps[0] if g.missing]
    assert ours and all(g.end == end and g.missing == 1 for g in ours)
    assert all(g.note().split(": ")[1].startswith("one end slice missing") for g in ours)


def test_without_knowing_the_basal_slice_is_missing_the_volumes_read_low_beyond_their_sd(
        truth):
    """fix13a's failure, reproduced: the test above can fail."""
    img, lab = truth
    full = _volumes(img, lab, (0, 0))[0]
    z = _z(_volumes(img, lab[:, 1:], (0, 0))[0], full)
    assert z[(0, "rv_blood")] < -1.5 and z[(0, "lv_blood")] < -1.5


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The factory study (6 slices, 12 mm, 2 mm pixels as the bundled one, 8 phases, 4CH +
    2CH) imported whole, without its first and without its last short-axis series
    (TriggerTime deleted)."""
    out = {}
    for case in ("full", "base", "apex"):
        root = tmp_path_factory.mktemp(case)
        lay = write_cine_study(root, n_phases=8, rows=112, cols=112, la_views=("4ch", "2ch"))
        if case != "full":
            folder = "S001" if case == "base" else "S006"
            for p in (p for p in lay.files if p.parent.name == folder):
                ds = pydicom.dcmread(p)
                del ds.TriggerTime
                ds.save_as(p)
        out[case] = import_study(root, key=KEY)
    return out


@pytest.mark.parametrize("end", ["base", "apex"])
def test_an_imported_study_without_an_end_series_covers_the_full_stack(imported, end):
    full = {m.name: m for m in imported["full"].measurements}
    anatomy = imported[end]
    got = {m.name: m for m in anatomy.measurements}
    for name in ("LVEDV", "LVESV", "LVSV", "RVEDV", "RVESV", "RVSV", "LVmass"):
        m = got[name]
        assert abs(m.value - full[name].value) <= m.uncertainty, (name, m, full[name])
        assert "one end slice missing" in m.source
    assert got["RVEDV"].uncertainty > full["RVEDV"].uncertainty
    n = 1 if end == "base" else 6
    assert any(t.startswith(f"series 'cine_trufi_retro_sa_{n}' (#{n}) (slice {n} of 6, the ")
               and "left out: TriggerTime missing in all 8 of its images" in t
               for t in anatomy.notes)
    assert any("one end slice missing" in t for t in anatomy.notes)
    assert anatomy.image.missing_slabs == ((1, 0) if end == "base" else (0, 1))
    again = Anatomy.from_dict(anatomy.to_dict())  # as a .twin stores it: re-segmenting knows
    assert again.image.missing_slabs == anatomy.image.missing_slabs


@pytest.mark.parametrize("missing", [(-2, 0), (0, -1), (1,), (0,), (0, 0, 7), (True, 0),
                                     (1.0, 0), (10**400, 0)])
def test_a_bad_missing_count_is_refused_not_turned_into_a_negative_sd(missing):
    """final14 #3: (−2, 0) gave a basal gap of −1.2 mL with SD −0.7 mL, (1,) an IndexError,
    (10**400, 0) an OverflowError; each is now a ValueError naming missing_slabs, in
    find_gaps, complete_volumes and the gap functions."""
    from twinviewer.imaging.coverage import apical_cap_ml, basal_gap_ml, find_gaps

    lab = np.zeros((4, 20, 20), np.uint8)
    lab[:, 5:15, 5:15] = 1
    with pytest.raises(ValueError, match="missing_slabs should be two whole numbers"):
        find_gaps(lab, (10.0, 1.0, 1.0), {"lv_blood": 1}, None, None, missing)
    raw = {0: structure_volumes(lab, (10.0, 1.0, 1.0), {"lv_blood": 1}, "MR seg")}
    with pytest.raises(ValueError, match="missing_slabs"):
        complete_volumes(raw, {0: lab}, (10.0, 1.0, 1.0), {"lv_blood": 1}, missing=missing)
    if len(missing) == 2 and missing[0] != 0:
        with pytest.raises(ValueError, match="missing_slabs"):
            basal_gap_ml(100.0, 10.0, missing[0])
        with pytest.raises(ValueError, match="missing_slabs"):
            apical_cap_ml(np.array([300.0, 200.0, 100.0]), 10.0, missing[0])


def test_an_image_changed_after_it_was_built_is_checked_at_use():
    """A hand-built image whose count is set after construction (as the assembly sets it)
    cannot slip a negative count past complete_volumes either."""
    img, lab = sa_stack(n_phases=3, positions_mm=(20.0, 28.0, 36.0, 44.0), rows=40, cols=40,
                        pixel_mm=3.0)
    img.missing_slabs = (-1, 0)
    labels = {p: lab[p] for p in range(lab.shape[0])}
    raw = {p: structure_volumes(v, img.spacing, LABEL_VALUES, "MR seg") for p, v in labels.items()}
    with pytest.raises(ValueError, match="missing_slabs"):
        complete_volumes(raw, labels, img.spacing, LABEL_VALUES, image=img)

"""A short-axis slice acquired twice (a new series at the same position, routine in cine MR):
the later acquisition is used and said so, the other can be chosen, bad input stays refused."""

from __future__ import annotations

import json

import numpy as np
import pydicom
import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.imaging.assembly import (
    assemble_study,
    picker_rows,
    plan_stack,
    resolve_repeats,
    series_roles,
)
from twinviewer.imaging.cli_import import run_import
from twinviewer.imaging.deid import new_uid
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.series import scan_folder

KEY = b"repeated-slice-test-key-0123456789abc"
SMALL = {"rows": 40, "cols": 36, "pixel_mm": 7.0, "n_phases": 6}


def _edit(paths, **tags):
    for p in paths:
        ds = pydicom.dcmread(p)
        for k, v in tags.items():
            if v is None:
                delattr(ds, k)
            else:
                setattr(ds, k, v)
        ds.save_as(p)


def _series_files(lay, uid):
    return [p for p in lay.files if str(pydicom.dcmread(p, stop_before_pixels=True)
                                        .SeriesInstanceUID) == uid]


@pytest.fixture(scope="module")
def repeat(tmp_path_factory):
    """Six one-slice series plus slice 2 acquired again (series 8, 40 s after the 4CH)."""
    root = tmp_path_factory.mktemp("repeat")
    lay = write_cine_study(root, la_views=("4ch",), repeats=(2,), **SMALL)
    return lay, scan_folder(root, KEY)


def test_repeated_slice_assembles_with_the_later_acquisition(repeat):
    lay, scan = repeat
    first, again = new_uid(lay.sa_series[2], KEY), new_uid(lay.repeat_series[2], KEY)
    plan = plan_stack(scan)  # failed before: "two images of one slice share TriggerTime"
    assert [s.series_uid for s in plan.stack][2] == again and len(plan.stack) == 6
    assert (plan.n_slices, plan.n_phases) == (6, 6)
    (rep,) = plan.repeats
    assert rep.used.series_uid == again and [s.series_uid for s in rep.left_out] == [first]
    assert rep.chosen_by.startswith("acquired later") and rep.slice_index == 2
    assert [s.series_uid for s in plan.left_out] == [first]
    assert first not in {s.series_uid for s in plan.planes}  # neither stack nor plane
    note = next(n for n in plan.notes if "more than once" in n)
    assert "(#8) (later) used" in note and "(#3) (earlier) left out" in note
    assert f"--series {first}" in note
    # the pixels of slice 2 are the re-acquisition's (written at 0.8 × the intensity)
    study = assemble_study(scan)
    img = study.loaded.image.array
    assert img.shape == (6, 6, 40, 36)
    ds = pydicom.dcmread(_series_files(lay, lay.repeat_series[2])[0])
    assert np.allclose(img[0, 2], ds.pixel_array * float(getattr(ds, "RescaleSlope", 1)))
    assert any("more than once" in n for n in study.notes)


def test_the_user_chooses_the_earlier_acquisition(repeat):
    lay, scan = repeat
    first, again = new_uid(lay.sa_series[2], KEY), new_uid(lay.repeat_series[2], KEY)
    plan = plan_stack(scan, first)
    assert [s.series_uid for s in plan.stack][2] == first
    assert plan.repeats[0].chosen_by == "chosen by the user"
    assert "(chosen) used" in plan.repeats[0].note()
    # another stack member as --series: the default (later) acquisition
    assert [s.series_uid for s in plan_stack(scan, new_uid(lay.sa_series[0], KEY)).stack][2] \
        == again
    # the picker lists the default stack, and the repeat as a row to choose instead
    rows = picker_rows(scan)
    roles = {r.series_uid: (r.role, r.role_detail) for r in rows}
    assert roles[first][0] == "repeated" and "left out" in roles[first][1]
    assert "(#8) is used" in roles[first][1]
    stack = next(r for r in rows if r.role == "stack")
    assert stack.n_slices == 6 and "acquired more than once" in stack.role_detail
    assert roles[new_uid(lay.la_series["4ch"], KEY)] == ("plane", "long-axis 4CH")


def test_roles_name_every_series(repeat):
    lay, scan = repeat
    roles = series_roles(plan_stack(scan))
    assert roles[new_uid(lay.sa_series[0], KEY)] == ("stack", "short-axis stack, slice 0 "
                                                              "(from 0) of 6")
    assert roles[new_uid(lay.repeat_series[2], KEY)][1].endswith(
        "this one used (acquired later: SeriesTime/AcquisitionTime)")
    assert roles[new_uid(lay.sa_series[2], KEY)][0] == "repeated"


def test_series_number_decides_without_times(tmp_path):
    """The reviewer's case: a copy with SeriesNumber 99 and no clock at all."""
    lay = write_cine_study(tmp_path, la_views=(), repeats=(3,), **SMALL)
    _edit(lay.files, SeriesTime=None, AcquisitionTime=None, ContentTime=None)
    _edit(_series_files(lay, lay.repeat_series[3]), SeriesNumber=99)
    plan = plan_stack(scan_folder(tmp_path, KEY))
    assert plan.repeats[0].chosen_by == "higher SeriesNumber"
    assert plan.repeats[0].used.series_uid == new_uid(lay.repeat_series[3], KEY)


def test_clock_wins_over_series_number(tmp_path):
    """A series renumbered lower but acquired later is still the later acquisition."""
    lay = write_cine_study(tmp_path, la_views=(), repeats=(1,), **SMALL)
    _edit(_series_files(lay, lay.repeat_series[1]), SeriesNumber=1)
    plan = plan_stack(scan_folder(tmp_path, KEY))
    assert plan.repeats[0].used.series_uid == new_uid(lay.repeat_series[1], KEY)


def test_undecidable_repeat_is_refused_naming_both(tmp_path):
    lay = write_cine_study(tmp_path, la_views=(), repeats=(1,), **SMALL)
    _edit(lay.files, SeriesTime=None, AcquisitionTime=None, ContentTime=None)
    _edit(_series_files(lay, lay.repeat_series[1]), SeriesNumber=2)  # as the original
    with pytest.raises(ImagingError, match=r"acquired more than once.*sa_2.*sa_2.*nothing "
                                           r"says which is later.*--series"):
        plan_stack(scan_folder(tmp_path, KEY))


def test_a_gap_is_still_refused_and_names_the_repeat(tmp_path):
    """A missing slice elsewhere stays refused, the gap named; the note on the repeat kept."""
    lay = write_cine_study(tmp_path, la_views=(), repeats=(1,),
                           sa_positions_mm=(12, 24, 36, 60, 72), **SMALL)
    with pytest.raises(ImagingError, match=r"slice missing.*24\.0 mm.*12\.0 mm apart.*"
                                           r"acquired more than once"):
        plan_stack(scan_folder(tmp_path, KEY))
    assert lay.repeat_series


def test_a_missing_phase_in_the_used_acquisition_is_refused(tmp_path):
    """The later acquisition lacks a phase: refused naming it, and the way to the other."""
    lay = write_cine_study(tmp_path, la_views=(), repeats=(2,), **SMALL)
    files = _series_files(lay, lay.repeat_series[2])
    files[4].unlink()
    scan = scan_folder(tmp_path, KEY)
    with pytest.raises(ImagingError, match=r"missing phase 4.*--series "
                       + new_uid(lay.sa_series[2], KEY)):
        plan_stack(scan)
    # the earlier, complete acquisition imports
    assert plan_stack(scan, new_uid(lay.sa_series[2], KEY)).n_phases == 6


def test_tilted_reacquisition_is_refused_as_mixed_orientation(tmp_path):
    """A re-planned (tilted 5° about its centre) re-acquisition is not taken for a repeat:
    the stack is refused for mixed orientation, named, as any tilted slice."""
    lay = write_cine_study(tmp_path, la_views=(), repeats=(2,), **SMALL)
    files = _series_files(lay, lay.repeat_series[2])
    ds = pydicom.dcmread(files[0])
    row, col = np.array(ds.ImageOrientationPatient[:3]), np.array(ds.ImageOrientationPatient[3:])
    n = np.cross(row, col)
    c, s = np.cos(np.radians(5)), np.sin(np.radians(5))
    centre = (np.array(ds.ImagePositionPatient) + row * 7.0 * 35 / 2 + col * 7.0 * 39 / 2)
    col2 = c * col + s * n
    pos2 = centre - row * 7.0 * 35 / 2 - col2 * 7.0 * 39 / 2
    _edit(files, ImageOrientationPatient=[*row.tolist(), *col2.tolist()],
          ImagePositionPatient=pos2.tolist())
    with pytest.raises(ImagingError, match=r"mixed orientation.*sa_3.*5\.0°"):
        plan_stack(scan_folder(tmp_path, KEY))


def test_repeat_off_its_slice_is_refused_naming_the_repeat(tmp_path):
    """A re-acquisition 3 mm off its slice (same orientation): the later one is used and the
    stack is refused for its uneven spacing, the repeat named with the way to the other."""
    lay = write_cine_study(tmp_path, la_views=(), repeats=(2,), **SMALL)
    files = _series_files(lay, lay.repeat_series[2])
    ds = pydicom.dcmread(files[0])
    n = np.cross(np.array(ds.ImageOrientationPatient[:3]), ds.ImageOrientationPatient[3:])
    _edit(files, ImagePositionPatient=(np.array(ds.ImagePositionPatient) + 3.0 * n).tolist())
    scan = scan_folder(tmp_path, KEY)
    with pytest.raises(ImagingError, match=r"uneven slice spacing.*acquired more than once"
                       r".*--series " + new_uid(lay.sa_series[2], KEY)):
        assemble_study(scan)
    assert assemble_study(scan, new_uid(lay.sa_series[2], KEY)).loaded.image.shape[0] == 6


def test_ge_layout_with_one_slice_acquired_again(tmp_path):
    """All slices in one series (GE/Philips) plus slice 4 again as its own series: only that
    slice of the big series is left out."""
    lay = write_cine_study(tmp_path, la_views=(), one_series=True, repeats=(4,), **SMALL)
    plan = plan_stack(scan_folder(tmp_path, KEY))
    assert plan.n_slices == 6 and len(plan.stack) == 2 and not plan.left_out
    big = next(s for s in plan.stack if s.series_uid == new_uid(lay.sa_series[0], KEY))
    assert len(big.frames) == 5 * 6 and len(big.files) == 5 * 6
    assert plan.repeats[0].slice_index == 4


def test_resolve_repeats_orders_by_position(repeat):
    _, scan = repeat
    shuffled = sorted(plan_stack(scan).stack, key=lambda s: s.series_uid)
    out, reps = resolve_repeats(shuffled)
    assert not reps
    assert [s.description[-1] for s in out] == list("123456")


def test_cli_json_names_the_repeat_and_lists_the_stack_in_slice_order(repeat, tmp_path,
                                                                      capsys):
    lay, scan = repeat
    assert run_import(lay.root, tmp_path / "o", key=KEY, as_json=True) == 0
    d = json.loads(capsys.readouterr().out)
    first, again = new_uid(lay.sa_series[2], KEY), new_uid(lay.repeat_series[2], KEY)
    assert d["stack"]["series"] == [new_uid(u, KEY) for u in
                                    (*lay.sa_series[:2], lay.repeat_series[2],
                                     *lay.sa_series[3:])]
    assert d["stack"]["description"] == "cine_trufi_retro_sa_1 (+5 series)"
    (rep,) = d["stack"]["repeats"]
    assert rep["used"] == again and rep["left_out"] == [first] and rep["slice"] == 2
    roles = {r["series_uid"]: r["role"] for r in d["series"]}
    assert roles[first] == "repeated" and roles[again] == "stack"
    assert [r["series_uid"] for r in d["series"]][:6] == d["stack"]["series"]
    assert any("more than once" in n for n in d["notes"])
    # the de-identified copy holds the used acquisition only: 6 × 6 stack + 6 of the 4CH
    assert d["stored"]["dicom_files"] == 6 * 6 + 6
    # --series with the left-out series: used instead, said so
    assert run_import(lay.root, tmp_path / "o2", key=KEY, as_json=True, series_uid=first) == 0
    d2 = json.loads(capsys.readouterr().out)
    assert d2["stack"]["series"][2] == first
    assert d2["stack"]["repeats"][0]["chosen_by"] == "chosen by the user"

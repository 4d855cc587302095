"""One short-axis series with a missing or inconsistent tag (review13 #6): at an end of the
stack it is left out and named (number and description, the problem, what to do) and the
image records the missing slab (imaging14); inside the stack the import is refused naming
the series, the tag and what to do. Missing SliceThickness is said, with what replaced it
(review13 #13)."""

from __future__ import annotations

import pydicom
import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.imaging.assembly import assemble_study, plan_stack, series_roles
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.series import scan_folder

KEY = b"one-bad-series-key-0123456789abcdef"
SMALL = {"rows": 40, "cols": 36, "pixel_mm": 7.0, "n_phases": 10, "la_views": ("4ch",)}


def _delete(files, *keywords):
    for p in files:
        ds = pydicom.dcmread(p)
        for k in keywords:
            if k in ds:
                delattr(ds, k)
        ds.save_as(p)


def _sa(lay, n):
    """Files of short-axis slice ``n`` (from 0) of the factory's layout."""
    return [p for p in lay.files if p.parent.name == f"S{n + 1:03d}"]


@pytest.mark.parametrize("slice_", [0, 5])
def test_series_without_trigger_time_at_an_end_is_left_out_and_named(tmp_path, slice_):
    """Left out, named with the problem and the remedy; the image knows which end lacks a
    slab, so the coverage model widens that end's extrapolation (imaging14)."""
    lay = write_cine_study(tmp_path, **SMALL)
    _delete(_sa(lay, slice_), "TriggerTime", "NominalInterval")
    scan = scan_folder(tmp_path, KEY)
    plan = plan_stack(scan)
    assert plan.n_slices == 5 and [s.series_number for s, _ in plan.unusable] == [slice_ + 1]
    end = "first" if slice_ == 0 else "last"
    note = next(n for n in plan.notes if "left out" in n)
    assert note.startswith(f"series 'cine_trufi_retro_sa_{slice_ + 1}' (#{slice_ + 1}) (slice "
                           f"{slice_ + 1} of 6, the {end} of the stack) left out: TriggerTime "
                           "missing in all 10 of its images")
    assert "The stack has 5 slices; the volumes at that end are extrapolated over the " \
        "missing slab as well, with a wider SD" in note
    assert "To use it: export that series again with its TriggerTime" in note
    left = next(s for s, _ in plan.unusable)
    assert left not in plan.planes
    role, why = series_roles(plan)[left.series_uid]
    assert role == "left out" and "TriggerTime missing" in why
    image = assemble_study(scan).loaded.image
    assert image.shape[0] == 5
    assert image.missing_slabs == ((1, 0) if slice_ == 0 else (0, 1))


def test_series_without_trigger_time_inside_the_stack_is_refused_naming_it(tmp_path):
    lay = write_cine_study(tmp_path, **SMALL)
    _delete(_sa(lay, 2), "TriggerTime", "NominalInterval")
    with pytest.raises(ImagingError) as err:
        plan_stack(scan_folder(tmp_path, KEY))
    text = str(err.value)
    assert text.startswith("series 'cine_trufi_retro_sa_3' (#3) (slice 3 of 6 of the stack) "
                           "cannot be used: TriggerTime missing in all 10 of its images")
    assert "gap inside the stack" in text and "What you can do: export that series again " \
        "with its TriggerTime" in text and "long-axis series can still be imported" in text


def test_no_trigger_time_anywhere_names_the_series_and_what_to_do(tmp_path):
    lay = write_cine_study(tmp_path, **SMALL)
    _delete([p for n in range(6) for p in _sa(lay, n)], "TriggerTime", "NominalInterval")
    with pytest.raises(ImagingError, match=r"no TriggerTime in the images of the stack's 6 "
                       r"series \(series 'cine_trufi_retro_sa_1' \(#1\), .*What you can do"):
        plan_stack(scan_folder(tmp_path, KEY))


def test_file_without_position_at_an_end_leaves_the_series_out_naming_it_and_the_file(
        tmp_path):
    lay = write_cine_study(tmp_path, **SMALL)
    _delete(_sa(lay, 5)[4:5], "ImagePositionPatient")
    plan = plan_stack(scan_folder(tmp_path, KEY))
    note = next(n for n in plan.notes if "left out" in n)
    assert note.startswith("series 'cine_trufi_retro_sa_6' (#6) (slice 6 of 6, the last of the "
                           "stack) left out: 9 image(s) per slice position")
    assert "without patient geometry" in note and "file #" in note
    assert "export that series again complete" in note
    assert "IMG0005" not in note and "S006" not in note


def test_file_without_position_inside_names_series_phase_file_and_what_to_do(tmp_path):
    lay = write_cine_study(tmp_path, **SMALL)
    _delete(_sa(lay, 3)[5:6], "ImagePositionPatient")
    with pytest.raises(ImagingError) as err:
        plan_stack(scan_folder(tmp_path, KEY))
    text = str(err.value)
    assert "series 'cine_trufi_retro_sa_4' (#4)" in text and "missing phase 5" in text
    assert "without patient geometry" in text and "What you can do" in text
    assert "IMG0006" not in text and "S004" not in text


def test_missing_slice_thickness_is_noted_with_what_replaced_it(tmp_path):
    lay = write_cine_study(tmp_path, **SMALL)
    _delete(_sa(lay, 1)[:3], "SliceThickness")
    _delete(_sa(lay, 4), "SliceThickness")
    notes = scan_folder(tmp_path, KEY).notes
    two = next(n for n in notes if n.startswith("series 'cine_trufi_retro_sa_2' (#2)"))
    assert "SliceThickness missing in 3 of 10 file(s); 8 mm taken from the series' other " \
        "files" in two
    five = next(n for n in notes if n.startswith("series 'cine_trufi_retro_sa_5' (#5)"))
    assert "missing in 10 of 10 file(s); the slice thickness is assumed equal to the slice " \
        "spacing" in five
    assert not any(n.startswith(("series 'cine_trufi_retro_sa_1'",
                                 "series 'cine_trufi_retro_sa_3'")) for n in notes)

"""A calibration's twin made beforehand (in the calibration's worker) opens as the one the
document would make, and a twin that is not the open twin's calibration is refused."""

from __future__ import annotations

import pytest

from twinviewer.core.measurement import Measurement
from twinviewer.document import Document, calibrated_twin
from twinviewer.twins import twin_from_preset


@pytest.fixture(scope="module")
def calibrated():
    from twinviewer.personalize import calibrate

    doc = Document()
    doc.open_twin(twin_from_preset("healthy", n=24, pseudonym="cal-test"))
    doc.add_measurement(Measurement("SBP", 128.0, "mmHg", 4.0, "cuff"))
    return doc, calibrate(doc.twin, n=24, max_iterations=8)


def test_a_calibrated_twin_made_beforehand_opens_as_the_documents_own(calibrated):
    doc, result = calibrated
    before = doc.twin
    new = calibrated_twin(before, result)
    assert len(before.audit) + 1 == len(new.audit)  # the open twin is not changed
    assert doc.apply_calibration(result, calibrated=new) is new
    assert doc.twin is new and new.ensemble_kind == "posterior"
    assert new.audit[-1].action == "calibration"
    assert doc.calibration is not None and doc.calibration["n_members"] == 24
    # the document's own: the same twin and record, apart from the entry's time and hash
    doc.open_twin(before)
    own = doc.apply_calibration(result)
    assert (own.ensemble == new.ensemble).all()
    assert own.audit[-1].details == new.audit[-1].details


def test_a_twin_that_is_not_the_open_twins_calibration_is_refused(calibrated):
    doc, result = calibrated
    doc.open_twin(twin_from_preset("healthy", n=24, pseudonym="cal-test"))
    stale = calibrated_twin(doc.twin, result)
    doc.add_note("a note after the calibration started")  # the open twin moved on
    opened = doc.twin
    with pytest.raises(ValueError, match="not a calibration of the open twin"):
        doc.apply_calibration(result, calibrated=stale)
    assert doc.twin is opened

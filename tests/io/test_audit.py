"""The hash-chained audit trail."""

from __future__ import annotations

import dataclasses

import pytest

from twinviewer.io import AuditLog, audit_log
from twinviewer.io.audit import GENESIS, attach_audit_log
from twinviewer.io.errors import PrivacyError
from twinviewer.io.privacy import register_identifiers
from twinviewer.physiology import four_chamber


def test_chain_links_and_verifies(twin):
    log = audit_log(twin)
    entries = log.entries
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert all(e.hash == e.compute_hash() for e in entries)
    assert entries[1].model.startswith(f"four_chamber_eoa {four_chamber.MODEL.version} ")
    assert entries[1].details == {"targets": ["SBP", "AV_mean_gradient"], "members": 20}
    status = log.verify_chain()
    assert status.ok and status.n_entries == 3 and "intact (3 entries)" in status.message


def test_tampering_with_an_earlier_entry_is_found(twin):
    entries = list(audit_log(twin).entries)
    entries[0] = dataclasses.replace(entries[0], details={"preset": "healthy", "n": 20})
    status = AuditLog(entries).verify_chain()
    assert not status.ok and status.first_bad == 0
    assert "entry #0 (create) was changed after it was written" in status.message


def test_recomputed_hash_breaks_the_next_link(twin):
    entries = list(audit_log(twin).entries)
    forged = dataclasses.replace(entries[0], details={"preset": "x"})
    entries[0] = dataclasses.replace(forged, hash=forged.compute_hash())
    status = AuditLog(entries).verify_chain()
    assert status.first_bad == 1 and "does not link to the entry before it" in status.message


def test_removed_or_reordered_entries_are_found(twin):
    e = list(audit_log(twin).entries)
    assert AuditLog([e[0], e[2]]).verify_chain().first_bad == 1
    assert "carries index 1" in AuditLog([e[1], e[0], e[2]]).verify_chain().message


def test_notes_record_disagreement(twin):
    (note,) = audit_log(twin).notes()
    assert note.action == "conclusion"
    assert note.details == {"text": "Gradient fits the echo.",
                            "disagreement": "predicted LVEDP", "why": "catheter LVEDP 22 mmHg"}
    with pytest.raises(ValueError, match="a note needs text"):
        audit_log(twin).add_note(twin, "   ")


def test_unknown_action_and_unserialisable_details(twin):
    log = audit_log(twin)
    with pytest.raises(ValueError, match="unknown audit action 'delete'"):
        log.record(twin, "delete")
    with pytest.raises(ValueError, match="Out of range float values|NaN"):
        log.record(twin, "calibration", {"loss": float("nan")})
    assert len(log) == 3 and log.verify_chain().ok


def test_notes_are_never_rewritten_and_identifiers_refused(twin):
    """Clinician text is stored exactly; one naming the patient is refused, saying what to
    edit; words that merely contain a name ('does', 'Mayo', 'Marked') are left alone."""
    register_identifiers(["DOE^PETER", "DEMO-12345", "MAY^WILL^MARK", "TOSHIBA^KEN"])
    log = audit_log(twin)
    n = len(log)
    with pytest.raises(PrivacyError, match=r"contains 'DEMO-12345', 'Peter Doe'.*edit it"):
        log.add_note(twin, "Discussed with Peter Doe (DEMO-12345)")
    assert len(log) == n  # nothing recorded
    text = ("Patient does not tolerate beta blockers; Mayo protocol; Marked LVH; "
            "Willing to consider TAVI; TOSHIBA_MEC scanner")
    e = log.add_note(twin, text, disagreement="predicted LVEDP", why="catheter 22 mmHg")
    assert e.details["text"] == text
    for word in ("Doe", "May", "Will", "Mark", "Toshiba"):
        with pytest.raises(PrivacyError, match=f"'{word}'"):
            log.add_note(twin, f"seen by {word} today")


def test_log_follows_its_twin(twin):
    from tests.io.conftest import make_twin

    other = make_twin(n=2)
    n_other = len(audit_log(other))
    audit_log(twin).record(twin, "note", {"text": "only on the first twin"})
    assert len(audit_log(other)) == n_other
    log = AuditLog()
    attach_audit_log(other, log)
    log.record(other, "note", {"text": "written through the attached log"})
    assert audit_log(other).entries == log.entries and len(log) == 1


def test_calibrated_twin_inherits_a_copy_of_the_trail(twin):
    from twinviewer.core.measurement import Measurement
    from twinviewer.personalize import calibrate, updated_twin

    audit_log(twin).record(twin, "import", {"series": 1})
    before = len(audit_log(twin))
    new = updated_twin(twin, calibrate(twin, [Measurement("SBP", 130, "mmHg", 8, "cuff")],
                                       n=16, point_estimate=False))
    assert audit_log(new).head == audit_log(twin).head
    audit_log(new).record(new, "calibration", {"measurements": ["SBP"]})
    assert len(audit_log(new)) == before + 1 and len(audit_log(twin)) == before


def test_round_trip_from_list(twin):
    log = audit_log(twin)
    again = AuditLog.from_list(log.to_list())
    assert again.head == log.head and again.verify_chain().ok
    with pytest.raises(TypeError, match="audit log must be a list"):
        AuditLog.from_list({"a": 1})


def test_summary_is_one_short_line_whatever_the_details():
    """A calibration entry whose ``summary`` is the whole record (a dict) is not dumped."""
    log = AuditLog()
    record = {"method": "eki", "point": {f"P{i}": i for i in range(60)}}
    e = log.append("calibration", {"summary": record, "text": None})
    line = e.summary()
    assert "{" not in line and "\n" not in line and len(line) < 200
    long = log.append("note", {"text": "x" * 500}).summary()
    assert len(long) < 200 and long.endswith("…")

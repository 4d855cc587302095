"""No identifier of an identified study reaches a .twin file, a log, a report or a message."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import zipfile

import pytest

from twinviewer.core.twin import Scenario
from twinviewer.imaging.demo import DEMO_IDENTIFIERS
from twinviewer.io import PrivacyError, audit_log, load_twin, save_twin
from twinviewer.io.autosave import Autosaver
from twinviewer.io.cli import run_info
from twinviewer.io.logs import configure_logging
from twinviewer.io.privacy import register_identifiers
from twinviewer.io.twinfile import IDENTIFIABLE_BANNER
from twinviewer.report.pdf import write_report
from twinviewer.twins import twin_from_preset


def _needles() -> list[str]:
    values = set(DEMO_IDENTIFIERS.values())
    values |= {"JANE DOE", "DOE JANE", "DOE^JANE", "2024-03-15", "15.03.2024", "08:15:32"}
    return sorted(v.lower() for v in values)


def _leaks(text: str) -> list[str]:
    low = text.lower()
    return [n for n in _needles() if n in low]


def _scan_bytes(data: bytes) -> list[str]:
    return _leaks(data.decode("latin-1"))


def _pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_identified_study_leaves_no_identifier_anywhere(demo_study, anatomy_twin, tmp_path):
    log_path = configure_logging(tmp_path / "logs", level=logging.DEBUG)
    # what the user did to the twin, in free text that could carry an identifier
    anatomy_twin.scenarios.append(Scenario("TAVI"))
    audit_log(anatomy_twin).add_note(anatomy_twin, "Reviewed the CT; LV size as expected.")
    twin_path = save_twin(tmp_path / "study.twin", anatomy_twin)
    auto = Autosaver(tmp_path / "auto").autosave(anatomy_twin)
    doc = load_twin(twin_path)
    info = write_report(doc, tmp_path / "report.pdf", simulate=False)
    assert run_info(twin_path) == 0
    for handler in logging.getLogger("twinviewer").handlers:
        handler.flush()

    # the input really is identified (the test would be empty otherwise)
    ct = demo_study.ct_files[0].read_bytes()
    assert "doe^jane^demo" in _scan_bytes(ct) and "demo-12345" in _scan_bytes(ct)

    for artefact in (twin_path, auto, tmp_path / "report.pdf"):
        assert _scan_bytes(artefact.read_bytes()) == [], artefact.name
    with zipfile.ZipFile(twin_path) as zf:
        for name in zf.namelist():
            assert _scan_bytes(zf.read(name)) == [], name
    for f in log_path.parent.iterdir():
        assert _leaks(f.read_text()) == [], f.name
    assert _leaks("\n".join(info.text)) == []
    assert _leaks(_pdf_text(tmp_path / "report.pdf")) == []


def test_identifier_as_pseudonym_is_refused_without_repeating_it(tmp_path):
    twin = twin_from_preset("healthy", n=4, pseudonym=DEMO_IDENTIFIERS["PatientName"])
    with pytest.raises(PrivacyError) as err:
        save_twin(tmp_path / "x.twin", twin)
    assert _leaks(str(err.value)) == [] and "not a TwinViewer pseudonym" in str(err.value)
    assert not (tmp_path / "x.twin").exists()
    register_identifiers([DEMO_IDENTIFIERS["PatientID"]])
    twin.pseudonym = "virtual-demo-12345"  # pseudonym-shaped but carries a known identifier
    with pytest.raises(PrivacyError):
        save_twin(tmp_path / "x.twin", twin)


def test_registered_identifiers_are_redacted_from_free_text(tmp_path):
    register_identifiers(DEMO_IDENTIFIERS.values())
    twin = twin_from_preset("healthy", n=4)
    twin.origin = "import of DOE^JANE^DEMO from Demo General Hospital"
    twin.scenarios.append(Scenario("plan for Jane Doe"))
    path = save_twin(tmp_path / "x.twin", twin)
    doc = load_twin(path)
    assert doc.twin.origin == "import of [redacted] from [redacted]"
    assert doc.twin.scenarios[0].name == "plan for [redacted]"
    with zipfile.ZipFile(path) as zf:
        assert all(_scan_bytes(zf.read(n)) == [] for n in zf.namelist())


def test_audit_entry_with_identifier_blocks_the_save(tmp_path):
    twin = twin_from_preset("healthy", n=4)
    audit_log(twin).add_note(twin, "seen with DEMO-12345")  # not yet known as an identifier
    register_identifiers(["DEMO-12345"])
    with pytest.raises(PrivacyError, match="audit entry #0 contains a registered patient "
                                           "identifier"):
        save_twin(tmp_path / "x.twin", twin)


def test_kept_identifiers_are_flagged_everywhere(tmp_path, capsys):
    twin = twin_from_preset("healthy", n=4, pseudonym="DOE^JANE^DEMO")
    path = save_twin(tmp_path / "local.twin", twin, keep_identifiers=True)
    doc = load_twin(path)
    assert doc.identifiable and doc.twin.pseudonym == "DOE^JANE^DEMO"
    with zipfile.ZipFile(path) as zf:
        assert json.loads(zf.read("manifest.json"))["identifiable"] is True
    assert run_info(path) == 0
    assert IDENTIFIABLE_BANNER in capsys.readouterr().out
    info = write_report(doc, tmp_path / "local.pdf", simulate=False)
    assert info.text.count(IDENTIFIABLE_BANNER) == info.pages
    pages = _pdf_text(tmp_path / "local.pdf").split("\f")
    assert all("CONTAINS PATIENT IDENTIFIERS" in p for p in pages if p.strip())

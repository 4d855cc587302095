"""``twinviewer info`` and ``twinviewer report`` as functions."""

from __future__ import annotations

import json

from tests.io.test_twinfile import rewrite
from twinviewer.io import save_twin, twin_bytes
from twinviewer.io.cli import run_info
from twinviewer.physiology import four_chamber
from twinviewer.report.cli import run_report


def test_info_prints_summary_and_verifies(twin, tmp_path, capsys):
    path = save_twin(tmp_path / "a.twin", twin)
    assert run_info(path) == 0
    out = capsys.readouterr().out
    assert "Research use — not for clinical decisions" in out
    assert f"four_chamber_eoa v{four_chamber.MODEL.version}" in out and "20 members (prior)" in out
    assert "audit trail intact (3 entries)" in out and "TAVI 23 mm" in out


def test_info_reports_broken_chain_and_bad_files(twin, tmp_path, capsys):
    def tamper(members, manifest):
        entries = json.loads(members["audit.json"])
        entries[0]["action"] = "import"
        members["audit.json"] = json.dumps(entries).encode()

    bad = tmp_path / "t.twin"
    bad.write_bytes(rewrite(twin_bytes(twin), tamper))
    assert run_info(bad) == 3
    captured = capsys.readouterr()
    assert "audit trail broken: entry #0" in captured.err and "twin " in captured.out
    junk = tmp_path / "junk.twin"
    junk.write_bytes(b"PK\x03\x04 nope")
    assert run_info(junk) == 2
    assert "junk.twin is not a .twin file" in capsys.readouterr().err
    assert run_report(bad, tmp_path / "x.pdf") == 3
    assert not (tmp_path / "x.pdf").exists()


def test_report_and_encrypted_info(twin, tmp_path, capsys, monkeypatch):
    path = save_twin(tmp_path / "a.twin", twin)
    assert run_report(path) == 0
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    enc = save_twin(tmp_path / "e.twin", twin, passphrase="pw")
    assert run_info(enc) == 2
    assert "encrypted: a passphrase is needed" in capsys.readouterr().err
    monkeypatch.setenv("TWINVIEWER_PASSPHRASE", "pw")
    assert run_info(enc) == 0
    assert ", encrypted" in capsys.readouterr().out


def test_headless_report_adds_no_audit_entry(twin, tmp_path, monkeypatch):
    """The report command does not modify the twin, so it records nothing in its trail."""
    import twinviewer.report.cli as cli
    from twinviewer.io import audit_log
    from twinviewer.report import ReportInfo

    path = save_twin(tmp_path / "a.twin", twin)
    before = path.read_bytes()
    loaded = []

    def load(*args, **kw):
        loaded.append(cli.load_twin.__wrapped__(*args, **kw))
        return loaded[-1]

    load.__wrapped__ = cli.load_twin
    monkeypatch.setattr(cli, "load_twin", load)
    monkeypatch.setattr(cli, "write_report", lambda doc, out, **_kw: ReportInfo(out, 3))
    assert run_report(path, tmp_path / "r.pdf") == 0
    (doc,) = loaded
    assert [e.action for e in audit_log(doc.twin).entries] == \
        [e.action for e in doc.audit.entries]
    assert "export" not in [e.action for e in audit_log(doc.twin).entries]
    assert path.read_bytes() == before


def test_exit_codes_are_distinct_and_internal_errors_have_no_traceback(twin, tmp_path, capsys,
                                                                       monkeypatch):
    import twinviewer.io.cli as cli

    path = save_twin(tmp_path / "a.twin", twin)

    def boom(doc, *held_back):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "describe", boom)
    assert run_info(path) == cli.EXIT_INTERNAL == 4
    err = capsys.readouterr().err
    assert "internal error in twinviewer info (RuntimeError)" in err
    assert "Traceback" not in err and str(tmp_path) not in err
    assert len({cli.EXIT_OK, cli.EXIT_INVALID, cli.EXIT_AUDIT_BROKEN, cli.EXIT_INTERNAL}) == 4


def test_hostile_files_named_in_issue_14_are_invalid_for_info_and_report(tmp_path, capsys):
    """Exactly one validation: what info refuses, report refuses with the same code."""
    import random

    from tests.fuzz.twin_cases import FAMILIES, base_bytes

    for family, make in FAMILIES.items():
        for seed in range(6):
            what, data = make(random.Random(seed), base_bytes())
            path = tmp_path / f"{family}{seed}.twin"
            path.write_bytes(data)
            assert run_info(path) == 2, (family, what)
            assert run_report(path, tmp_path / "r.pdf") == 2, (family, what)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "DOE^JANE" not in err
    assert not (tmp_path / "r.pdf").exists()


def test_info_names_each_scenario_with_its_response_mode(twin, tmp_path, capsys):
    """session 6: ``info`` listed "TAVI 23 mm" bare, so an acute and a regulated scenario
    read alike (the naming now lives in core, below io)."""
    import dataclasses

    from twinviewer.core.twin import Scenario

    steps = twin.scenarios[0].steps
    both = dataclasses.replace(twin, scenarios=[
        Scenario("TAVI 23 mm", steps), Scenario("TAVI 23 mm, reflex", steps, "regulated"),
        Scenario("tavi [baroreflex regulated]", steps, "regulated")])
    path = save_twin(tmp_path / "s.twin", both)
    assert run_info(path) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("scenarios"))
    assert line.split(None, 1)[1] == ("TAVI 23 mm [acute, unregulated], TAVI 23 mm, reflex "
                                      "[baroreflex regulated], tavi [baroreflex regulated]")
    assert run_info(path, as_json=True) == 0
    assert json.loads(capsys.readouterr().out)["scenarios"] == [
        "TAVI 23 mm [acute, unregulated]", "TAVI 23 mm, reflex [baroreflex regulated]",
        "tavi [baroreflex regulated]"]

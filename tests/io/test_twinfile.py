"""Round trip, versioning, integrity and audit checks of the .twin file."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from tests.io.conftest import assert_twins_equal, make_twin
from tests.io.zips import rezip, unzip
from twinviewer.io import (
    SCHEMA_VERSION,
    TwinFileError,
    audit_log,
    load_twin,
    parameter_table,
    save_twin,
    twin_bytes,
)
from twinviewer.io.twinfile import load_twin_bytes
from twinviewer.twins import simulate_twin


def rewrite(data: bytes, change) -> bytes:
    """Re-zip a .twin with ``change(members, manifest)`` applied and checksums recomputed."""
    members, manifest = unzip(data)
    change(members, manifest)
    return rezip(members, manifest)


def test_round_trip_keeps_every_field(twin, tmp_path):
    path = save_twin(tmp_path / "a.twin", twin)
    doc = load_twin(path)
    assert_twins_equal(twin, doc.twin)
    assert doc.schema_version == SCHEMA_VERSION and not doc.identifiable
    assert [p.name for p in doc.parameters] == [p.name for p in parameter_table(twin)]
    assert doc.chain.ok and len(doc.audit) == 3
    assert audit_log(doc.twin).entries == doc.audit.entries
    assert [e.hash for e in doc.audit.entries] == [e.hash for e in audit_log(twin).entries]
    # saving the loaded document again gives the same content
    again = load_twin(save_twin(tmp_path / "b.twin", doc.twin, parameters=doc.parameters))
    assert_twins_equal(twin, again.twin)


def test_round_trip_with_imaged_anatomy_and_results(anatomy_twin, tmp_path):
    results = simulate_twin(anatomy_twin)
    path = save_twin(tmp_path / "anat.twin", anatomy_twin,
                     results={"baseline": results, "TAVI": {"LVEF": np.arange(12.0)}})
    doc = load_twin(path)
    assert_twins_equal(anatomy_twin, doc.twin)
    np.testing.assert_array_equal(doc.results["baseline"]["LVEF"], results.metrics["LVEF"])
    np.testing.assert_array_equal(doc.results["baseline"]["_ok"], results.ok)
    np.testing.assert_array_equal(doc.results["TAVI"]["LVEF"], np.arange(12.0))
    with zipfile.ZipFile(path) as zf:  # arrays stored, not deflated
        infos = [i for i in zf.infolist() if i.filename.endswith(".npy")]
        assert infos and all(i.compress_type == zipfile.ZIP_STORED for i in infos)


def test_manifest_records_versions(twin, tmp_path):
    import twinviewer

    path = save_twin(tmp_path / "a.twin", twin)
    with zipfile.ZipFile(path) as zf:
        m = json.loads(zf.read("manifest.json"))
    assert m["schema_version"] == SCHEMA_VERSION
    assert m["app_version"] == twinviewer.__version__
    assert m["model"] == {"name": twin.model_name, "version": twin.model_version,
                          "equation_hash": twin.equation_hash}
    assert m["identifiable"] is False and m["audit"]["head"] == audit_log(twin).head


def test_newer_schema_is_refused_clearly(twin):
    def bump(members, manifest):
        manifest["schema_version"] = SCHEMA_VERSION + 1
        manifest["app_version"] = "9.0.0"

    data = rewrite(twin_bytes(twin), bump)
    with pytest.raises(TwinFileError, match=r"newer TwinViewer \(9\.0\.0.*Update TwinViewer"):
        load_twin_bytes(data, name="future.twin")


@pytest.mark.parametrize("schema", [0, "2", None, True])
def test_bad_schema_version(twin, schema):
    def change(members, manifest):
        manifest["schema_version"] = schema

    with pytest.raises(TwinFileError, match="schema_version must be a positive integer"):
        load_twin_bytes(rewrite(twin_bytes(twin), change))


def test_json_members_are_written_compact_and_indented_ones_still_read(twin):
    """fix16b: indent=1 made json use its pure-Python encoder (a third of a 34 MB autosave's
    time); nothing reads the members by eye. A file written indented (before) reads the same."""
    data = twin_bytes(twin)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in ("manifest.json", "twin.json", "audit.json"):
            text = zf.read(name).decode()
            assert "\n" not in text, name
            assert text == json.dumps(json.loads(text), ensure_ascii=False,
                                      separators=(",", ":")), name
    old = rewrite(data, lambda members, manifest: members.update(
        {k: json.dumps(json.loads(v), indent=1, ensure_ascii=False).encode()
         for k, v in members.items() if k in ("twin.json", "audit.json")}))
    assert b'\n "' in unzip(old)[0]["twin.json"]
    assert_twins_equal(load_twin_bytes(data).twin, load_twin_bytes(old).twin)


def test_not_a_twin(tmp_path):
    p = tmp_path / "x.twin"
    p.write_text("hello")
    with pytest.raises(TwinFileError, match="x.twin is not a .twin file, or it is truncated"):
        load_twin(p)
    zp = tmp_path / "other.twin"
    with zipfile.ZipFile(zp, "w") as z:
        z.writestr("manifest.json", json.dumps({"format": "something"}))
    with pytest.raises(TwinFileError, match="not a TwinViewer twin"):
        load_twin(zp)
    with pytest.raises(TwinFileError, match="cannot read"):
        load_twin(tmp_path / "missing.twin")


def test_corrupt_member_is_named(twin):
    data = bytearray(twin_bytes(twin))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("arrays/0001.npy")  # the ensemble, stored uncompressed
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    data[offset] ^= 0xFF
    with pytest.raises(TwinFileError, match=r"member arrays/0001.npy"):
        load_twin_bytes(bytes(data))


def test_checksum_mismatch_names_expected_and_found(twin):
    def tamper(members, manifest):
        members["twin.json"] = members["twin.json"].replace(b"severe_as", b"healthy__")

    data = rewrite(twin_bytes(twin), tamper)
    # rewrite() recomputes the checksums; now break one on purpose
    zin = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(zin.read("manifest.json"))
    manifest["members"]["twin.json"]["sha256"] = "0" * 64
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for n in zin.namelist():
            if n != "manifest.json":
                z.writestr(n, zin.read(n))
    with pytest.raises(TwinFileError, match=r"twin.json is corrupt \(SHA-256 expected "
                                            r"0000000000000000…, found [0-9a-f]{16}…\)"):
        load_twin_bytes(out.getvalue())


def test_missing_and_extra_members(twin):
    def drop(members, manifest):
        del members["arrays/0000.npy"]

    data = rewrite(twin_bytes(twin), drop)
    with pytest.raises(TwinFileError, match="refers to member arrays/0000.npy, which is missing"):
        load_twin_bytes(data)

    zin = zipfile.ZipFile(io.BytesIO(twin_bytes(twin)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in zin.namelist():
            z.writestr(n, zin.read(n))
        z.writestr("evil.py", b"print('hi')")
    with pytest.raises(TwinFileError, match="member evil.py is not listed in the manifest"):
        load_twin_bytes(out.getvalue())


def test_wrong_shapes_and_types(twin):
    def swap(members, manifest):  # point estimate and ensemble exchanged
        members["arrays/0000.npy"], members["arrays/0001.npy"] = (
            members["arrays/0001.npy"], members["arrays/0000.npy"])

    with pytest.raises(TwinFileError, match=r"params should have shape \(53,\), found \(20, 53\)"):
        load_twin_bytes(rewrite(twin_bytes(twin), swap))

    def kind(members, manifest):
        tree = json.loads(members["twin.json"])
        tree["ensemble_kind"] = 7
        members["twin.json"] = json.dumps(tree).encode()

    with pytest.raises(TwinFileError, match="ensemble_kind should be 'prior' or 'posterior'"):
        load_twin_bytes(rewrite(twin_bytes(twin), kind))

    def no_field(members, manifest):
        tree = json.loads(members["twin.json"])
        del tree["measurements"][0]["value"]
        members["twin.json"] = json.dumps(tree).encode()

    with pytest.raises(TwinFileError, match="malformed \\(missing field 'value'\\)"):
        load_twin_bytes(rewrite(twin_bytes(twin), no_field))

    def strings(members, manifest):
        buf = io.BytesIO()
        np.save(buf, np.array(["a", "b"]))
        members["arrays/0000.npy"] = buf.getvalue()

    with pytest.raises(TwinFileError, match="has dtype <U1, expected numbers"):
        load_twin_bytes(rewrite(twin_bytes(twin), strings))


def test_pickled_array_is_refused(twin):
    def pickled(members, manifest):
        buf = io.BytesIO()
        np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
        members["arrays/0000.npy"] = buf.getvalue()

    with pytest.raises(TwinFileError, match="not a valid .npy array"):
        load_twin_bytes(rewrite(twin_bytes(twin), pickled))


def test_tampered_audit_entry_is_detected(twin, tmp_path):
    def tamper(members, manifest):
        entries = json.loads(members["audit.json"])
        entries[1]["details"]["members"] = 999  # rewrite history, keep checksums valid
        members["audit.json"] = json.dumps(entries).encode()

    data = rewrite(twin_bytes(twin), tamper)
    with pytest.raises(TwinFileError, match=r"audit trail broken: entry #1 \(calibration\) "
                                            r"was changed after it was written"):
        load_twin_bytes(data)
    doc = load_twin_bytes(data, allow_broken_audit=True)
    assert not doc.chain.ok and doc.chain.first_bad == 1


def test_removed_last_audit_entry_is_detected(twin):
    def drop(members, manifest):
        entries = json.loads(members["audit.json"])
        members["audit.json"] = json.dumps(entries[:-1]).encode()

    with pytest.raises(TwinFileError, match="audit trail broken: the file lists 3 entries"):
        load_twin_bytes(rewrite(twin_bytes(twin), drop))


def test_unknown_model_needs_a_table(twin):
    twin.equation_hash = "deadbeef"
    with pytest.raises(TwinFileError, match="not installed in this version"):
        twin_bytes(twin)
    table = parameter_table(make_twin(n=2))
    assert len(table) == 53 and table[0].unit


def test_failed_load_leaves_existing_file_and_objects(twin, tmp_path):
    path = save_twin(tmp_path / "a.twin", twin)
    before = path.read_bytes()
    bad = tmp_path / "bad.twin"
    bad.write_bytes(before[: len(before) // 2])
    with pytest.raises(TwinFileError, match="bad.twin"):
        load_twin(bad)
    assert path.read_bytes() == before
    assert len(audit_log(twin)) == 3


def test_save_error_keeps_previous_file(twin, tmp_path):
    path = save_twin(tmp_path / "a.twin", twin)
    before = path.read_bytes()
    twin.ensemble = np.array([["x"] * 53], dtype=object)
    with pytest.raises(TwinFileError, match="ensemble must hold numbers only"):
        save_twin(path, twin)
    twin.ensemble = np.full((3, 53), np.nan)
    with pytest.raises(TwinFileError, match="ensemble holds non-finite values"):
        save_twin(path, twin)
    twin.ensemble = np.ones((3, 44))
    with pytest.raises(TwinFileError, match="the parameter table has 53 rows"):
        save_twin(path, twin)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.twin"]


def test_unwritable_directory_gives_oserror_naming_path(twin, tmp_path):
    with pytest.raises(OSError, match="no-such-dir"):
        save_twin(tmp_path / "no-such-dir" / "a.twin", twin)


def test_oversized_member_is_refused_before_reading(twin, monkeypatch):
    import twinviewer.io.twinfile as tf

    monkeypatch.setattr(tf, "_MAX_JSON_BYTES", 100)
    with pytest.raises(TwinFileError, match=r"member manifest.json claims \d+ bytes"):
        load_twin_bytes(twin_bytes(twin))


def test_hostile_archives_are_refused_before_inflating():
    """Member names, links, duplicates, counts and bombs: refused from the central
    directory, naming the member (issue 14)."""
    import random

    from tests.fuzz.twin_cases import _bomb, _names, base_bytes

    expected = {"'../../x'": "not a plain relative name", "/etc/cron.d/evil": "plain relative",
                "C:\\\\evil.dll": "plain relative", "symlink": "not a regular file",
                "folder": "'arrays/sub/' is not a plain", "duplicate": "appears twice",
                "extra members": "more than a twin holds"}
    seen = set()
    for seed in range(40):
        what, data = _names(random.Random(seed), base_bytes())
        with pytest.raises(TwinFileError) as e:
            load_twin_bytes(data, name="h.twin")
        for key, message in expected.items():
            if key in what:
                assert message in str(e.value), (what, str(e.value))
                seen.add(key)
    assert seen == set(expected)
    for seed in range(6):
        what, data = _bomb(random.Random(seed), base_bytes())
        with pytest.raises(TwinFileError, match="bomb|claims|more than a twin"):
            load_twin_bytes(data, name="h.twin")


def test_arrays_pseudonym_and_encryption_header_are_checked():
    import random

    from tests.fuzz.twin_cases import PASSPHRASE, _arrays, _crypto, _pseudonym, base_bytes

    for family in (_arrays, _pseudonym, _crypto):
        for seed in range(25):
            what, data = family(random.Random(seed), base_bytes())
            with pytest.raises(TwinFileError) as e:
                load_twin_bytes(data, name="h.twin", passphrase=PASSPHRASE)
            assert str(e.value).startswith("h.twin"), what
            assert "DOE^JANE" not in str(e.value) and "1962" not in str(e.value)

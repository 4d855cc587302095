"""The living twin in the .twin file and the PDF report: round trip, old files, bad data."""

import json
import zipfile

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.io.errors import TwinFileError
from twinviewer.io.twinfile import load_twin, save_twin
from twinviewer.living import add_measurements
from twinviewer.twins import twin_from_preset


@pytest.fixture(scope="module")
def twin():
    t = twin_from_preset("healthy", n=1)
    v1 = [M("SBP", 118, "mmHg", 6), M("DBP", 76, "mmHg", 5), M("LVEDV", 128, "mL", 8),
          M("LVESV", 55, "mL", 6)]
    t = add_measurements(t, v1, source="manual", consent="treatment", day=0, n=24,
                         context=[M("weight", 80, "kg", 0.5)]).twin
    v2 = [M("SBP", 178, "mmHg", 6), M("DBP", 101, "mmHg", 5)]
    series = {"source": "wearable:w.csv", "hours": [0.0, 1.0], "HR": [70.0, 71.0]}
    # SBP 178 is a surprise the twin cannot reach in 45 days: accepted explicitly, as a user
    # would after reading the misfit message, so that the visit carries its flags
    return add_measurements(t, v2, source="clinic", consent="research", day=45, n=24,
                            series=series, accept_misfit=True).twin


def test_round_trip_keeps_every_living_twin_field(twin, tmp_path):
    path = save_twin(tmp_path / "t.twin", twin)
    back = load_twin(path).twin
    assert back.ledger == twin.ledger
    assert back.timeline == twin.timeline
    for a, b in zip(twin.visits, back.visits, strict=True):
        assert (a.day, a.flags, a.items, a.context, a.series, a.predicted, a.model) == \
            (b.day, b.flags, b.items, b.context, b.series, b.predicted, b.model)
        np.testing.assert_array_equal(a.start_params, b.start_params)
        np.testing.assert_array_equal(a.ensemble, b.ensemble)


def _rewrite(path, tmp_path, change):
    """Re-zip a .twin with ``change(tree)`` applied to twin.json and fresh checksums."""
    import hashlib

    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    tree = json.loads(members["twin.json"])
    change(tree)
    members["twin.json"] = json.dumps(tree).encode()
    manifest = json.loads(members["manifest.json"])
    for n, data in members.items():
        if n != "manifest.json":
            manifest["members"][n] = {"sha256": hashlib.sha256(data).hexdigest(),
                                      "size": len(data)}
    members["manifest.json"] = json.dumps(manifest).encode()
    out = tmp_path / "rewritten.twin"
    with zipfile.ZipFile(out, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    return out


def test_file_without_living_data_loads_as_before(twin, tmp_path):
    path = save_twin(tmp_path / "t.twin", twin)

    def strip(tree):
        tree.pop("living")
        for v in tree["visits"]:
            v.pop("living")

    back = load_twin(_rewrite(path, tmp_path, strip)).twin
    assert [v.day for v in back.visits] == [0, 45]
    assert back.visits[1].flags == [] and back.ledger.items == ()


def test_malformed_living_data_is_refused_naming_it(twin, tmp_path):
    path = save_twin(tmp_path / "t.twin", twin)

    def bad(tree):
        tree["living"]["ledger"] = {"items": [{"item": "x"}]}

    with pytest.raises(TwinFileError, match="living-twin data is malformed"):
        load_twin(_rewrite(path, tmp_path, bad))


def test_report_has_the_timeline_page_with_flags(twin, tmp_path):
    from twinviewer.io.twinfile import load_twin as load
    from twinviewer.report.pdf import write_report

    doc = load(save_twin(tmp_path / "t.twin", twin))
    info = write_report(doc, tmp_path / "r.pdf", simulate=False)
    text = "\n".join(info.text) if isinstance(info.text, list) else str(info.text)
    assert "Timeline (living twin)" in text
    assert "FLAG" in text and "No flag does not mean all is well" in text

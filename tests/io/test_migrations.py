"""Schema migrations, each tested on a checked-in file of the older schema."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.io.zips import rezip, unzip
from twinviewer.io import SCHEMA_VERSION, TwinFileError, load_twin, save_twin
from twinviewer.io.migrations import MIGRATIONS, v1_to_v2

DATA = Path(__file__).parent / "data"
V1 = DATA / "v1_twin.twin"


def test_every_schema_has_a_migration():
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION))


def test_checked_in_file_is_schema_1():
    with zipfile.ZipFile(V1) as zf:
        assert json.loads(zf.read("manifest.json"))["schema_version"] == 1
        tree = json.loads(zf.read("twin.json"))
    assert "cv" in tree["measurements"][0] and "uncertainty" not in tree["measurements"][0]


def test_v1_to_v2_converts_cv_to_absolute_sd(tmp_path):
    doc = load_twin(V1)
    assert doc.schema_version == 1 and doc.chain.ok and len(doc.audit) == 2
    sbp, mr = doc.twin.measurements
    assert (sbp.name, sbp.value, sbp.uncertainty, sbp.unit) == ("SBP", 120.0, 6.0, "mmHg")
    assert mr.uncertainty == 0.0  # the limitation schema 2 removes: cv of a zero value
    assert doc.twin.visits[0].measurements[0].uncertainty == pytest.approx(5.5)
    assert doc.twin.visits[0].ensemble.shape == (2, 45)
    assert doc.twin.anatomy.measurements[0].uncertainty == pytest.approx(13.0)
    vol = doc.twin.anatomy.structures["lv_blood"].volumes[0]
    assert vol.uncertainty == pytest.approx(0.016667)
    # saved again it is a current-schema file with the same content and intact audit chain
    again = load_twin(save_twin(tmp_path / "v2.twin", doc.twin, parameters=doc.parameters))
    assert again.schema_version == SCHEMA_VERSION and again.twin.measurements == \
        doc.twin.measurements
    assert again.audit.head == doc.audit.head


def test_v1_with_bad_cv_is_rejected_clearly():
    tree = {"measurements": [{"name": "SBP", "value": 1.0, "unit": "mmHg", "cv": -1}],
            "visits": []}
    with pytest.raises(ValueError, match="SBP.*cv must be ≥ 0"):
        v1_to_v2(tree, [])


def test_v1_missing_cv_is_a_twin_file_error(tmp_path):
    target = tmp_path / "v1.twin"
    members, manifest = unzip(V1.read_bytes())
    tree = json.loads(members["twin.json"])
    del tree["measurements"][0]["cv"]
    members["twin.json"] = json.dumps(tree).encode()
    target.write_bytes(rezip(members, manifest))
    with pytest.raises(TwinFileError, match="v1.twin: the twin data are malformed "
                                            r"\(missing field 'cv'\)"):
        load_twin(target)


def test_generator_script_reproduces_the_checked_in_content(tmp_path):
    out = tmp_path / "regen.twin"
    subprocess.run([sys.executable, str(DATA / "make_v1_twin.py"), str(out)], check=True,
                   capture_output=True)
    a, b = load_twin(V1), load_twin(out)
    assert a.twin.measurements == b.twin.measurements and a.audit.head == b.audit.head

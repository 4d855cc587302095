"""Fixtures for the .twin file tests: small twins, a twin with imaged anatomy, isolation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement
from twinviewer.core.provenance import Provenance, Source
from twinviewer.core.twin import InterventionStep, Scenario, Visit
from twinviewer.io import audit_log
from twinviewer.io.privacy import clear_identifiers
from twinviewer.twins import twin_from_preset

KEY = b"t" * 32


@pytest.fixture(scope="session")
def _validation_cache(tmp_path_factory):
    # the report's model card runs the validation (~1 min CPU with the evidence table) and
    # caches it by equation hash: one run for the session, outside the user's dirs
    return tmp_path_factory.mktemp("validation-cache")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch, _validation_cache):
    """No test touches the real user dirs, and identifier registrations do not leak."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("TWINVIEWER_CACHE_DIR", str(_validation_cache))
    clear_identifiers()
    yield
    clear_identifiers()


def make_twin(n: int = 20, name: str = "severe_as"):
    """A twin exercising every field: measurements, provenance, scenarios, visits, audit."""
    twin = twin_from_preset(name, n=n, seed=3)
    twin.measurements += [Measurement("SBP", 150.0, "mmHg", 8.0, "cuff"),
                          Measurement("AV_mean_gradient", 48.0, "mmHg", 5.0, "echo")]
    twin.provenance["AV.EOA"] = Provenance(Source.MEASURED, "echo continuity", ("AV_EOA",))
    twin.scenarios.append(Scenario("TAVI 23 mm", (InterventionStep("tavi", {"eoa": 1.9}),)))
    twin.visits.append(Visit(0, [Measurement("LVEF", 55.0, "%", 5.0, "echo")],
                             twin.ensemble[:5].copy(), "baseline"))
    twin.visits.append(Visit(92, [Measurement("LVEF", 50.0, "%", 5.0, "echo")], None,
                             "3 months"))
    log = audit_log(twin)
    log.record(twin, "create", {"preset": name, "n": n})
    log.record(twin, "calibration", {"targets": ["SBP", "AV_mean_gradient"], "members": n})
    log.add_note(twin, "Gradient fits the echo.", disagreement="predicted LVEDP",
                 why="catheter LVEDP 22 mmHg", conclusion=True)
    return twin


@pytest.fixture
def twin():
    return make_twin()


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory):
    """The identified demo study (small grid) written once per session."""
    from twinviewer.imaging.demo import write_demo_study

    folder = tmp_path_factory.mktemp("demo") / "study"
    return write_demo_study(folder, shape=(48, 80, 80), spacing=(3.4, 2.0, 2.0))


@pytest.fixture(scope="session")
def demo_anatomy(demo_study):
    from twinviewer.imaging.study import import_study

    return import_study(Path(demo_study.folder), key=KEY)


@pytest.fixture
def anatomy_twin(demo_anatomy):
    t = twin_from_preset("healthy", n=12, pseudonym=demo_anatomy.pseudonym,
                         anatomy=demo_anatomy)
    t.measurements += [m for m in demo_anatomy.measurements if m.name in ("LVEDV", "LVEF")]
    audit_log(t).record(t, "import", {"structures": sorted(demo_anatomy.structures)})
    return t


def assert_twins_equal(a, b) -> None:
    assert a.pseudonym == b.pseudonym and a.origin == b.origin
    assert (a.model_name, a.model_version, a.equation_hash) == (
        b.model_name, b.model_version, b.equation_hash)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.ensemble, b.ensemble)
    assert a.ensemble_kind == b.ensemble_kind
    assert a.provenance == b.provenance
    assert a.measurements == b.measurements
    assert a.scenarios == b.scenarios
    assert len(a.visits) == len(b.visits)
    for va, vb in zip(a.visits, b.visits, strict=True):
        assert (va.day, va.label, va.measurements) == (vb.day, vb.label, vb.measurements)
        if va.ensemble is None:
            assert vb.ensemble is None
        else:
            np.testing.assert_array_equal(va.ensemble, vb.ensemble)
    assert (a.anatomy is None) == (b.anatomy is None)
    if a.anatomy is not None:
        x, y = a.anatomy, b.anatomy
        assert x.pseudonym == y.pseudonym and x.notes == y.notes
        assert x.label_values == y.label_values and x.measurements == y.measurements
        assert set(x.structures) == set(y.structures)
        for k, s in x.structures.items():
            t = y.structures[k]
            assert (s.name, tuple(s.color), s.volumes) == (t.name, tuple(t.color), t.volumes)
            for ph, m in s.meshes.items():
                for f in ("points", "faces", "uncertainty_mm"):
                    np.testing.assert_array_equal(getattr(m, f), getattr(t.meshes[ph], f))
        if x.image is not None:
            np.testing.assert_array_equal(x.image.array, y.image.array)
            np.testing.assert_array_equal(x.image.affine, y.image.affine)
            assert x.image.spacing == y.image.spacing
            for ph, lab in x.labels.items():
                np.testing.assert_array_equal(lab, y.labels[ph])

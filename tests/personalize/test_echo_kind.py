"""The coverage harness's echo data kinds (echo16): the standard set plus the echo Doppler
data (mitral E/A, and TR velocity), measured on every setting's patients; a patient whose beat
has no A wave is refused and counted, never dropped."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.personalize import synthetic
from twinviewer.personalize.coverage import Record, learn_and_write, run_setting
from twinviewer.personalize.discrepancy import from_document
from twinviewer.personalize.measurements import MeasurementError
from twinviewer.personalize.quantities import predict
from twinviewer.personalize.synthetic import ECHO_KINDS, echo_noise, echo_truth, patients


def test_own_patients_echo_truth_is_the_products_quantity():
    own = patients("own", 4, seed=3)
    for name in ("E/A", "TR_velocity"):
        np.testing.assert_array_equal(echo_truth(name, own.results), predict(name, own.results))
    assert echo_noise("E/A") == (0.15, "1")


def test_regazzoni_e_a_uses_its_absolute_onsets():
    """The regazzoni2022 loop has no AVD: its E/A is taken with the atrial onset from its
    LA.tC / LV.tC. At the published timing (75 bpm) both chambers start together: no A wave
    in diastole, so the datum does not exist (NaN) — a patient the harness must refuse."""
    from twinviewer.physiology import simulate
    from twinviewer.physiology.presets import get_preset

    p = get_preset("regazzoni2022")
    base = p.vector()
    P = np.tile(base, (2, 1))
    P[1, p.model.index("HR")] = 68.0  # period 0.88 s: the atria start 70 ms before the LV
    res = simulate(p.model, P)
    ea = echo_truth("E/A", res)
    assert np.isnan(ea[0])
    assert 0.2 < ea[1] < 10.0
    assert np.all(echo_truth("TR_velocity", res) > 1.0)  # a role it declares: the product's


def test_a_patient_without_an_a_wave_is_refused_with_its_reason(monkeypatch):
    truth = patients("own", 2, seed=5)
    monkeypatch.setattr(synthetic, "echo_truth",
                        lambda name, res: np.array([np.nan, 1.5]))
    rng = np.random.default_rng(0)
    with pytest.raises(MeasurementError, match="E/A cannot be measured"):
        truth.echo_measurements(0, ("E/A",), rng)
    (m,) = truth.echo_measurements(1, ("E/A",), rng)
    assert m.name == "E/A" and m.uncertainty == 0.15 and abs(m.value - 1.5) < 1.0


def test_echo_records_share_the_standard_data_and_count_refusals():
    refused: list = []
    recs = run_setting("regazzoni", 3, seed=5, members=16, refused=refused, data="echo_tr")
    assert len(recs) + len(refused) == 3
    assert all(r.data == "echo_tr" for r in recs) and all(x.data == "echo_tr" for x in refused)
    assert all(x.label == "regazzoni/echo_tr" for x in refused)
    # the very same patients and standard data as the standard set: same truths
    std = run_setting("regazzoni", 3, seed=5, members=16)
    kept = {r.truth["LAP"] for r in std}
    assert {r.truth["LAP"] for r in recs} <= kept
    assert set(ECHO_KINDS) == {"echo", "echo_tr"}


def test_learning_one_kind_carries_the_shipped_others(tmp_path):
    from twinviewer.personalize.discrepancy import _load

    rng = np.random.default_rng(1)
    recs = []
    for setting, bias in (("good", 0.0), ("off", 2.0)):
        for i in range(12):
            t = 10.0 + rng.normal()
            post = t + bias + rng.normal(0, 1.0, 48)
            recs.append(Record(setting, setting, {"LAP": t}, {"LAP": post}, {"LAP": post}, 0,
                               1.0 + 3 * bias, data="echo", seed=i % 2))
    doc, text = learn_and_write(recs, tmp_path / "t.json", outputs=["LAP"], kinds=["echo"])
    shipped = _load()
    assert doc["terms"]["standard"] == shipped["terms"]["standard"]
    assert doc["terms"]["curves"] == shipped["terms"]["curves"]
    assert "LAP" in doc["terms"]["echo"] and "echo data" in text
    assert from_document(doc, "echo").terms["LAP"]

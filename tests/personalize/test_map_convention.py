"""MAP: which mean it is, and a measured MAP fitted honestly (review15b #6).

The twin's MAP is the time-mean of its central aortic pressure (≈ DBP + 0.5·PP for the 0D
loop), above (SBP + 2·DBP)/3 of the same SBP/DBP; a cuff MAP beside its own SBP/DBP is not a
second datum, and a MAP the twin cannot reproduce is still said.
"""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize import calibrate
from twinviewer.personalize.quantities import (
    MAP_LEFT_OUT,
    Z_FLAG,
    fit_check,
    quantity,
    same_cuff_reading,
)
from twinviewer.physiology import METRIC_BY_NAME, simulate
from twinviewer.physiology.presets import PRESETS, get_preset
from twinviewer.twins import twin_from_preset

N = 64
CUFF = [M("SBP", 120, "mmHg", 7, "cuff"), M("DBP", 80, "mmHg", 6, "cuff")]
# the reviewer's patient (/tmp/review15b/w/meas_map.json): cuff 120/80 with MAP 93 = formula
PATIENT = [M("HR", 70, "bpm", 2, "ECG"), *CUFF,
           M("LVEDV", 130, "mL", 8, "CMR"), M("LVESV", 52, "mL", 5, "CMR")]


@pytest.fixture(scope="module")
def presets():
    out = {}
    for name in PRESETS:
        p = get_preset(name)
        r = simulate(p.model, p.vector()[None, :])
        m = {k: float(np.asarray(v)[0]) for k, v in r.metrics.items()}
        p_ao = r.series.get("p_AO")
        out[name] = (m, p_ao)
    return out


def test_map_is_the_waveform_mean_and_said_so(presets):
    assert "not (SBP + 2·DBP)/3" in METRIC_BY_NAME["MAP"].description
    assert "time-mean central aortic" in METRIC_BY_NAME["MAP"].description
    for name, (m, p_ao) in presets.items():
        if not np.isfinite(m["MAP"]):
            continue
        if p_ao is not None:
            assert m["MAP"] == pytest.approx(float(p_ao[0].mean()), abs=1e-6), name
        form = (m["MAP"] - m["DBP"]) / (m["SBP"] - m["DBP"])
        assert 0.45 < form < 0.55, (name, form)  # the figures quoted in quantities.py


def test_a_formula_map_beside_the_twins_own_bp_is_not_flagged(presets):
    """The model error of MAP covers the form-factor gap in every preset: a monitor's
    (SBP + 2·DBP)/3 of the twin's own SBP/DBP is within |z| ≤ 2 of its time-mean."""
    q = quantity("MAP")
    gaps = []
    for name, (m, _) in presets.items():
        if not np.isfinite(m["MAP"]):
            continue
        formula = (m["SBP"] + 2.0 * m["DBP"]) / 3.0
        gaps.append(m["MAP"] - formula)
        z = (formula - m["MAP"]) / np.hypot(q.typical_sd, q.model_sd(formula))
        assert abs(z) <= Z_FLAG, (name, z)
    assert 3.0 < min(gaps) and max(gaps) < 14.0  # the 3.8–13.4 mmHg said in quantities.py


def test_a_map_20_mmhg_off_the_twin_is_flagged():
    twin_map = np.random.default_rng(0).normal(98.0, 4.0, 200)
    off = fit_check(M("MAP", 118, "mmHg", 6, "cuff"), twin_map, fitted=True)
    assert off.poor and off.z > Z_FLAG
    near = fit_check(M("MAP", 93, "mmHg", 6, "cuff"), twin_map, fitted=True)
    assert not near.poor


def test_same_cuff_reading():
    assert same_cuff_reading(M("MAP", 93.3, "mmHg", 6, "ICU monitor"), CUFF)  # the formula
    assert not same_cuff_reading(M("MAP", 97, "mmHg", 6, ""), CUFF)  # unnamed: kept (last15 #5)
    assert same_cuff_reading(M("MAP", 97, "mmHg", 6, "Cuff (oscillometric)"), CUFF)
    assert not same_cuff_reading(M("MAP", 97, "mmHg", 3, "arterial line"), CUFF)
    assert not same_cuff_reading(M("MAP", 93, "mmHg", 6, "cuff"), CUFF[:1])  # no DBP
    assert not same_cuff_reading(M("SBP", 120, "mmHg", 6, "cuff"), CUFF)


@pytest.fixture(scope="module")
def fits():
    twin = twin_from_preset("healthy", n=8)
    cuff_map = M("MAP", 93, "mmHg", 6, "cuff (oscillometric)")
    return {"without": calibrate(twin, PATIENT, n=N, seed=1),
            "cuff": calibrate(twin, [*PATIENT, cuff_map], n=N, seed=1),
            "off": calibrate(twin, [*PATIENT, M("MAP", 118, "mmHg", 6, "cuff")], n=N, seed=1),
            "aline": calibrate(twin, [*PATIENT, M("MAP", 118, "mmHg", 3, "arterial line")],
                               n=N, seed=1)}


def test_cuff_map_is_not_a_second_datum(fits):
    rows = {f.name: f for f in fits["cuff"].fit}
    base = {f.name: f for f in fits["without"].fit}
    assert rows["MAP"].left_out and not rows["MAP"].used and MAP_LEFT_OUT in rows["MAP"].note
    # the row says what its z compares: the value given with the twin's time-mean (fix16a)
    assert "compares the value given with that time-mean" in rows["MAP"].note
    assert not rows["MAP"].flag and not rows["MAP"].disagrees
    for name in ("SBP", "DBP", "LVEDV", "LVESV"):  # the same fit as without the MAP
        assert rows[name].median == pytest.approx(base[name].median, abs=1e-9), name
    assert any("MAP" in w and "left out" in w for w in fits["cuff"].warnings)


def test_a_map_the_twin_cannot_reproduce_is_still_said(fits):
    off = {f.name: f for f in fits["off"].fit}["MAP"]
    assert off.left_out and off.disagrees and off.z > Z_FLAG, off
    assert "disagrees with the twin's prediction" in off.note
    # another source (arterial line) is a datum: used (the fit moves towards it), and its
    # misfit still flagged (the posterior's median misses it, or most members do)
    aline = {f.name: f for f in fits["aline"].fit}["MAP"]
    assert aline.used and not aline.left_out
    assert aline.flag and aline.z > 1.0, aline


def test_report_says_which_mean_map_is(tmp_path):
    from twinviewer.io import load_twin
    from twinviewer.io.twinfile import save_twin
    from twinviewer.report.pdf import MAP_NOTE, write_report
    from twinviewer.twins import model_of

    doc = load_twin(save_twin(tmp_path / "h.twin", twin_from_preset("healthy", n=4, seed=3)))
    results = simulate(model_of(doc.twin), doc.twin.ensemble)
    info = write_report(doc, tmp_path / "h.pdf", results=results, scenario_results={})
    text = " ".join(" ".join(info.text).split())
    assert "Mean arterial pressure" in text
    # under page 1's key values and under the metrics table (fix16a: page 1 had none)
    assert text.count(" ".join(MAP_NOTE.split())) == 2


def test_a_map_of_unknown_source_beside_unsourced_cuff_values_is_kept():
    """last15 #5: with no source on SBP/DBP (the default), any MAP counted as "the same cuff
    reading" and an arterial-line 105 mmHg was dropped from the fit."""
    from twinviewer.personalize.quantities import same_cuff_reading

    Measurement = M

    cuff = [Measurement("SBP", 120, "mmHg", 6, ""), Measurement("DBP", 80, "mmHg", 5, "")]
    assert not same_cuff_reading(Measurement("MAP", 105, "mmHg", 3, "arterial line"), cuff)
    assert not same_cuff_reading(Measurement("MAP", 105, "mmHg", 3, ""), cuff)
    assert same_cuff_reading(Measurement("MAP", 93.3, "mmHg", 6, ""), cuff)  # the formula's

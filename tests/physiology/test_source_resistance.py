"""Version 3.1 of the four-chamber model, the default: the LV's source resistance (Shroff
1985) and what it is for, the shape of the ejection behind a prosthesis, checked against the
ASE tables' mean and peak Doppler gradients (INTERVENTIONS.md §2); version 3.0 stays
selectable and re-runs the twins made with it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from twinviewer.interventions.evidence_table import load_rows, run_row
from twinviewer.physiology import Settings, get_preset, simulate
from twinviewer.physiology import four_chamber as fc
from twinviewer.physiology.jit import python_function
from twinviewer.physiology.presets import valve_model

#: Perimount 19/21/23/25 mm, ASE 2024 surgical table: mean / peak Doppler gradient (mmHg).
PERIMOUNT = {19: (19.5, 32.5), 21: (13.8, 24.9), 23: (11.5, 19.9), 25: (10.7, 16.5)}


def test_the_lv_pressure_drops_by_the_source_resistance_only_while_the_aortic_valve_ejects():
    y = np.tile(fc.TEMPLATE_VALVES[:, None], (1, 3))
    y[fc.Q_AV] = [-20.0, 0.0, 300.0]
    p = np.tile(fc.MODEL.vector(get_preset("healthy").values)[:, None], (1, 3))
    a = (0.0, 0.6, 0.0, 0.6)
    p_la, p_lv, p_ra, p_rv, p_iso, r_src = python_function(fc.source_pressures)(y, p, *a)
    plain = python_function(fc.chamber_pressures)(y, p, *a)
    np.testing.assert_allclose(p_iso, plain[1])
    np.testing.assert_allclose(r_src, fc.K_SOURCE * p_iso)
    np.testing.assert_allclose(p_lv[:2], p_iso[:2])  # shut or leaking: no drop
    np.testing.assert_allclose(p_lv[2], p_iso[2] * (1.0 - fc.K_SOURCE * 300.0))
    for mine, theirs in zip((p_la, p_ra, p_rv), (plain[0], plain[2], plain[3]), strict=True):
        np.testing.assert_allclose(mine, theirs)


def _ratio(model, eoa: float) -> float:
    values = {**get_preset("severe_as").values, "AV.EOA": eoa}
    r = simulate(model, model.vector(values)[None], settings=Settings(method="numpy"))
    assert r.ok.all()
    return float(r.metrics["AV_mean_gradient"][0] / r.metrics["AV_peak_gradient"][0])


def test_the_source_resistance_rounds_the_ejection_towards_the_tables_mean_to_peak_ratio():
    # The tables' mean/peak Doppler gradient behind Perimount 19–25 mm is 0.55–0.65; a bare
    # time-varying elastance ejects a near-triangle (a triangle gives 1/3): 3.0 gives 0.34.
    table = [mg / pg for mg, pg in PERIMOUNT.values()]
    assert 0.55 <= min(table) and max(table) <= 0.65
    old, new = _ratio(fc.MODEL_V3_0, 1.6), _ratio(fc.MODEL, 1.6)
    assert old < 0.40 < new
    # 0.34 → 0.43 against the tables' 0.60: a third of the gap closed, not all of it
    # (a larger K_SOURCE closes more but fails Evolut R 34 mm, docs/notes/eject8.md).
    assert abs(new - np.mean(table)) < 0.7 * abs(old - np.mean(table))


def test_the_default_model_is_version_3_1_and_3_0_is_selectable():
    assert (fc.MODEL.name, fc.MODEL.version) == ("four_chamber_eoa", "3.1")
    assert fc.SOURCE_RESISTANCE_MODEL is fc.MODEL
    assert get_preset("healthy").model is fc.MODEL
    assert get_preset("healthy").model.equation_hash == "2a3e559a1cb62a6c"
    with valve_model("inertial-3.0"):
        assert get_preset("healthy").model is fc.MODEL_V3_0
    # 3.0's equations are exactly those its twins were made with (session 8's hash)
    assert (fc.MODEL_V3_0.name, fc.MODEL_V3_0.version) == ("four_chamber_eoa", "3.0")
    assert fc.MODEL_V3_0.equation_hash == "008ba7941785539b"
    assert fc.MODEL_V3_0.states == fc.MODEL.states


@pytest.mark.slow
def test_perimount_rows_that_fail_on_3_0_for_their_peak_gradient_pass_on_3_1():
    rows = {r.id: r for r in load_rows()}
    # On the patient this was measured on (eject8): severe_as, hyperdynamic after AVR. The
    # rows now run on post_avr (a normal LV, devices10), where 3.0 passes Perimount 19 too.
    for size in (19, 23):
        row = replace(rows[f"savr_perimount-{size}"], patient="severe_as")
        assert run_row(row).passed, size
        with valve_model("inertial-3.0"):
            assert not run_row(row).passed  # 3.0: peak gradient 36–47 mmHg

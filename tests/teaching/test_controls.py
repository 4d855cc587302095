"""Teaching controls map to parameters; ESPVR and EDPVR lines pass through the loop's corners."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.physiology import get_preset, simulate
from twinviewer.teaching.controls import CONTROLS, ControlError, apply_controls, edpvr, espvr


@pytest.mark.parametrize("name", ["healthy", "hfref", "severe_as"])
def test_end_systolic_point_lies_on_the_espvr(name):
    p = get_preset(name)
    v = p.vector()
    r = simulate(p.model, v)
    V, P = r.series["V_LV"][0], r.series["p_LV"][0]
    # the end-systolic point is where P/(V - V0) peaks: it touches the ESPVR from below
    line = espvr(p.model, v, V)
    assert np.all(P <= line + 1.0)
    assert np.min(line - P) < 0.05 * P.max()


def test_end_diastolic_point_lies_on_the_edpvr():
    p = get_preset("healthy")
    v = p.vector()
    r = simulate(p.model, v)
    V, P = r.series["V_LV"][0], r.series["p_LV"][0]
    # sample 0 is ventricular onset (end-diastole): passive; no point lies below the EDPVR
    assert P[0] == pytest.approx(edpvr(p.model, v, V[:1])[0], abs=1.0)
    assert np.all(P >= edpvr(p.model, v, V) - 1.0)


def test_controls_name_real_parameters_and_move_the_loop():
    p = get_preset("healthy")
    names = p.model.parameter_names
    for c in CONTROLS:
        assert c.parameter in names and c.unit == p.model.parameters[
            names.index(c.parameter)].unit
    base = simulate(p.model, p.vector()).metrics
    more = simulate(p.model, apply_controls(p.model, p.vector(), {"contractility": 150})).metrics
    assert more["LVESV"][0] < base["LVESV"][0]
    with pytest.raises(ControlError, match="outside"):
        apply_controls(p.model, p.vector(), {"preload": 500})
    with pytest.raises(ControlError, match="unknown control"):
        apply_controls(p.model, p.vector(), {"mood": 100})

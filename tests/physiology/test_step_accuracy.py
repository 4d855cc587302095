"""Each built-in four-chamber model's steps per beat (``ModelSpec.steps_per_beat``) meet the
engine's documented accuracy, checked against a solver the project did not write: scipy's
Radau (rtol 1e-9) on the unsplit equations (the inertial valves' flow and opening states as
ODE states, not the engine's split step).

The reference: one Radau beat from the member's periodic state at 3200 steps, sampled at the
engine's 200 sample times; its metrics against the engine's periodic metrics at the model's
own steps per beat, for the healthy, severe AS and severe MR hearts.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from twinviewer.physiology import Settings, four_chamber, get_preset, simulate
from twinviewer.physiology import closed_loop as cl
from twinviewer.physiology import elements as el
from twinviewer.physiology import four_chamber as fc
from twinviewer.physiology.jit import python_function
from twinviewer.physiology.metrics import METRIC_BY_NAME
from twinviewer.physiology.simulate import _assemble

#: The engine's documented accuracy (``Settings``): 0.2 mmHg / 0.3 mL of the exact
#: periodic solution.
TOLERANCE = {"mmHg": 0.2, "mL": 0.3}
PRESETS = ("healthy", "severe_as", "severe_mr")
_VALVES = ((fc.Q_MV, fc.Z_MV, fc.I_MV), (fc.Q_AV, fc.Z_AV, fc.I_AV),
           (fc.Q_TV, fc.Z_TV, fc.I_TV), (fc.Q_PV, fc.Z_PV, fc.I_PV))


def _unsplit_rhs(model):
    """``f(t, y, p)`` of the model's equations as one ODE system (one member)."""
    rhs, act = python_function(model.rhs), python_function(fc.activations)
    press = python_function(fc.source_pressures)
    # Version 3.1 drives the aortic valve from the LV's isovolumic pressure through its
    # source resistance; the others from the LV pressure itself.
    source = model is fc.MODEL

    def f(t, y, p):
        a = np.array(act(t % (60.0 / p[fc.I_HR]), p))
        d = np.zeros_like(y)
        rhs(t, y, p, d, a)
        if model.split_step is None:
            return d
        p_la, p_lv, p_ra, p_rv, p_iso, r_src = press(y, p, *a)
        if not source:
            p_lv, r_src = p_iso, 0.0
        dps = (p_la - p_lv, p_iso - y[cl.P_AR_SYS], p_ra - p_rv, p_rv - y[cl.P_AR_PUL])
        rv = (fc.R_VISCOUS, fc.R_VISCOUS + p[fc.I_ZAO] + r_src, fc.R_VISCOUS, fc.R_VISCOUS)
        for (iq, iz, i), dp, r, length in zip(_VALVES, dps, rv, fc.L_EFF.values(),
                                              strict=True):
            low = max(p[i + 1], el.MIN_ORIFICE_CM2)
            z = min(max(y[iz], 0.0), 1.0)
            area = low + z * max(max(p[i], el.MIN_ORIFICE_CM2) - low, 0.0)
            q = y[iq]
            d[iq] = (dp - r * q - el.K_BERNOULLI / area**2 * q * abs(q)) / (
                el.K_INERTANCE * length / area)
            d[iz] = (1.0 - z) * fc.K_OPEN * dp if dp > 0 else z * fc.K_CLOSE * dp
        return d

    return f


def _radau_metrics(model, p: np.ndarray, y0: np.ndarray, samples: int = 200):
    period = 60.0 / p[fc.I_HR]
    t = period * np.arange(samples) / samples
    sol = solve_ivp(_unsplit_rhs(model), (0.0, period), y0, method="Radau", rtol=1e-9,
                    atol=1e-9, args=(p,), dense_output=True)
    assert sol.success, sol.message
    rec = sol.sol(t)[None]
    one = np.zeros(1, dtype=np.int64)
    return _assemble(model, p[None], rec, y0[None], one, one, [None], "numpy").metrics


@pytest.mark.slow
@pytest.mark.parametrize("model", [four_chamber.QUASI_STEADY_MODEL, four_chamber.MODEL_V3_0,
                                   four_chamber.MODEL],
                         ids=lambda m: m.version)
@pytest.mark.parametrize("preset", PRESETS)
def test_the_models_steps_per_beat_meet_the_documented_accuracy(model, preset):
    p = model.vector(get_preset(preset).values)
    fine = simulate(model, p[None], settings=Settings(steps_per_beat=3200))
    ref = _radau_metrics(model, p, fine.final_state[0])
    run = simulate(model, p[None])  # the model's own steps per beat
    assert run.ok.all()
    worst = {}
    for name, metric in METRIC_BY_NAME.items():
        if metric.unit in TOLERANCE and name in ref:
            gap = abs(float(run.metrics[name][0] - ref[name][0]))
            worst[name] = gap
            assert gap <= TOLERANCE[metric.unit], (name, gap, model.steps_per_beat)
    print(f"\n{model.version} {preset} at {model.steps_per_beat} steps: largest error "
          f"{max(worst.values()):.3f} ({max(worst, key=worst.get)})")

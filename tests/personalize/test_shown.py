"""The one shown interval (twinviewer.personalize.shown): paired differences, stored context,
bad input. The same interval in every view is tests/gui/test_one_interval.py."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from twinviewer.interventions.compare import Interval, compare, scenario_table, yes_no_cell
from twinviewer.personalize.shown import (
    ENSEMBLE_ONLY,
    WITH_MODEL_ERROR,
    IntervalContext,
    context_of_twin,
    shown_interval,
)

CTX = IntervalContext(atypicality=1.0, misfit=1.0, measured=frozenset({"CO"}))


def test_a_difference_carries_one_model_error_not_two():
    """A scenario that changes nothing has Δ exactly 0 (a common error cancels); a scenario
    that scales LVEDP by 0.8 has Δ about −20 % of the level: the error is not counted twice,
    and the level's interval is wider than the bare ensemble's."""
    rng = np.random.default_rng(0)
    b = rng.normal(14.0, 1.0, 64)
    base, scen, diff = CTX.paired("LVEDP", b, b)
    assert diff == (0.0, 0.0, 0.0)
    assert base == scen and (base[2] - base[1]) > np.subtract(*np.quantile(b, [0.95, 0.05]))
    _, s, d = CTX.paired("LVEDP", b, 0.8 * b)
    assert d[2] < 0  # the whole interval of the change is a fall
    assert d[0] == pytest.approx(-0.2 * base[0], rel=0.05)
    # independent errors on both sides would give a Δ interval spanning zero
    ind = CTX.samples("LVEDP", 0.8 * b) - np.roll(CTX.samples("LVEDP", b), 3)
    assert np.quantile(ind, 0.95) > 0 > d[2]


def test_measured_and_termless_outputs_keep_the_ensembles_interval():
    x = np.linspace(4.0, 6.0, 21)
    assert CTX.interval("CO", x) == shown_interval("CO", x)  # measured
    assert CTX.interval("HR", x) == shown_interval("HR", x)  # no learned term
    assert CTX.kind("CO") == ENSEMBLE_ONLY and CTX.kind("LAP") == WITH_MODEL_ERROR


def test_the_context_round_trips_and_bad_input_is_named():
    c = IntervalContext("curves", 1.4, float("nan"), frozenset({"SBP"}),
                        {"LAP": (8.0, 10.0, 14.0)})
    back = IntervalContext.from_dict(c.to_dict())
    assert back.to_dict() == c.to_dict() and np.isnan(back.misfit)
    with pytest.raises(ValueError, match="data 'echo'"):
        IntervalContext.from_dict({"data": "echo"})
    with pytest.raises(ValueError, match="interval context"):
        IntervalContext.from_dict({"atypicality": "high"})


def test_a_saved_twin_keeps_its_context_and_a_damaged_one_falls_back(tmp_path):
    from twinviewer.core.twin import Visit
    from twinviewer.io.twinfile import load_twin, save_twin
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=4)
    assert context_of_twin(twin) is None  # the prior ensemble: no discrepancy term
    twin = replace(twin, ensemble_kind="posterior",
                   visits=[Visit(0, interval=replace(CTX, atypicality=2.5).to_dict())])
    save_twin(tmp_path / "a.twin", twin)
    back = context_of_twin(load_twin(tmp_path / "a.twin").twin)
    assert back.atypicality == 2.5 and back.measured == CTX.measured
    twin.visits[0].interval = {"data": "nonsense"}
    fallback = context_of_twin(twin)  # the app keeps running: a typical patient's term
    assert fallback.atypicality == 1.0 and fallback.kind("LVEDP") == WITH_MODEL_ERROR


def test_yes_no_outputs_read_as_words_not_intervals():
    from twinviewer.physiology import get_preset, simulate

    p = get_preset("healthy")
    base = simulate(p.model, p.vector()[None].repeat(2, 0))
    c = compare(base, base, "AV_opening")
    assert c.yes_no == ("aortic valve opens in 100 % of members",) * 2
    t = scenario_table(base, {"same": base}, ["AV_opening", "LVEDP"], predictive=CTX,
                       evidence={"same": ["evidence row 'X' (x) fails: LAP expected up"]})
    text = t.format_text()
    assert "Aortic valve opens  baseline aortic valve opens in 100 % of members" in text
    assert "Δ" not in text.split("Aortic valve opens")[1].split("\n")[1]
    assert "! same: evidence row 'X' (x) fails" in text
    assert t.kinds == {"LVEDP": WITH_MODEL_ERROR}
    assert isinstance(t.baseline["LVEDP"], Interval) and yes_no_cell("LV_suction", []) == "–"


@pytest.mark.parametrize("data", ["standard", "curves"])
def test_a_change_every_member_shows_keeps_its_sign_with_model_error(data):
    """review16b #9: every member's Δ LAP < 0 (some by 0.01 mmHg), yet the Δ with model error
    reached +0.1 mmHg: the scenario's error factor was recomputed about its own median and
    narrowing. A common error is common: the same factor on both sides, draw by draw."""
    rng = np.random.default_rng(3)
    b = rng.lognormal(np.log(14.0), 0.25, 100)
    fall = np.concatenate([rng.uniform(0.01, 0.05, 20), rng.uniform(0.3, 1.2, 80)])
    prior = tuple(rng.lognormal(np.log(12.0), 0.45, 200))
    for name in ("LAP", "LVEDP"):
        ctx = IntervalContext(data, 1.6, 1.4, frozenset({"CO"}), {name: prior})
        assert ctx.widened(name)
        for s in (b - fall, b + fall):
            base, scen, diff = ctx.paired(name, b, s)
            sign = np.sign(s - b)[0]
            assert sign * diff[1] > 0 and sign * diff[2] > 0, (name, diff)
            assert base[2] - base[1] > np.subtract(*np.quantile(b, [0.95, 0.05]))
        # the scenario's own level still carries the model error
        _, scen, _ = ctx.paired(name, b, 0.7 * b)
        assert scen[2] - scen[1] > np.subtract(*np.quantile(0.7 * b, [0.95, 0.05]))


def test_common_error_is_per_member_final16_4():
    """One member crossing 0 keeps every other member's multiplicative error (final16 #4)."""
    import numpy as np

    from twinviewer.personalize.shown import _common_error

    yb = np.array([13.0, 14.0, 26.0, 28.0])
    b = np.array([10.0, 20.0])
    both_pos = _common_error(yb, b, np.array([5.0, 0.1]))
    one_neg = _common_error(yb, b, np.array([5.0, -0.1]))
    np.testing.assert_allclose(one_neg[:2], both_pos[:2])   # member 1 unchanged: 6.5, 7.0
    np.testing.assert_allclose(one_neg[:2], [6.5, 7.0])
    np.testing.assert_allclose(one_neg[2:], [5.9, 7.9])     # member 2 additive

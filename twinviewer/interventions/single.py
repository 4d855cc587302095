"""The fast single-twin path for interactive sliders: one member, warm-started.

Each prediction starts from the previous one's limit cycle, so small slider steps converge in
a few beats.
"""

from __future__ import annotations

import numpy as np

from twinviewer.core.twin import Scenario
from twinviewer.interventions.scenario import (
    AppliedScenario,
    apply_scenario,
    depends_on_lvef,
    held_parameters,
    lvef_of,
)
from twinviewer.physiology import Results, Settings, simulate
from twinviewer.physiology.model import ModelSpec


class SingleTwinPredictor:
    """Predict a scenario for one parameter set (e.g. the twin's point estimate) quickly.

    Parameters
    ----------
    model : ModelSpec
        The twin's model.
    params : (P,) ndarray
        The member's baseline parameters.
    state : (S,) ndarray, optional
        The member's baseline limit-cycle state (``Results.final_state[i]``); simulated once
        if not given.
    settings : Settings, optional
        Integration settings.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> from twinviewer.core.twin import InterventionStep, Scenario
    >>> p = get_preset("severe_as")
    >>> fast = SingleTwinPredictor(p.model, p.vector())
    >>> r = fast.predict(Scenario("tavi", (InterventionStep("tavi", {"eoa": 1.8}),)))
    >>> bool(r.metrics["AV_mean_gradient"][0] < 20)
    True
    """

    def __init__(self, model: ModelSpec, params: np.ndarray, state: np.ndarray | None = None,
                 settings: Settings | None = None) -> None:
        self.model = model
        self.params = np.asarray(params, dtype=float).reshape(1, -1)
        self.settings = settings
        if state is None:
            self.baseline = simulate(model, self.params, settings=settings)
            state = self.baseline.final_state[0]
        else:
            self.baseline = None
        self._base_state = np.asarray(state, dtype=float).reshape(1, -1)
        self._state = self._base_state.copy()

    def predict(self, scenario: Scenario | AppliedScenario) -> Results:
        """Results (one member) of ``scenario``, spread settings at zero (expected values).

        An :class:`~twinviewer.interventions.AppliedScenario` (applied elsewhere to these
        parameters with ``point=True`` and :meth:`baseline_lvef`: a plug-in's, in the app)
        is simulated as it is, with the same numbers."""
        if isinstance(scenario, AppliedScenario):
            P, held = np.asarray(scenario.params, dtype=float), scenario.held
            if P.shape != self.params.shape:
                from twinviewer.interventions.intervention import InterventionError

                raise InterventionError(f"scenario {scenario.name!r} was applied to "
                                        f"{P.shape} parameters, not one member's")
        else:
            lvef = self.baseline_lvef() if depends_on_lvef(scenario) else None
            P = apply_scenario(self.model, self.params, scenario, point=True,
                               baseline_lvef=lvef)
            held = None
        r = simulate(self.model, P, warm_start=self._state, settings=self.settings)
        if getattr(scenario, "regulation", "acute") == "regulated":
            from twinviewer.interventions.baroreflex import regulate

            r = regulate(self.model, P, self._baseline(), settings=self.settings, acute=r,
                         held=held_parameters(scenario) if held is None else held).results
        if r.ok[0]:
            self._state = r.final_state.copy()
        else:
            self._state = self._base_state.copy()
        # the point's own untreated values travel with the result (also through the preview
        # helper's pickle): its change is read against them, never against the ensemble's
        # baseline (review12b #2: a best-fit point at LVEF 39.5 % in an ensemble at 29 %
        # showed CO 3.4 beside the ensemble's 3.2, a rise where the what-if falls)
        base = self._baseline()
        r.point_baseline = {k: float(np.asarray(v)[0]) for k, v in base.metrics.items()}
        return r

    def baseline_lvef(self) -> np.ndarray:
        """The member's untreated LVEF (%), what a β1-blocking step withdraws by
        (:func:`~twinviewer.interventions.scenario.apply_scenario`'s ``baseline_lvef``)."""
        return lvef_of(self._baseline())

    def _baseline(self) -> Results:
        """The member's untreated run (its MAP set point, its LVEF), simulated once."""
        if self.baseline is None:
            self.baseline = simulate(self.model, self.params, warm_start=self._base_state,
                                     settings=self.settings)
        return self.baseline

    def reset(self) -> None:
        """Start the next prediction from the baseline cycle again."""
        self._state = self._base_state.copy()


def point_changes(result: Results, names: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Metric → (the point's own baseline, change from it) of a :meth:`SingleTwinPredictor.
    predict` result, for the ``names`` it has (paired on the one parameter set).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> r = NS(metrics={"CO": np.array([3.40])}, point_baseline={"CO": 3.74})
    >>> {k: (a, round(d, 2)) for k, (a, d) in point_changes(r, ("CO", "MAP")).items()}
    {'CO': (3.74, -0.34)}
    """
    base = getattr(result, "point_baseline", None) or {}
    out = {}
    for name in names:
        if name in base and name in result.metrics:
            x0, x1 = base[name], float(np.asarray(result.metrics[name])[0])
            if np.isfinite(x0) and np.isfinite(x1):
                out[name] = (x0, x1 - x0)
    return out

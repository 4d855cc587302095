"""One explanation of one prediction: drivers, basis, validity, model card and summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from twinviewer.core.format import interval
from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import Twin
from twinviewer.explain.basis import ParameterBasis, parameter_basis
from twinviewer.explain.local import Elasticities, elasticities, screen
from twinviewer.explain.modelcard import ModelCard, model_card
from twinviewer.explain.shapley import SCENARIO_SETTING, Attribution, shapley_attribution
from twinviewer.explain.sobol import SobolIndices, SobolResult, model_sobol
from twinviewer.explain.summary import plain_summary
from twinviewer.explain.validation import validation_report
from twinviewer.explain.validity import ValidityWarning, validity_warnings
from twinviewer.personalize.shown import context_of_twin, shown_interval
from twinviewer.physiology import METRIC_BY_NAME, Results
from twinviewer.twins import model_of, simulate_twin

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Explanation:
    """Everything TwinViewer can say about one predicted metric of one twin."""

    metric: str
    unit: str
    label: str
    prediction: tuple[float, float, float]  # median, 90 % interval
    measured: Measurement | None
    elasticities: Elasticities
    screened: tuple[str, ...]
    basis: tuple[ParameterBasis, ...]
    warnings: tuple[ValidityWarning, ...]
    card: ModelCard
    summary: str
    sobol: SobolIndices | None = None
    sobol_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    attribution: Attribution | None = None
    inferred_names: frozenset[str] = frozenset()
    #: Paragraphs from explainer plugins: (explainer, text); a failed one says so.
    contributed: tuple[tuple[str, str], ...] = ()

    #: Parameter → its one state ('measured', 'derived from images', 'calibrated', 'prior';
    #: :attr:`~twinviewer.explain.basis.ParameterBasis.state`), as the Calibrate step says.
    states: dict[str, str] = field(default_factory=dict)

    def tag(self, name: str) -> str:
        """A parameter's name marked with its one state, whatever it is: '[measured]',
        '[derived from images]', '[calibrated]', '[prior]'…, the word the Calibrate step uses
        (a measured heart rate beside '[calibrated]' rows was left bare: review13 #10)."""
        # no state recorded: a parameter without provenance is a prior value (as
        # :func:`~twinviewer.explain.basis.parameter_basis` reads it)
        state = self.states.get(name, "inferred" if name in self.inferred_names else "prior")
        return f"{name} [{state}]"

    def attribution_tag(self, name: str) -> str:
        """A parameter of the scenario's attribution, marked with what its scenario value is:
        '[scenario setting]' for a value the user chose (an LVAD's speed: it was '[prior]',
        the state of the twin's "no device", newuser17 F8), else :meth:`tag` (the twin's
        value the scenario changed: '[calibrated]'…).

        Examples
        --------
        >>> ex = explain(twin, "MAP", scenario_params=lvad_params)  # doctest: +SKIP
        >>> ex.tag("VAD.speed"), ex.attribution_tag("VAD.speed")  # doctest: +SKIP
        ('VAD.speed [prior]', 'VAD.speed [scenario setting]')
        """
        att = self.attribution
        if att is not None and name in att.settings:
            return f"{name} [{SCENARIO_SETTING}]"
        return self.tag(name)

    def with_sobol(self, result: SobolResult) -> Explanation:
        """The same explanation with Sobol indices of its metric (summary regenerated)."""
        idx = result[self.metric]
        ex = replace(self, sobol=idx, sobol_ranges=dict(zip(result.names, result.bounds,
                                                            strict=True)))
        return replace(ex, summary=_summary(ex))

    def inferred(self) -> list[ParameterBasis]:
        return [b for b in self.basis if b.inferred]

    def to_dict(self) -> dict:
        med, lo, hi = self.prediction
        return {
            "metric": self.metric, "unit": self.unit, "label": self.label,
            "prediction": {"median": med, "lo90": lo, "hi90": hi},
            "measured": None if self.measured is None else self.measured.to_dict(),
            "summary": self.summary,
            "elasticities": self.elasticities.to_dict(),
            "screened_parameters": list(self.screened),
            "sobol": None if self.sobol is None else {
                **self.sobol.to_dict(),
                "ranges": {k: list(v) for k, v in self.sobol_ranges.items()}},
            "attribution": None if self.attribution is None else self.attribution.to_dict(),
            "basis": [b.to_dict() for b in self.basis],
            "inferred_parameters": sorted(self.inferred_names),
            "warnings": [w.to_dict() for w in self.warnings],
            "model_card": self.card.to_dict(),
            "contributed": [{"explainer": n, "text": t} for n, t in self.contributed],
        }

    def to_text(self) -> str:
        """A readable report for the terminal."""
        lines = [self.summary]
        for name, text in self.contributed:
            lines += ["", f"[{name}] {text}"]
        lines += ["", f"Local elasticities of {self.metric} "
                 "(% change per % change of the parameter):"]
        for name, e in self.elasticities.ranked(10):
            lines.append(f"  {self.tag(name):<23} {e:+.3f}")
        if self.sobol is not None:
            s = self.sobol
            status = "converged" if s.converged else "NOT converged"
            lines += ["", f"Sobol indices ({s.method}, N={s.n_base}, {s.n_runs} runs, "
                      f"{status}):", f"  {'parameter':<23} {'S1':>14} {'ST':>14}"]
            for i, n in enumerate(s.names):
                lines.append(f"  {self.tag(n):<23} {s.S1[i]:6.3f} ± {s.S1_conf[i]:5.3f} "
                             f"{s.ST[i]:6.3f} ± {s.ST_conf[i]:5.3f}")
            lines += [f"  note: {n}" for n in s.notes]
        if self.attribution is not None:
            a = self.attribution
            lines += ["", f"Attribution of the change in {a.metric} ({a.unit}), median "
                      "(90 %) over members:"]
            for n, (med, lo, hi) in a.summary().items():
                lines.append(f"  {self.attribution_tag(n):<23} "
                             f"{interval(med, lo, hi, signed=True)}")
        lines += ["", "What it rests on:"]
        for b in self.basis:
            lines.append(f"  {b.name:<12} {b.value:.4g} {b.unit:<10} {b.label}")
            lines += [f"      evidence: {e}" for e in b.evidence]
        lines += ["", "When not to trust it:"]
        lines += [f"  [{w.severity}] {w.text}" for w in self.warnings] or ["  no warnings"]
        lines += ["", f"Model: {self.card.title} v{self.card.version} "
                  f"(equations {self.card.equation_hash})",
                  f"  context of use: {self.card.context_of_use}",
                  f"  validation: {self.card.validation_line()}"]
        return "\n".join(lines)


def _summary(ex: Explanation) -> str:
    return plain_summary(ex.metric, ex.prediction, elasticities=ex.elasticities,
                         sobol=ex.sobol, basis=ex.basis, measured=ex.measured,
                         warnings=ex.warnings)


def explain(twin: Twin, metric: str, *, results: Results | None = None,
            point_results: Results | None = None, scenario_params: np.ndarray | None = None,
            max_parameters: int = 10, validation: bool = True,
            validation_dir: Path | None = None,
            explainers: Mapping[str, Callable] | None = None) -> Explanation:
    """Explain one metric of a twin (instant part: no Sobol sampling).

    Parameters
    ----------
    twin
        The twin.
    metric
        Metric name (see :data:`twinviewer.physiology.METRICS`).
    results
        The twin's ensemble results; simulated if None.
    point_results
        Results of the point estimate alone (its periodic state warm-starts the finite
        differences); simulated if None.
    scenario_params
        (N, P) parameters of an intervention applied to the ensemble: adds a Shapley
        attribution of the change (see :mod:`twinviewer.explain.shapley`).
    max_parameters
        How many parameters the screening keeps (for Sobol and the basis table).
    validation
        Include the (cached) validation results in the model card.
    explainers
        More explainers by name (the plugin registry's, given by the caller):
        ``explainer(twin, metric, results) -> str``, each paragraph added to the
        explanation; one that fails is reported in its place, never stopping the rest.
    """
    if metric not in METRIC_BY_NAME:
        raise ValueError(f"unknown metric {metric!r}; choose one of: "
                         f"{', '.join(METRIC_BY_NAME)}")
    model = model_of(twin)
    if results is None:
        results = simulate_twin(twin)
    if point_results is None:
        point_results = simulate_twin(twin, ensemble=False)
    all_el = elasticities(model, twin.params, warm_start=point_results.final_state[0])
    el = all_el[metric]
    screened = tuple(screen(model, twin.params, [el], max_parameters=max_parameters))
    every = parameter_basis(twin, model)
    inferred = frozenset(b.name for b in every if b.inferred)
    basis = tuple(b for name in screened for b in every if b.name == name)
    warnings = tuple(validity_warnings(twin, model, results, [metric] + [
        m for m in ("HR", "LVEF", "SBP", "DBP", "MAP", "LVEDP", "CO") if m != metric]))
    report = validation_report(model, directory=validation_dir) if validation else None
    card = model_card(model, report)
    attribution = None
    if scenario_params is not None:
        attribution = shapley_attribution(model, results.params, scenario_params, [metric],
                                          warm_start=results.final_state)[metric]
    ex = Explanation(metric, METRIC_BY_NAME[metric].unit, METRIC_BY_NAME[metric].label,
                     shown_interval(metric, results.metrics[metric], results.ok,
                                    context_of_twin(twin)),  # the one shown interval
                     twin.measurement(metric), el, screened, basis,
                     warnings, card, "", attribution=attribution, inferred_names=inferred,
                     states={b.name: b.state for b in every})
    contributed = []
    for name, func in (explainers or {}).items():
        try:
            text = func(twin, metric, results)
            if not isinstance(text, str) or not text.strip():
                raise TypeError(f"returned {type(text).__name__}, not a paragraph of text")
        except Exception as exc:  # noqa: BLE001 - plugin code: report it, go on
            text = f"not available ({exc})"
        contributed.append((name, text.strip()))
    return replace(ex, summary=_summary(ex), contributed=tuple(contributed))


def explain_sobol(twin: Twin, metric: str, names: tuple[str, ...], *, n: int = 256,
                  method: str = "saltelli", point_results: Results | None = None,
                  progress: Progress | None = None, cancel: Callable[[], bool] | None = None
                  ) -> SobolResult:
    """Sobol indices of ``metric`` over ``names`` (the screened parameters) around the
    twin: ranges from a calibrated posterior ensemble, else from the priors' 90 % intervals
    centred on the twin. Runs in the background in the GUI (progress/cancel hooks)."""
    model = model_of(twin)
    if point_results is None:
        point_results = simulate_twin(twin, ensemble=False)
    ens = twin.ensemble if twin.ensemble_kind == "posterior" else None
    return model_sobol(model, twin.params, list(names), [metric], n=n, method=method,
                       ensemble=ens, warm_start=point_results.final_state[0],
                       progress=progress, cancel=cancel)

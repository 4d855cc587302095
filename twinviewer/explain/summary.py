"""A short plain-language summary built from the numbers of an explanation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twinviewer.core.format import number
from twinviewer.core.measurement import Measurement
from twinviewer.explain.basis import ParameterBasis
from twinviewer.explain.local import Elasticities
from twinviewer.explain.sobol import SobolIndices
from twinviewer.explain.validity import ValidityWarning
from twinviewer.personalize.quantities import shown_quantities
from twinviewer.physiology import METRIC_BY_NAME

fmt = number  # the app's one number formatter (core/format.py)


def prediction_text(metric: str, median: float, lo: float, hi: float) -> str:
    """'Mean arterial pressure 92 mmHg (86–99)'."""
    m = METRIC_BY_NAME[metric]
    unit = "" if m.unit in ("1", "") else (" %" if m.unit == "%" else f" {m.unit}")
    return f"{m.label} {fmt(median)}{unit} ({fmt(lo)}–{fmt(hi)})"


def _what(b: ParameterBasis | None, name: str) -> str:
    if b is None or not b.description:
        return name
    return b.description.split(" (")[0].split(":")[0]


def _provenance_clause(b: ParameterBasis) -> str:
    what = _what(b, b.name)
    if not b.inferred:
        if b.label.startswith("assumed"):
            return f"{what} was assumed, not measured"
        return f"{what} was {b.label}"
    if b.inputs:
        return (f"{what} is inferred (not measured), {b.source} from "
                f"{shown_quantities(b.inputs)}")
    return f"{what} is inferred (not measured) and rests on the model's prior assumption"


def plain_summary(metric: str, prediction: tuple[float, float, float], *,
                  elasticities: Elasticities | None = None, sobol: SobolIndices | None = None,
                  basis: Sequence[ParameterBasis] = (), measured: Measurement | None = None,
                  warnings: Sequence[ValidityWarning] = (), top: int = 2) -> str:
    """A few sentences: the prediction with its interval, what drives it (Sobol total
    indices if converged-or-computed, else elasticities), what the main driver rests on, a
    measurement beside it, and how many reasons for caution there are."""
    by_name = {b.name: b for b in basis}
    med, lo, hi = prediction
    parts = [prediction_text(metric, med, lo, hi) + "."]
    if measured is not None:
        parts.append(f"Measured: {fmt(measured.value)} ± {fmt(measured.uncertainty)} "
                     f"{measured.unit}"
                     f"{f' ({measured.source})' if measured.source else ''}.")
    drivers: list[str] = []
    if sobol is not None and np.any(np.isfinite(sobol.ST)):
        ranked = [r for r in sobol.ranked(top) if r[1] > 0.05] or sobol.ranked(1)
        first = ranked[0]
        text = (f"It depends mostly on {_what(by_name.get(first[0]), first[0])} "
                f"(total Sobol index {first[1]:.2f} ± {first[2]:.2f})")
        for name, st, _ in ranked[1:]:
            text += f" and {_what(by_name.get(name), name)} ({st:.2f})"
        if not sobol.converged:
            text += "; these indices have not converged, treat the ranking as provisional"
        parts.append(text + ".")
        drivers = [r[0] for r in ranked]
    elif elasticities is not None and len(elasticities.names):
        ranked = elasticities.ranked(top)
        name, e = ranked[0]
        verb = "raises" if e > 0 else "lowers"
        text = (f"Locally it is most sensitive to {_what(by_name.get(name), name)}: "
                f"10 % more {verb} it by about {fmt(abs(10 * e))} %")
        for n2, e2 in ranked[1:]:
            text += (f"; then {_what(by_name.get(n2), n2)} ({'+' if e2 > 0 else '−'}"
                     f"{fmt(abs(10 * e2))} % per +10 %)")
        parts.append(text + ".")
        drivers = [r[0] for r in ranked]
    if drivers and drivers[0] in by_name:
        c = _provenance_clause(by_name[drivers[0]])
        parts.append(c[0].upper() + c[1:] + ".")
    missed = [w for w in warnings if w.kind == "fit"]
    if missed:
        def _missed(w) -> str:
            verdict, rest = w.text.split(": ", 1) if ": " in w.text else ("", w.text)
            return rest.split(" (σ =")[0] + (f" ({verdict.split(' and ')[0]})"
                                             if verdict.startswith("not used") else "")

        parts.append(f"The twin misses {len(missed)} measurement"
                     f"{'s' if len(missed) > 1 else ''} (posterior predictive |z| > 2): "
                     + "; ".join(_missed(w) for w in missed) + ".")
        warnings = [w for w in warnings if w.kind != "fit"]
    serious = [w for w in warnings if w.severity == "warning"]
    if serious:
        parts.append(f"{len(serious)} warning{'s' if len(serious) > 1 else ''}: "
                     f"{serious[0].text}.")
    elif warnings:
        parts.append(f"{len(warnings)} note{'s' if len(warnings) > 1 else ''} of caution "
                     f"(see validity).")
    return " ".join(parts)

"""Virtual hearts for teaching, looked up by preset name.

Every preset in :data:`twinviewer.physiology.PRESETS` is a virtual heart; a heart added there
(e.g. the shunt hearts of the anatomy work) appears in lessons and in diagnose mode without a
change here.
"""

from __future__ import annotations

import numpy as np

from twinviewer.physiology import PRESETS, ModelError, Preset, get_preset

#: The reference heart a lesion's severity is measured from.
REFERENCE = "healthy"


class HeartError(ValueError):
    """An unknown virtual heart."""


def heart(name: str) -> Preset:
    """The virtual heart ``name`` (a preset).

    Examples
    --------
    >>> heart("severe_as").title
    'Severe aortic stenosis'
    """
    try:
        return get_preset(name)
    except ModelError as exc:
        raise HeartError(str(exc)) from None


def heart_names() -> list[str]:
    """Names of every virtual heart, in the presets' order.

    Examples
    --------
    >>> "healthy" in heart_names()
    True
    """
    return list(PRESETS)


def lesion_parameters(name: str) -> dict[str, tuple[float, float]]:
    """Parameters in which heart ``name`` differs from the healthy heart of its model:
    name → (healthy value, this heart's value). Empty for the healthy heart or a heart on
    another model.

    Examples
    --------
    >>> lesion_parameters("severe_as")["AV.EOA"]
    (3.5, 0.7)
    """
    p, ref = heart(name), heart(REFERENCE)
    if p.model is not ref.model:
        return {}
    a, b = ref.vector(), p.vector()
    return {n: (float(a[i]), float(b[i])) for i, n in enumerate(p.model.parameter_names)
            if not np.isclose(a[i], b[i])}


def with_severity(name: str, severity: float) -> np.ndarray:
    """Heart ``name``'s parameters with its lesion scaled: 0 is the healthy heart, 1 the preset,
    values between or beyond move every lesion parameter geometrically along that line.

    Examples
    --------
    >>> v = with_severity("severe_as", 0.5)
    >>> m = heart("severe_as").model
    >>> round(float(v[m.parameter_names.index("AV.EOA")]), 2)  # √(3.5 × 0.70) cm²
    1.57
    """
    p = heart(name)
    v = p.vector().copy()
    names = list(p.model.parameter_names)
    for n, (a, b) in lesion_parameters(name).items():
        i = names.index(n)
        if a > 0 and b > 0:
            v[i] = a * (b / a) ** severity
        else:
            v[i] = a + (b - a) * severity
        lo, hi = p.model.parameters[i].plausible
        v[i] = float(np.clip(v[i], lo, hi))
    return v

"""Words for the code names a reader would otherwise see: one place that turns a parameter
code (``SYS.R_AR``), a measurement or metric name (``AV_mean_gradient``), a structure key
(``lv_blood``) or a preset name (``severe_as``) into the label the rest of the app shows.

The labels themselves live with what they name — the model's parameter declarations
(:attr:`twinviewer.core.parameter.Parameter.label`), the metric and measurement tables
(:data:`twinviewer.physiology.METRIC_BY_NAME`, :func:`~twinviewer.personalize.quantities.
shown_quantity`), the structure vocabulary (:data:`twinviewer.imaging.vocabulary.VOCABULARY`)
and the presets — this module only looks them up, so a label is changed in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from twinviewer.core.format import CODE_NAME
from twinviewer.imaging.vocabulary import VOCABULARY
from twinviewer.personalize.quantities import QUANTITY_BY_NAME, shown_quantity
from twinviewer.physiology import METRIC_BY_NAME, ModelSpec

#: Formula symbols written with an underscore in the model's own assumptions (``l_eff``):
#: left as they are (a code name is :data:`twinviewer.core.format.CODE_NAME`).
FORMULA_SYMBOLS = frozenset({"l_eff"})
#: A Python module path (``twinviewer.interventions.baroreflex``), which a reader cannot use.
_MODULE = re.compile(r",?\s*\btwinviewer(?:\.[a-z_0-9]+)+\b")


def words(model: ModelSpec | None = None) -> Callable[[str], str]:
    """A function from a code name to the words a reader sees; an unknown name is kept.

    Examples
    --------
    >>> from twinviewer.physiology import MODELS
    >>> w = words(MODELS["four_chamber_eoa"])
    >>> w("SYS.R_AR"), w("AV_mean_gradient"), w("lv_blood"), w("severe_as"), w("LVEDV")
    ('Systemic arterial resistance', 'AV mean gradient', 'LV blood pool', \
'Severe aortic stenosis', 'LVEDV')
    """
    from twinviewer.physiology.presets import PRESETS

    params = {} if model is None else {p.name: p.label for p in model.parameters}

    def word(name: str) -> str:
        if name in params:
            return params[name]
        if name in QUANTITY_BY_NAME or name in METRIC_BY_NAME:
            return shown_quantity(name)
        if name in VOCABULARY:
            return VOCABULARY[name].name
        if name in PRESETS:
            return PRESETS[name].title
        return name

    return word


def model_or_none(twin) -> ModelSpec | None:
    """The twin's model when it is installed with the twin's equations, else None (the
    words then come from the metric, measurement and structure tables alone).

    Examples
    --------
    >>> model_or_none(None) is None
    True
    """
    from twinviewer.twins import model_of

    if twin is None:
        return None
    try:
        return model_of(twin)
    except Exception:  # noqa: BLE001 - a missing or changed model only costs the labels
        return None


def plain_text(text: str, model: ModelSpec | None = None) -> str:
    """``text`` with every code name in words (:func:`words`) and module paths left out; a
    code given in brackets after its own words (``blood volume (V_total)``) is dropped.

    Examples
    --------
    >>> from twinviewer.physiology import MODELS
    >>> m = MODELS["four_chamber_eoa"]
    >>> plain_text("The blood volume held by the loop (V_total) is conserved.", m)
    'The blood volume held by the loop is conserved.'
    >>> plain_text("baroreflex on HR, SYS.R_AR and stressed volume, "
    ...            "twinviewer.interventions.baroreflex).", m)
    'baroreflex on HR, systemic arterial resistance and stressed volume).'
    >>> plain_text("absent atrial contraction (ATRIA.kick = 0)", m)
    'absent atrial contraction (fraction of normal atrial contraction = 0)'
    """
    word = words(model)
    text = _MODULE.sub("", text)

    def bracketed(match: re.Match) -> str:
        code = match.group(1)
        label = word(code)
        return "" if label != code and label.lower() in text.lower() else match.group(0)

    text = re.sub(r" \(([^()\s]+)\)", bracketed, text)

    def replace(match: re.Match) -> str:
        code = match.group(0)
        if code in FORMULA_SYMBOLS:
            return code
        label = word(code)
        start = match.start()
        mid_sentence = start > 0 and not text[:start].rstrip().endswith((".", ":"))
        if mid_sentence and len(label) > 1 and label[1].islower():
            label = label[0].lower() + label[1:]
        return label

    return CODE_NAME.sub(replace, text)


def code_names(text: str) -> list[str]:
    """The code names left in ``text`` (what a test of a page or panel looks for).

    Examples
    --------
    >>> code_names("AV_mean_gradient 45 mmHg; SYS.R_AR; l_eff; Mynard et al. 2012")
    ['AV_mean_gradient', 'SYS.R_AR']
    """
    return [c for c in CODE_NAME.findall(text) if c not in FORMULA_SYMBOLS]

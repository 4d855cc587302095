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


#: The sources behind each section of the project's intervention facts, by name: the app's
#: texts cited the file ("INTERVENTIONS.md §2"), which a user of the app does not have
#: (docs/references.md lists the same sources in the project's own words).
_SECTION_SOURCES = {
    "1": "ACC/AHA 2006 and 2020 valve guidelines; Baumgartner 2009 EAE/ASE; Mynard 2012",
    "2": "ASE 2024 prosthetic valve tables; Pibarot 2017, PARTNER II S3",
    "3": "Dietl 2018; JAHA PMC6662353; SOLACI 2022",
    "4": "published acute drug studies in heart failure, listed in the references",
    "5": "DDD pacing study PMID 14643273; Schaefer 1988; Melzer 2004",
    "6": "Abbott HeartMate 3 instructions for use; Uriel 2016; Hayward 2011",
    "7": "Asanoi 1989; Chen 2001; Borlaug 2009; Redfield 2005",
}
_FILE_CITE = re.compile(r"(?:\.\./)?(?:shared/)?\bINTERVENTIONS\.md(?:\s*§\s*(\d+))?")
_REFERENCE_CITE = re.compile(r"(?:\.\./)?(?:shared/)?\bREFERENCE\.md\b")


def cited(text: str) -> str:
    """``text`` with the project's fact files replaced by the sources they collect, as an
    app user can look them up.

    Examples
    --------
    >>> cited("EOA by size (INTERVENTIONS.md §2).")
    'EOA by size (ASE 2024 prosthetic valve tables; Pibarot 2017, PARTNER II S3).'
    >>> cited("normal adult ranges (REFERENCE.md)")
    'normal adult ranges (published guideline ranges: ASE/EACVI 2015, ACC/AHA 2020, ESC/EACTS 2021)'
    """
    text = _FILE_CITE.sub(lambda m: _SECTION_SOURCES.get(m.group(1) or "",
                                                         "published studies in the references"),
                          text)
    return _REFERENCE_CITE.sub(
        "published guideline ranges: ASE/EACVI 2015, ACC/AHA 2020, ESC/EACTS 2021", text)


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
    text = cited(_MODULE.sub("", text))

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

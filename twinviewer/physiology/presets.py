"""Named virtual patients: a model and the parameter values that make the phenotype.

Each preset says what it is and what it was built to show; the tests check every preset
against the clinical grading it claims (REFERENCE.md). The four-chamber presets are the
virtual hearts of :mod:`twinviewer.physiology.virtual_hearts` (descriptions for students,
grading criteria, anatomy hints live there).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

import numpy as np

from twinviewer.physiology import four_chamber, four_chamber_valves, regazzoni, virtual_hearts
from twinviewer.physiology.model import ModelError, ModelSpec

MODELS: dict[str, ModelSpec] = {
    four_chamber.MODEL.name: four_chamber.MODEL,
    regazzoni.MODEL.name: regazzoni.MODEL,
    four_chamber_valves.MODEL.name: four_chamber_valves.MODEL,
}

#: Valve models of the four-chamber presets: inertial valves with opening dynamics behind the
#: LV's source resistance (the default, ``four_chamber_eoa`` 3.1: ``source-resistance``),
#: the same without the source resistance (version 3.0, the default until 3.1:
#: ``inertial-3.0``), inertial valves with the valve constants as parameters
#: (``four_chamber_valves``, on 3.0's chamber: ``dynamic``), or quasi-steady Bernoulli
#: orifices (version 2.2, ``four_chamber_eoa_qs``, kept for comparison).
VALVE_MODELS = {"source-resistance": four_chamber.MODEL,
                "inertial-3.0": four_chamber.MODEL_V3_0,
                "dynamic": four_chamber_valves.MODEL,
                "quasi-steady": four_chamber.QUASI_STEADY_MODEL}
#: The valve model of the presets unless :func:`valve_model` chooses another.
DEFAULT_VALVES = "source-resistance"
_valves: ContextVar[str] = ContextVar("twinviewer_valve_model", default=DEFAULT_VALVES)

#: Earlier versions of installed models, by (name, version): a twin made with one re-runs
#: on its own equations (:func:`model_for`) after the default moved on. Version 3.1 was
#: selectable as ``four_chamber_eoa_src`` before it became the default (same equations).
EARLIER_VERSIONS: dict[tuple[str, str], ModelSpec] = {
    (four_chamber.MODEL_V3_0.name, four_chamber.MODEL_V3_0.version): four_chamber.MODEL_V3_0,
    ("four_chamber_eoa_src", "3.1"): replace(four_chamber.MODEL, name="four_chamber_eoa_src"),
}

#: The models this package ships, earlier versions kept for their twins included. A plug-in's
#: model joins :data:`MODELS` when its plug-in loads; a helper process loads no plug-ins, so
#: it knows only these.
CORE_MODELS = frozenset(MODELS) | {name for name, _ in EARLIER_VERSIONS}


def model_for(name: str, version: str, equation_hash: str) -> ModelSpec | None:
    """The model called ``name`` at ``version`` with equations ``equation_hash``: the
    installed one or an earlier version kept for its twins (:data:`EARLIER_VERSIONS`);
    None if neither matches.

    Examples
    --------
    >>> old = model_for("four_chamber_eoa", "3.0", "008ba7941785539b")
    >>> (old.version, old is MODELS["four_chamber_eoa"])
    ('3.0', False)
    >>> model_for("four_chamber_eoa", "3.0", "0000000000000000") is None
    True
    """
    for model in (MODELS.get(name), EARLIER_VERSIONS.get((name, version))):
        if model is not None and (model.version, model.equation_hash) == \
                (version, equation_hash):
            return model
    return None


@dataclass(frozen=True)
class Preset:
    """A virtual patient."""

    name: str
    title: str
    description: str
    model: ModelSpec
    values: dict[str, float] = field(default_factory=dict)

    def vector(self) -> np.ndarray:
        """The preset's parameter vector, shape (P,)."""
        return self.model.vector(self.values)


def _presets() -> dict[str, Preset]:
    # The four-chamber presets are the virtual-heart library; regazzoni2022 is the published
    # reference loop, second as before.
    out = {}
    for h in virtual_hearts.HEARTS:
        out[h.name] = Preset(h.name, h.title, h.description, h.model, dict(h.values))
        if h.name == "healthy":
            out["regazzoni2022"] = Preset(
                "regazzoni2022", "Regazzoni 2022 reference loop",
                "The published closed loop with resistive valves; reproduces the paper's "
                "limit cycle (LV 136.8/67.0 mL, 118.8/79.9 mmHg).", regazzoni.MODEL)
    return out


PRESETS: dict[str, Preset] = _presets()


@contextmanager
def valve_model(kind: str) -> Iterator[None]:
    """Within the block, :func:`get_preset` gives the four-chamber presets on the valve
    model ``kind`` (a key of :data:`VALVE_MODELS`), e.g. to run the evidence table with
    dynamic valves or on version 3.0 (``"inertial-3.0"``).

    Examples
    --------
    >>> with valve_model("dynamic"):
    ...     get_preset("healthy").model.name
    'four_chamber_valves'
    >>> get_preset("healthy").model.name
    'four_chamber_eoa'
    """
    if kind not in VALVE_MODELS:
        raise ModelError(f"unknown valve model {kind!r}; choose one of: "
                         f"{', '.join(VALVE_MODELS)}")
    token = _valves.set(kind)
    try:
        yield
    finally:
        _valves.reset(token)


def get_preset(name: str) -> Preset:
    """Look up a preset by name, with a helpful message for a wrong one (on the valve
    model chosen by :func:`valve_model`, the default model's unless chosen otherwise)."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise ModelError(f"unknown preset {name!r}; choose one of: "
                         f"{', '.join(PRESETS)}") from None
    kind = _valves.get()
    if kind != DEFAULT_VALVES and preset.model is four_chamber.MODEL:
        preset = replace(preset, model=VALVE_MODELS[kind])
    return preset

"""Named virtual patients: a model and the parameter values that make the phenotype.

Each preset says what it is and what it was built to show; the tests check every preset
against the clinical grading it claims (REFERENCE.md). The four-chamber presets are the
virtual hearts of :mod:`twinviewer.physiology.virtual_hearts` (descriptions for students,
grading criteria, anatomy hints live there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twinviewer.physiology import four_chamber, regazzoni, virtual_hearts
from twinviewer.physiology.model import ModelError, ModelSpec

MODELS: dict[str, ModelSpec] = {
    four_chamber.MODEL.name: four_chamber.MODEL,
    regazzoni.MODEL.name: regazzoni.MODEL,
}


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


def get_preset(name: str) -> Preset:
    """Look up a preset by name, with a helpful message for a wrong one."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ModelError(f"unknown preset {name!r}; choose one of: "
                         f"{', '.join(PRESETS)}") from None

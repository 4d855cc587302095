"""Named virtual patients: a model and the parameter values that make the phenotype.

Each preset says what it is and what it was built to show; the tests check every preset
against the clinical grading it claims (REFERENCE.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twinviewer.physiology import four_chamber, regazzoni
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


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("healthy", "Healthy adult at rest",
               "Every metric inside the normal adult ranges of REFERENCE.md.",
               four_chamber.MODEL),
        Preset("regazzoni2022", "Regazzoni 2022 reference loop",
               "The published closed loop with resistive valves; reproduces the paper's "
               "limit cycle (LV 136.8/67.0 mL, 118.8/79.9 mmHg).", regazzoni.MODEL),
        Preset("moderate_as", "Moderate aortic stenosis",
               "AVA 1.2 cm² with concentric remodelling (stiffer, slightly more contractile "
               "LV); grades moderate: AVA 1.0–1.5 cm², mean gradient 20–40 mmHg.",
               four_chamber.MODEL,
               {"AV.EOA": 1.2, "LV.EA": 3.63, "LV.EB": 0.0388, "V_total": 1307.0}),
        Preset("severe_as", "Severe aortic stenosis",
               "AVA 0.75 cm², hypertrophied LV with preserved EF; grades severe: AVA < 1.0 "
               "cm², mean gradient ≥ 40 mmHg, peak velocity ≥ 4 m/s.", four_chamber.MODEL,
               {"AV.EOA": 0.75, "LV.EA": 5.59, "LV.EB": 0.0733, "V_total": 1313.0,
                "LA.EB": 0.5}),
        Preset("severe_mr", "Severe primary mitral regurgitation",
               "EROA 0.5 cm² with a dilated, volume-loaded LV (eccentric remodelling: larger "
               "unstressed volume, flatter EDPVR) and a large mitral annulus (forward EOA 6 "
               "cm², the top of the normal 4–6 cm²); grades severe: EROA ≥ 0.40 cm², "
               "regurgitant volume ≥ 60 mL, regurgitant fraction ≥ 50 %.",
               four_chamber.MODEL,
               {"MV.EROA": 0.5, "MV.EOA": 6.0, "LV.V0": 40.0, "LV.EB": 0.0262, "LV.KB": 0.011,
                "LV.EA": 1.63, "V_total": 1290.0, "HR": 78.0}),
        Preset("hfref", "Heart failure with reduced ejection fraction",
               "Dilated, poorly contractile LV (EF < 40 %) with raised filling pressures and "
               "secondary pulmonary hypertension.", four_chamber.MODEL,
               {"LV.EA": 1.22, "LV.EB": 0.0742, "LV.KB": 0.011, "LV.V0": 70.0,
                "V_total": 1327.0, "HR": 82.0, "SYS.R_AR": 1.1, "RV.EA": 0.35, "FFR": 0.0}),
    )
}


def get_preset(name: str) -> Preset:
    """Look up a preset by name, with a helpful message for a wrong one."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ModelError(f"unknown preset {name!r}; choose one of: "
                         f"{', '.join(PRESETS)}") from None

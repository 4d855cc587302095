"""Aortic prosthesis hydraulics by label size: Doppler EOA mean ± SD and mean gradient.

Values from the ASE 2024 prosthetic-valve guideline tables as transcribed in the public
``parameterz/avr-mvr`` data (``data/transcatheter/aortic.js``, ``data/surgical/aortic.js``),
collected in ``shared/INTERVENTIONS.md`` §2. The Perimount standard deviations come from the
same surgical table (Baxter Perimount stented bovine pericardial).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ProsthesisSize:
    """Doppler effective orifice area (cm², mean and SD) and mean gradient (mmHg) of one size."""

    size_mm: float
    eoa: float
    eoa_sd: float
    mean_gradient: float | None


@dataclass(frozen=True)
class Prosthesis:
    """One valve model with its sizes."""

    key: str
    title: str
    kind: str  # 'transcatheter' or 'surgical'
    sizes: tuple[ProsthesisSize, ...]
    source: str

    def size(self, size_mm: float) -> ProsthesisSize:
        for s in self.sizes:
            if abs(s.size_mm - size_mm) < 1e-9:
                return s
        raise KeyError(size_mm)

    @property
    def size_labels(self) -> dict[float, str]:
        return {s.size_mm: f"{s.size_mm:g} mm (EOA {s.eoa:.2f} ± {s.eoa_sd:.2f} cm²)"
                for s in self.sizes}


_ASE = ("ASE 2024 JASE prosthetic-valve guideline tables via parameterz/avr-mvr "
        "(INTERVENTIONS.md §2)")

PROSTHESES: dict[str, Prosthesis] = {
    p.key: p
    for p in (
        Prosthesis("sapien3", "Edwards SAPIEN 3", "transcatheter", (
            ProsthesisSize(20, 1.22, 0.22, 16.2), ProsthesisSize(23, 1.45, 0.26, 12.8),
            ProsthesisSize(26, 1.74, 0.35, 10.6), ProsthesisSize(29, 1.89, 0.37, 9.3)), _ASE),
        Prosthesis("evolut_r", "Medtronic Evolut R", "transcatheter", (
            ProsthesisSize(23, 1.09, 0.26, 15.0), ProsthesisSize(26, 1.69, 0.40, 7.5),
            ProsthesisSize(29, 1.97, 0.54, 7.9), ProsthesisSize(34, 2.60, 0.75, 6.3)), _ASE),
        Prosthesis("perimount", "Carpentier-Edwards Perimount (surgical)", "surgical", (
            ProsthesisSize(19, 1.3, 0.2, 19.5), ProsthesisSize(21, 1.3, 0.3, 13.8),
            ProsthesisSize(23, 1.6, 0.3, 11.5), ProsthesisSize(25, 1.6, 0.4, 10.7),
            ProsthesisSize(27, 2.0, 0.4, 4.8)), _ASE + "; surgical table, Baxter Perimount"),
    )
}


def annulus_area(diameter_mm: float) -> float:
    """Geometric area (cm²) of a circular annulus of ``diameter_mm``."""
    return float(np.pi * (diameter_mm / 20.0) ** 2)

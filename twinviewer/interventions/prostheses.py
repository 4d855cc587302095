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


#: Manufacturers' sizing ranges: prosthesis key → label size (mm) → the native annulus
#: diameter (mm) the size is labelled for (review16b #4: a 29 mm SAPIEN 3 in an 18 mm annulus
#: ran silently). Not in ../shared; the figures are the instructions-for-use sizing charts as
#: published (checked from memory of the charts, not from a copy — marked so in
#: :data:`SIZING_SOURCES`):
#:
#: * SAPIEN 3 (Edwards IFU, CT annulus area, with the area-derived diameter): 20 mm 273–345
#:   mm² (18.6–21.0 mm), 23 mm 338–430 mm² (20.7–23.4), 26 mm 430–546 mm² (23.4–26.4), 29 mm
#:   540–683 mm² (26.2–29.5). The 29 mm's 683 mm² upper bound is quoted as "the maximum
#:   value recommended by the manufacturer" by the ACC journal scan of SAPIEN 3 in extremely
#:   large annuli (acc.org, 2018-06-27, TVT registry).
#: * Evolut R (Medtronic IFU, CT annulus perimeter-derived diameter): 23 mm 18–20 mm, 26 mm
#:   20–23, 29 mm 23–26, 34 mm 26–30 (perimeter 56.5–62.8 / 62.8–72.3 / 72.3–81.7 / 81.7–94.2
#:   mm).
#: * Perimount (surgical): the label size is the tissue-annulus diameter it is sized to
#:   (Edwards sizers); the ± 1 mm band (half the 2 mm step between sizes) is UNSOURCED.
SIZING_MM: dict[str, dict[float, tuple[float, float]]] = {
    "sapien3": {20: (18.6, 21.0), 23: (20.7, 23.4), 26: (23.4, 26.4), 29: (26.2, 29.5)},
    "evolut_r": {23: (18.0, 20.0), 26: (20.0, 23.0), 29: (23.0, 26.0), 34: (26.0, 30.0)},
    "perimount": {z: (z - 1.0, z + 1.0) for z in (19.0, 21.0, 23.0, 25.0, 27.0)},
}
SIZING_SOURCES: dict[str, str] = {
    "sapien3": "Edwards SAPIEN 3 instructions for use, sizing by CT annulus area 273–683 "
               "mm² (area-derived diameter)",
    "evolut_r": "Medtronic Evolut R instructions for use, sizing by CT perimeter-derived "
                "annulus diameter",
    "perimount": "label size = tissue-annulus diameter (Edwards sizers); the ± 1 mm band is "
                 "UNSOURCED",
}


def sizing_note(key: str, size_mm: float, annulus_mm: float) -> str:
    """'' if a ``size_mm`` valve of prosthesis ``key`` is labelled for an annulus of
    ``annulus_mm`` (or the annulus is not given, ≤ 0), else the warning: the range the size
    is made for and the sizes that fit.

    Examples
    --------
    >>> sizing_note("sapien3", 29, 18)[:72]
    'a 29 mm Edwards SAPIEN 3 is sized for an annulus of 26.2–29.5 mm, not 18'
    >>> sizing_note("sapien3", 23, 22), sizing_note("sapien3", 29, 0)
    ('', '')
    >>> "; the size made for it: 26 mm; sizing: Medtronic" in sizing_note("evolut_r", 34, 21)
    True
    """
    ranges = SIZING_MM.get(key, {})
    if annulus_mm <= 0 or size_mm not in ranges:
        return ""
    lo, hi = ranges[size_mm]
    if lo <= annulus_mm <= hi:
        return ""
    fits = [z for z, (a, b) in ranges.items() if a <= annulus_mm <= b]
    made = (f"the size made for it: {' or '.join(f'{z:g} mm' for z in fits)}" if fits else
            f"no size is made for it (range {min(a for a, _ in ranges.values()):g}–"
            f"{max(b for _, b in ranges.values()):g} mm)")
    return (f"a {size_mm:g} mm {PROSTHESES[key].title} is sized for an annulus of "
            f"{lo:g}–{hi:g} mm, not {annulus_mm:g} mm: outside the maker's sizing range "
            f"({'oversized' if annulus_mm < lo else 'undersized'}; the model still runs its "
            f"tabulated EOA); {made}; sizing: {SIZING_SOURCES[key]}")


def annulus_area(diameter_mm: float) -> float:
    """Geometric area (cm²) of a circular annulus of ``diameter_mm``."""
    return float(np.pi * (diameter_mm / 20.0) ** 2)

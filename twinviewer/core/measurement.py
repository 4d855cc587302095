"""Measured values with units, uncertainty and source. Never blended with predictions."""

from __future__ import annotations

from dataclasses import dataclass

from twinviewer.core.units import convert, normalise_unit


@dataclass(frozen=True)
class Measurement:
    """One measurement of one quantity.

    Parameters
    ----------
    name
        The quantity's metric name, e.g. ``'SBP'`` or ``'LVEDV'``.
    value
        Measured value in ``unit``.
    unit
        Unit of ``value`` and ``uncertainty``.
    uncertainty
        One standard deviation of the measurement error, in ``unit``.
    source
        Where it was measured (``'cuff'``, ``'CT segmentation'``, ``'echo'``...).
    """

    name: str
    value: float
    unit: str
    uncertainty: float
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", normalise_unit(self.unit))
        if not self.uncertainty >= 0:
            raise ValueError(f"measurement {self.name}: uncertainty must be ≥ 0, "
                             f"got {self.uncertainty}")

    def to(self, unit: str) -> Measurement:
        """The same measurement expressed in another unit."""
        return Measurement(self.name, float(convert(self.value, self.unit, unit)), unit,
                           float(convert(self.uncertainty, self.unit, unit)), self.source)

    def __str__(self) -> str:
        return f"{self.name} {self.value:.4g} ± {self.uncertainty:.2g} {self.unit} ({self.source})"

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "unit": self.unit,
                "uncertainty": self.uncertainty, "source": self.source}

    @classmethod
    def from_dict(cls, d: dict) -> Measurement:
        return cls(d["name"], float(d["value"]), d["unit"], float(d["uncertainty"]),
                   d.get("source", ""))


def measurement_fields(m: Measurement) -> dict:
    """The audited fields of ``m``: name, value, unit, SD and source.

    Examples
    --------
    >>> measurement_fields(Measurement("SBP", 142, "mmHg", 8, "cuff"))
    {'name': 'SBP', 'value': 142.0, 'unit': 'mmHg', 'sd': 8.0, 'source': 'cuff'}
    """
    return {"name": m.name, "value": float(m.value), "unit": m.unit,
            "sd": float(m.uncertainty), "source": m.source}


#: How a value that was not measured says so in its source (e.g. the demo's cuff BP).
ASSUMED_PREFIX = "assumed"


def is_assumed(m: Measurement) -> bool:
    """True if ``m`` is an assumption, not a measurement (its source says so). In core, not
    io: calibration and the timeline (personalize, below io) ask it too.

    Examples
    --------
    >>> is_assumed(Measurement("SBP", 120, "mmHg", 10, "assumed, not measured: normal"))
    True
    >>> is_assumed(Measurement("SBP", 120, "mmHg", 10, "cuff"))
    False
    """
    return (m.source or "").lstrip().lower().startswith(ASSUMED_PREFIX)

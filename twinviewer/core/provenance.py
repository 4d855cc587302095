"""Where a number came from: measured, derived from images, calibrated, or assumed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Source(StrEnum):
    """The kinds of provenance a value can have, from strongest to weakest evidence."""

    MEASURED = "measured"
    IMAGE_DERIVED = "derived from images"
    CALIBRATED = "calibrated"
    PRIOR = "prior / assumed"


#: The detail of a value calibrated only to image-derived measurements (volumes): it is
#: ``CALIBRATED``, not ``IMAGE_DERIVED`` ("derived from images" is for what an image measures
#: directly, e.g. a planimetered valve area).
TO_IMAGE_VOLUMES = "calibrated (to image volumes)"


@dataclass(frozen=True)
class Provenance:
    """Provenance of one value.

    Parameters
    ----------
    source
        The kind of evidence behind the value.
    detail
        Free text: the device, the paper, the calibration target...
    inputs
        Names of the measurements or parameters this value was derived or calibrated from.
    """

    source: Source = Source.PRIOR
    detail: str = ""
    inputs: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """One line for tables and reports, e.g. ``'calibrated (against SBP, DBP)'``."""
        text = str(self.source)
        if self.inputs:
            text += f" (from {', '.join(self.inputs)})"
        if self.detail:
            text += f": {self.detail}"
        return text

    def to_dict(self) -> dict:
        return {"source": self.source.value, "detail": self.detail, "inputs": list(self.inputs)}

    @classmethod
    def from_dict(cls, d: dict) -> Provenance:
        return cls(Source(d["source"]), d.get("detail", ""), tuple(d.get("inputs", ())))

"""Qt-free domain objects: units, parameters, measurements, provenance."""

from twinviewer.core.measurement import Measurement
from twinviewer.core.parameter import Parameter, Prior
from twinviewer.core.provenance import Provenance, Source
from twinviewer.core.units import UnitError, convert, parse_quantity

__all__ = ["Measurement", "Parameter", "Prior", "Provenance", "Source", "UnitError",
           "convert", "parse_quantity"]

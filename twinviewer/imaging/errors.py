"""The one exception the imaging pipeline raises for bad input."""

from __future__ import annotations


class ImagingError(ValueError):
    """A file or series that cannot be imported; the message names the file and the problem.

    Messages never contain patient identifiers: only file paths as given by the user, DICOM
    attribute names, counts and geometry.
    """

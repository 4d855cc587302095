"""The one exception the .twin reader and writer raise for bad files and refused writes."""

from __future__ import annotations


class TwinFileError(ValueError):
    """A .twin file cannot be read or written; the message names the file and the problem.

    Messages never carry patient identifiers: they name members, fields and checksums.
    """


class PrivacyError(TwinFileError):
    """Writing would put a (possibly) identifying value into a file, log or report."""

"""Exceptions raised by the svZeroDSolver importer."""

from __future__ import annotations


class SvZeroDConfigError(ValueError):
    """An svZeroDSolver JSON configuration that cannot be read or is inconsistent.

    The message names the file (when known), the section, the block and the field.
    """


class SvZeroDSolveError(RuntimeError):
    """The time integration failed (Newton did not converge, singular system, NaN)."""

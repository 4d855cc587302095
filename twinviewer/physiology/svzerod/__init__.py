"""Import of svZeroDSolver (SimVascular) JSON models.

A user brings an existing 0D model and gets the same answer as svZeroDSolver: the blocks'
equations and the generalized-alpha time stepping are reproduced row by row.

>>> from twinviewer.physiology.svzerod import load_config, simulate  # doctest: +SKIP
>>> result = simulate(load_config("closed_loop_two_hill.json"))  # doctest: +SKIP
>>> result["pressure:LV:AV"]  # Pa, last cycle  # doctest: +SKIP

The same file as a model of the ensemble engine (ODE-reducible closed-loop networks; see
:mod:`.model`): ``model_from_config("closed_loop_two_hill.json")`` gives a ``ModelSpec``
that :func:`twinviewer.physiology.simulate` runs for thousands of members at once.
"""

from twinviewer.physiology.svzerod.blocks import supported_types
from twinviewer.physiology.svzerod.config import (
    Block,
    SimulationParameters,
    SvZeroDConfig,
    load_config,
)
from twinviewer.physiology.svzerod.errors import SvZeroDConfigError, SvZeroDSolveError
from twinviewer.physiology.svzerod.simulate import (
    simulate,
    to_clinical_units,
    to_dataframe_like,
)

__all__ = [
    "Block",
    "SimulationParameters",
    "SvZeroDConfig",
    "SvZeroDConfigError",
    "SvZeroDSolveError",
    "load_config",
    "simulate",
    "supported_types",
    "to_clinical_units",
    "to_dataframe_like",
]

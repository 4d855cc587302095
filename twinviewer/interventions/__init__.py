"""What-if interventions: pure transforms of a twin's parameters, and their comparison.

>>> from twinviewer.interventions import get_intervention
>>> sorted(get_intervention("tavi").defaults())
['annulus', 'eoa', 'eoa_sd', 'pvl', 'seed']
"""

from twinviewer.interventions.compare import (
    BASELINE,
    DEFAULT_METRICS,
    DIRECTIONS,
    Comparison,
    Direction,
    Interval,
    ScenarioFlags,
    ScenarioTable,
    compare,
    run_scenarios,
    scenario_flags,
    scenario_table,
)
from twinviewer.interventions.intervention import Intervention, InterventionError, Setting
from twinviewer.interventions.library import LIBRARY, get_intervention, register
from twinviewer.interventions.ranking import Constraint, Goal, Ranking, rank
from twinviewer.interventions.scenario import (
    apply_scenario,
    parse_scenario,
    parse_step,
    scenario_label,
)
from twinviewer.interventions.single import SingleTwinPredictor

__all__ = ["BASELINE", "DEFAULT_METRICS", "DIRECTIONS", "LIBRARY", "Comparison", "Constraint",
           "Direction", "Goal", "Intervention", "InterventionError", "Interval", "Ranking",
           "ScenarioFlags", "ScenarioTable", "Setting", "SingleTwinPredictor", "apply_scenario",
           "compare", "get_intervention", "parse_scenario", "parse_step", "rank", "register",
           "run_scenarios", "scenario_flags", "scenario_label", "scenario_table"]

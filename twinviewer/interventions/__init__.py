"""What-if interventions: pure transforms of a twin's parameters, and their comparison.

>>> from twinviewer.interventions import get_intervention
>>> sorted(get_intervention("tavi").defaults())
['annulus', 'eoa', 'eoa_sd', 'pvl', 'seed']
"""

from twinviewer.core.lazy import lazy_package

# names are imported from their submodules on first use (start-up time)
__all__ = lazy_package(__name__, {
    "compare": ("BASELINE", "DEFAULT_METRICS", "DIRECTIONS", "Comparison", "Direction",
        "Interval", "ScenarioFlags", "ScenarioTable", "compare", "run_scenarios",
        "scenario_flags", "scenario_table"),
    "intervention": ("Intervention", "InterventionError", "Setting"),
    "library": ("LIBRARY", "get_intervention", "register"),
    "ranking": ("Constraint", "Goal", "Ranking", "rank"),
    "scenario": ("AppliedScenario", "applied", "apply_scenario", "check_scenario",
                 "parse_scenario", "parse_step", "scenario_label", "scenario_title",
                 "step_text"),
    "single": ("SingleTwinPredictor",),
})

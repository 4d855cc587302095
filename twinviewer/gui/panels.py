"""What the main window shows, declared: the workflow steps and the panels of each step.

The sidebar lists :data:`STEPS` in order; choosing a step shows its panels, stacked, at full
height (the Segment step always starts with the 3D view's structure list). Panels are
contributions of kind ``panels`` in the plugin registry: the core's in its manifest
(``twinviewer/twinviewer.toml``), a plugin's in its own, each with ``ref = "module:Class"``
and ``step``. A step not in :data:`STEPS` (e.g. ``"Timeline"``) gets its own entry in the
sidebar, after the others.

Each class is a ``QWidget`` with a class attribute ``title`` and a constructor
``__init__(self, state: TwinState, parent=None)``. Modules are imported only when their step
is first shown; a panel that fails to import or construct is reported in the log and skipped
(a plugin's panel disables its plugin, with a message naming it), never taking the window
down.

:data:`VIEWS` are the always-visible plots beside the 3D view (PV loops, Wiggers diagram).
"""

STEPS: tuple[str, ...] = ("Patient & images", "Segment", "Measurements", "Calibrate",
                          "What-if", "Explain", "Report")

#: One-line hints shown under each step's title.
STEP_HINTS: dict[str, str] = {
    "Patient & images": "The open twin's predictions beside what was measured.",
    "Segment": "The structures segmented from the images: show, colour, fade.",
    "Measurements": "The patient's measurements, with units and uncertainty.",
    "Calibrate": "Fit the twin to its measurements; see what the data informed.",
    "What-if": "Build interventions, run them on every member, compare and rank.",
    "Explain": "What drives a prediction, and when not to trust it.",
    "Report": "Notes, the audit trail, and what the .twin file holds.",
    "Teach": "Start with a lesson (first box); the sliders drive a teaching heart of their "
             "own, not the open twin.",
}

VIEWS: list[str] = [
    "twinviewer.gui.plots:PVLoopPanel",
    "twinviewer.gui.plots:WiggersPanel",
]


def panel_entries(registry=None) -> list[tuple[str, object]]:
    """``(step, contribution)`` of every enabled panel contribution, in registry order.

    Examples
    --------
    >>> [c.name for step, c in panel_entries() if step == "Report"]  # doctest: +SKIP
    ['report', 'audit']
    """
    from twinviewer.plugins.registry import get_registry

    registry = registry or get_registry()
    return [(c.extra.get("step") or "Explain", c) for c in registry.contributions("panels")]


def ordered_steps(entries: list[tuple[str, str]]) -> list[str]:
    """The sidebar's steps: :data:`STEPS`, then any other step named by a panel."""
    extra = [s for s, _ in entries if s not in STEPS]
    return list(STEPS) + list(dict.fromkeys(extra))

"""What the main window shows, declared: the workflow steps and the panels of each step.

The sidebar lists :data:`STEPS` in order; choosing a step shows its panels, stacked, at full
height (the Segment step always starts with the 3D view's structure list). Adding a panel is
one line in :data:`PANELS`: ``(step, "module:Class")``. A step not in :data:`STEPS` (e.g.
``"Timeline"``) gets its own entry in the sidebar, after the others. A plain
``"module:Class"`` string works too: the class's ``step`` attribute names its step (default
``"Explain"``).

Each class is a ``QWidget`` with a class attribute ``title`` and a constructor
``__init__(self, state: TwinState, parent=None)``. Modules are imported only when the main
window is built; a panel that fails to import or construct is reported in the log and
skipped, never taking the window down.

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
}

PANELS: list[tuple[str, str] | str] = [
    ("Patient & images", "twinviewer.gui.metrics_panel:MetricsPanel"),
    ("Segment", "twinviewer.gui.segment_panel:SegmentPanel"),
    ("Measurements", "twinviewer.gui.measurements_panel:MeasurementsPanel"),
    ("Calibrate", "twinviewer.gui.calibration_panel:CalibrationPanel"),
    ("What-if", "twinviewer.gui.scenario_panel:ScenarioPanel"),
    ("Explain", "twinviewer.gui.explain_panel:ExplainPanel"),
    ("Report", "twinviewer.gui.report_panel:ReportPanel"),
    ("Report", "twinviewer.gui.audit_panel:AuditPanel"),
    ("Timeline", "twinviewer.gui.timeline_panel:TimelinePanel"),
]

VIEWS: list[str] = [
    "twinviewer.gui.plots:PVLoopPanel",
    "twinviewer.gui.plots:WiggersPanel",
]


def step_of(entry: tuple[str, str] | str, klass: type | None = None) -> tuple[str, str]:
    """``(step, "module:Class")`` of a :data:`PANELS` entry.

    Examples
    --------
    >>> step_of(("What-if", "m:C"))
    ('What-if', 'm:C')
    """
    if isinstance(entry, tuple):
        return entry
    return (getattr(klass, "step", "Explain") if klass is not None else "Explain"), entry


def ordered_steps(entries: list[tuple[str, str]]) -> list[str]:
    """The sidebar's steps: :data:`STEPS`, then any other step named by a panel."""
    extra = [s for s, _ in entries if s not in STEPS]
    return list(STEPS) + list(dict.fromkeys(extra))
PANELS.append(("Teach", "twinviewer.gui.teaching_controls:TeachingControlsPanel"))
PANELS.append(("Teach", "twinviewer.gui.lesson_player:LessonPlayer"))
PANELS.append(("Teach", "twinviewer.gui.diagnose_panel:DiagnosePanel"))
PANELS.append(("Teach", "twinviewer.gui.side_by_side:SideBySidePanel"))

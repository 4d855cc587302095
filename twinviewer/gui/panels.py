"""Dockable panels the main window builds, as ``"module:Class"`` strings.

Each class is a ``QWidget`` with a class attribute ``title`` and a constructor
``__init__(self, state: TwinState, parent=None)``. Modules are imported only when the main
window builds its docks; a panel that fails to import or construct is reported in the log and
skipped, never taking the window down.
"""

PANELS: list[str] = [
    "twinviewer.gui.metrics_panel:MetricsPanel",
    "twinviewer.gui.plots:PVLoopPanel",
    "twinviewer.gui.plots:WiggersPanel",
    "twinviewer.gui.measurements_panel:MeasurementsPanel",
    "twinviewer.gui.calibration_panel:CalibrationPanel",
    "twinviewer.gui.scenario_panel:ScenarioPanel",
    "twinviewer.gui.explain_panel:ExplainPanel",
    "twinviewer.gui.audit_panel:AuditPanel",
    "twinviewer.gui.timeline_panel:TimelinePanel",
]

"""File → Import svZeroDSolver model…: an svZeroDSolver (SimVascular) JSON configuration
opened as a twin of the ensemble engine.

The configuration becomes a model (:func:`twinviewer.twins.twin_from_svzerod`); the twin
carries it, so a saved twin reopens anywhere. The GUI shows what the model's roles allow
(pressure–volume loop, Wiggers diagram and the clinical metrics need the chambers LA, LV, RA,
RV and their four valves) and says plainly what it cannot show; a network without those
roles is refused with the command that still runs it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QInputDialog

from twinviewer.gui import file_dialogs

FILTER = "svZeroDSolver configuration (*.json)"
#: Unit systems offered, as the importer names them.
UNITS = {"SI (Pa, m³, s)": "SI", "cgs (dyn/cm², mL, s)": "cgs"}


def add_svzerod_import_action(window, menu) -> None:
    """File → Import svZeroDSolver model…"""
    window._act(menu, "Import svZero&DSolver model…", lambda: import_svzerod_model(window))


def import_svzerod_model(window, path: str | Path | None = None, units: str | None = None
                         ) -> bool:
    """Open an svZeroDSolver configuration as the current twin (dialogs for what is not
    given). Returns whether a twin was opened; every refusal is a message naming the file
    and the problem.

    Examples
    --------
    >>> import_svzerod_model(window, "closed_loop_two_hill.json", "SI")  # doctest: +SKIP
    True
    """
    if path is None:
        path, _ = file_dialogs.get_open_file_name(window, "Import svZeroDSolver model", "",
                                                  FILTER)
        if not path:
            return False
    if units is None:
        label, ok = QInputDialog.getItem(window, "Import svZeroDSolver model",
                                         "Units of the file:", list(UNITS), 0, False)
        if not ok:
            return False
        units = UNITS[label]
    if not window.maybe_save("importing an svZeroDSolver model"):
        return False
    from twinviewer.gui.demo_heart import DEMO_MEMBERS
    from twinviewer.physiology import ModelError
    from twinviewer.physiology.svzerod import SvZeroDConfigError
    from twinviewer.twins import twin_from_svzerod

    name = Path(path).name
    try:
        twin = twin_from_svzerod(path, units=units, n=DEMO_MEMBERS)
    except (SvZeroDConfigError, ModelError, ValueError) as exc:
        window.state.error(f"{name}: cannot be opened as a model: {exc}")
        return False
    from twinviewer.twins import model_of

    model = model_of(twin)
    if "p_AO" not in model.output_names:
        window.state.error(
            f"{name}: the network has no chambers LA, LV, RA, RV joined by their four valves, "
            "so there is no pressure–volume loop, Wiggers diagram or clinical metric to show. "
            "Run it with: twinviewer simulate --svzerod FILE")
        return False
    from twinviewer.io import audit_log

    audit_log(twin).record(twin, "create", {"svzerod_model": model.name})
    window.show_twin(twin, dirty=True)
    window.state.info(shown_text(model))
    return True


def shown_text(model) -> str:
    """What the GUI shows of an imported model, and what it cannot show. The what-if list
    is :func:`~twinviewer.interventions.library.available`'s: the built-ins and the enabled
    plug-ins' interventions (a disabled plug-in's is not offered)."""
    from twinviewer.interventions import InterventionError
    from twinviewer.interventions.intervention import Context
    from twinviewer.interventions.library import available

    usable, refused = [], []
    for item in available().values():
        try:
            for p in item.parameters:
                Context(model, item.name).col(p)
            usable.append(item.name)
        except InterventionError:
            refused.append(item.name)
    return (f"svZeroDSolver model {model.name} ({len(model.states)} states): PV loop, Wiggers "
            "diagram and clinical metrics from its LA/LV/RA/RV chambers and valves. Not "
            "shown: anatomy (the file holds none), valve orifice areas and velocities (its "
            "valves are resistances). What-if: " + (", ".join(usable) or "none")
            + "; not applicable (roles missing): " + (", ".join(refused) or "none") + ".")

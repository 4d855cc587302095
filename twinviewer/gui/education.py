"""Education mode in the main window: File → Education mode (virtual hearts only). While it is
on, a twin that :func:`twinviewer.teaching.education.check_for_education` refuses (a patient's
twin not de-identified and marked for teaching) is not shown; the message says why.

Turning the mode on with such a twin open closes it (after the usual "save changes?"
question); if the user cancels that question, the mode stays off and the twin stays open.
"""

from __future__ import annotations

from PySide6.QtGui import QAction

from twinviewer.teaching.education import EducationModeError, check_for_education


def add_education_action(window, menu) -> QAction:
    """A checkable File-menu action that turns education mode on and off."""
    act = QAction("Education mode (virtual hearts only)", window)
    act.setCheckable(True)
    act.setChecked(bool(getattr(window, "education_mode", False)))

    def toggled(on: bool) -> None:
        if on and not close_patient_twin(window):
            act.blockSignals(True)
            act.setChecked(False)
            act.blockSignals(False)
            window.education_mode = False
            window.state.warn("education mode stays off: the patient's twin is still open "
                              "(close or save it, then turn education mode on)")
            return
        window.education_mode = on
        window.state.info("education mode on: only virtual hearts and twins marked for "
                          "teaching open" if on else "education mode off")

    act.toggled.connect(toggled)
    menu.addAction(act)
    window.education_action = act
    return act


def close_patient_twin(window) -> bool:
    """Close ``window``'s twin if education mode may not show it, after asking to save
    unsaved work; False (the twin stays open) when the user cancels."""
    twin = window.state.twin
    if twin is None:
        return True
    try:
        check_for_education(twin)
        return True
    except EducationModeError:
        pass
    if not window.maybe_save("turning education mode on (it closes the patient's twin)"):
        return False
    window.state.session.open_twin(None)
    log = getattr(window, "log_panel", None)
    if log is not None:  # its lines name the twin ("showing TW-…"); the log file keeps them
        log.text.clear()
    window.state.info("education mode: the patient's twin was closed")
    return True


def refuse_in_education_mode(window, twin) -> bool:
    """True (and an error message) if education mode is on and may not show ``twin``."""
    if not getattr(window, "education_mode", False) or twin is None:
        return False
    try:
        check_for_education(twin)
    except EducationModeError as exc:
        window.state.error(str(exc))
        return True
    return False

"""The built-in intervention library and a registry plugins can add to."""

from __future__ import annotations

from twinviewer.interventions.devices import LVAD, PACING
from twinviewer.interventions.drugs import (
    ACE_INHIBITOR,
    BETA_BLOCKER,
    DIURETIC,
    FUROSEMIDE,
    INOTROPE,
    MILRINONE,
    NITROPRUSSIDE,
    VASODILATOR,
)
from twinviewer.interventions.intervention import Intervention, InterventionError
from twinviewer.interventions.valves import (
    MITRAL_TEER,
    SAVR_PERIMOUNT,
    TAVI,
    TAVI_EVOLUT_R,
    TAVI_SAPIEN3,
)

LIBRARY: dict[str, Intervention] = {
    i.name: i
    for i in (TAVI, TAVI_SAPIEN3, TAVI_EVOLUT_R, SAVR_PERIMOUNT, MITRAL_TEER, BETA_BLOCKER,
              VASODILATOR, ACE_INHIBITOR, DIURETIC, INOTROPE, PACING, LVAD, MILRINONE,
              NITROPRUSSIDE, FUROSEMIDE)
}
#: The interventions this package ships. A plug-in's joins :data:`LIBRARY` when its plug-in
#: loads; the app's helper processes load no plug-ins, so they run only these.
CORE_INTERVENTIONS = frozenset(LIBRARY)


def get_intervention(name: str) -> Intervention:
    """Look up an intervention by name, with the list of known names on a miss (a plug-in's
    imported now; one whose plug-in is off says why)."""
    if name in CORE_INTERVENTIONS:
        return LIBRARY[name]
    import difflib

    from twinviewer.plugins import get_registry

    if get_registry().find("interventions", name) is not None:
        return get_registry().load("interventions", name)
    if why := get_registry().why_unavailable("interventions", name):
        raise InterventionError(why)  # kept in LIBRARY or not: its plug-in is off
    if name in LIBRARY:  # one given to register()
        return LIBRARY[name]
    known = [n for n in LIBRARY if not get_registry().why_unavailable("interventions", n)]
    close = difflib.get_close_matches(name, known, n=2)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise InterventionError(f"unknown intervention {name!r}{hint}; known: {', '.join(known)}")


def why_unavailable(name: str) -> str:
    """Why the intervention ``name`` cannot be chosen now (its plug-in is disabled, waiting
    for approval, fails to import; or no such intervention), or ``""``. Checked by name:
    a plug-in's transform is never run here, so this is cheap on any thread.

    Examples
    --------
    >>> why_unavailable("tavi")
    ''
    >>> why_unavailable("no_such_drug")[:31]
    "unknown intervention 'no_such_d"
    """
    if name in CORE_INTERVENTIONS:
        return ""
    try:
        get_intervention(name)
    except InterventionError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a plug-in's import error, named
        return f"intervention {name!r} is not available: {exc}"
    return ""


def available(*, load: bool = True) -> dict[str, Intervention]:
    """Every intervention one may choose, by name: the built-ins, then each enabled plug-in's
    (imported now; one that fails to import is left out and its plug-in disabled, named).
    With ``load=False`` only those already imported (nothing is imported: for a GUI thread,
    which must not wait on a plug-in's import; :func:`not_loaded` names the rest).

    Examples
    --------
    >>> "tavi" in available()
    True
    """
    import logging

    from twinviewer.plugins import PluginError, get_registry

    reg = get_registry()
    for name in reg.names("interventions") if load else ():
        if name not in LIBRARY:
            try:
                reg.load("interventions", name)
            except PluginError as exc:
                logging.getLogger(__name__).warning("%s", exc)
    return {n: i for n, i in LIBRARY.items() if not reg.why_unavailable("interventions", n)}


def not_loaded() -> list[str]:
    """The enabled plug-ins' interventions not imported yet (by name, nothing imported).

    Examples
    --------
    >>> isinstance(not_loaded(), list)
    True
    """
    from twinviewer.plugins import get_registry

    reg = get_registry()
    return [n for n in reg.names("interventions")
            if n not in LIBRARY and not reg.why_unavailable("interventions", n)]


def register(intervention: Intervention, *, replace: bool = False) -> None:
    """Add an intervention (e.g. from a plugin); refuses to shadow one unless ``replace``."""
    if intervention.name in LIBRARY and not replace:
        raise InterventionError(f"an intervention named {intervention.name!r} is already "
                                f"registered")
    LIBRARY[intervention.name] = intervention

"""Education mode holds no patient data: it opens virtual hearts only, unless a twin is
de-identified and explicitly marked for teaching.

A virtual heart is a twin made from a preset (``origin`` ``'preset:NAME'``) with a
``virtual-…`` pseudonym, on no anatomy or on a virtual one (the demo heart's, pseudonym
``virtual-heart``) — never a patient's images. Any other twin needs
``Twin.teaching`` set (by :func:`mark_for_teaching`, which refuses a twin whose id is not a
project pseudonym) and a pseudonym that still passes the privacy check when it is opened.
"""

from __future__ import annotations

import dataclasses

from twinviewer.core.twin import Twin
from twinviewer.io.privacy import is_pseudonym


class EducationModeError(PermissionError):
    """Education mode refused a twin; the message says why (never the patient's id)."""


def is_virtual(twin: Twin) -> bool:
    """True for a virtual heart: made from a preset, virtual pseudonym, virtual anatomy.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> is_virtual(twin_from_preset("healthy", n=1))
    True
    """
    anatomy_ok = twin.anatomy is None or str(twin.anatomy.pseudonym).startswith("virtual-")
    return (twin.origin.startswith("preset:") and twin.pseudonym.startswith("virtual-")
            and anatomy_ok)


def check_for_education(twin: Twin) -> None:
    """Refuse a twin education mode may not open.

    Raises
    ------
    EducationModeError
        A patient's twin that is not marked for teaching, or not de-identified.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=1, pseudonym="TW-0123456789")
    >>> t.origin = "import"
    >>> try:
    ...     check_for_education(t)
    ... except EducationModeError as exc:
    ...     print(str(exc)[:45])
    education mode opens virtual hearts only; thi
    """
    if is_virtual(twin):
        return
    if not twin.teaching:
        raise EducationModeError(
            "education mode opens virtual hearts only; this twin holds a patient's data and "
            "is not marked for teaching (mark a de-identified twin for teaching first)")
    if not is_pseudonym(twin.pseudonym) or twin.pseudonym.startswith("virtual-"):
        raise EducationModeError(
            "this twin is marked for teaching but its patient id is not a de-identified "
            "TwinViewer pseudonym; education mode will not open it")


def mark_for_teaching(twin: Twin) -> Twin:
    """A copy of ``twin`` marked for teaching; refuses one that is not de-identified.

    Raises
    ------
    EducationModeError
        The twin's id is not a TwinViewer pseudonym.
    """
    if not is_pseudonym(twin.pseudonym):
        raise EducationModeError("only a de-identified twin (a TwinViewer pseudonym as its "
                                 "id) can be marked for teaching")
    return dataclasses.replace(twin, teaching=True)

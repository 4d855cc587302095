"""What may leave the process: pseudonym rules and redaction of known identifiers.

Import de-identifies (:mod:`twinviewer.imaging.deid`); this module is the second line of
defence for everything :mod:`twinviewer.io` writes (the .twin file, logs, reports, audit
notes). Identifying values the application has seen (for instance at import) are registered
with :func:`register_identifiers` and redacted from free text; a twin's pseudonym must look
like one, unless the user explicitly keeps identifiers for a local study.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from twinviewer.core.privacy import clear_identifiers, known_identifiers, register_identifiers
from twinviewer.io.errors import PrivacyError

__all__ = ["check_clinician_text", "check_pseudonym", "clear_identifiers", "identifiers_in",
           "is_pseudonym", "known_identifiers", "redact", "register_identifiers", "scrub"]

# 'TW-' + 10 hex digits (imaging.deid.pseudonym), or a virtual heart ('virtual-healthy').
PSEUDONYM_PATTERNS = (re.compile(r"TW-[0-9A-F]{10}"),
                      re.compile(r"virtual-[a-z0-9][a-z0-9_.-]{0,39}"))

def _redact(text: str, identifiers: list[str]) -> str:
    if not identifiers:
        return text
    from twinviewer.imaging.deid import redact as deid_redact  # pydicom: import when needed

    return deid_redact(text, identifiers)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every registered (and ``extra``) identifier replaced by ``[redacted]``.

    Matching follows :func:`twinviewer.imaging.deid.redact` (case-insensitive, whole tokens,
    person-name variants). For values the application inserts, never for the clinician's
    own text (:func:`check_clinician_text`).
    """
    return _redact(text, [*known_identifiers(), *extra])


def identifiers_in(text: str, extra: Iterable[str] = ()) -> list[str]:
    """Registered (and ``extra``) identifiers found in ``text`` as whole tokens.

    Examples
    --------
    >>> identifiers_in("Patient does not tolerate it", ["DOE^PETER"])
    []
    """
    ids = [*known_identifiers(), *extra]
    if not ids or not text:
        return []
    from twinviewer.imaging.deid import identifiers_in as find  # pydicom: import when needed

    return find(text, ids)


def check_clinician_text(text: str, what: str = "the note") -> None:
    """Refuse clinician text that holds a registered identifier; it is never rewritten.

    Raises
    ------
    PrivacyError
        Telling the user which word to edit (shown to the author only, never logged).
    """
    found = identifiers_in(text)
    if found:
        words = ", ".join(sorted({repr(f) for f in found}))
        raise PrivacyError(f"{what} contains {words}, which identifies the patient; edit it "
                           "(text you write is never changed automatically)")


def is_pseudonym(value: str) -> bool:
    """True if ``value`` has the form of a project pseudonym (``TW-…`` or ``virtual-…``)."""
    return any(p.fullmatch(value or "") for p in PSEUDONYM_PATTERNS) and \
        redact(value) == value


def check_pseudonym(value: str, *, keep_identifiers: bool = False) -> None:
    """Refuse a pseudonym that may be a real identifier.

    Raises
    ------
    PrivacyError
        Without repeating the value (it may be a name).
    """
    if keep_identifiers:
        return
    if not is_pseudonym(value):
        raise PrivacyError(
            "refusing to write: the twin's patient id is not a TwinViewer pseudonym "
            "('TW-' + 10 hex digits, or 'virtual-<name>') and may identify the patient; "
            "import the study through de-identification, or choose to keep identifiers "
            "for a local study")


def scrub(obj, extra: Iterable[str] = ()):
    """A copy of a JSON-like structure with identifiers redacted from every string."""
    ids = [*known_identifiers(), *extra]
    if not ids:
        return obj

    def walk(o):
        if isinstance(o, str):
            return _redact(o, ids)
        if isinstance(o, dict):
            return {walk(k): walk(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [walk(v) for v in o]
        return o

    return walk(obj)

"""Identifying values seen in this process, so every writer can redact them.

De-identification (:mod:`twinviewer.imaging.deid`) registers what it strips from each
header; the .twin writer, the audit trail, reports and the log filter
(:mod:`twinviewer.io.privacy`) redact every registered value from the text they write. Kept
in ``core`` (no dependencies) because both the reading and the writing side use it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

_lock = threading.Lock()
_known: set[str] = set()


def register_identifiers(values: Iterable[str]) -> None:
    """Remember identifying values (names, ids, dates) so they are redacted wherever we write."""
    with _lock:
        _known.update(str(v) for v in values if v is not None and len(str(v).strip()) >= 3)


def clear_identifiers() -> None:
    """Forget all registered identifiers (tests, or when a study is closed)."""
    with _lock:
        _known.clear()


def known_identifiers() -> frozenset[str]:
    """The identifying values registered so far."""
    with _lock:
        return frozenset(_known)

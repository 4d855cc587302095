"""The application's state, owned outside Qt: :class:`Session` is the :class:`Document`.

Kept as the name panels and tests already use; see :mod:`twinviewer.document` for the events.

>>> Session is Document
True
"""

from twinviewer.document import EVENTS, Document, FileContext

Session = Document

__all__ = ["EVENTS", "Document", "FileContext", "Session"]

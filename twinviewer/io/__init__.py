"""The .twin file, audit trail, privacy guards, autosave, logging and reports (Qt-free).

>>> from twinviewer.io import save_twin, load_twin, audit_log  # doctest: +SKIP
"""

from twinviewer.io.audit import AuditEntry, AuditLog, ChainStatus, attach_audit_log, audit_log
from twinviewer.io.autosave import Autosaver
from twinviewer.io.errors import PrivacyError, TwinFileError
from twinviewer.io.twinfile import (
    SCHEMA_VERSION,
    ParameterInfo,
    TwinDocument,
    describe,
    load_twin,
    load_twin_bytes,
    parameter_table,
    save_twin,
    twin_bytes,
)

__all__ = ["SCHEMA_VERSION", "AuditEntry", "AuditLog", "Autosaver", "ChainStatus", "ParameterInfo",
           "PrivacyError", "TwinDocument", "TwinFileError", "attach_audit_log", "audit_log",
           "describe", "load_twin", "load_twin_bytes", "parameter_table", "save_twin",
           "twin_bytes"]

"""The twin's audit trail: an append-only, hash-chained log of what was done to it.

Each entry records when (UTC), what (``import``, ``calibration``, ``scenario``, ``export``,
``note``, ``conclusion``, ``save``), with which app and model version, and the parameters used.
Its ``hash`` is SHA-256 over the canonical JSON of all its other fields, which include the
previous entry's hash, so changing, removing or reordering any earlier entry breaks every
later link; :meth:`AuditLog.verify_chain` finds the first broken one. The chain proves
integrity against accidents and casual edits, not against someone who rewrites the whole
chain (that would need a signature with a key the editor does not hold).

A twin's log is found with :func:`audit_log`; it lives beside the twin (not in
:class:`~twinviewer.core.twin.Twin`) and travels with it through the .twin file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import asdict, dataclass, field

import twinviewer
from twinviewer.core.twin import Twin
from twinviewer.io.privacy import check_clinician_text, scrub

ACTIONS = ("import", "calibration", "scenario", "export", "note", "conclusion", "save",
           "migration", "create", "sensitivity", "measurement")
GENESIS = "0" * 64


def _canonical(d: dict) -> bytes:
    return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


@dataclass(frozen=True)
class AuditEntry:
    """One link of the chain (see the module docstring)."""

    index: int
    time: str
    action: str
    app_version: str
    model: str
    details: dict = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def compute_hash(self) -> str:
        d = asdict(self)
        d.pop("hash")
        return hashlib.sha256(_canonical(d)).hexdigest()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> AuditEntry:
        if not isinstance(d, dict):
            raise TypeError(f"audit entry must be an object, got {type(d).__name__}")
        out = cls(int(d["index"]), str(d["time"]), str(d["action"]), str(d["app_version"]),
                  str(d["model"]), dict(d.get("details", {})), str(d["prev_hash"]),
                  str(d["hash"]))
        return out

    def summary(self) -> str:
        """One line: ``'#3 2026-11-23 07:42 calibration (model four_chamber_eoa 1.0)'``."""
        text = next((v for v in (self.details.get("text"), self.details.get("summary"))
                     if isinstance(v, str) and v), "")
        if len(text) > 160:  # one line: the whole record is in the file and in --json
            text = text[:157] + "…"
        when = self.time[:16].replace("T", " ")
        return f"#{self.index} {when} {self.action}" + (f": {text}" if text else "")


@dataclass(frozen=True)
class ChainStatus:
    """Result of :meth:`AuditLog.verify_chain`."""

    ok: bool
    n_entries: int
    first_bad: int | None = None
    message: str = ""

    def __str__(self) -> str:
        return self.message


class AuditLog:
    """Append-only hash chain of :class:`AuditEntry`."""

    def __init__(self, entries: list[AuditEntry] | None = None) -> None:
        # The list is used as given (not copied) so that a twin's log is the twin's own list.
        self._entries: list[AuditEntry] = entries if entries is not None else []

    @property
    def entries(self) -> tuple[AuditEntry, ...]:
        return tuple(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def head(self) -> str:
        """Hash of the last entry (``GENESIS`` when empty)."""
        return self._entries[-1].hash if self._entries else GENESIS

    def append(self, action: str, details: dict | None = None, *, model: str = "",
               time: _dt.datetime | None = None) -> AuditEntry:
        """Add an entry; free text in ``details`` is redacted of registered identifiers.

        Parameters
        ----------
        action : str
            One of :data:`ACTIONS`.
        details : dict, optional
            JSON-serialisable parameters used (numbers, strings, lists).
        model : str
            ``'name version equation-hash'`` of the model involved.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}; actions are {', '.join(ACTIONS)}")
        when = (time or _dt.datetime.now(_dt.UTC)).astimezone(_dt.UTC)
        details = scrub(dict(details or {}))
        _canonical(details)  # fail now, not at save, on values JSON cannot hold
        entry = AuditEntry(len(self._entries), when.isoformat(timespec="seconds"), action,
                           twinviewer.__version__, model, details, self.head)
        entry = AuditEntry(**{**asdict(entry), "hash": entry.compute_hash()})
        self._entries.append(entry)
        return entry

    def record(self, twin: Twin, action: str, details: dict | None = None) -> AuditEntry:
        """Append an entry naming ``twin``'s model."""
        return self.append(action, details, model=model_identity(twin))

    def add_note(self, twin: Twin, text: str, *, disagreement: str = "", why: str = "",
                 conclusion: bool = False) -> AuditEntry:
        """Record the clinician's note or conclusion, with where and why they disagree.

        Parameters
        ----------
        text : str
            The note or conclusion, stored exactly as written.
        disagreement : str
            Where the clinician disagrees with the twin (e.g. ``'predicted LVEDP'``).
        why : str
            Why (e.g. ``'catheter LVEDP 22 mmHg the day before'``).
        conclusion : bool
            A conclusion rather than a note.

        Raises
        ------
        PrivacyError
            A text holds a registered patient identifier (the message names it, for the
            author to edit); nothing is recorded.
        """
        if not text.strip():
            raise ValueError("a note needs text")
        # The clinician's words are kept exactly; one holding an identifier is refused.
        for what, value in (("the note", text), ("where you disagree", disagreement),
                            ("why", why)):
            check_clinician_text(value, what)
        details = {"text": text.strip()}
        if disagreement.strip():
            details["disagreement"] = disagreement.strip()
            details["why"] = why.strip()
        return self.record(twin, "conclusion" if conclusion else "note", details)

    def notes(self) -> list[AuditEntry]:
        """The clinician's notes and conclusions, oldest first."""
        return [e for e in self._entries if e.action in ("note", "conclusion")]

    def verify_chain(self) -> ChainStatus:
        """Check every entry's hash and link; name the first entry that does not verify."""
        prev = GENESIS
        for i, e in enumerate(self._entries):
            problem = None
            if e.index != i:
                problem = f"entry {i} carries index {e.index} (entries removed or reordered)"
            elif e.prev_hash != prev:
                problem = (f"entry #{i} ({e.action}) does not link to the entry before it "
                           f"(expected previous hash {prev[:12]}…, found {e.prev_hash[:12]}…)")
            else:
                try:
                    expected = e.compute_hash()
                except (ValueError, TypeError) as exc:  # e.g. NaN edited into the details
                    expected = f"unhashable ({exc})"
                if expected != e.hash:
                    problem = (f"entry #{i} ({e.action}) was changed after it was written "
                               f"(expected hash {expected[:12]}…, stored {e.hash[:12]}…)")
            if problem:
                return ChainStatus(False, len(self._entries), i,
                                   f"audit trail broken: {problem}")
            prev = e.hash
        return ChainStatus(True, len(self._entries), None,
                           f"audit trail intact ({len(self._entries)} entries)")

    def to_list(self) -> list[dict]:
        return [e.to_dict() for e in self._entries]

    @classmethod
    def from_list(cls, items: list) -> AuditLog:
        if not isinstance(items, list):
            raise TypeError(f"audit log must be a list, got {type(items).__name__}")
        return cls([AuditEntry.from_dict(d) for d in items])


def model_identity(twin: Twin) -> str:
    """``'name version equation-hash'`` of the model a twin is locked to."""
    return f"{twin.model_name} {twin.model_version} {twin.equation_hash}"


def audit_log(twin: Twin) -> AuditLog:
    """The audit log of ``twin``: a view whose appends go to ``twin.audit``."""
    return AuditLog(twin.audit)


def attach_audit_log(twin: Twin, log: AuditLog) -> None:
    """Make ``log`` the audit log of ``twin`` (used when a twin is loaded from a file)."""
    twin.audit = log._entries

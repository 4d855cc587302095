"""What the user entered: each measurement entered, changed or removed is its own audit event.

The calibration entry says which measurements a fit used; these entries say when each value
came in, what it was and what it replaced — name, value, unit, SD and source (free text is
scrubbed of registered identifiers by :meth:`~twinviewer.io.audit.AuditLog.append`).
"""

from __future__ import annotations

from collections.abc import Sequence

from twinviewer.core.measurement import Measurement, measurement_fields
from twinviewer.core.twin import Twin
from twinviewer.io.audit import AuditEntry, audit_log

#: The audit action of a measurement event; ``details["change"]`` is one of these.
ACTION = "measurement"
CHANGES = ("entered", "changed", "removed")


def measurement_changes(old: Sequence[Measurement], new: Sequence[Measurement]
                        ) -> list[dict]:
    """The details of one audit event per measurement entered, changed or removed between
    ``old`` and ``new`` (matched by name and source, in order; a changed one carries the
    ``previous`` value). Unchanged measurements give nothing.

    Examples
    --------
    >>> a = [Measurement("SBP", 142, "mmHg", 8, "cuff")]
    >>> b = [Measurement("SBP", 138, "mmHg", 8, "cuff"), Measurement("HR", 70, "bpm", 2)]
    >>> [(d["change"], d["name"], d["value"]) for d in measurement_changes(a, b)]
    [('changed', 'SBP', 138.0), ('entered', 'HR', 70.0)]
    >>> measurement_changes(b, b)
    []
    """
    def key(m: Measurement) -> tuple[str, str]:
        return (m.name, m.source)

    left = list(old)
    out: list[dict] = []
    for m in new:
        same = next((i for i, o in enumerate(left) if o == m), None)
        if same is not None:  # unchanged
            left.pop(same)
            continue
        was = next((i for i, o in enumerate(left) if key(o) == key(m)), None)
        if was is None:
            out.append({"change": "entered", **measurement_fields(m)})
        else:
            out.append({"change": "changed", **measurement_fields(m),
                        "previous": measurement_fields(left.pop(was))})
    out += [{"change": "removed", **measurement_fields(o)} for o in left]
    return out


def record_measurement_changes(twin: Twin, old: Sequence[Measurement],
                               new: Sequence[Measurement], **extra: str) -> list[AuditEntry]:
    """Append one ``measurement`` entry per change (:func:`measurement_changes`) to
    ``twin``'s audit trail; ``extra`` (e.g. ``command='calibrate'``) goes into each.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=1)
    >>> e = record_measurement_changes(t, [], [Measurement("SBP", 142, "mmHg", 8, "cuff")])
    >>> (e[0].action, e[0].details["change"], e[0].details["value"])
    ('measurement', 'entered', 142.0)
    """
    log = audit_log(twin)
    return [log.record(twin, ACTION, {**d, **extra}) for d in measurement_changes(old, new)]


def record_twin_measurements(before: Twin, after: Twin, **extra: str) -> list[AuditEntry]:
    """:func:`record_measurement_changes` from ``before``'s measurements to ``after``'s,
    in ``after``'s trail; the images' own measurements (the anatomy's) are not the user's
    entries and are left out.

    Examples
    --------
    >>> import dataclasses
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=1)
    >>> u = dataclasses.replace(t, measurements=[Measurement("HR", 70, "bpm", 2, "ECG")])
    >>> [e.details["change"] for e in record_twin_measurements(t, u, command="calibrate")]
    ['entered']
    """
    image = [m for t in (before, after) if t.anatomy is not None
             for m in t.anatomy.measurements]
    return record_measurement_changes(after, [m for m in before.measurements if m not in image],
                                      [m for m in after.measurements if m not in image],
                                      **extra)
